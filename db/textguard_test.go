package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"switchboard/db"
)

// TestDB_RefusesUnstorableText: a NUL or non-UTF-8 argument is refused with
// ErrInvalidText on both dialects (PostgreSQL would answer "invalid byte
// sequence", SQLite would store it) and nothing is written; binary
// arguments may hold any byte.
func TestDB_RefusesUnstorableText(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		for _, name := range []string{"bad\x00name", "bad\xffname"} {
			id := uuid.NewString()
			err := s.CreateTeam(ctx, &db.Team{ID: id, Slug: "t" + id[:8], Name: name}, nil)
			if !errors.Is(err, db.ErrInvalidText) {
				t.Errorf("CreateTeam(name %q) = %v, want ErrInvalidText", name, err)
			}
			if _, err := s.TeamByID(ctx, id); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("after the refused create, TeamByID = %v, want ErrNotFound (nothing written)", err)
			}
		}
		if _, err := s.TeamBySlug(ctx, "x\x00"); !errors.Is(err, db.ErrInvalidText) {
			t.Errorf("TeamBySlug with a NUL = %v, want ErrInvalidText", err)
		}
		// A []byte argument is binary: NUL and 0xff bytes pass.
		q := `SELECT length(CAST(? AS BLOB))`
		if s.Dialect() == db.Postgres {
			q = `SELECT length(CAST(? AS bytea))`
		}
		var n int
		if err := s.SQLX().GetContext(ctx, &n, s.SQLX().Rebind(q), []byte{0, 0xff, 1}); err != nil || n != 3 {
			t.Errorf("binary argument: length %d, err %v; want 3, nil", n, err)
		}
	})
}
