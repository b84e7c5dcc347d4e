package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Integration is one integration of any provider. Attrs holds the provider's
// non-secret fields as JSON; a supplied secret is sealed into SecretCiphertext
// (key id in SecretKeyID); a generated one is kept only as SecretHash.
type Integration struct {
	ID               string     `db:"id"`
	TeamID           string     `db:"team_id"`
	Provider         string     `db:"provider"`
	Name             string     `db:"name"`
	NodeID           *string    `db:"node_id"`
	Status           string     `db:"status"`
	UniqueKey        *string    `db:"unique_key"`
	Attrs            string     `db:"attrs"`
	SecretKeyID      *string    `db:"secret_key_id"`
	SecretCiphertext []byte     `db:"secret_ciphertext"`
	SecretHash       *string    `db:"secret_hash"`
	Version          int        `db:"version"`
	ExpiresAt        *time.Time `db:"expires_at"`
	CreatedByUser    *string    `db:"created_by_user"`
	CreatedByToken   *string    `db:"created_by_token"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`
	RevokedAt        *time.Time `db:"revoked_at"`
	// LastUsedAt (a node key's last verification, written at most once a
	// minute) and RolledTo (the successor of a key rolled with a grace
	// period) are read, never inserted: keys_in_use.go writes them.
	LastUsedAt *time.Time `db:"last_used_at"`
	RolledTo   *string    `db:"rolled_to"`
}

// IntegrationRow is an integration with the names its list and detail pages show.
type IntegrationRow struct {
	Integration
	TeamSlug  string  `db:"team_slug"`
	TeamName  string  `db:"team_name"`
	NodeName  *string `db:"node_name"`
	CreatedBy string  `db:"created_by"`
}

const integrationCols = `i.id, i.team_id, i.provider, i.name, i.node_id, i.status, i.unique_key, i.attrs, i.secret_key_id,
	i.secret_ciphertext, i.secret_hash, i.version, i.expires_at, i.created_by_user, i.created_by_token, i.created_at, i.updated_at, i.revoked_at, i.last_used_at, i.rolled_to`

const integrationSelect = `SELECT ` + integrationCols + `, t.slug AS team_slug, t.name AS team_name, n.name AS node_name,
	COALESCE(u.email, 'token ' || tk.name, '') AS created_by
	FROM integrations i
	JOIN teams t ON t.id = i.team_id
	LEFT JOIN nodes n ON n.id = i.node_id
	LEFT JOIN users u ON u.id = i.created_by_user
	LEFT JOIN api_tokens tk ON tk.id = i.created_by_token`

// CreateIntegration inserts an integration, its reveal (when one is given) and
// its audit row in one transaction. An active row with the same unique key
// whose expiry has passed is marked expired first, so it no longer blocks a
// new one; a live one makes the insert fail with ErrConflict.
func (d *DB) CreateIntegration(ctx context.Context, in *Integration, reveal *Reveal, audit *AuditEvent) error {
	now := d.now()
	in.CreatedAt, in.UpdatedAt = now, now
	if in.Version == 0 {
		in.Version = 1
	}
	if in.Attrs == "" {
		in.Attrs = "{}"
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.UniqueKey != nil {
			_, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET status = 'expired', updated_at = ?
				WHERE provider = ? AND unique_key = ? AND status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?`),
				now, in.Provider, *in.UniqueKey, now)
			if err != nil {
				return fmt.Errorf("db: expire integrations: %w", err)
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

// IntegrationByID returns an integration with its display names.
func (d *DB) IntegrationByID(ctx context.Context, id string) (*IntegrationRow, error) {
	var r IntegrationRow
	if err := d.x.GetContext(ctx, &r, d.q(integrationSelect+` WHERE i.id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: integration by id: %w", mapErr(err))
	}
	return &r, nil
}

// IntegrationFilter selects integrations. TeamIDs nil means every team; an
// empty non-nil slice means none.
type IntegrationFilter struct {
	TeamIDs  []string
	Provider string
	NodeID   string
	// BeforeAt/BeforeID are the keyset cursor: rows strictly older.
	BeforeAt *time.Time
	BeforeID string
	Limit    int
}

// ListIntegrations returns integrations newest first.
func (d *DB) ListIntegrations(ctx context.Context, f IntegrationFilter) ([]IntegrationRow, error) {
	if f.TeamIDs != nil && len(f.TeamIDs) == 0 {
		return nil, nil
	}
	query := integrationSelect + ` WHERE 1=1`
	var args []any
	if f.TeamIDs != nil {
		query += ` AND i.team_id IN (?)`
		args = append(args, f.TeamIDs)
	}
	if f.Provider != "" {
		query += ` AND i.provider = ?`
		args = append(args, f.Provider)
	}
	if f.NodeID != "" {
		query += ` AND i.node_id = ?`
		args = append(args, f.NodeID)
	}
	if f.BeforeAt != nil {
		query += ` AND (i.created_at < ? OR (i.created_at = ? AND i.id < ?))`
		args = append(args, ts(*f.BeforeAt), ts(*f.BeforeAt), f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	query += ` ORDER BY i.created_at DESC, i.id DESC LIMIT ?`
	args = append(args, f.Limit)
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list integrations: %w", err)
	}
	var out []IntegrationRow
	if err := d.x.SelectContext(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: list integrations: %w", err)
	}
	return out, nil
}

// RevokeIntegration marks an integration revoked and writes the audit row; it
// reports false (and writes nothing) when it was already revoked.
func (d *DB) RevokeIntegration(ctx context.Context, id string, audit *AuditEvent) (bool, error) {
	changed := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		res, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET status = 'revoked', revoked_at = ?, updated_at = ? WHERE id = ? AND status <> 'revoked'`), now, now, id)
		if err != nil {
			return fmt.Errorf("db: revoke integration: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("db: revoke integration: %w", err)
		}
		if n == 0 {
			return nil
		}
		changed = true
		return d.insertAudit(ctx, tx, audit)
	})
	return changed, err
}

// UpdateIntegration writes the changeable fields of an integration (name,
// unique key, attrs, sealed secret, version, status) and its audit row in one
// transaction. ErrConflict when the new unique key is taken, ErrNotFound
// when the row is gone.
func (d *DB) UpdateIntegration(ctx context.Context, in *Integration, audit *AuditEvent) error {
	in.UpdatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET name = ?, unique_key = ?, attrs = ?, secret_key_id = ?,
			secret_ciphertext = ?, version = ?, status = ?, updated_at = ? WHERE id = ?`),
			in.Name, in.UniqueKey, in.Attrs, in.SecretKeyID, in.SecretCiphertext, in.Version, in.Status, in.UpdatedAt, in.ID)
		if err != nil {
			return fmt.Errorf("db: update integration: %w", mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: update integration: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// DeleteIntegration removes an integration (its reveals go with it) and
// writes the audit row; ErrNotFound when it does not exist.
func (d *DB) DeleteIntegration(ctx context.Context, id string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM integrations WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("db: delete integration: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: delete integration: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// SetIntegrationStatus moves an integration from one of the from statuses
// to status to and writes the audit row, in one transaction; it reports
// false (and writes nothing) when the row is not in one of the from statuses.
func (d *DB) SetIntegrationStatus(ctx context.Context, id string, from []string, to string, audit *AuditEvent) (bool, error) {
	changed := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		query, args, err := sqlx.In(`UPDATE integrations SET status = ?, updated_at = ? WHERE id = ? AND status IN (?)`, to, d.now(), id, from)
		if err != nil {
			return fmt.Errorf("db: set integration status: %w", err)
		}
		res, err := tx.ExecContext(ctx, d.q(query), args...)
		if err != nil {
			return fmt.Errorf("db: set integration status: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: set integration status: %w", err)
		} else if n == 0 {
			return nil
		}
		changed = true
		return d.insertAudit(ctx, tx, audit)
	})
	return changed, err
}

// ReplaceIntegration revokes the integration oldID (it must be active or
// disabled) and inserts its successor with its reveal and audit row, in one
// transaction: a rotation never leaves both, or neither, usable.
// ErrNotFound when oldID is no longer live.
func (d *DB) ReplaceIntegration(ctx context.Context, oldID string, in *Integration, reveal *Reveal, audit *AuditEvent) error {
	now := d.now()
	in.CreatedAt, in.UpdatedAt = now, now
	if in.Version == 0 {
		in.Version = 1
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE integrations SET status = 'revoked', revoked_at = ?, updated_at = ? WHERE id = ? AND status IN ('active', 'disabled')`), now, now, oldID)
		if err != nil {
			return fmt.Errorf("db: replace integration: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: replace integration: %w", err)
		} else if n == 0 {
			return ErrNotFound
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

func (d *DB) insertIntegration(ctx context.Context, tx *sqlx.Tx, in *Integration) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO integrations
		(id, team_id, provider, name, node_id, status, unique_key, attrs, secret_key_id, secret_ciphertext, secret_hash,
		 version, expires_at, created_by_user, created_by_token, created_at, updated_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		in.ID, in.TeamID, in.Provider, in.Name, in.NodeID, in.Status, in.UniqueKey, in.Attrs, in.SecretKeyID, in.SecretCiphertext,
		in.SecretHash, in.Version, tsp(in.ExpiresAt), in.CreatedByUser, in.CreatedByToken, in.CreatedAt, in.UpdatedAt, tsp(in.RevokedAt))
	if err != nil {
		return fmt.Errorf("db: insert integration: %w", mapErr(err))
	}
	return nil
}
