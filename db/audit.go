package db

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// AuditEvent is one row of the audit log. Details never hold a secret: the
// domain puts only ids, names and flags there.
type AuditEvent struct {
	ID         string    `db:"id"`
	At         time.Time `db:"at"`
	ActorType  string    `db:"actor_type"`
	ActorID    string    `db:"actor_id"`
	ActorLabel string    `db:"actor_label"`
	TeamID     *string   `db:"team_id"`
	Action     string    `db:"action"`
	TargetType string    `db:"target_type"`
	TargetID   string    `db:"target_id"`
	IP         string    `db:"ip"`
	UserAgent  string    `db:"user_agent"`
	Details    string    `db:"details"`
}

// SetDetails encodes v as the event's details.
func (e *AuditEvent) SetDetails(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("{}")
	}
	e.Details = string(b)
}

// auditWrites is the ONE place that turns an audit event into the rows
// written for it. Every writer of an audit
// event goes through it (the audit_events row and the webhook deliveries
// it queues), in one of two ways:
//
//   - insertAudit runs each statement on the caller's transaction;
//   - CreateIntegration on PostgreSQL folds the same statements into the
//     single statement it runs, as data-modifying CTE terms.
//
// A row that must be written with every audit event, in the same
// transaction (a webhook outbox row, say), is one more stmt appended here;
// both ways then write it. Each stmt is a plain INSERT or UPDATE with ?
// placeholders and no RETURNING, so it is valid in either place. ctx may
// carry the request's idempotency claim, which the change marks committed
// (see WithIdempotencyClaim).
func (d *DB) auditWrites(ctx context.Context, e *AuditEvent) []stmt {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = d.now()
	}
	if e.Details == "" {
		e.Details = "{}"
	}
	if len(e.UserAgent) > 512 {
		e.UserAgent = e.UserAgent[:512]
	}
	w := []stmt{{
		name: "insert audit event",
		sql: `INSERT INTO audit_events
		(id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args: []any{e.ID, ts(e.At), e.ActorType, e.ActorID, e.ActorLabel, e.TeamID, e.Action, e.TargetType, e.TargetID, e.IP, e.UserAgent, e.Details},
	}, d.webhookQueue(e)}
	if st := d.idempotencyCommit(ctx, e); st != nil {
		w = append(w, *st)
	}
	return w
}

// stmt is one SQL statement with ? placeholders and its arguments.
type stmt struct {
	name string
	sql  string
	args []any
}

// insertAudit writes an audit event's rows (auditWrites) on tx; a nil
// event writes nothing.
func (d *DB) insertAudit(ctx context.Context, tx *sqlx.Tx, e *AuditEvent) error {
	if e == nil {
		return nil
	}
	for _, st := range d.auditWrites(ctx, e) {
		if _, err := tx.ExecContext(ctx, d.q(st.sql), st.args...); err != nil {
			return fmt.Errorf("db: %s: %w", st.name, err)
		}
	}
	return nil
}

// RecordAudit writes an audit row on its own (for events with no other write,
// such as a failed sign-in).
func (d *DB) RecordAudit(ctx context.Context, e *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error { return d.insertAudit(ctx, tx, e) })
}

// CountAudit counts events of action on target since a time (the throttles
// count in sign_in_throttle, not here; tests use it to check what was
// audited).
func (d *DB) CountAudit(ctx context.Context, action, targetID string, since time.Time) (int, error) {
	var n int
	err := d.x.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND target_id = ? AND at > ?`), action, targetID, ts(since))
	if err != nil {
		return 0, fmt.Errorf("db: count audit: %w", err)
	}
	return n, nil
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	// Scoped limits the rows to those of TeamIDs (an empty list: none) and,
	// when SelfID is set, that user's own sign-ins; unscoped sees every row.
	Scoped  bool
	TeamIDs []string
	SelfID  string
	// TeamID keeps one team's rows.
	TeamID string
	// ActorID keeps one actor's rows (a user or token id); ActorLike keeps
	// rows whose actor label contains it, compared without case.
	ActorID   string
	ActorLike string
	// Action keeps one action; ActionPrefix the actions starting with it
	// (such as "integration.").
	Action       string
	ActionPrefix string
	// From (inclusive) and To (exclusive) bound the time.
	From *time.Time
	To   *time.Time
	// Before is the keyset cursor: events strictly older than (At, ID).
	BeforeAt *time.Time
	BeforeID string
	Limit    int
}

// MaxAuditLimit is the largest page of audit events; ListAudit returns
// one row more at most, so a caller can tell whether another page follows.
const MaxAuditLimit = 500

const auditColumns = `id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details`

// auditWhere renders the filter as a WHERE clause with ? placeholders; ok is
// false when the scope admits no row at all.
func auditWhere(f AuditFilter) (where string, args []any, ok bool) {
	var conds []string
	if f.Scoped {
		var scope []string
		if len(f.TeamIDs) > 0 {
			scope = append(scope, `team_id IN (?`+strings.Repeat(`, ?`, len(f.TeamIDs)-1)+`)`)
			for _, id := range f.TeamIDs {
				args = append(args, id)
			}
		}
		if f.SelfID != "" {
			scope = append(scope, `(team_id IS NULL AND actor_id = ? AND action = 'user.sign_in')`)
			args = append(args, f.SelfID)
		}
		if len(scope) == 0 {
			return "", nil, false
		}
		conds = append(conds, `(`+strings.Join(scope, ` OR `)+`)`)
	}
	if f.TeamID != "" {
		conds = append(conds, `team_id = ?`)
		args = append(args, f.TeamID)
	}
	if f.ActorID != "" {
		conds = append(conds, `actor_id = ?`)
		args = append(args, f.ActorID)
	}
	if f.ActorLike != "" {
		conds = append(conds, `LOWER(actor_label) LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(strings.ToLower(f.ActorLike))+"%")
	}
	if f.Action != "" {
		conds = append(conds, `action = ?`)
		args = append(args, f.Action)
	}
	if f.ActionPrefix != "" {
		// substr, not LIKE: actions hold _, and a LIKE prefix needs a C
		// collation to use an index on PostgreSQL anyway.
		conds = append(conds, `substr(action, 1, ?) = ?`)
		args = append(args, utf8.RuneCountInString(f.ActionPrefix), f.ActionPrefix)
	}
	if f.From != nil {
		conds = append(conds, `at >= ?`)
		args = append(args, ts(*f.From))
	}
	if f.To != nil {
		conds = append(conds, `at < ?`)
		args = append(args, ts(*f.To))
	}
	if f.BeforeAt != nil {
		// A row value, which both dialects turn into one index range.
		conds = append(conds, `(at, id) < (?, ?)`)
		args = append(args, ts(*f.BeforeAt), f.BeforeID)
	}
	if len(conds) == 0 {
		return "", args, true
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args, true
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListAudit returns up to f.Limit events matching f (default 50, at most
// MaxAuditLimit+1), newest first, by keyset: pass the last row's (At, ID) as
// the next call's BeforeAt and BeforeID.
func (d *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxAuditLimit+1 {
		f.Limit = MaxAuditLimit + 1
	}
	where, args, ok := auditWhere(f)
	if !ok {
		return nil, nil
	}
	// Prepared (a page of the log comes in a few fixed shapes), with its
	// LIMIT in the text as the lists write theirs (limitClause).
	// Scanned by hand: sqlx's reflection was a fifth of the page's time.
	rows, err := d.queryPrepared(ctx, d.q(`SELECT `+auditColumns+` FROM audit_events`+where+` ORDER BY at DESC, id DESC`+limitClause(f.Limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("db: list audit: %w", err)
	}
	defer rows.Close()
	out := make([]AuditEvent, 0, f.Limit)
	for rows.Next() {
		out = append(out, AuditEvent{})
		e := &out[len(out)-1]
		if err := rows.Scan(&e.ID, &e.At, &e.ActorType, &e.ActorID, &e.ActorLabel, &e.TeamID, &e.Action, &e.TargetType, &e.TargetID, &e.IP, &e.UserAgent, &e.Details); err != nil {
			return nil, fmt.Errorf("db: list audit: %w", err)
		}
		e.At = e.At.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list audit: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// EachAudit calls fn for every event matching f (its Limit and cursor are
// the starting point and the batch size), newest first, reading keyset
// batches so memory stays bounded however many rows match. It stops at the
// first error fn returns.
func (d *DB) EachAudit(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	if f.Limit <= 0 || f.Limit > MaxAuditLimit {
		f.Limit = MaxAuditLimit
	}
	for {
		batch, err := d.ListAudit(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < f.Limit {
			return nil
		}
		last := batch[len(batch)-1]
		f.BeforeAt, f.BeforeID = &last.At, last.ID
	}
}

// InsertAuditEvents writes many events in one transaction with multi-row
// inserts (seeding for tests and benchmarks, imports). Empty ids and times
// are filled in as for a single event.
func (d *DB) InsertAuditEvents(ctx context.Context, events []AuditEvent) error {
	const perInsert = 500 // 6,000 parameters: under both dialects' limits
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		for start := 0; start < len(events); start += perInsert {
			chunk := events[start:min(start+perInsert, len(events))]
			var b strings.Builder
			b.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
			args := make([]any, 0, len(chunk)*12)
			for i := range chunk {
				e := &chunk[i]
				if e.ID == "" {
					e.ID = uuid.NewString()
				}
				if e.At.IsZero() {
					e.At = d.now()
				}
				if e.Details == "" {
					e.Details = "{}"
				}
				if i > 0 {
					b.WriteString(`, `)
				}
				b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
				args = append(args, e.ID, ts(e.At), e.ActorType, e.ActorID, e.ActorLabel, e.TeamID, e.Action, e.TargetType, e.TargetID, e.IP, e.UserAgent, e.Details)
			}
			if _, err := tx.ExecContext(ctx, d.q(b.String()), args...); err != nil {
				return fmt.Errorf("db: insert audit events: %w", err)
			}
		}
		return nil
	})
}

// auditTargetTables maps an audit target type to the table and column
// that name it.
var auditTargetTables = map[string][2]string{
	"integration": {"integrations", "name"},
	"api_token":   {"api_tokens", "name"},
	"node":        {"nodes", "name"},
	"user":        {"users", "email"},
	"team":        {"teams", "name"},
}

// AuditTargetNames names the audit targets that still exist: ids by
// target type in, "type/id" → name out. One query per type present, so a
// page of events costs at most five lookups whatever its length. A target
// that is gone (deleted) is absent from the answer.
func (d *DB) AuditTargetNames(ctx context.Context, ids map[string][]string) (map[string]string, error) {
	out := map[string]string{}
	for typ, list := range ids {
		tc, ok := auditTargetTables[typ]
		if !ok || len(list) == 0 {
			continue
		}
		// On PostgreSQL one prepared text per type, the ids as an array;
		// SQLite, read in process, takes them as a list.
		query, args := `SELECT id, `+tc[1]+` AS name FROM `+tc[0]+` WHERE id = ANY(?::uuid[])`, []any{pq.Array(list)}
		if d.dialect == SQLite {
			var err error
			if query, args, err = sqlx.In(`SELECT id, `+tc[1]+` AS name FROM `+tc[0]+` WHERE id IN (?)`, list); err != nil {
				return nil, fmt.Errorf("db: audit target names: %w", err)
			}
		}
		var rows []struct {
			ID   string `db:"id"`
			Name string `db:"name"`
		}
		if err := d.selectPrepared(ctx, &rows, d.q(query), args...); err != nil {
			return nil, fmt.Errorf("db: audit target names of %s: %w", typ, err)
		}
		for _, r := range rows {
			out[typ+"/"+r.ID] = r.Name
		}
	}
	return out, nil
}
