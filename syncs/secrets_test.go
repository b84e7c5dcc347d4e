package syncs_test

import (
	"context"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/syncs"
)

// TestParseDotenv_ReportsEveryBadLine: each bad line is named by number and
// nothing is returned when any line is bad.
func TestParseDotenv_ReportsEveryBadLine(t *testing.T) {
	in := "# comment\nGOOD=1\nno equals sign\nexport QUOTED=\"a\\nb\" # c\nbad key=2\nSINGLE='x y'\nGOOD=again\nOPEN=\"unterminated\n"
	got, err := syncs.ParseDotenv(in)
	if got != nil {
		t.Errorf("ParseDotenv returned %d secrets from a bad file, want none", len(got))
	}
	e := sb.AsError(err)
	for _, line := range []string{"env.3", "env.5", "env.7", "env.8"} {
		if _, ok := e.Fields[line]; !ok {
			t.Errorf("no error for %s; fields %v", line, e.Fields)
		}
	}
	if len(e.Fields) != 4 {
		t.Errorf("fields = %v, want exactly lines 3, 5, 7, 8", e.Fields)
	}
	ok, err := syncs.ParseDotenv("A=1\nexport B=\"x\\ny\"\nC='q r' # c\nD=plain # comment\n")
	if err != nil || len(ok) != 4 || *ok[1].Value != "x\ny" || *ok[2].Value != "q r" || *ok[3].Value != "plain" {
		t.Errorf("good file = %v, %v", ok, err)
	}
}

// TestSecrets_Lifecycle: teams get dev/staging/prod; values are sealed and
// versioned; a bulk write with one bad entry writes nothing; another team's
// project is not found; read-only tokens cannot write.
func TestSecrets_Lifecycle(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := newFixture(t, d)
			ctx := context.Background()
			envs, err := f.svc.Environments(ctx, admin, f.team)
			if err != nil || len(envs) != 3 || envs[0].Slug != "dev" || envs[1].Slug != "staging" || envs[2].Slug != "prod" {
				t.Fatalf("environments = %+v, %v; want dev, staging, prod", envs, err)
			}
			sc := syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/"}
			f.set(t, "K", "value-one-1")
			f.set(t, "K", "value-two-2")
			list, _ := f.svc.ListSecrets(ctx, admin, sc)
			if len(list) != 1 || list[0].Version != 2 {
				t.Fatalf("list = %+v, want K at version 2", list)
			}
			dump := dumpAll(t, f.store)
			if strings.Contains(dump, "value-two-2") || strings.Contains(dump, "value-one-1") {
				t.Errorf("a secret value is stored in clear")
			}
			v := "x"
			_, err = f.svc.UpsertSecrets(ctx, admin, sc, []syncs.SecretInput{{Key: "NEW", Value: &v}, {Key: "bad key", Value: &v}})
			if sb.ErrorCode(err) != sb.CodeInvalid {
				t.Fatalf("bulk with a bad key: %v, want invalid", err)
			}
			if list, _ := f.svc.ListSecrets(ctx, admin, sc); len(list) != 1 {
				t.Errorf("a refused bulk wrote %d secrets", len(list)-1)
			}
			other := sb.Actor{UserID: "u2", Role: sb.RoleSupport, Teams: []string{"00000000-0000-4000-8000-00000000dead"}}
			if _, err := f.svc.ListSecrets(ctx, other, sc); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("another team's actor: %v, want not found", err)
			}
			ro := sb.Actor{TokenID: "t1", Role: sb.RoleSupport, Teams: []string{f.team}, ReadOnly: true}
			if _, err := f.svc.CreateSecret(ctx, ro, sc, syncs.SecretInput{Key: "RO", Value: &v}); sb.ErrorCode(err) != sb.CodeForbidden {
				t.Errorf("read-only token: %v, want forbidden", err)
			}
			if _, err := f.svc.CreateFolder(ctx, admin, syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/"}, "payments"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.CreateSecret(ctx, admin, syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/payments/"}, syncs.SecretInput{Key: "IN_FOLDER", Value: &v}); err != nil {
				t.Errorf("secret in a folder: %v", err)
			}
			if _, err := f.svc.CreateSecret(ctx, admin, syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/missing"}, syncs.SecretInput{Key: "X", Value: &v}); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("secret in a missing folder: %v, want not found", err)
			}
		})
	}
}

// TestMigration007_GivesExistingTeamsEnvironments: a team that existed
// before migration 007 gets dev, staging and prod with root folders.
func TestMigration007_GivesExistingTeamsEnvironments(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			store := openStore(t, dbtest.URL(t, d))
			ms, err := db.Migrations(store.Dialect())
			if err != nil {
				t.Fatal(err)
			}
			x := store.SQLX()
			x.MustExec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at text)`)
			for _, m := range ms {
				if m.Version >= 7 {
					break
				}
				x.MustExec(m.SQL)
			}
			x.MustExec(x.Rebind(`INSERT INTO teams (id, slug, name, created_at) VALUES (?, 'old', 'Old', ?)`), "00000000-0000-4000-8000-0000000000aa", "2025-01-01 00:00:00+00:00")
			for _, m := range ms {
				if m.Version >= 7 {
					x.MustExec(m.SQL)
				}
			}
			var n int
			x.Get(&n, `SELECT COUNT(*) FROM secret_environments e JOIN secret_folders f ON f.env_id = e.id AND f.path = '/' WHERE e.team_id = '00000000-0000-4000-8000-0000000000aa'`)
			if n != 3 {
				t.Errorf("the old team has %d environments with a root folder, want 3", n)
			}
		})
	}
}
