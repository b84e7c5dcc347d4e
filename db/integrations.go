package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// ReplacesID is the row this one replaced in a rotation.
	ReplacesID *string `db:"replaces_id"`
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
	// Kind and ReplacedBy are set by ListIntegrationSummaries only: the
	// provider's sub-kind (see summaryKind) and the row that replaced this
	// one in a rotation.
	Kind       string  `db:"kind"`
	ReplacedBy *string `db:"replaced_by"`
	// NameKey is the name as the name search orders it (the database's
	// lower(name)), set by ListIntegrationSummaries: a name search's
	// keyset cursor.
	NameKey string `db:"name_key"`
}

const integrationCols = `i.id, i.team_id, i.provider, i.name, i.node_id, i.status, i.unique_key, i.attrs, i.secret_key_id,
	i.secret_ciphertext, i.secret_hash, i.version, i.expires_at, i.created_by_user, i.created_by_token, i.created_at, i.updated_at, i.revoked_at,
	i.replaces_id, i.last_used_at, i.rolled_to`

const integrationSelect = `SELECT ` + integrationCols + `, t.slug AS team_slug, t.name AS team_name, n.name AS node_name,
	COALESCE(u.email, 'token ' || tk.name, '') AS created_by` + integrationFrom

// integrationFrom's teams join is written CROSS JOIN on SQLite (listQuery),
// where that keeps integrations the outer loop: with the one-row teams
// table first, a team and status filter read its index and then sorted
// all 10,000 matches (93 ms a page) instead of reading the first 51.
const integrationFrom = `
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
	if d.dialect == Postgres && in.UniqueKey == nil && reveal == nil && audit != nil {
		// The JSON families' create: one statement, one round trip, one
		// commit. The integration and its audit rows (auditWrites: the
		// same statements insertAudit runs) are data-modifying CTE terms
		// of one INSERT; a failing term fails the whole statement.
		parts := append([]stmt{integrationInsert(in)}, d.auditWrites(ctx, audit)...)
		var b strings.Builder
		var args []any
		b.WriteString(`WITH `)
		for i, p := range parts[:len(parts)-1] {
			if i > 0 {
				b.WriteString(`, `)
			}
			fmt.Fprintf(&b, `w%d AS (%s)`, i, p.sql)
			args = append(args, p.args...)
		}
		last := parts[len(parts)-1]
		b.WriteString(` `)
		b.WriteString(last.sql)
		args = append(args, last.args...)
		if err := d.execPrepared(ctx, d.q(b.String()), args...); err != nil {
			return fmt.Errorf("db: create integration: %w", mapErr(err))
		}
		return nil
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
	// NodeIDs keeps the rows of these nodes (nil: any; empty: none).
	NodeIDs []string
	// Statuses keeps the rows in one of these stored statuses (nil: any).
	Statuses []string
	// Status keeps one stored status; NamePrefix the names starting with it
	// (compared without case).
	Status     string
	NamePrefix string
	// BeforeAt/BeforeID are the keyset cursor: rows strictly older.
	BeforeAt *time.Time
	BeforeID string
	// AfterAt/AfterID are the cursor the other way: rows strictly newer,
	// still returned newest first (the page before a page).
	AfterAt *time.Time
	AfterID string
	// With a NamePrefix the rows come in name order (lower(name), then
	// id: the name index, migration 018, serves it for any page depth)
	// and the cursor is BeforeName/BeforeID (rows after it in that order)
	// or AfterName/AfterID (rows before it, still returned in name order);
	// BeforeAt/AfterAt are not used.
	BeforeName string
	AfterName  string
	Limit      int
}

// MaxIntegrationLimit is the largest page of integrations a list reads.
const MaxIntegrationLimit = 500

// prefixUpper is the least string above every string starting with p in
// bytewise (UTF-8, so code point) order: p with its last code point that
// can grow increased by one and what follows it dropped. ok is false when
// none can grow (every string at or above p starts with it).
func prefixUpper(p string) (string, bool) {
	rs := []rune(p)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i] + 1
		if r >= 0xD800 && r <= 0xDFFF {
			r = 0xE000 // no code points in the surrogate range
		}
		if r <= utf8.MaxRune {
			rs[i] = r
			return string(rs[:i+1]), true
		}
	}
	return "", false
}

// where renders the filter as a WHERE clause and the ORDER BY and LIMIT of
// its page; asc is set when the rows come in the reverse of the list's
// order (an After cursor) and the caller must reverse them.
func (f IntegrationFilter) where(dialect Dialect) (clause string, args []any, asc bool) {
	clause = ` WHERE 1=1`
	if f.TeamIDs != nil {
		clause += ` AND i.team_id IN (?)`
		args = append(args, f.TeamIDs)
	}
	if f.Provider != "" {
		clause += ` AND i.provider = ?`
		args = append(args, f.Provider)
	}
	if f.NodeID != "" {
		clause += ` AND i.node_id = ?`
		args = append(args, f.NodeID)
	}
	if f.Status != "" {
		clause += ` AND i.status = ?`
		args = append(args, f.Status)
	}
	if f.NodeIDs != nil {
		clause += ` AND i.node_id IN (?)`
		args = append(args, f.NodeIDs)
	}
	if f.Statuses != nil {
		clause += ` AND i.status IN (?)`
		args = append(args, f.Statuses)
	}
	name := `lower(i.name)` // the name index's expression (migration 018)
	if dialect == Postgres {
		name = `(lower(i.name) COLLATE "C")`
	}
	if p := strings.ToLower(f.NamePrefix); p != "" {
		// The names starting with p are exactly a range of the lower-cased
		// name compared bytewise (the index), so no further test: one the
		// planner cannot estimate made PostgreSQL expect 45 matches of
		// 10,000 and sort them all instead of walking the index.
		clause += ` AND ` + name + ` >= ?`
		args = append(args, p)
		if upper, ok := prefixUpper(p); ok {
			clause += ` AND ` + name + ` < ?`
			args = append(args, upper)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxIntegrationLimit+1 {
		f.Limit = MaxIntegrationLimit + 1
	}
	if f.NamePrefix != "" {
		// Name order: the (name, id) index walked from the cursor, so a
		// search matching many rows reads a page, never sorts them all.
		if f.BeforeID != "" {
			clause += ` AND (` + name + `, i.id) > (?, ?)`
			args = append(args, f.BeforeName, f.BeforeID)
		} else if f.AfterID != "" {
			clause += ` AND (` + name + `, i.id) < (?, ?)`
			args = append(args, f.AfterName, f.AfterID)
			asc = true // read backwards: the caller reverses
		}
		if asc {
			clause += ` ORDER BY ` + name + ` DESC, i.id DESC` + limitClause(f.Limit)
		} else {
			clause += ` ORDER BY ` + name + ` ASC, i.id ASC` + limitClause(f.Limit)
		}
		return clause, args, asc
	}
	if f.BeforeAt != nil {
		// A row value, which both dialects turn into one index range.
		clause += ` AND (i.created_at, i.id) < (?, ?)`
		args = append(args, ts(*f.BeforeAt), f.BeforeID)
	}
	if f.AfterAt != nil {
		clause += ` AND (i.created_at, i.id) > (?, ?)`
		args = append(args, ts(*f.AfterAt), f.AfterID)
		asc = f.BeforeAt == nil
	}
	if asc {
		clause += ` ORDER BY i.created_at ASC, i.id ASC` + limitClause(f.Limit)
	} else {
		clause += ` ORDER BY i.created_at DESC, i.id DESC` + limitClause(f.Limit)
	}
	return clause, args, asc
}

// limitClause writes a list's LIMIT into the statement text instead of
// passing it as a parameter: the statement is prepared with a generic plan
// (see plan_cache_mode in ParseURL), and a generic plan that does not know
// its LIMIT assumes a tenth of the table and sorts it (the first page of
// 100,000 rows took 48 ms instead of 3). n is the store's own bounded
// number, never input text; each page size is one prepared statement.
func limitClause(n int) string { return ` LIMIT ` + strconv.Itoa(n) }

// ListIntegrations returns up to f.Limit integrations (default 100, at most
// MaxIntegrationLimit+1) newest first, whole rows (the JSON families read
// their attributes and sealed bytes).
func (d *DB) ListIntegrations(ctx context.Context, f IntegrationFilter) ([]IntegrationRow, error) {
	var out []IntegrationRow
	if err := d.listIntegrations(ctx, integrationSelect, f, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// summaryKind is the provider's sub-kind as the providers keep it in
// attrs: an Infisical app connection's app, a LaunchDarkly
// configuration's integration key ("" for the others).
const summaryKindPostgres = `COALESCE(i.attrs->>'app', i.attrs->>'integrationKey', '')`
const summaryKindSQLite = `COALESCE(json_extract(i.attrs, '$.app'), json_extract(i.attrs, '$.integrationKey'), '')`

// ListIntegrationSummaries is ListIntegrations for the list page: only the
// columns it shows (never attrs, sealed bytes or hashes), the sub-kind, and
// the successor of a rotated row, in one query.
func (d *DB) ListIntegrationSummaries(ctx context.Context, f IntegrationFilter) ([]IntegrationRow, error) {
	var out []IntegrationRow
	if err := d.listIntegrationsScan(ctx, summarySelect(d), f, &out, scanSummary); err != nil {
		return nil, err
	}
	return out, nil
}

// summarySelect is ListIntegrationSummaries' select list and joins.
func summarySelect(d *DB) string {
	kind := summaryKindPostgres
	if d.dialect == SQLite {
		kind = summaryKindSQLite
	}
	return `SELECT i.id, i.team_id, i.provider, i.name, i.node_id, i.status, i.version, i.expires_at, i.created_at, i.updated_at,
	i.revoked_at, i.replaces_id, i.last_used_at, i.rolled_to, t.slug AS team_slug, t.name AS team_name, n.name AS node_name,
	COALESCE(u.email, 'token ' || tk.name, '') AS created_by, ` + kind + ` AS kind,
	(SELECT s.id FROM integrations s WHERE s.replaces_id = i.id ORDER BY s.created_at DESC LIMIT 1) AS replaced_by,
	lower(i.name) AS name_key` + integrationFrom
}

// scanSummary reads one row of ListIntegrationSummaries' columns, in
// their order, without sqlx's reflection (which was a third of the list
// page's CPU).
func scanSummary(rows *sql.Rows, r *IntegrationRow) error {
	return rows.Scan(&r.ID, &r.TeamID, &r.Provider, &r.Name, &r.NodeID, &r.Status, &r.Version, &r.ExpiresAt, &r.CreatedAt, &r.UpdatedAt,
		&r.RevokedAt, &r.ReplacesID, &r.LastUsedAt, &r.RolledTo, &r.TeamSlug, &r.TeamName, &r.NodeName, &r.CreatedBy, &r.Kind,
		&r.ReplacedBy, &r.NameKey)
}

// listQuery renders sel with the filter as a query for the dialect; none is
// false when the filter keeps nothing (an empty team, node or status list).
func (d *DB) listQuery(sel string, f IntegrationFilter) (query string, args []any, asc, none bool, err error) {
	if f.TeamIDs != nil && len(f.TeamIDs) == 0 || f.NodeIDs != nil && len(f.NodeIDs) == 0 || f.Statuses != nil && len(f.Statuses) == 0 {
		return "", nil, false, true, nil
	}
	where, args, asc := f.where(d.dialect)
	if d.dialect == SQLite {
		sel = strings.Replace(sel, "\n\tJOIN teams t ON", "\n\tCROSS JOIN teams t ON", 1)
	}
	query, args, err = sqlx.In(sel+where, args...)
	if err != nil {
		return "", nil, false, false, fmt.Errorf("db: list integrations: %w", err)
	}
	return d.q(query), args, asc, false, nil
}

// listIntegrationsScan is listIntegrations with a scan of its own.
func (d *DB) listIntegrationsScan(ctx context.Context, sel string, f IntegrationFilter, out *[]IntegrationRow, scan func(*sql.Rows, *IntegrationRow) error) error {
	query, args, asc, none, err := d.listQuery(sel, f)
	if none || err != nil {
		return err
	}
	rows, err := d.queryPrepared(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("db: list integrations: %w", err)
	}
	defer rows.Close()
	*out = make([]IntegrationRow, 0, min(max(f.Limit, 1), MaxIntegrationLimit+1))
	for rows.Next() {
		*out = append(*out, IntegrationRow{})
		if err := scan(rows, &(*out)[len(*out)-1]); err != nil {
			return fmt.Errorf("db: list integrations: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: list integrations: %w", err)
	}
	if asc {
		slices.Reverse(*out)
	}
	return nil
}

func (d *DB) listIntegrations(ctx context.Context, sel string, f IntegrationFilter, out *[]IntegrationRow) error {
	query, args, asc, none, err := d.listQuery(sel, f)
	if none || err != nil {
		return err
	}
	*out = make([]IntegrationRow, 0, min(max(f.Limit, 1), MaxIntegrationLimit+1))
	if err := d.selectPrepared(ctx, out, query, args...); err != nil {
		return fmt.Errorf("db: list integrations: %w", err)
	}
	if asc {
		slices.Reverse(*out)
	}
	return nil
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
		in.ReplacesID = &oldID
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

// integrationInsert is the INSERT of a new integration row.
func integrationInsert(in *Integration) stmt {
	return stmt{name: "insert integration", sql: `INSERT INTO integrations
		(id, team_id, provider, name, node_id, status, unique_key, attrs, secret_key_id, secret_ciphertext, secret_hash,
		 version, expires_at, created_by_user, created_by_token, created_at, updated_at, revoked_at, replaces_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args: []any{in.ID, in.TeamID, in.Provider, in.Name, in.NodeID, in.Status, in.UniqueKey, in.Attrs, in.SecretKeyID, in.SecretCiphertext,
			in.SecretHash, in.Version, tsp(in.ExpiresAt), in.CreatedByUser, in.CreatedByToken, in.CreatedAt, in.UpdatedAt, tsp(in.RevokedAt), in.ReplacesID}}
}

func (d *DB) insertIntegration(ctx context.Context, tx *sqlx.Tx, in *Integration) error {
	st := integrationInsert(in)
	if _, err := tx.ExecContext(ctx, d.q(st.sql), st.args...); err != nil {
		return fmt.Errorf("db: insert integration: %w", mapErr(err))
	}
	return nil
}
