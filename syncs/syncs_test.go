package syncs_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
	"switchboard/syncs"
	"switchboard/syncs/targets"
	"switchboard/syncs/targets/standin"
)

var admin = sb.Actor{UserID: "00000000-0000-4000-8000-000000000001", Email: "admin@example.com", Role: sb.RoleAdmin}

type fixture struct {
	store *db.DB
	svc   *syncs.Service
	eng   *syncs.Engine
	team  string
	logs  *strings.Builder
	url   string
	keys  *secrets.Keyring
	log   *slog.Logger
}

func openStore(t *testing.T, u string) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func (f *fixture) second(t *testing.T) *syncs.Engine {
	svc := syncs.New(openStore(t, f.url), f.keys, f.log)
	svc.Guard.AllowPrivate = true
	return svc.NewEngine()
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	t.Helper()
	key, _ := secrets.GenerateKey()
	return newFixtureKeys(t, d, key)
}

func newFixtureKeys(t *testing.T, d db.Dialect, key string) *fixture {
	t.Helper()
	u := dbtest.URL(t, d)
	store := openStore(t, u)
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs), nil))
	team, err := access.New(store, keys, log).CreateTeam(context.Background(), admin, "payments", "Payments")
	if err != nil {
		t.Fatal(err)
	}
	svc := syncs.New(store, keys, log)
	svc.Guard.AllowPrivate = true
	eng := svc.NewEngine()
	eng.BackoffBase = 0
	return &fixture{store: store, svc: svc, eng: eng, team: team.ID, logs: logs, url: u, keys: keys, log: log}
}

func (f *fixture) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ran, err := f.eng.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		if !ran {
			return n
		}
		n++
		if n > 50 {
			t.Fatal("the queue never empties")
		}
	}
}

func (f *fixture) set(t *testing.T, key, value string) {
	t.Helper()
	sc := syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/"}
	if _, err := f.svc.UpdateSecret(context.Background(), admin, sc, syncs.SecretInput{Key: key, Value: &value}); sb.ErrorCode(err) == sb.CodeNotFound {
		if _, err := f.svc.CreateSecret(context.Background(), admin, sc, syncs.SecretInput{Key: key, Value: &value}); err != nil {
			t.Fatalf("create %s: %v", key, err)
		}
	} else if err != nil {
		t.Fatalf("update %s: %v", key, err)
	}
}

func (f *fixture) del(t *testing.T, key string) {
	t.Helper()
	if _, err := f.svc.DeleteSecret(context.Background(), admin, syncs.Scope{ProjectID: f.team, Environment: "dev", SecretPath: "/"}, key); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

func ptr[T any](v T) *T { return &v }

type httpHandler = http.Handler

func jsonMap(t *testing.T, s string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("AWS secret is not a JSON object: %v", err)
		}
	}
	return m
}

// TestTargets_FullSync runs each target against its stand-in: the first
// sync, a change of one secret, a deletion, and a delete of the integration
// with its secrets; a key the sync did not write survives every step.
func TestTargets_FullSync(t *testing.T) {
	aws := func() *standin.AWS {
		return &standin.AWS{Keys: map[string]string{"AKIAEXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, Region: "eu-west-1"}
	}
	awsAuth := func(integ string) func(string) syncs.AuthInput {
		return func(u string) syncs.AuthInput {
			return syncs.AuthInput{Integration: integ, AccessID: "AKIAEXAMPLE", AccessToken: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", URL: u}
		}
	}
	cases := []struct {
		name    string
		auth    func(url string) syncs.AuthInput
		spec    targets.Spec
		handler func() (hs httpHandler, foreign func(), read func() map[string]string, refused func() int)
	}{
		{"aws-parameter-store", awsAuth("aws-parameter-store"), targets.Spec{Region: "eu-west-1", Path: "/app/", Metadata: targets.Metadata{SecretAWSTag: []targets.AWSTag{{Key: "team", Value: "payments"}}}},
			func() (httpHandler, func(), func() map[string]string, func() int) {
				a := aws()
				return a, func() { a.PutParameter("/app/FOREIGN", "theirs") }, func() map[string]string {
					out := map[string]string{}
					for k, v := range a.Parameters() {
						out[strings.TrimPrefix(k, "/app/")] = v
					}
					return out
				}, a.Refused
			}},
		{"aws-secret-manager", awsAuth("aws-secret-manager"), targets.Spec{Region: "eu-west-1", App: "payments/dev"},
			func() (httpHandler, func(), func() map[string]string, func() int) {
				a := aws()
				return a, func() { a.PutSecret("payments/dev", `{"FOREIGN":"theirs"}`) }, func() map[string]string {
					return jsonMap(t, a.Secrets()["payments/dev"])
				}, a.Refused
			}},
		{"hashicorp-vault", func(u string) syncs.AuthInput {
			return syncs.AuthInput{Integration: "hashicorp-vault", URL: u, Namespace: "admin/payments", AccessID: "role-1", AccessToken: "secret-id-1"}
		}, targets.Spec{App: "secret", Path: "payments/dev"},
			func() (httpHandler, func(), func() map[string]string, func() int) {
				v := &standin.Vault{RoleID: "role-1", SecretID: "secret-id-1", Namespace: "admin/payments"}
				return v, func() { v.Put("secret/payments/dev", "FOREIGN", "theirs") }, func() map[string]string { return v.Data("secret/payments/dev") }, v.Refused
			}},
		{"github", func(u string) syncs.AuthInput {
			return syncs.AuthInput{Integration: "github", URL: u, AccessToken: "ghp_exampletoken"}
		}, targets.Spec{Owner: "acme", App: "payments"},
			func() (httpHandler, func(), func() map[string]string, func() int) {
				g := &standin.GitHub{Token: "ghp_exampletoken"}
				return g, func() { g.Put("acme/payments", "FOREIGN", "theirs") }, func() map[string]string { return g.Secrets("acme/payments") }, g.Refused
			}},
		{"gitlab", func(u string) syncs.AuthInput {
			return syncs.AuthInput{Integration: "gitlab", URL: u, AccessToken: "glpat-exampletoken"}
		}, targets.Spec{AppID: "acme/payments", TargetEnvironment: "production"},
			func() (httpHandler, func(), func() map[string]string, func() int) {
				g := &standin.GitLab{Token: "glpat-exampletoken"}
				return g, func() {
						g.Put("acme/payments", standin.Variable{Key: "FOREIGN", Value: "theirs", EnvironmentScope: "production"})
					}, func() map[string]string {
						out := map[string]string{}
						for k, v := range g.Variables("acme/payments", "production") {
							out[k] = v.Value
						}
						return out
					}, g.Refused
			}},
	}
	for _, d := range dbtest.Dialects {
		for _, tc := range cases {
			t.Run(string(d)+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t, d)
				h, foreign, read, refused := tc.handler()
				srv := httptest.NewServer(h)
				defer srv.Close()
				foreign()
				f.set(t, "DB_PASSWORD", "first-password-1")
				f.set(t, "API_KEY", "api-key-value-1")
				in := tc.auth(srv.URL)
				in.WorkspaceID = f.team
				auth, err := f.svc.CreateAuth(context.Background(), admin, in)
				if err != nil {
					t.Fatalf("CreateAuth: %v", err)
				}
				integ, err := f.svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), SecretPath: ptr("/"), Spec: tc.spec})
				if err != nil {
					t.Fatalf("CreateIntegration: %v", err)
				}
				if n := f.drain(t); n != 1 {
					t.Errorf("create queued %d runs, want 1", n)
				}
				check := func(want map[string]string) {
					t.Helper()
					got := read()
					for k, v := range want {
						if got[k] != v {
							t.Errorf("target %s = %q, want %q", k, got[k], v)
						}
					}
					if got["FOREIGN"] != "theirs" {
						t.Errorf("the target's own key FOREIGN = %q, want it kept as %q", got["FOREIGN"], "theirs")
					}
					g, err := f.svc.GetIntegration(context.Background(), admin, integ.ID)
					if err != nil || g.IsSynced == nil || !*g.IsSynced {
						t.Errorf("integration not synced: %+v %v", g, err)
					}
				}
				check(map[string]string{"DB_PASSWORD": "first-password-1", "API_KEY": "api-key-value-1"})
				f.set(t, "DB_PASSWORD", "second-password-2")
				if n := f.drain(t); n != 1 {
					t.Errorf("a change queued %d runs, want 1", n)
				}
				check(map[string]string{"DB_PASSWORD": "second-password-2", "API_KEY": "api-key-value-1"})
				f.del(t, "API_KEY")
				f.drain(t)
				check(map[string]string{"DB_PASSWORD": "second-password-2"})
				if _, ok := read()["API_KEY"]; ok {
					t.Errorf("API_KEY was deleted in the folder but is still at the target")
				}
				if refused() != 0 {
					t.Errorf("the stand-in refused %d requests", refused())
				}
				// Deleting with shouldDeleteIntegrationSecrets removes only what the syncs wrote.
				if _, err := f.svc.DeleteIntegration(context.Background(), admin, integ.ID, true); err != nil {
					t.Fatalf("DeleteIntegration: %v", err)
				}
				got := read()
				if _, ok := got["DB_PASSWORD"]; ok || got["FOREIGN"] != "theirs" {
					t.Errorf("after delete with secrets: target = %v, want only FOREIGN", keys(got))
				}
			})
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// secondInstance opens a second pool on the fixture's database with its own
// service and engine, as another Switchboard process would.
func secondInstance(t *testing.T, f *fixture) *syncs.Engine {
	t.Helper()
	return f.second(t)
}
