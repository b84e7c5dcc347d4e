package integrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"switchboard/db/dbtest"
	"switchboard/integrations"
)

// TestRotateKeys_ResealsWebhookAndTOTPSecrets: a master key rotation reseals
// the values other packages keep under the keyring too (a webhook's signing
// secret, a user's TOTP secret), each with its own additional data, so that
// dropping the old key afterwards loses neither.
func TestRotateKeys_ResealsWebhookAndTOTPSecrets(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			k1, k2 := mustKey(t), mustKey(t)
			old := keyring(t, "k1:"+k1)
			f := setup(t, d, old)
			ctx := context.Background()
			x := f.store.SQLX()
			hook := uuid.NewString()
			hookKey, hookCT, err := old.Seal([]byte("whsec-signing"), []byte("webhook:"+hook))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO webhook_endpoints (id, team_id, url, events_mode, events, secret_key_id, secret_ciphertext, created_at, updated_at)
				VALUES (?, ?, 'https://hooks.example.com/in', 'all', '', ?, ?, ?, ?)`), hook, f.team.ID, hookKey, hookCT, now, now); err != nil {
				t.Fatal(err)
			}
			totpKey, totpCT, err := old.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("totp:"+f.admin.UserID))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO user_totp (user_id, key_id, ciphertext, created_at) VALUES (?, ?, ?, ?)`),
				f.admin.UserID, totpKey, totpCT, now); err != nil {
				t.Fatal(err)
			}
			both := keyring(t, "k2:"+k2+",k1:"+k1)
			if n, err := integrations.New(f.store, both, quiet).RotateKeys(ctx, f.admin); err != nil || n != 2 {
				t.Fatalf("RotateKeys = %d, %v; want the webhook secret and the TOTP secret resealed", n, err)
			}
			onlyNew := keyring(t, "k2:"+k2)
			var hk string
			var hc []byte
			if err := x.QueryRowxContext(ctx, x.Rebind(`SELECT secret_key_id, secret_ciphertext FROM webhook_endpoints WHERE id = ?`), hook).Scan(&hk, &hc); err != nil {
				t.Fatal(err)
			}
			if got, err := onlyNew.Open(hk, hc, []byte("webhook:"+hook)); err != nil || string(got) != "whsec-signing" {
				t.Errorf("webhook secret after rotation: %q, %v (key %s)", got, err, hk)
			}
			var tk string
			var tc []byte
			if err := x.QueryRowxContext(ctx, x.Rebind(`SELECT key_id, ciphertext FROM user_totp WHERE user_id = ?`), f.admin.UserID).Scan(&tk, &tc); err != nil {
				t.Fatal(err)
			}
			if got, err := onlyNew.Open(tk, tc, []byte("totp:"+f.admin.UserID)); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
				t.Errorf("TOTP secret after rotation: %q, %v (key %s)", got, err, tk)
			}
		})
	}
}
