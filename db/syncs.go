package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// IntegrationAuth is a credential for one sync target: sealed access id and
// token (the row id as additional data), or a reference to an Infisical app
// connection whose credentials are read at each sync.
type IntegrationAuth struct {
	ID               string    `db:"id"`
	TeamID           string    `db:"team_id"`
	Integration      string    `db:"integration"`
	URL              string    `db:"url"`
	Namespace        string    `db:"namespace"`
	AWSRoleARN       string    `db:"aws_role_arn"`
	ConnectionID     *string   `db:"connection_id"`
	SecretKeyID      *string   `db:"secret_key_id"`
	SecretCiphertext []byte    `db:"secret_ciphertext"`
	CreatedBy        string    `db:"created_by"`
	CreatedAt        time.Time `db:"created_at"`
	UpdatedAt        time.Time `db:"updated_at"`
}

const authCols = `id, team_id, integration, url, namespace, aws_role_arn, connection_id, secret_key_id, secret_ciphertext, created_by, created_at, updated_at`

// CreateIntegrationAuth inserts an auth and its audit row.
func (d *DB) CreateIntegrationAuth(ctx context.Context, a *IntegrationAuth, audit *AuditEvent) error {
	now := d.now()
	a.CreatedAt, a.UpdatedAt = now, now
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO integration_auths (`+authCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			a.ID, a.TeamID, a.Integration, a.URL, a.Namespace, a.AWSRoleARN, a.ConnectionID, a.SecretKeyID, a.SecretCiphertext, a.CreatedBy, now, now)
		if err != nil {
			return fmt.Errorf("db: insert integration auth: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// IntegrationAuthByID returns an auth.
func (d *DB) IntegrationAuthByID(ctx context.Context, id string) (*IntegrationAuth, error) {
	var a IntegrationAuth
	if err := d.x.GetContext(ctx, &a, d.q(`SELECT `+authCols+` FROM integration_auths WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: integration auth by id: %w", mapErr(err))
	}
	return &a, nil
}

// IntegrationAuths lists a team's auths, oldest first.
func (d *DB) IntegrationAuths(ctx context.Context, teamID string) ([]IntegrationAuth, error) {
	var out []IntegrationAuth
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT `+authCols+` FROM integration_auths WHERE team_id = ? ORDER BY created_at, id`), teamID); err != nil {
		return nil, fmt.Errorf("db: list integration auths: %w", err)
	}
	return out, nil
}

// DeleteIntegrationAuth removes an auth and, with it, the integrations that use it.
func (d *DB) DeleteIntegrationAuth(ctx context.Context, id string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM integration_auths WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("db: delete integration auth: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// SecretIntegration syncs one environment and folder into one target. Spec
// is the target's non-secret fields as JSON; ManagedKeys the JSON list of
// the target keys the syncs wrote (the only ones a sync may delete).
type SecretIntegration struct {
	ID          string     `db:"id"`
	TeamID      string     `db:"team_id"`
	AuthID      string     `db:"auth_id"`
	EnvID       string     `db:"env_id"`
	SecretPath  string     `db:"secret_path"`
	Integration string     `db:"integration"`
	IsActive    bool       `db:"is_active"`
	Spec        string     `db:"spec"`
	IsSynced    *bool      `db:"is_synced"`
	SyncMessage string     `db:"sync_message"`
	LastUsed    *time.Time `db:"last_used"`
	ManagedKeys string     `db:"managed_keys"`
	SyncedOnce  bool       `db:"synced_once"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	// EnvSlug is the source environment's slug (joined, not stored).
	EnvSlug string `db:"env_slug"`
}

const integCols = `i.id, i.team_id, i.auth_id, i.env_id, i.secret_path, i.integration, i.is_active, i.spec, i.is_synced, i.sync_message,
	i.last_used, i.managed_keys, i.synced_once, i.created_at, i.updated_at, e.slug AS env_slug`

const integSelect = `SELECT ` + integCols + ` FROM secret_integrations i JOIN secret_environments e ON e.id = i.env_id`

// CreateSecretIntegration inserts an integration, its audit row and its
// first sync job in one transaction.
func (d *DB) CreateSecretIntegration(ctx context.Context, in *SecretIntegration, audit *AuditEvent) error {
	now := d.now()
	in.CreatedAt, in.UpdatedAt = now, now
	if in.ManagedKeys == "" {
		in.ManagedKeys = "[]"
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO secret_integrations (id, team_id, auth_id, env_id, secret_path, integration, is_active, spec,
			is_synced, sync_message, last_used, managed_keys, synced_once, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '', NULL, ?, ?, ?, ?)`),
			in.ID, in.TeamID, in.AuthID, in.EnvID, in.SecretPath, in.Integration, in.IsActive, in.Spec, in.ManagedKeys, false, now, now)
		if err != nil {
			return fmt.Errorf("db: insert secret integration: %w", mapErr(err))
		}
		if err := d.insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		if in.IsActive {
			return d.enqueue(ctx, tx, in.ID, "create", now)
		}
		return nil
	})
}

// SecretIntegrationByID returns an integration.
func (d *DB) SecretIntegrationByID(ctx context.Context, id string) (*SecretIntegration, error) {
	var s SecretIntegration
	if err := d.x.GetContext(ctx, &s, d.q(integSelect+` WHERE i.id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: secret integration by id: %w", mapErr(err))
	}
	return &s, nil
}

// SecretIntegrations lists a team's integrations, newest first.
func (d *DB) SecretIntegrations(ctx context.Context, teamID string) ([]SecretIntegration, error) {
	var out []SecretIntegration
	if err := d.x.SelectContext(ctx, &out, d.q(integSelect+` WHERE i.team_id = ? ORDER BY i.created_at DESC, i.id DESC`), teamID); err != nil {
		return nil, fmt.Errorf("db: list secret integrations: %w", err)
	}
	return out, nil
}

// UpdateSecretIntegration writes the changeable fields (active, path, spec)
// and its audit row; an active integration gets a sync job.
func (d *DB) UpdateSecretIntegration(ctx context.Context, in *SecretIntegration, audit *AuditEvent) error {
	now := d.now()
	in.UpdatedAt = now
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE secret_integrations SET is_active = ?, secret_path = ?, env_id = ?, spec = ?, updated_at = ? WHERE id = ?`),
			in.IsActive, in.SecretPath, in.EnvID, in.Spec, now, in.ID)
		if err != nil {
			return fmt.Errorf("db: update secret integration: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if err := d.insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		if in.IsActive {
			return d.enqueue(ctx, tx, in.ID, "update", now)
		}
		return nil
	})
}

// DeleteSecretIntegration removes an integration (its job goes with it).
func (d *DB) DeleteSecretIntegration(ctx context.Context, id string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM secret_integrations WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("db: delete secret integration: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// enqueue asks for a sync of one integration: an idle job becomes due now;
// a queued one stays as it is; a running one is marked to run again after,
// so the change that asked is never lost and never runs twice at once.
func (d *DB) enqueue(ctx context.Context, tx *sqlx.Tx, integrationID, reason string, now time.Time) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO sync_jobs (integration_id, state, again, reason, attempts, run_after, updated_at)
		VALUES (?, 'queued', ?, ?, 0, ?, ?)
		ON CONFLICT (integration_id) DO UPDATE SET
			again = CASE WHEN sync_jobs.state = 'running' THEN ? ELSE sync_jobs.again END,
			reason = CASE WHEN sync_jobs.state = 'idle' THEN excluded.reason ELSE sync_jobs.reason END,
			attempts = CASE WHEN sync_jobs.state = 'idle' THEN 0 ELSE sync_jobs.attempts END,
			run_after = CASE WHEN sync_jobs.state = 'running' THEN sync_jobs.run_after
				WHEN sync_jobs.state = 'queued' AND sync_jobs.run_after < excluded.run_after THEN sync_jobs.run_after
				ELSE excluded.run_after END,
			state = CASE WHEN sync_jobs.state = 'idle' THEN 'queued' ELSE sync_jobs.state END,
			updated_at = excluded.updated_at`),
		integrationID, false, reason, now, now, true)
	if err != nil {
		return fmt.Errorf("db: enqueue sync: %w", err)
	}
	return nil
}

func (d *DB) enqueueForSource(ctx context.Context, tx *sqlx.Tx, envID, path, reason string, now time.Time) error {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, d.q(`SELECT id FROM secret_integrations WHERE env_id = ? AND secret_path = ? AND is_active = ?`), envID, path, true); err != nil {
		return fmt.Errorf("db: integrations of a folder: %w", err)
	}
	for _, id := range ids {
		if err := d.enqueue(ctx, tx, id, reason, now); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueSync asks for a sync of one integration now (Sync now).
func (d *DB) EnqueueSync(ctx context.Context, integrationID, reason string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.enqueue(ctx, tx, integrationID, reason, d.now()); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// EnqueueAllActive asks for a sync of every active integration (the
// reconcile interval) and returns how many it asked for.
func (d *DB) EnqueueAllActive(ctx context.Context, reason string) (int, error) {
	n := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []string
		if err := tx.SelectContext(ctx, &ids, d.q(`SELECT id FROM secret_integrations WHERE is_active = ?`), true); err != nil {
			return fmt.Errorf("db: active integrations: %w", err)
		}
		now := d.now()
		for _, id := range ids {
			if err := d.enqueue(ctx, tx, id, reason, now); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// SyncJob is a claimed job: the integration to sync and the token that
// proves the claim when the result is written.
type SyncJob struct {
	IntegrationID string `db:"integration_id"`
	Reason        string `db:"reason"`
	Attempts      int    `db:"attempts"`
	ClaimToken    string `db:"claim_token"`
}

// ClaimSyncJob takes the next due job (queued and due, or running with an
// expired lease: its instance died) for lease, or returns nil. The claim is
// one guarded UPDATE … RETURNING: on PostgreSQL the candidate row is locked
// with FOR UPDATE SKIP LOCKED and the state is checked again in the UPDATE,
// so two instances can never both claim one job; SQLite serialises writers.
func (d *DB) ClaimSyncJob(ctx context.Context, lease time.Duration) (*SyncJob, error) {
	now := d.now()
	token := uuid.NewString()
	due := `((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?))`
	pick := `SELECT integration_id FROM sync_jobs WHERE ` + due + ` ORDER BY run_after, integration_id LIMIT 1`
	if d.dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	var jobs []SyncJob
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &jobs, d.q(`UPDATE sync_jobs SET state = 'running', again = ?, attempts = attempts + 1,
			lease_until = ?, claim_token = ?, updated_at = ?
			WHERE integration_id = (`+pick+`) AND `+due+`
			RETURNING integration_id, reason, attempts, claim_token`),
			false, now.Add(lease), token, now, now, now, now, now)
	})
	if err != nil {
		return nil, fmt.Errorf("db: claim sync job: %w", err)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	return &jobs[0], nil
}

// SyncOutcome is the result of one run, written with FinishSyncJob.
type SyncOutcome struct {
	OK      bool
	Message string
	// ManagedKeys is the JSON list of target keys the syncs now manage.
	ManagedKeys string
	// RetryAt, when set on a failure, queues the job again for then.
	RetryAt *time.Time
	Audit   *AuditEvent
}

// FinishSyncJob records a run's result on the integration and settles its
// job: idle after a success (or queued again when a change came in during
// the run), queued for RetryAt after a failure. It reports false, writing
// nothing, when the claim was lost (the lease expired and another instance
// took the job).
func (d *DB) FinishSyncJob(ctx context.Context, job *SyncJob, out SyncOutcome) (bool, error) {
	now := d.now()
	kept := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var again []bool
		if err := tx.SelectContext(ctx, &again, d.q(`SELECT again FROM sync_jobs WHERE integration_id = ? AND claim_token = ? AND state = 'running'`), job.IntegrationID, job.ClaimToken); err != nil {
			return fmt.Errorf("db: read sync job: %w", err)
		}
		if len(again) == 0 {
			return nil
		}
		kept = true
		state, runAfter, attempts := "idle", now, "0"
		switch {
		case !out.OK && out.RetryAt != nil:
			state, runAfter, attempts = "queued", ts(*out.RetryAt), "attempts"
		case again[0]:
			state = "queued"
		}
		_, err := tx.ExecContext(ctx, d.q(`UPDATE sync_jobs SET state = ?, run_after = ?, attempts = `+attempts+`, again = ?, lease_until = NULL, claim_token = '', updated_at = ?
			WHERE integration_id = ?`), state, runAfter, false, now, job.IntegrationID)
		if err != nil {
			return fmt.Errorf("db: settle sync job: %w", err)
		}
		managed := `managed_keys`
		args := []any{out.OK, out.Message, now}
		if out.ManagedKeys != "" {
			managed = `?`
			args = append(args, out.ManagedKeys)
		}
		args = append(args, out.OK || out.ManagedKeys != "", job.IntegrationID)
		_, err = tx.ExecContext(ctx, d.q(`UPDATE secret_integrations SET is_synced = ?, sync_message = ?, last_used = ?, managed_keys = `+managed+`,
			synced_once = (synced_once OR ?) WHERE id = ?`), args...)
		if err != nil {
			return fmt.Errorf("db: record sync result: %w", err)
		}
		return d.insertAudit(ctx, tx, out.Audit)
	})
	return kept, err
}

// SyncJobState returns a job's state and attempts, for pages and tests.
func (d *DB) SyncJobState(ctx context.Context, integrationID string) (state string, attempts int, runAfter time.Time, err error) {
	var row struct {
		State    string    `db:"state"`
		Attempts int       `db:"attempts"`
		RunAfter time.Time `db:"run_after"`
	}
	if err := d.x.GetContext(ctx, &row, d.q(`SELECT state, attempts, run_after FROM sync_jobs WHERE integration_id = ?`), integrationID); err != nil {
		return "", 0, time.Time{}, fmt.Errorf("db: sync job state: %w", mapErr(err))
	}
	return row.State, row.Attempts, row.RunAfter, nil
}
