package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Sealed is one value sealed under the keyring, wherever it is stored.
type Sealed struct {
	Table      string `db:"tbl"`
	ID         string `db:"id"`
	KeyID      string `db:"key_id"`
	Ciphertext []byte `db:"ciphertext"`
	// AAD is the additional data the value is sealed with, for the tables
	// whose rows spell it themselves (team secrets, integration auths, kept
	// idempotent answers, webhook signing secrets, TOTP secrets);
	// empty for integrations and reveals, whose AAD the domain knows.
	AAD string `db:"aad"`
}

// SealedNotUnder lists every sealed value whose key id is not keyID: the
// work of a master key rotation.
func (d *DB) SealedNotUnder(ctx context.Context, keyID string) ([]Sealed, error) {
	var out []Sealed
	err := d.x.SelectContext(ctx, &out, d.q(`
		SELECT 'integrations' AS tbl, CAST(id AS TEXT) AS id, secret_key_id AS key_id, secret_ciphertext AS ciphertext, '' AS aad FROM integrations
		WHERE secret_ciphertext IS NOT NULL AND secret_key_id <> ?
		UNION ALL
		SELECT 'reveals' AS tbl, id, key_id, payload AS ciphertext, '' AS aad FROM reveals
		WHERE payload IS NOT NULL AND key_id <> ?
		UNION ALL
		SELECT 'team_secrets' AS tbl, CAST(id AS TEXT) AS id, value_key_id AS key_id, value_ciphertext AS ciphertext, 'team_secret:' || CAST(id AS TEXT) AS aad
		FROM team_secrets WHERE value_key_id <> ?
		UNION ALL
		SELECT 'integration_auths' AS tbl, CAST(id AS TEXT) AS id, secret_key_id AS key_id, secret_ciphertext AS ciphertext, 'integration_auth:' || CAST(id AS TEXT) AS aad
		FROM integration_auths WHERE secret_ciphertext IS NOT NULL AND secret_key_id <> ?
		UNION ALL
		SELECT 'idempotency_keys' AS tbl, CAST(id AS TEXT) AS id, key_id, body AS ciphertext, 'idempotency:' || CAST(id AS TEXT) AS aad
		FROM idempotency_keys WHERE body IS NOT NULL AND key_id <> ?
		UNION ALL
		SELECT 'webhook_endpoints' AS tbl, CAST(id AS TEXT) AS id, secret_key_id AS key_id, secret_ciphertext AS ciphertext, 'webhook:' || CAST(id AS TEXT) AS aad
		FROM webhook_endpoints WHERE secret_key_id <> ?
		UNION ALL
		SELECT 'user_totp' AS tbl, CAST(user_id AS TEXT) AS id, key_id, ciphertext, 'totp:' || CAST(user_id AS TEXT) AS aad
		FROM user_totp WHERE key_id <> ?
		UNION ALL
		SELECT 'form_drafts' AS tbl, id, key_id, payload AS ciphertext, 'form_draft:' || id AS aad
		FROM form_drafts WHERE key_id <> ?`), keyID, keyID, keyID, keyID, keyID, keyID, keyID, keyID)

	if err != nil {
		return nil, fmt.Errorf("db: list sealed values: %w", err)
	}
	return out, nil
}

// Reseal replaces one sealed value if it is still the one read (a reveal
// claimed meanwhile is left alone) and reports whether it did.
func (d *DB) Reseal(ctx context.Context, old Sealed, keyID string, ciphertext []byte) (bool, error) {
	var query string
	switch old.Table {
	case "integrations":
		query = `UPDATE integrations SET secret_key_id = ?, secret_ciphertext = ? WHERE id = ? AND secret_key_id = ? AND secret_ciphertext IS NOT NULL`
	case "reveals":
		query = `UPDATE reveals SET key_id = ?, payload = ? WHERE id = ? AND key_id = ? AND payload IS NOT NULL`
	case "team_secrets":
		query = `UPDATE team_secrets SET value_key_id = ?, value_ciphertext = ? WHERE id = ? AND value_key_id = ?`
	case "integration_auths":
		query = `UPDATE integration_auths SET secret_key_id = ?, secret_ciphertext = ? WHERE id = ? AND secret_key_id = ? AND secret_ciphertext IS NOT NULL`
	case "idempotency_keys":
		query = `UPDATE idempotency_keys SET key_id = ?, body = ? WHERE id = ? AND key_id = ? AND body IS NOT NULL`
	case "webhook_endpoints":
		query = `UPDATE webhook_endpoints SET secret_key_id = ?, secret_ciphertext = ? WHERE id = ? AND secret_key_id = ?`
	case "user_totp":
		query = `UPDATE user_totp SET key_id = ?, ciphertext = ? WHERE user_id = ? AND key_id = ?`
	case "form_drafts":
		query = `UPDATE form_drafts SET key_id = ?, payload = ? WHERE id = ? AND key_id = ?`
	default:
		return false, fmt.Errorf("db: reseal: unknown table %q", old.Table)
	}
	var n int64
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(query), keyID, ciphertext, old.ID, old.KeyID)
		if err != nil {
			return fmt.Errorf("db: reseal: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}
