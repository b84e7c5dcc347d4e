package syncs_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/syncs"
	"switchboard/syncs/targets"
	"switchboard/syncs/targets/standin"
)

// TestRotateKeys_ResealsSyncValues: `switchboard keys rotate` re-seals team
// secrets and integration auths too, so after the old key is dropped a
// sync still opens them.
func TestRotateKeys_ResealsSyncValues(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			a, _ := secrets.GenerateKey()
			b, _ := secrets.GenerateKey()
			f := newFixtureKeys(t, d, "old:"+a)
			gl := &standin.GitLab{Token: "glpat-rotate-0001"}
			srv := httptest.NewServer(gl)
			defer srv.Close()
			f.set(t, "K", "rotated-value-1")
			auth, err := f.svc.CreateAuth(context.Background(), admin, syncs.AuthInput{WorkspaceID: f.team, Integration: "gitlab", URL: srv.URL, AccessToken: "glpat-rotate-0001"})
			if err != nil {
				t.Fatal(err)
			}
			both, _ := secrets.ParseKeyring("new:" + b + ",old:" + a)
			n, err := integrations.New(f.store, both, f.log).RotateKeys(context.Background(), admin)
			if err != nil || n != 2 {
				t.Fatalf("RotateKeys = %d, %v; want the secret and the auth re-sealed", n, err)
			}
			onlyNew, _ := secrets.ParseKeyring("new:" + b)
			svc := syncs.New(f.store, onlyNew, f.log)
			svc.Guard.AllowPrivate = true
			eng := svc.NewEngine()
			if _, err := svc.CreateIntegration(context.Background(), admin, syncs.IntegrationInput{IntegrationAuthID: auth.ID, SourceEnvironment: ptr("dev"), Spec: targets.Spec{AppID: "9"}}); err != nil {
				t.Fatal(err)
			}
			if ran, err := eng.RunOnce(context.Background()); !ran || err != nil {
				t.Fatalf("RunOnce = %v, %v", ran, err)
			}
			if got := gl.Variables("9", "*")["K"].Value; got != "rotated-value-1" {
				t.Errorf("after rotation the target got %q (sync message: %v)", got, syncMsg(t, svc, f))
			}
		})
	}
}

func syncMsg(t *testing.T, svc *syncs.Service, f *fixture) string {
	list, _ := svc.Integrations(context.Background(), admin, f.team)
	if len(list) == 0 {
		return ""
	}
	return list[0].SyncMessage
}
