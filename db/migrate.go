package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

var errNoRows = sql.ErrNoRows

//go:embed migrations
var migrations embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the dialect's migrations in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("db: migration %s: name must start with a number and _", name)
		}
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction, and returns how many it applied. Concurrent starts
// on PostgreSQL serialise on an advisory lock.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations(d.dialect)
	if err != nil {
		return 0, err
	}
	conn, err := d.x.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.Close()
	if d.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
			return 0, fmt.Errorf("db: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(727274)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("db: migrate: create version table: %w", err)
	}
	applied := 0
	for _, m := range ms {
		var n int
		if err := conn.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version); err != nil {
			return applied, fmt.Errorf("db: migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		if err := applyMigration(ctx, conn, d, m); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, d *DB, m Migration) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: migrate %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("db: migrate %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.Version, m.Name, d.now().Format("2006-01-02T15:04:05.000000Z")); err != nil {
		return fmt.Errorf("db: migrate %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: migrate %s: commit: %w", m.Name, err)
	}
	return nil
}
