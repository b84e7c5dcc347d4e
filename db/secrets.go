package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Environment is one environment of a team's secrets (dev, staging, prod…).
type Environment struct {
	ID        string    `db:"id"`
	TeamID    string    `db:"team_id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	Position  int       `db:"position"`
	CreatedAt time.Time `db:"created_at"`
}

// Folder is one folder path of an environment; "/" always exists.
type Folder struct {
	ID        string    `db:"id"`
	EnvID     string    `db:"env_id"`
	Path      string    `db:"path"`
	CreatedAt time.Time `db:"created_at"`
}

// TeamSecret is one secret of a team: its value sealed under the keyring
// with the row id as additional data, never stored or returned in clear.
type TeamSecret struct {
	ID              string    `db:"id"`
	TeamID          string    `db:"team_id"`
	EnvID           string    `db:"env_id"`
	Path            string    `db:"path"`
	Key             string    `db:"key"`
	Comment         string    `db:"comment"`
	ValueKeyID      string    `db:"value_key_id"`
	ValueCiphertext []byte    `db:"value_ciphertext"`
	Version         int       `db:"version"`
	UpdatedBy       string    `db:"updated_by"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
}

// DefaultEnvironments are the environments every team starts with (the
// same three migration 007 gives the teams that existed before it).
var DefaultEnvironments = []Environment{
	{Slug: "dev", Name: "Development", Position: 1},
	{Slug: "staging", Name: "Staging", Position: 2},
	{Slug: "prod", Name: "Production", Position: 3},
}

// insertDefaultEnvironments gives a new team its environments and their root folders.
func (d *DB) insertDefaultEnvironments(ctx context.Context, tx *sqlx.Tx, teamID string, now time.Time) error {
	for _, e := range DefaultEnvironments {
		e.ID, e.TeamID, e.CreatedAt = uuid.NewString(), teamID, now
		if err := d.insertEnvironment(ctx, tx, &e); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) insertEnvironment(ctx context.Context, tx *sqlx.Tx, e *Environment) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO secret_environments (id, team_id, slug, name, position, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		e.ID, e.TeamID, e.Slug, e.Name, e.Position, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: insert environment: %w", mapErr(err))
	}
	_, err = tx.ExecContext(ctx, d.q(`INSERT INTO secret_folders (id, env_id, path, created_at) VALUES (?, ?, '/', ?)`), uuid.NewString(), e.ID, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: insert root folder: %w", mapErr(err))
	}
	return nil
}

// CreateEnvironment adds an environment (with its root folder); ErrConflict
// when the slug is taken in the team.
func (d *DB) CreateEnvironment(ctx context.Context, e *Environment, audit *AuditEvent) error {
	e.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if e.Position == 0 {
			if err := tx.GetContext(ctx, &e.Position, d.q(`SELECT COALESCE(MAX(position), 0) + 1 FROM secret_environments WHERE team_id = ?`), e.TeamID); err != nil {
				return fmt.Errorf("db: next environment position: %w", err)
			}
		}
		if err := d.insertEnvironment(ctx, tx, e); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// UpdateEnvironment renames an environment (slug and name); ErrConflict when
// the slug is taken, ErrNotFound when it is gone.
func (d *DB) UpdateEnvironment(ctx context.Context, e *Environment, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE secret_environments SET slug = ?, name = ? WHERE id = ?`), e.Slug, e.Name, e.ID)
		if err != nil {
			return fmt.Errorf("db: update environment: %w", mapErr(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// DeleteEnvironment removes an environment with its folders, secrets and
// the integrations that sync from it.
func (d *DB) DeleteEnvironment(ctx context.Context, id string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM secret_environments WHERE id = ?`), id)
		if err != nil {
			return fmt.Errorf("db: delete environment: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// Environments lists a team's environments in their order.
func (d *DB) Environments(ctx context.Context, teamID string) ([]Environment, error) {
	var out []Environment
	err := d.x.SelectContext(ctx, &out, d.q(`SELECT id, team_id, slug, name, position, created_at FROM secret_environments WHERE team_id = ? ORDER BY position, slug`), teamID)
	if err != nil {
		return nil, fmt.Errorf("db: list environments: %w", err)
	}
	return out, nil
}

// EnvironmentBySlug returns a team's environment.
func (d *DB) EnvironmentBySlug(ctx context.Context, teamID, slug string) (*Environment, error) {
	var e Environment
	err := d.x.GetContext(ctx, &e, d.q(`SELECT id, team_id, slug, name, position, created_at FROM secret_environments WHERE team_id = ? AND slug = ?`), teamID, slug)
	if err != nil {
		return nil, fmt.Errorf("db: environment by slug: %w", mapErr(err))
	}
	return &e, nil
}

// EnvironmentByID returns an environment.
func (d *DB) EnvironmentByID(ctx context.Context, id string) (*Environment, error) {
	var e Environment
	err := d.x.GetContext(ctx, &e, d.q(`SELECT id, team_id, slug, name, position, created_at FROM secret_environments WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("db: environment by id: %w", mapErr(err))
	}
	return &e, nil
}

// CreateFolder adds a folder path; ErrConflict when it exists.
func (d *DB) CreateFolder(ctx context.Context, f *Folder, audit *AuditEvent) error {
	f.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO secret_folders (id, env_id, path, created_at) VALUES (?, ?, ?, ?)`), f.ID, f.EnvID, f.Path, f.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: insert folder: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// Folders lists an environment's folders by path.
func (d *DB) Folders(ctx context.Context, envID string) ([]Folder, error) {
	var out []Folder
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT id, env_id, path, created_at FROM secret_folders WHERE env_id = ? ORDER BY path`), envID); err != nil {
		return nil, fmt.Errorf("db: list folders: %w", err)
	}
	return out, nil
}

// FolderExists reports whether path is a folder of the environment.
func (d *DB) FolderExists(ctx context.Context, envID, path string) (bool, error) {
	var n int
	if err := d.x.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM secret_folders WHERE env_id = ? AND path = ?`), envID, path); err != nil {
		return false, fmt.Errorf("db: folder exists: %w", err)
	}
	return n > 0, nil
}

const secretCols = `id, team_id, env_id, path, key, comment, value_key_id, value_ciphertext, version, updated_by, created_at, updated_at`

// Secrets lists the secrets of one folder by key.
func (d *DB) Secrets(ctx context.Context, envID, path string) ([]TeamSecret, error) {
	var out []TeamSecret
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT `+secretCols+` FROM team_secrets WHERE env_id = ? AND path = ? ORDER BY key`), envID, path); err != nil {
		return nil, fmt.Errorf("db: list secrets: %w", err)
	}
	return out, nil
}

// SecretByKey returns one secret of a folder.
func (d *DB) SecretByKey(ctx context.Context, envID, path, key string) (*TeamSecret, error) {
	var s TeamSecret
	if err := d.x.GetContext(ctx, &s, d.q(`SELECT `+secretCols+` FROM team_secrets WHERE env_id = ? AND path = ? AND key = ?`), envID, path, key); err != nil {
		return nil, fmt.Errorf("db: secret by key: %w", mapErr(err))
	}
	return &s, nil
}

// SecretChanges is one all-or-nothing write to a folder's secrets.
type SecretChanges struct {
	EnvID, Path string
	// Create are new rows (ErrConflict when a key exists).
	Create []TeamSecret
	// Update are rows to overwrite: value, comment and version are written
	// where the stored version is still Version-1 (ErrConflict otherwise,
	// so two concurrent edits cannot both win silently).
	Update []TeamSecret
	// Delete are keys to remove (ErrNotFound when one is missing).
	Delete []string
	Audit  []*AuditEvent
}

// ApplySecretChanges writes the changes, their audit rows and a sync job for
// every active integration that syncs the folder, in one transaction.
func (d *DB) ApplySecretChanges(ctx context.Context, ch *SecretChanges) error {
	now := d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		for i := range ch.Create {
			s := &ch.Create[i]
			s.CreatedAt, s.UpdatedAt = now, now
			_, err := tx.ExecContext(ctx, d.q(`INSERT INTO team_secrets (`+secretCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				s.ID, s.TeamID, ch.EnvID, ch.Path, s.Key, s.Comment, s.ValueKeyID, s.ValueCiphertext, s.Version, s.UpdatedBy, now, now)
			if err != nil {
				return fmt.Errorf("db: insert secret: %w", mapErr(err))
			}
		}
		for i := range ch.Update {
			s := &ch.Update[i]
			s.UpdatedAt = now
			res, err := tx.ExecContext(ctx, d.q(`UPDATE team_secrets SET comment = ?, value_key_id = ?, value_ciphertext = ?, version = ?, updated_by = ?, updated_at = ?
				WHERE id = ? AND version = ?`), s.Comment, s.ValueKeyID, s.ValueCiphertext, s.Version, s.UpdatedBy, now, s.ID, s.Version-1)
			if err != nil {
				return fmt.Errorf("db: update secret: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("db: update secret %s: %w", s.Key, ErrConflict)
			}
		}
		for _, key := range ch.Delete {
			res, err := tx.ExecContext(ctx, d.q(`DELETE FROM team_secrets WHERE env_id = ? AND path = ? AND key = ?`), ch.EnvID, ch.Path, key)
			if err != nil {
				return fmt.Errorf("db: delete secret: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
		for _, a := range ch.Audit {
			if err := d.insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		return d.enqueueForSource(ctx, tx, ch.EnvID, ch.Path, "secret change", now)
	})
}
