// Package dbtest opens real, migrated, throwaway stores for tests: a SQLite
// file in the test's temp folder and, when one answers, a fresh schema in a
// PostgreSQL database. With SWITCHBOARD_REQUIRE_POSTGRES=1 (CI sets it) a
// missing PostgreSQL fails the test instead of skipping it.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq" // the PostgreSQL driver for the schema setup
	"switchboard/db"
	"switchboard/secrets"
)

// DefaultPostgresURL is tried when SWITCHBOARD_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists the dialects a store test runs on.
var Dialects = []db.Dialect{db.SQLite, db.Postgres}

var (
	pgOnce sync.Once
	pgErr  error
)

// PostgresURL returns the base URL of the test PostgreSQL server.
func PostgresURL() string {
	if u := os.Getenv("SWITCHBOARD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

func postgresAvailable() error {
	pgOnce.Do(func() {
		conn, err := sql.Open("postgres", PostgresURL()+"&connect_timeout=3")
		if err != nil {
			pgErr = err
			return
		}
		defer conn.Close()
		pgErr = conn.Ping()
	})
	return pgErr
}

// URL returns a database URL of dialect d private to tb, skipping (or, when
// required, failing) tb if PostgreSQL is not reachable.
func URL(tb testing.TB, d db.Dialect) string {
	tb.Helper()
	switch d {
	case db.SQLite:
		return "sqlite:" + filepath.Join(tb.TempDir(), "switchboard.db")
	case db.Postgres:
		if err := postgresAvailable(); err != nil {
			msg := fmt.Sprintf("PostgreSQL at %s not reachable: %v", redact(PostgresURL()), err)
			if os.Getenv("SWITCHBOARD_REQUIRE_POSTGRES") != "" {
				tb.Fatal(msg + " (SWITCHBOARD_REQUIRE_POSTGRES is set)")
			}
			tb.Skip(msg + "; set SWITCHBOARD_TEST_POSTGRES_URL to run the PostgreSQL suite")
		}
		schema := "t_" + strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(secrets.RandomID(9)))
		conn, err := sql.Open("postgres", PostgresURL())
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := conn.Exec(`CREATE SCHEMA ` + schema); err != nil {
			conn.Close()
			tb.Fatalf("create schema: %v", err)
		}
		tb.Cleanup(func() {
			conn.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			conn.Close()
		})
		u, err := url.Parse(PostgresURL())
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	tb.Fatalf("unknown dialect %q", d)
	return ""
}

// MustOpenDB opens and migrates a private store of dialect d, closed when tb ends.
func MustOpenDB(tb testing.TB, d db.Dialect) *db.DB {
	tb.Helper()
	store, err := db.Open(context.Background(), URL(tb, d))
	if err != nil {
		tb.Fatalf("open %s: %v", d, err)
	}
	tb.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", d, err)
	}
	return store
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// PasswordURL returns the URL of a PostgreSQL role that must give its
// password (SWITCHBOARD_TEST_PG_PASSWORD_URL, set by .ci/run from a
// throwaway scram-sha-256 cluster), for tests of real password refusals.
// Without it the test skips, or fails when SWITCHBOARD_REQUIRE_POSTGRES is set.
func PasswordURL(tb testing.TB) *url.URL {
	tb.Helper()
	raw := os.Getenv("SWITCHBOARD_TEST_PG_PASSWORD_URL")
	if raw == "" {
		msg := "SWITCHBOARD_TEST_PG_PASSWORD_URL is not set (run the tests through .ci/run with-postgres to get a password-checking PostgreSQL)"
		if os.Getenv("SWITCHBOARD_REQUIRE_POSTGRES") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		tb.Fatalf("SWITCHBOARD_TEST_PG_PASSWORD_URL is not a postgres URL with a user and password")
	}
	return u
}
