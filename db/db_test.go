package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"switchboard/db"
	"switchboard/db/dbtest"
)

// eachDialect runs fn as a subtest on a fresh store of every dialect.
func eachDialect(t *testing.T, fn func(t *testing.T, s *db.DB)) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, dbtest.MustOpenDB(t, d))
		})
	}
}

func ptr[T any](v T) *T { return &v }

type fixture struct {
	user *db.User
	team *db.Team
	node *db.Node
}

func seed(t *testing.T, s *db.DB) fixture {
	t.Helper()
	ctx := context.Background()
	u := &db.User{ID: uuid.NewString(), Email: "Admin@Example.com", PasswordHash: "x", Role: "admin"}
	if err := s.CreateUser(ctx, u, nil, true, nil); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	tm := &db.Team{ID: uuid.NewString(), Slug: "payments", Name: "Payments"}
	if err := s.CreateTeam(ctx, tm, nil); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	n := &db.Node{ID: uuid.NewString(), TeamID: tm.ID, Name: "edge-1"}
	if err := s.CreateNode(ctx, n, nil); err != nil {
		t.Fatalf("CreateNode: %v", err)
	}
	return fixture{u, tm, n}
}

func TestDB_Migrate(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		n, err := s.Migrate(context.Background())
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if n != 0 {
			t.Errorf("second Migrate applied %d migrations, want 0", n)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		dialect db.Dialect
		wantErr string
	}{
		{"postgres://u@h/db", db.Postgres, ""},
		{"postgresql://u@h/db?sslmode=disable", db.Postgres, ""},
		{"sqlite:data/x.db", db.SQLite, ""},
		{"sqlite::memory:", db.SQLite, ""},
		{"mysql://u@h/db", "", `unknown scheme "mysql"`},
		{"sqlite:", "", "no path"},
		{"data.db", "", "unknown scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			d, _, err := db.ParseURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL(%q) error = %v, want it to contain %q", tt.url, err, tt.wantErr)
				}
				return
			}
			if err != nil || d != tt.dialect {
				t.Fatalf("ParseURL(%q) = %q, %v; want %q", tt.url, d, err, tt.dialect)
			}
		})
	}
}

func TestDB_Users(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		got, err := s.UserByEmail(ctx, "ADMIN@example.COM")
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		if got.ID != f.user.ID || got.Email != "admin@example.com" || got.SessionGeneration != 1 {
			t.Errorf("UserByEmail = %+v, want id %s, lowercased email, generation 1", got, f.user.ID)
		}
		if !got.CreatedAt.Equal(f.user.CreatedAt) {
			t.Errorf("CreatedAt round trip: got %v, want %v", got.CreatedAt, f.user.CreatedAt)
		}
		second := &db.User{ID: uuid.NewString(), Email: "two@example.com", PasswordHash: "x", Role: "support"}
		if err := s.CreateUser(ctx, second, nil, true, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("first-run CreateUser with a user present: err = %v, want ErrConflict", err)
		}
		if err := s.CreateUser(ctx, second, []string{f.team.ID}, false, nil); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		dup := &db.User{ID: uuid.NewString(), Email: "TWO@example.com", PasswordHash: "x", Role: "support"}
		if err := s.CreateUser(ctx, dup, nil, false, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("duplicate email: err = %v, want ErrConflict", err)
		}
		teams, err := s.UserTeamIDs(ctx, second.ID)
		if err != nil || len(teams) != 1 || teams[0] != f.team.ID {
			t.Errorf("UserTeamIDs = %v, %v; want [%s]", teams, err, f.team.ID)
		}
		if err := s.AddMember(ctx, f.team.ID, second.ID, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("AddMember twice: err = %v, want ErrConflict", err)
		}
		members, err := s.ListMembers(ctx, f.team.ID)
		if err != nil || len(members) != 1 || members[0].Email != "two@example.com" {
			t.Errorf("ListMembers = %+v, %v", members, err)
		}
		if _, err := s.UserByID(ctx, uuid.NewString()); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("UserByID(unknown): err = %v, want ErrNotFound", err)
		}
	})
}

func TestDB_TeamsAndNodes(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		if err := s.CreateTeam(ctx, &db.Team{ID: uuid.NewString(), Slug: "payments", Name: "Other"}, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("duplicate slug: err = %v, want ErrConflict", err)
		}
		if err := s.CreateNode(ctx, &db.Node{ID: uuid.NewString(), TeamID: f.team.ID, Name: "edge-1"}, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("duplicate node name: err = %v, want ErrConflict", err)
		}
		if err := s.CreateNode(ctx, &db.Node{ID: uuid.NewString(), TeamID: uuid.NewString(), Name: "orphan"}, nil); err == nil {
			t.Errorf("node of an unknown team was accepted: foreign keys are off")
		}
		other := &db.Team{ID: uuid.NewString(), Slug: "ops", Name: "Ops"}
		if err := s.CreateTeam(ctx, other, nil); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListTeams(ctx, nil)
		if err != nil || len(all) != 2 {
			t.Errorf("ListTeams(nil) = %d teams, %v; want 2", len(all), err)
		}
		some, err := s.ListTeams(ctx, []string{other.ID})
		if err != nil || len(some) != 1 || some[0].Slug != "ops" {
			t.Errorf("ListTeams([ops]) = %+v, %v", some, err)
		}
		none, err := s.ListTeams(ctx, []string{})
		if err != nil || len(none) != 0 {
			t.Errorf("ListTeams([]) = %+v, %v; want none", none, err)
		}
		nodes, err := s.ListNodes(ctx, f.team.ID)
		if err != nil || len(nodes) != 1 || nodes[0].ID != f.node.ID {
			t.Errorf("ListNodes = %+v, %v", nodes, err)
		}
		bySlug, err := s.TeamBySlug(ctx, "ops")
		if err != nil || bySlug.ID != other.ID {
			t.Errorf("TeamBySlug = %+v, %v", bySlug, err)
		}
	})
}

func nodeKey(f fixture, expires *time.Time) *db.Integration {
	return &db.Integration{
		ID: uuid.NewString(), TeamID: f.team.ID, Provider: "node_api_key", Name: "Production API",
		NodeID: ptr(f.node.ID), Status: "active", UniqueKey: ptr(f.node.ID), Attrs: `{"api_key":"apex_x"}`,
		SecretHash: ptr("k1:abc"), ExpiresAt: expires, CreatedByUser: ptr(f.user.ID),
	}
}

func TestDB_Integrations(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		first := nodeKey(f, nil)
		audit := &db.AuditEvent{ActorType: "user", ActorID: f.user.ID, Action: "integration.create", TargetType: "integration", TargetID: first.ID, TeamID: &f.team.ID}
		if err := s.CreateIntegration(ctx, first, nil, audit); err != nil {
			t.Fatalf("CreateIntegration: %v", err)
		}
		if err := s.CreateIntegration(ctx, nodeKey(f, nil), nil, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("second active key for a node: err = %v, want ErrConflict", err)
		}
		got, err := s.IntegrationByID(ctx, first.ID)
		if err != nil {
			t.Fatalf("IntegrationByID: %v", err)
		}
		if got.TeamSlug != "payments" || got.NodeName == nil || *got.NodeName != "edge-1" || got.CreatedBy != "admin@example.com" {
			t.Errorf("IntegrationByID display names = team %q node %v by %q", got.TeamSlug, got.NodeName, got.CreatedBy)
		}
		if got.Attrs != `{"api_key": "apex_x"}` && got.Attrs != `{"api_key":"apex_x"}` {
			t.Errorf("Attrs = %q", got.Attrs)
		}
		changed, err := s.RevokeIntegration(ctx, first.ID, &db.AuditEvent{ActorType: "user", Action: "integration.revoke", TargetID: first.ID})
		if err != nil || !changed {
			t.Fatalf("RevokeIntegration = %v, %v; want true", changed, err)
		}
		changed, err = s.RevokeIntegration(ctx, first.ID, &db.AuditEvent{ActorType: "user", Action: "integration.revoke", TargetID: first.ID})
		if err != nil || changed {
			t.Errorf("second RevokeIntegration = %v, %v; want false, nil", changed, err)
		}
		if n, _ := s.CountAudit(ctx, "integration.revoke", first.ID, time.Time{}); n != 1 {
			t.Errorf("revoke audit rows = %d, want 1", n)
		}
		// After a revoke the node may have a new key.

		expired := nodeKey(f, nil)
		if err := s.CreateIntegration(ctx, expired, nil, nil); err != nil {
			t.Fatalf("key after revoke: %v", err)
		}

		list, err := s.ListIntegrations(ctx, db.IntegrationFilter{NodeID: f.node.ID})
		if err != nil || len(list) != 2 || list[0].ID != expired.ID {
			t.Fatalf("ListIntegrations(node) = %d rows, %v; want 2, newest first", len(list), err)
		}
		page, err := s.ListIntegrations(ctx, db.IntegrationFilter{BeforeAt: &list[0].CreatedAt, BeforeID: list[0].ID})
		if err != nil || len(page) != 1 || page[0].ID != first.ID {
			t.Errorf("keyset page = %d rows, %v; want the older one", len(page), err)
		}
		none, err := s.ListIntegrations(ctx, db.IntegrationFilter{TeamIDs: []string{uuid.NewString()}})
		if err != nil || len(none) != 0 {
			t.Errorf("ListIntegrations(other team) = %d rows, %v; want 0", len(none), err)
		}
	})
}

func TestDB_IntegrationExpiryFreesUniqueKey(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		soon := time.Now().Add(time.Hour)
		old := nodeKey(f, &soon)
		if err := s.CreateIntegration(ctx, old, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateIntegration(ctx, nodeKey(f, nil), nil, nil); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("live key not yet expired: err = %v, want ErrConflict", err)
		}
		s.Now = func() time.Time { return soon.Add(time.Second) }
		if err := s.CreateIntegration(ctx, nodeKey(f, nil), nil, nil); err != nil {
			t.Fatalf("key after the old one expired: %v", err)
		}
		got, _ := s.IntegrationByID(ctx, old.ID)
		if got.Status != "expired" {
			t.Errorf("old key status = %q, want expired", got.Status)
		}
	})
}

func TestDB_ClaimReveal(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		in := nodeKey(f, nil)
		rv := &db.Reveal{ID: "rv-" + uuid.NewString(), UserID: f.user.ID, IntegrationID: &in.ID, KeyID: ptr("k1"), Payload: []byte("sealed"), ExpiresAt: time.Now().Add(10 * time.Minute)}
		if err := s.CreateIntegration(ctx, in, rv, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimReveal(ctx, rv.ID, uuid.NewString(), nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("claim by another user: err = %v, want ErrNotFound", err)
		}
		const n = 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, losses := 0, 0
		var other []error
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.ClaimReveal(ctx, rv.ID, f.user.ID, &db.AuditEvent{ActorType: "user", Action: "reveal.show", TargetID: rv.ID})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && string(r.Payload) == "sealed":
					wins++
				case errors.Is(err, db.ErrNotFound):
					losses++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || losses != n-1 || len(other) > 0 {
			t.Fatalf("%d concurrent claims: %d got the payload, %d not found, other errors %v; want 1 and %d", n, wins, losses, other, n-1)
		}
		if c, _ := s.CountAudit(ctx, "reveal.show", rv.ID, time.Time{}); c != 1 {
			t.Errorf("reveal audit rows = %d, want 1", c)
		}
		after, err := s.RevealByID(ctx, rv.ID)
		if err != nil || after.RevealedAt == nil || after.Payload != nil {
			t.Errorf("tombstone = %+v, %v; want revealed_at set and no payload", after, err)
		}
		// RevealByID selects no payload at all, so read the row itself: the
		// sealed secret must be gone from rest once shown.
		var payload []byte
		if err := s.SQLX().GetContext(ctx, &payload, s.SQLX().Rebind(`SELECT payload FROM reveals WHERE id = ?`), rv.ID); err != nil {
			t.Fatal(err)
		}
		if payload != nil {
			t.Errorf("the reveal row still holds %d bytes of sealed payload after its claim, want NULL", len(payload))
		}
	})
}

func TestDB_PurgeReveals(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		rv := &db.Reveal{ID: "old", UserID: f.user.ID, Payload: []byte("sealed"), ExpiresAt: time.Now().Add(time.Minute)}
		if err := s.CreateReveal(ctx, rv, nil); err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		if _, err := s.ClaimReveal(ctx, "old", f.user.ID, nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("claim after expiry: err = %v, want ErrNotFound", err)
		}
		n, err := s.PurgeReveals(ctx, time.Hour)
		if err != nil || n != 1 {
			t.Errorf("PurgeReveals = %d, %v; want 1", n, err)
		}
	})
}

func TestDB_APITokens(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		tok := &db.APIToken{ID: uuid.NewString(), TeamID: f.team.ID, Name: "ci", TokenHash: "k1:hash", DisplayPrefix: "sbt_abcd", CreatedBy: &f.user.ID}
		if err := s.CreateAPIToken(ctx, tok, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.APITokenByHash(ctx, []string{"k2:other", "k1:hash"})
		if err != nil || got.ID != tok.ID || got.ReadOnly {
			t.Fatalf("APITokenByHash = %+v, %v", got, err)
		}
		if _, err := s.APITokenByHash(ctx, []string{"nope"}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unknown hash: err = %v, want ErrNotFound", err)
		}
		now := time.Now()
		if wrote, err := s.TouchAPIToken(ctx, tok.ID, now); err != nil || !wrote {
			t.Fatalf("first TouchAPIToken = %v, %v; want a write", wrote, err)
		}
		got, _ = s.APITokenByHash(ctx, []string{"k1:hash"})
		if got.LastUsedAt == nil {
			t.Fatalf("last_used_at not set")
		}
		first := *got.LastUsedAt
		if wrote, err := s.TouchAPIToken(ctx, tok.ID, now.Add(30*time.Second)); err != nil || wrote {
			t.Errorf("TouchAPIToken within a minute = %v, %v; want no write", wrote, err)
		}
		got, _ = s.APITokenByHash(ctx, []string{"k1:hash"})
		if !got.LastUsedAt.Equal(first) {
			t.Errorf("last_used_at moved within a minute: %v -> %v", first, got.LastUsedAt)
		}
		if wrote, err := s.TouchAPIToken(ctx, tok.ID, now.Add(61*time.Second)); err != nil || !wrote {
			t.Errorf("TouchAPIToken after a minute = %v, %v; want a write", wrote, err)
		}

		// A second live token may not take the name; a revoked one frees it.
		dup := &db.APIToken{ID: uuid.NewString(), TeamID: f.team.ID, Name: "ci", TokenHash: "k1:hash2", DisplayPrefix: "sbt_efgh"}
		if err := s.CreateAPIToken(ctx, dup, nil); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("second live token named ci: err = %v, want ErrConflict", err)
		}
		audit := &db.AuditEvent{ActorType: "user", ActorID: f.user.ID, Action: "token.revoke", TargetType: "api_token", TargetID: tok.ID}
		for i, want := range []bool{true, false} {
			revoked, err := s.RevokeAPIToken(ctx, tok.ID, audit)
			if err != nil || revoked != want {
				t.Errorf("RevokeAPIToken #%d = %v, %v; want %v", i+1, revoked, err, want)
			}
			audit = &db.AuditEvent{ActorType: "user", ActorID: f.user.ID, Action: "token.revoke", TargetType: "api_token", TargetID: tok.ID}
		}
		if n, _ := s.CountAudit(ctx, "token.revoke", tok.ID, now.Add(-time.Hour)); n != 1 {
			t.Errorf("token.revoke audit rows = %d, want 1", n)
		}
		if _, err := s.RevokeAPIToken(ctx, uuid.NewString(), nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoke unknown token: err = %v, want ErrNotFound", err)
		}
		if err := s.CreateAPIToken(ctx, dup, nil); err != nil {
			t.Errorf("new token named like a revoked one: %v", err)
		}
		list, err := s.ListAPITokens(ctx, f.team.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListAPITokens = %d tokens, %v; want 2", len(list), err)
		}
		for _, l := range list {
			if l.ID == tok.ID && (l.RevokedAt == nil || l.CreatorEmail == nil || !strings.EqualFold(*l.CreatorEmail, f.user.Email)) {
				t.Errorf("listed token = revoked %v creator %v, want revoked by %s", l.RevokedAt, l.CreatorEmail, f.user.Email)
			}
		}
	})
}

func TestDB_UpdateAndDeleteIntegration(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		a := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "infisical", Name: "a", Status: "active", UniqueKey: ptr("a"), SecretKeyID: ptr("k1"), SecretCiphertext: []byte{1, 2}}
		b := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "infisical", Name: "b", Status: "active", UniqueKey: ptr("b")}
		for _, in := range []*db.Integration{a, b} {
			if err := s.CreateIntegration(ctx, in, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		a.Name, a.UniqueKey, a.Version, a.SecretCiphertext = "a2", ptr("a2"), 2, []byte{3}
		if err := s.UpdateIntegration(ctx, a, &db.AuditEvent{ActorType: "user", Action: "integration.update", TargetID: a.ID}); err != nil {
			t.Fatalf("UpdateIntegration: %v", err)
		}
		got, _ := s.IntegrationByID(ctx, a.ID)
		if got.Name != "a2" || got.Version != 2 || string(got.SecretCiphertext) != "\x03" {
			t.Errorf("after update: name %q version %d secret %v", got.Name, got.Version, got.SecretCiphertext)
		}
		b.UniqueKey = ptr("a2")
		if err := s.UpdateIntegration(ctx, b, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("update to a taken unique key: err = %v, want ErrConflict", err)
		}
		if err := s.DeleteIntegration(ctx, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteIntegration(ctx, a.ID, nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("second delete: err = %v, want ErrNotFound", err)
		}
		if err := s.UpdateIntegration(ctx, a, nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("update of a deleted row: err = %v, want ErrNotFound", err)
		}
	})
}

func TestDB_Setting(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		v1, err := s.Setting(ctx, "org_id", "first")
		if err != nil || v1 != "first" {
			t.Fatalf("Setting = %q, %v; want first", v1, err)
		}
		if v2, err := s.Setting(ctx, "org_id", "second"); err != nil || v2 != "first" {
			t.Errorf("second Setting = %q, %v; want the first value kept", v2, err)
		}
	})
}
