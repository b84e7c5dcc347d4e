package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// webhookQueue is the audit write that queues a delivery of e to every
// enabled endpoint whose team and events match, in the event's own
// transaction or statement (see auditWrites).
func (d *DB) webhookQueue(e *AuditEvent) stmt {
	listMatch := `instr(w.events, ',' || CAST(? AS TEXT) || ',') > 0`
	if d.dialect == Postgres {
		listMatch = `strpos(w.events, ',' || CAST(? AS TEXT) || ',') > 0`
	}
	return stmt{
		name: "queue webhooks",
		sql: `INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
		SELECT w.id, ?, 'pending', 0, ?, ? FROM webhook_endpoints w
		WHERE w.enabled AND (w.team_id IS NULL OR w.team_id = ?)
		  AND (w.events_mode = 'all'
		    OR (w.events_mode = 'prefix' AND substr(CAST(? AS TEXT), 1, length(w.events)) = w.events)
		    OR (w.events_mode = 'list' AND ` + listMatch + `))`,
		args: []any{e.ID, ts(e.At), ts(e.At), e.TeamID, e.Action, e.Action},
	}
}

// WebhookEndpoint is a receiver of audit events.
type WebhookEndpoint struct {
	ID               string     `db:"id"`
	TeamID           *string    `db:"team_id"`
	URL              string     `db:"url"`
	EventsMode       string     `db:"events_mode"`
	Events           string     `db:"events"`
	SecretKeyID      string     `db:"secret_key_id"`
	SecretCiphertext []byte     `db:"secret_ciphertext"`
	Enabled          bool       `db:"enabled"`
	DisabledReason   string     `db:"disabled_reason"`
	FailingSince     *time.Time `db:"failing_since"`
	CreatedBy        *string    `db:"created_by"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`
}

const webhookCols = `id, team_id, url, events_mode, events, secret_key_id, secret_ciphertext, enabled, disabled_reason, failing_since, created_by, created_at, updated_at`

// CreateWebhookEndpoint inserts an endpoint and its audit row.
func (d *DB) CreateWebhookEndpoint(ctx context.Context, w *WebhookEndpoint, audit *AuditEvent) error {
	now := d.now()
	w.CreatedAt, w.UpdatedAt = now, now
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO webhook_endpoints (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			w.ID, w.TeamID, w.URL, w.EventsMode, w.Events, w.SecretKeyID, w.SecretCiphertext, w.Enabled, w.DisabledReason, tsp(w.FailingSince), w.CreatedBy, w.CreatedAt, w.UpdatedAt)
		if err != nil {
			return fmt.Errorf("db: insert webhook endpoint: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// WebhookEndpointByID returns an endpoint.
func (d *DB) WebhookEndpointByID(ctx context.Context, id string) (*WebhookEndpoint, error) {
	var w WebhookEndpoint
	if err := d.x.GetContext(ctx, &w, d.q(`SELECT `+webhookCols+` FROM webhook_endpoints WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: webhook endpoint: %w", mapErr(err))
	}
	return &w, nil
}

// ListWebhookEndpoints returns the endpoints of teamIDs (nil: every
// endpoint, the all-teams ones included), newest first.
func (d *DB) ListWebhookEndpoints(ctx context.Context, teamIDs []string) ([]WebhookEndpoint, error) {
	query, args := `SELECT `+webhookCols+` FROM webhook_endpoints`, []any{}
	if teamIDs != nil {
		if len(teamIDs) == 0 {
			return nil, nil
		}
		query += ` WHERE team_id IN (?)`
		args = append(args, teamIDs)
	}
	query, args, err := sqlx.In(query+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: list webhook endpoints: %w", err)
	}
	var out []WebhookEndpoint
	if err := d.x.SelectContext(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: list webhook endpoints: %w", err)
	}
	return out, nil
}

// WebhookDelivery is one event queued for one endpoint.
type WebhookDelivery struct {
	EndpointID     string     `db:"endpoint_id"`
	EventID        string     `db:"event_id"`
	Action         string     `db:"action"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	NextAttemptAt  time.Time  `db:"next_attempt_at"`
	LastStatusCode *int       `db:"last_status_code"`
	LastError      string     `db:"last_error"`
	LastAttemptAt  *time.Time `db:"last_attempt_at"`
	DeliveredAt    *time.Time `db:"delivered_at"`
	CreatedAt      time.Time  `db:"created_at"`
}

const deliveryCols = `w.endpoint_id, w.event_id, e.action, w.status, w.attempts, w.next_attempt_at, w.last_status_code, w.last_error,
	w.last_attempt_at, w.delivered_at, w.created_at`

// ListWebhookDeliveries returns an endpoint's latest deliveries, newest first.
func (d *DB) ListWebhookDeliveries(ctx context.Context, endpointID string, limit int) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT `+deliveryCols+` FROM webhook_deliveries w JOIN audit_events e ON e.id = w.event_id
		WHERE w.endpoint_id = ? ORDER BY w.created_at DESC, w.event_id DESC LIMIT ?`), endpointID, limit); err != nil {
		return nil, fmt.Errorf("db: list webhook deliveries: %w", err)
	}
	return out, nil
}

// ClaimWebhookDeliveries claims up to limit deliveries due at now on
// enabled endpoints until now+hold: each is claimed by one guarded UPDATE,
// so of several instances exactly one wins it. Attempts count up here.
func (d *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, hold time.Duration, limit int) ([]WebhookDelivery, error) {
	now = ts(now)
	var due []WebhookDelivery
	if err := d.x.SelectContext(ctx, &due, d.q(`SELECT `+deliveryCols+` FROM webhook_deliveries w JOIN audit_events e ON e.id = w.event_id
		JOIN webhook_endpoints p ON p.id = w.endpoint_id
		WHERE w.status = 'pending' AND w.next_attempt_at <= ? AND (w.claimed_until IS NULL OR w.claimed_until < ?) AND p.enabled
		ORDER BY w.next_attempt_at LIMIT ?`), now, now, limit); err != nil {
		return nil, fmt.Errorf("db: due webhook deliveries: %w", err)
	}
	var out []WebhookDelivery
	for _, w := range due {
		res, err := d.x.ExecContext(ctx, d.q(`UPDATE webhook_deliveries SET claimed_until = ?, attempts = attempts + 1, last_attempt_at = ?
			WHERE endpoint_id = ? AND event_id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)`),
			now.Add(hold), now, w.EndpointID, w.EventID, now)
		if err != nil {
			return out, fmt.Errorf("db: claim webhook delivery: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return out, fmt.Errorf("db: claim webhook delivery: %w", err)
		} else if n == 1 {
			w.Attempts++
			out = append(out, w)
		}
	}
	return out, nil
}

// AuditEventByID returns one audit event.
func (d *DB) AuditEventByID(ctx context.Context, id string) (*AuditEvent, error) {
	var e AuditEvent
	if err := d.x.GetContext(ctx, &e, d.q(`SELECT `+auditColumns+` FROM audit_events WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: audit event: %w", mapErr(err))
	}
	e.At = e.At.UTC()
	return &e, nil
}

// WebhookResult is the outcome of one attempt.
type WebhookResult struct {
	StatusCode *int
	Error      string
	Delivered  bool
	// Next is the next attempt's time when not delivered; GiveUp ends the
	// delivery as failed instead.
	Next   time.Time
	GiveUp bool
	// DisableReason, when set, disables the endpoint (failing for 24 hours).
	DisableReason string
}

// FinishWebhookDelivery records an attempt's result, releases the claim and
// keeps the endpoint's failing_since (set on a failure, cleared on a
// success), disabling it with a reason when asked.
func (d *DB) FinishWebhookDelivery(ctx context.Context, w WebhookDelivery, now time.Time, r WebhookResult) error {
	now = ts(now)
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		status, next := "pending", ts(r.Next)
		var delivered *time.Time
		switch {
		case r.Delivered:
			status, delivered, next = "delivered", &now, now
		case r.GiveUp:
			status, next = "failed", now
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, claimed_until = NULL,
			last_status_code = ?, last_error = ?, delivered_at = ? WHERE endpoint_id = ? AND event_id = ?`),
			status, next, r.StatusCode, r.Error, delivered, w.EndpointID, w.EventID); err != nil {
			return fmt.Errorf("db: finish webhook delivery: %w", err)
		}
		var err error
		if r.Delivered {
			_, err = tx.ExecContext(ctx, d.q(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?`), w.EndpointID)
		} else {
			_, err = tx.ExecContext(ctx, d.q(`UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`), now, w.EndpointID)
		}
		if err == nil && r.DisableReason != "" {
			_, err = tx.ExecContext(ctx, d.q(`UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?`), false, r.DisableReason, now, w.EndpointID)
		}
		if err != nil {
			return fmt.Errorf("db: finish webhook delivery: endpoint: %w", err)
		}
		return nil
	})
}

// RedeliverWebhook queues a delivery again at now (whatever its state),
// as a fresh delivery with its attempts reset; ErrNotFound when none.
func (d *DB) RedeliverWebhook(ctx context.Context, endpointID, eventID string, now time.Time) error {
	now = ts(now)
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, claimed_until = NULL,
		delivered_at = NULL, created_at = ? WHERE endpoint_id = ? AND event_id = ?`), now, now, endpointID, eventID)
	if err != nil {
		return fmt.Errorf("db: redeliver webhook: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("db: redeliver webhook: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetWebhookEnabled enables an endpoint again (clearing the reason and the
// failing time) or disables it.
func (d *DB) SetWebhookEnabled(ctx context.Context, id string, enabled bool, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE webhook_endpoints SET enabled = ?, disabled_reason = '', failing_since = NULL, updated_at = ? WHERE id = ?`), enabled, d.now(), id)
		if err != nil {
			return fmt.Errorf("db: set webhook enabled: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: set webhook enabled: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries, with its
// audit row (whose own deliveries to other endpoints are queued as usual).
func (d *DB) DeleteWebhookEndpoint(ctx context.Context, id string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM webhook_deliveries WHERE endpoint_id = ?`), id); err != nil {
			return fmt.Errorf("db: delete webhook deliveries: %w", err)
		}
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM webhook_endpoints WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("db: delete webhook endpoint: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("db: delete webhook endpoint: %w", err)
		} else if n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}
