// Package db is Switchboard's store: sqlx over PostgreSQL (lib/pq) or the
// embedded pure-Go SQLite (modernc.org/sqlite). SQL lives here as literal
// strings written with ? placeholders and rebound per dialect; the package
// knows tables and rows, nothing of providers or HTTP.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when a row does not exist (or is not visible).
var ErrNotFound = errors.New("db: not found")

// ErrConflict is returned when a write breaks a uniqueness rule.
var ErrConflict = errors.New("db: conflict")

// Dialect names the SQL dialect of a store.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

func init() {
	// sqlx knows modernc's driver name only as "sqlite3"; teach it ours.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// DB is the store. It is safe for concurrent use.
type DB struct {
	x       *sqlx.DB
	dialect Dialect
	// Now is the store's clock, replaceable in tests.
	Now func() time.Time
	// stmts holds the hot read paths' prepared statements (stmtcache.go).
	stmts stmtCache
	// changes counts committed writes (changes.go).
	changes changes
	// dsn is lib/pq's, for the changes listener (PostgreSQL).
	dsn string
}

// ParseURL checks a database URL and returns its dialect and the driver's DSN.
// Accepted: postgres://… or postgresql://… (lib/pq) and sqlite:PATH
// (sqlite::memory: for a private in-memory database).
func ParseURL(raw string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("not a valid URL")
		}
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			// lib/pq waits forever on an unreachable server without it.
			q.Set("connect_timeout", "5")
		}
		if q.Get("statement_timeout") == "" && !strings.Contains(q.Get("options"), "statement_timeout") {
			// A statement still running after 30 s is cancelled by the
			// server, whatever the client does (a request's own deadline,
			// 20 s, usually ends it first).
			q.Set("statement_timeout", "30s")
		}
		if q.Get("plan_cache_mode") == "" && !strings.Contains(q.Get("options"), "plan_cache_mode") {
			// The statements the store prepares (stmtcache.go) have
			// one fixed shape each, and PostgreSQL otherwise plans a
			// custom plan at every execution: the integrations list's
			// planning took 1.25 ms of its 1.6 ms. A generic plan is
			// planned once per connection (measured: bind 0.075 ms,
			// execution unchanged). Unprepared statements are planned
			// each time either way. Needs PostgreSQL 12 or later.
			q.Set("plan_cache_mode", "force_generic_plan")
		}
		if q.Get("binary_parameters") == "" {
			// One round trip per statement with parameters instead of
			// two: lib/pq otherwise parses and describes the statement
			// first, then binds and runs it. []byte arguments go in
			// binary, which every []byte the store passes is (bytea).
			q.Set("binary_parameters", "yes")
		}
		u.RawQuery = q.Encode()
		return Postgres, u.String(), nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return "", "", fmt.Errorf("sqlite URL has no path (want sqlite:PATH)")
		}
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		params := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
		if path == ":memory:" {
			return SQLite, "file::memory:?" + params, nil
		}
		return SQLite, "file:" + path + "?_pragma=journal_mode(WAL)&" + params, nil
	default:
		scheme := raw
		if i := strings.Index(raw, ":"); i >= 0 {
			scheme = raw[:i]
		}
		return "", "", fmt.Errorf("unknown scheme %q (want postgres:// or sqlite:PATH)", scheme)
	}
}

// Open connects to the database at rawURL and checks that it answers. It does
// not migrate; call Migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	dialect, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var x *sqlx.DB
	switch dialect {
	case Postgres:
		pc, err := pq.NewConnector(dsn)
		if err != nil {
			return nil, fmt.Errorf("db: %w", err)
		}
		pc.Dialer(socketDialer{})
		x = openGuarded(pc, "postgres")
		x.SetMaxOpenConns(20)
		// As many idle as open: under load a pool that may keep fewer
		// closes connections only to open new ones, each a new backend
		// whose first queries plan with a cold catalog cache (tens of ms).
		x.SetMaxIdleConns(20)
		x.SetConnMaxIdleTime(5 * time.Minute)
		x.SetConnMaxLifetime(time.Hour)
	case SQLite:
		if path := sqlitePath(rawURL); path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return nil, fmt.Errorf("db: create folder for %s: %w", path, err)
			}
		}
		x = openGuarded(dsnConnector{drv: &sqlite.Driver{}, dsn: dsn}, "sqlite")
		x.SetMaxOpenConns(8)
		// As many idle as open (as on PostgreSQL): database/sql keeps two
		// by default, so under load it closed connections only to open new
		// ones, each running its PRAGMAs and preparing its statements again
		// (a fifth of a list page's CPU at 4 connections).
		x.SetMaxIdleConns(8)
		if strings.Contains(dsn, ":memory:") {
			// Each connection to :memory: is its own database.
			x.SetMaxOpenConns(1)
		}
	}
	d := &DB{x: x, dialect: dialect, dsn: dsn, Now: func() time.Time { return time.Now() }}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	return d, nil
}

// openGuarded opens a pool whose connections refuse unstorable text in any
// query argument (see ErrInvalidText) and end operations whose context ends
// even when the server stopped answering (see watcher).
func openGuarded(c driver.Connector, name string) *sqlx.DB {
	return sqlx.NewDb(sql.OpenDB(guardedConnector{inner: c}), name)
}

func sqlitePath(rawURL string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Close closes the connection pool.
func (d *DB) Close() error { return errors.Join(d.closeWatch(), d.x.Close()) }

// Dialect returns the store's SQL dialect.
func (d *DB) Dialect() Dialect { return d.dialect }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.x.PingContext(ctx) }

// Ready checks that the database answers a query on the schema (for
// /readyz): a server that takes connections but cannot read its tables
// (locked, out of space for its snapshot) is not ready.
func (d *DB) Ready(ctx context.Context) error {
	var n int
	if err := d.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE version = 1`); err != nil {
		return fmt.Errorf("db: ready: %w", err)
	}
	return nil
}

// now returns the store clock in UTC at microsecond precision, the precision
// PostgreSQL keeps, so a time written and read back compares equal. SQLite
// stores it as text that sorts in time order because it is always UTC.
func (d *DB) now() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }

// ts normalises a caller-supplied time the same way.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// q rebinds a ?-placeholder query to the dialect.
func (d *DB) q(query string) string { return d.x.Rebind(query) }

// inTx runs fn in a transaction, committing when it returns nil.
func (d *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	defer d.changed() // after the commit (or the rollback) returns
	tx, err := d.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", mapErr(err))
	}
	return nil
}

// mapErr turns a uniqueness violation into ErrConflict (wrapping the cause)
// and sql.ErrNoRows into ErrNotFound.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrConflict, pe.Constraint)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	if errors.Is(err, errNoRows) {
		return ErrNotFound
	}
	return err
}

// SQLX returns the underlying pool, for tests and maintenance tools that
// inspect the database as a whole (the secret scans dump every table).
func (d *DB) SQLX() *sqlx.DB { return d.x }

// Tables lists the application's tables.
func (d *DB) Tables() []string {
	return []string{"users", "teams", "team_members", "nodes", "api_tokens", "integrations", "reveals", "audit_events", "settings", "rate_limits", "password_tokens", "user_sessions", "user_totp", "recovery_codes", "schema_migrations",
		"sign_in_throttle", "secret_environments", "secret_folders", "team_secrets", "integration_auths", "secret_integrations", "sync_jobs", "idempotency_keys",
		"key_events", "key_verifications", "webhook_endpoints", "webhook_deliveries"}
}
