package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Node keys and API tokens in use: verification lookups, last use, daily
// verification counts, rolling with a grace period, and the lifecycle
// events (grace ended, expiring soon) claimed once across instances.

func apiKeyExpr(d *DB) string { return apiKeyExprOf(d, "i") }

// apiKeyExprOf is the indexed api_key attribute of integrations alias a.
func apiKeyExprOf(d *DB, a string) string {
	if d.dialect == SQLite {
		return `json_extract(` + a + `.attrs, '$.api_key')`
	}
	return a + `.attrs->>'api_key'`
}

// NodeKeyLookup looks a node key up so that a known key and an unknown
// one cost the same work. decoy is the api_key of another node key that
// exists (see NodeKeyDecoy). One query: a probe of the api_key index for
// apiKey chooses which key to read, apiKey when it exists and else decoy;
// then the chosen key's row is read through the same index, scanned and
// decoded. So for a known key (with a wrong secret) and for an unknown
// key alike: one index probe, then one probe and one real node-key row of
// the same shape read; found tells them apart. nil, false when neither
// key exists (the decoy was deleted meanwhile: pick another).
func (d *DB) NodeKeyLookup(ctx context.Context, provider, apiKey, decoy string) (*IntegrationRow, bool, error) {
	expr := apiKeyExpr(d)
	// The integration's own columns only (no joins); the team and node
	// names and the creator are left empty.
	query := `SELECT ` + integrationCols + `, '' AS team_slug, '' AS team_name, i.name AS node_name, '' AS created_by,
		CASE WHEN ` + expr + ` = ? THEN 1 ELSE 0 END AS found
	FROM integrations i WHERE i.provider = ? AND ` + expr + ` = (SELECT CASE
		WHEN EXISTS (SELECT 1 FROM integrations k WHERE k.provider = ? AND ` + apiKeyExprOf(d, "k") + ` = ?)
		THEN ? ELSE ? END)
	LIMIT 1`
	var rows []struct {
		IntegrationRow
		Found int `db:"found"`
	}
	if err := d.x.SelectContext(ctx, &rows, d.q(query), apiKey, provider, provider, apiKey, apiKey, decoy); err != nil {
		return nil, false, fmt.Errorf("db: node key by api key: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	return &rows[0].IntegrationRow, rows[0].Found == 1, nil
}

// NodeKeyDecoy returns the api_key of a node key that exists (the oldest),
// for NodeKeyLookup to read when the key asked for is unknown; "" when
// there is none.
func (d *DB) NodeKeyDecoy(ctx context.Context, provider string) (string, error) {
	var keys []string
	if err := d.x.SelectContext(ctx, &keys, d.q(`SELECT `+apiKeyExpr(d)+` FROM integrations i
		WHERE i.provider = ? AND `+apiKeyExpr(d)+` IS NOT NULL ORDER BY i.created_at, i.id LIMIT 1`), provider); err != nil {
		return "", fmt.Errorf("db: node key decoy: %w", err)
	}
	if len(keys) == 0 {
		return "", nil
	}
	return keys[0], nil
}

// TouchIntegration records a use at now unless one was recorded less than
// a minute before (the WHERE guard keeps concurrent verifications and
// instances to one write a minute); it reports whether it wrote.
func (d *DB) TouchIntegration(ctx context.Context, id string, now time.Time) (bool, error) {
	now = ts(now)
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE integrations SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
		now, id, now.Add(-time.Minute))
	if err != nil {
		return false, fmt.Errorf("db: touch integration: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: touch integration: %w", err)
	}
	return n > 0, nil
}

// AddKeyVerifications adds counts (integration id → verifications) to the
// keys' tallies of day (UTC), in one transaction. A key deleted meanwhile
// is skipped.
func (d *DB) AddKeyVerifications(ctx context.Context, day time.Time, counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	dayS := day.UTC().Format(time.DateOnly)
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		for id, n := range counts {
			_, err := tx.ExecContext(ctx, d.q(`INSERT INTO key_verifications (integration_id, day, count)
				SELECT id, ?, ? FROM integrations WHERE id = ?
				ON CONFLICT (integration_id, day) DO UPDATE SET count = key_verifications.count + excluded.count`), dayS, n, id)
			if err != nil {
				return fmt.Errorf("db: add key verifications: %w", err)
			}
		}
		return nil
	})
}

// KeyVerifications returns a key's verification count of day (UTC).
func (d *DB) KeyVerifications(ctx context.Context, id string, day time.Time) (int64, error) {
	var n int64
	err := d.x.GetContext(ctx, &n, d.q(`SELECT COALESCE(SUM(count), 0) FROM key_verifications WHERE integration_id = ? AND day = ?`), id, day.UTC().Format(time.DateOnly))
	if err != nil {
		return 0, fmt.Errorf("db: key verifications: %w", err)
	}
	return n, nil
}

// RollIntegration rolls the live integration oldID into its successor in
// one transaction: the old row leaves the uniqueness rule, names the
// successor and ends at endsAt (or its own earlier expiry); keys of the
// same node still in an earlier grace end no later than it (the oldest
// ends first); then the successor, its reveal and the audit row are
// inserted. ErrNotFound when oldID is no longer live or was rolled already.
func (d *DB) RollIntegration(ctx context.Context, oldID string, endsAt time.Time, in *Integration, reveal *Reveal, audit *AuditEvent) error {
	now := d.now()
	endsAt = ts(endsAt)
	in.CreatedAt, in.UpdatedAt = now, now
	if in.Version == 0 {
		in.Version = 1
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET unique_key = NULL, rolled_to = ?, updated_at = ?,
			expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ? THEN expires_at ELSE ? END
			WHERE id = ? AND status IN ('active', 'disabled') AND rolled_to IS NULL`), in.ID, now, endsAt, endsAt, oldID)
		if err != nil {
			return fmt.Errorf("db: roll integration: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: roll integration: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		if in.NodeID != nil {
			if _, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET expires_at = ?, updated_at = ?
				WHERE provider = ? AND node_id = ? AND id <> ? AND rolled_to IS NOT NULL AND status IN ('active', 'disabled') AND expires_at > ?`),
				endsAt, now, in.Provider, *in.NodeID, oldID, endsAt); err != nil {
				return fmt.Errorf("db: roll integration: earlier grace: %w", err)
			}
		}
		if err := d.insertIntegration(ctx, tx, in); err != nil {
			return err
		}
		if reveal != nil {
			if err := d.insertReveal(ctx, tx, reveal); err != nil {
				return err
			}
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// RollAPIToken rolls the live token oldID into t in one transaction, as
// RollIntegration does for keys: the old token names t, leaves the unique
// name rule and ends at endsAt (or its own earlier expiry); tokens of the
// same team and name in an earlier grace end no later; t and the audit row
// are inserted. endsAt at or before now revokes the old token instead.
// ErrNotFound when oldID is no longer live or was rolled already.
func (d *DB) RollAPIToken(ctx context.Context, oldID string, endsAt time.Time, t *APIToken, audit *AuditEvent) error {
	now := d.now()
	endsAt = ts(endsAt)
	t.CreatedAt = now
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		query := `UPDATE api_tokens SET rolled_to = ?, expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ? THEN expires_at ELSE ? END
			WHERE id = ? AND revoked_at IS NULL AND rolled_to IS NULL AND (expires_at IS NULL OR expires_at > ?)`
		args := []any{t.ID, endsAt, endsAt, oldID, now}
		if !endsAt.After(now) {
			query = `UPDATE api_tokens SET rolled_to = ?, revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND rolled_to IS NULL AND (expires_at IS NULL OR expires_at > ?)`
			args = []any{t.ID, now, oldID, now}
		}
		res, err := tx.ExecContext(ctx, d.q(query), args...)
		if err != nil {
			return fmt.Errorf("db: roll api token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: roll api token: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE api_tokens SET expires_at = ?
			WHERE team_id = ? AND name = ? AND id <> ? AND rolled_to IS NOT NULL AND revoked_at IS NULL AND expires_at > ?`),
			endsAt, t.TeamID, t.Name, oldID, endsAt); err != nil {
			return fmt.Errorf("db: roll api token: earlier grace: %w", err)
		}
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			t.ID, t.TeamID, t.Name, t.TokenHash, t.DisplayPrefix, t.ReadOnly, t.CreatedBy, tsp(t.ExpiresAt), tsp(t.LastUsedAt), tsp(t.RevokedAt), t.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: insert api token: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// Kinds of key events.
const (
	KeyEventGraceEnded = "grace_ended"
	KeyEventExpiring7d = "expiring_7d"
	KeyEventExpiring1d = "expiring_1d"
)

// KeyEvent is a lifecycle event due for a node key (TargetType
// "integration") or an API token ("api_token").
type KeyEvent struct {
	TargetType string    `db:"target_type"`
	TargetID   string    `db:"target_id"`
	TeamID     string    `db:"team_id"`
	Name       string    `db:"name"`
	ExpiresAt  time.Time `db:"expires_at"`
	RolledTo   *string   `db:"rolled_to"`
	Kind       string    `db:"kind"`
}

// DueKeyEvents lists the key events due at now and not yet claimed: the
// end of a grace period (a rolled key or token whose expiry has passed),
// and the warnings of live, not rolled keys and tokens expiring within 7
// days (more than one day away) or within one day. At most limit rows.
func (d *DB) DueKeyEvents(ctx context.Context, provider string, now time.Time, limit int) ([]KeyEvent, error) {
	now = ts(now)
	in1d, in7d := now.Add(24*time.Hour), now.Add(7*24*time.Hour)
	notClaimed := func(typ, kind string) string {
		return ` AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.target_type = '` + typ + `' AND e.target_id = CAST(x.id AS TEXT) AND e.kind = '` + kind + `')`
	}
	ints := `SELECT 'integration' AS target_type, CAST(x.id AS TEXT) AS target_id, CAST(x.team_id AS TEXT) AS team_id, x.name, x.expires_at,
		CAST(x.rolled_to AS TEXT) AS rolled_to, `
	toks := `SELECT 'api_token' AS target_type, CAST(x.id AS TEXT) AS target_id, CAST(x.team_id AS TEXT) AS team_id, x.name, x.expires_at,
		CAST(x.rolled_to AS TEXT) AS rolled_to, `
	intLive := ` FROM integrations x WHERE x.provider = ? AND x.status = 'active' AND x.expires_at IS NOT NULL`
	tokLive := ` FROM api_tokens x WHERE x.revoked_at IS NULL AND x.expires_at IS NOT NULL`
	query := ints + `'` + KeyEventGraceEnded + `' AS kind FROM integrations x WHERE x.provider = ? AND x.rolled_to IS NOT NULL
			AND x.status IN ('active', 'disabled') AND x.expires_at <= ?` + notClaimed("integration", KeyEventGraceEnded) + `
		UNION ALL ` + ints + `'` + KeyEventExpiring7d + `' AS kind` + intLive + ` AND x.rolled_to IS NULL AND x.expires_at > ? AND x.expires_at <= ?` + notClaimed("integration", KeyEventExpiring7d) + `
		UNION ALL ` + ints + `'` + KeyEventExpiring1d + `' AS kind` + intLive + ` AND x.rolled_to IS NULL AND x.expires_at > ? AND x.expires_at <= ?` + notClaimed("integration", KeyEventExpiring1d) + `
		UNION ALL ` + toks + `'` + KeyEventGraceEnded + `' AS kind FROM api_tokens x WHERE x.rolled_to IS NOT NULL AND x.revoked_at IS NULL
			AND x.expires_at <= ?` + notClaimed("api_token", KeyEventGraceEnded) + `
		UNION ALL ` + toks + `'` + KeyEventExpiring7d + `' AS kind` + tokLive + ` AND x.rolled_to IS NULL AND x.expires_at > ? AND x.expires_at <= ?` + notClaimed("api_token", KeyEventExpiring7d) + `
		UNION ALL ` + toks + `'` + KeyEventExpiring1d + `' AS kind` + tokLive + ` AND x.rolled_to IS NULL AND x.expires_at > ? AND x.expires_at <= ?` + notClaimed("api_token", KeyEventExpiring1d) + `
		LIMIT ?`
	args := []any{provider, now, provider, in1d, in7d, provider, now, in1d, now, in1d, in7d, now, in1d, limit}
	var out []KeyEvent
	if err := d.x.SelectContext(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: due key events: %w", err)
	}
	return out, nil
}

// ClaimKeyEvent claims e (a unique row per target and kind) and, when this
// call won the claim, writes its audit row in the same transaction: several
// instances sweeping at once write each event once. It reports whether it
// claimed.
func (d *DB) ClaimKeyEvent(ctx context.Context, e KeyEvent, audit *AuditEvent) (bool, error) {
	claimed := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`INSERT INTO key_events (target_type, target_id, kind, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (target_type, target_id, kind) DO NOTHING`), e.TargetType, e.TargetID, e.Kind, d.now())
		if err != nil {
			return fmt.Errorf("db: claim key event: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: claim key event: %w", err)
		} else if n == 0 {
			return nil
		}
		claimed = true
		return d.insertAudit(ctx, tx, audit)
	})
	return claimed, err
}
