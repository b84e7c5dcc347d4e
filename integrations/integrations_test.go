package integrations_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/secrets"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func keyring(t *testing.T, spec string) *secrets.Keyring {
	t.Helper()
	k, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestValidateNodeKey(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	future, past := now.Add(time.Hour), now.Add(-time.Second)
	good := func() integrations.NodeKeyInput {
		return integrations.NodeKeyInput{NodeID: uuid.NewString(), Name: "Production API"}
	}
	tests := []struct {
		name   string
		mutate func(*integrations.NodeKeyInput)
		fields []string
	}{
		{"valid", func(*integrations.NodeKeyInput) {}, nil},
		{"valid with everything", func(in *integrations.NodeKeyInput) {
			in.Permissions = []string{"webhooks.manage", "payments.read", "payments.read"}
			in.ExpiresAt = &future
		}, nil},
		{"missing node", func(in *integrations.NodeKeyInput) { in.NodeID = "" }, []string{"node_id"}},
		{"node not a uuid", func(in *integrations.NodeKeyInput) { in.NodeID = "node-1" }, []string{"node_id"}},
		{"empty name", func(in *integrations.NodeKeyInput) { in.Name = "   " }, []string{"name"}},
		{"name of 255 runes", func(in *integrations.NodeKeyInput) { in.Name = strings.Repeat("é", 255) }, nil},
		{"name of 256", func(in *integrations.NodeKeyInput) { in.Name = strings.Repeat("a", 256) }, []string{"name"}},
		{"unknown permission", func(in *integrations.NodeKeyInput) { in.Permissions = []string{"payments.read", "admin.all"} }, []string{"permissions"}},
		{"expiry now", func(in *integrations.NodeKeyInput) { in.ExpiresAt = &now }, []string{"expires_at"}},
		{"expiry past", func(in *integrations.NodeKeyInput) { in.ExpiresAt = &past }, []string{"expires_at"}},
		{"several", func(in *integrations.NodeKeyInput) { in.NodeID, in.Name = "", "" }, []string{"name", "node_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good()
			tt.mutate(&in)
			err := integrations.ValidateNodeKey(&in, now)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("ValidateNodeKey = %v, want nil", err)
				}
				return
			}
			e := sb.AsError(err)
			if e.Code != sb.CodeInvalid || len(e.Fields) != len(tt.fields) {
				t.Fatalf("ValidateNodeKey = %v, want invalid fields %v", err, tt.fields)
			}
			for _, f := range tt.fields {
				if _, ok := e.Fields[f]; !ok {
					t.Errorf("field %q not named in %v", f, e.Fields)
				}
			}
		})
	}
	t.Run("normalises permissions to catalogue order without duplicates", func(t *testing.T) {
		in := good()
		in.Permissions = []string{"webhooks.manage", "payments.read", "payments.read"}
		if err := integrations.ValidateNodeKey(&in, now); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(in.Permissions, ","); got != "payments.read,webhooks.manage" {
			t.Errorf("permissions = %s, want payments.read,webhooks.manage", got)
		}
	})
}

type fixture struct {
	store *db.DB
	svc   *integrations.Service
	admin sb.Actor
	team  *db.Team
	node  *db.Node
}

func setup(t *testing.T, d db.Dialect, keys *secrets.Keyring) fixture {
	t.Helper()
	store := dbtest.MustOpenDB(t, d)
	acc := access.New(store, keys, quiet)
	root := sb.Actor{Role: sb.RoleAdmin, Email: "test"}
	u, err := acc.CreateUser(context.Background(), root, access.UserInput{Email: "a@example.com", Password: "long enough password", Role: sb.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	team, err := acc.CreateTeam(context.Background(), root, "payments", "Payments")
	if err != nil {
		t.Fatal(err)
	}
	node, err := acc.CreateNode(context.Background(), root, team.ID, "edge-1")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{store, integrations.New(store, keys, quiet), sb.Actor{UserID: u.ID, Email: u.Email, Role: sb.RoleAdmin}, team, node}
}

func TestService_CreateNodeKey(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := setup(t, d, keyring(t, mustKey(t)))
			ctx := context.Background()
			created, err := f.svc.Create(ctx, f.admin, &integrations.NodeKeyInput{NodeID: f.node.ID, Name: "k", Permissions: []string{"payments.read"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			apiKey, secret := created.ShownValue("api_key"), created.ShownValue("secret")
			if !secrets.CheckToken(integrations.NodeKeyPrefix, apiKey) || !secrets.CheckToken(integrations.NodeSecretPrefix, secret) {
				t.Errorf("generated key %q / secret do not carry valid checksums", apiKey)
			}
			rec, err := f.svc.Get(ctx, f.admin, created.Record.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := "x"
			if strings.HasSuffix(secret, last) {
				last = "y" // another secret, whatever the issued one ends in
			}
			if !f.svc.VerifyNodeSecret(rec, secret) || f.svc.VerifyNodeSecret(rec, secret[:len(secret)-1]+last) {
				t.Errorf("VerifyNodeSecret does not tell the issued secret from another")
			}
			row, err := f.store.IntegrationByID(ctx, created.Record.ID)
			if err != nil {
				t.Fatal(err)
			}
			if row.SecretHash == nil || strings.Contains(*row.SecretHash, secret) {
				t.Errorf("secret not stored as a keyed hash: %v", row.SecretHash)
			}
			other := sb.Actor{UserID: uuid.NewString(), Role: sb.RoleSupport, Teams: []string{uuid.NewString()}}
			if _, err := f.svc.Get(ctx, other, created.Record.ID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("another team's actor: Get err = %v, want not found", err)
			}
			if _, err := f.svc.Create(ctx, other, &integrations.NodeKeyInput{NodeID: f.node.ID, Name: "k"}, nil); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("another team's node: err = %v, want not found", err)
			}
			if _, err := f.svc.Create(ctx, f.admin, &integrations.NodeKeyInput{NodeID: f.node.ID, Name: "k2"}, nil); sb.ErrorCode(err) != sb.CodeConflict {
				t.Errorf("second key: err = %v, want conflict", err)
			}
			ro := sb.Actor{TokenID: uuid.NewString(), Role: sb.RoleSupport, Teams: []string{f.team.ID}, ReadOnly: true}
			if err := f.svc.Revoke(ctx, ro, created.Record.ID); sb.ErrorCode(err) != sb.CodeForbidden {
				t.Errorf("read-only revoke: err = %v, want forbidden", err)
			}
		})
	}
}

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestService_RevealAndRotateKeys(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			k1, k2 := mustKey(t), mustKey(t)
			old := keyring(t, "k1:"+k1)
			f := setup(t, d, old)
			ctx := context.Background()
			created, err := f.svc.Create(ctx, f.admin, &integrations.NodeKeyInput{NodeID: f.node.ID, Name: "k"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rotated := integrations.New(f.store, keyring(t, "k2:"+k2+",k1:"+k1), quiet)
			n, err := rotated.RotateKeys(ctx, f.admin)
			if err != nil || n != 1 {
				t.Fatalf("RotateKeys = %d, %v (%v); want 1 resealed reveal", n, err, sb.AsError(err).Err)
			}
			if n, err := rotated.RotateKeys(ctx, f.admin); err != nil || n != 0 {
				t.Errorf("second RotateKeys = %d, %v; want 0", n, err)
			}
			if _, err := f.svc.Reveal(ctx, f.admin, created.RevealID); sb.ErrorCode(err) != sb.CodeInternal {
				t.Errorf("reveal with only the old key after rotation: err = %v, want an internal (cannot decrypt) error", err)
			}
			rv, err := f.store.RevealByID(ctx, created.RevealID)
			if err != nil || rv.KeyID == nil || *rv.KeyID != "k2" {
				t.Fatalf("reveal key id after rotation = %v, %v; want k2", rv.KeyID, err)
			}
		})
	}
}

func TestService_Reveal(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			f := setup(t, d, keyring(t, mustKey(t)))
			ctx := context.Background()
			created, err := f.svc.Create(ctx, f.admin, &integrations.NodeKeyInput{NodeID: f.node.ID, Name: "k"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			stranger := sb.Actor{UserID: uuid.NewString(), Role: sb.RoleAdmin}
			if _, err := f.svc.Reveal(ctx, stranger, created.RevealID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("reveal by another user: err = %v, want not found", err)
			}
			p, err := f.svc.Reveal(ctx, f.admin, created.RevealID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, fl := range p.Fields {
				got[fl.Name] = fl.Value
			}
			if got["api_key"] != created.ShownValue("api_key") || got["secret"] != created.ShownValue("secret") {
				t.Errorf("reveal fields = %v, want the created key and secret", got)
			}
			if _, err := f.svc.Reveal(ctx, f.admin, created.RevealID); sb.ErrorCode(err) != sb.CodeGone {
				t.Errorf("second reveal: err = %v, want gone", err)
			}
			if _, err := f.svc.Reveal(ctx, stranger, created.RevealID); sb.ErrorCode(err) != sb.CodeNotFound {
				t.Errorf("second reveal by another user: err = %v, want not found", err)
			}
		})
	}
}

// TestCounts_FromCatalogue: the count of Infisical apps shown to users (the
// chooser card, the README) is the catalogue's, and the README's count of
// shipped LaunchDarkly manifests is the embedded set's.
func TestCounts_FromCatalogue(t *testing.T) {
	want := "one of " + integrations.InfisicalAppCount() + " apps"
	p, _ := integrations.ProviderByKey(integrations.ProviderInfisical)
	if !strings.Contains(p.Info().Description, want) {
		t.Errorf("chooser card %q does not say %q", p.Info().Description, want)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("the README does not say %q (the catalogue has %d apps)", want, len(integrations.InfisicalApps))
	}
	shipped := "ships " + integrations.ShippedManifestCount() + " in `integrations/launchdarkly/manifests/`"
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), shipped) {
		t.Errorf("the README does not say %q (the count of shipped LaunchDarkly manifests)", shipped)
	}
}
