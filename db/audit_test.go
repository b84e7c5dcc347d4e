package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"switchboard/db"
)

// TestDB_ListAudit checks the store's audit filters on both dialects: the
// scope, prefixes and substrings holding LIKE's wildcards, and EachAudit's
// keyset batches over rows sharing a timestamp.
func TestDB_ListAudit(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		var rows []db.AuditEvent
		for i := range 1100 {
			e := db.AuditEvent{At: at.Add(time.Duration(i%3) * time.Second), ActorType: "user", ActorID: f.user.ID, ActorLabel: "ann_x@example.com", Action: "user.sign_in_failed"}
			switch i % 4 {
			case 0:
				e.TeamID, e.Action, e.ActorLabel = &f.team.ID, "integration.create", "annax@example.com"
			case 1:
				e.Action = "user.signXin"
			case 2:
				e.Action = "user.sign_in"
			}
			rows = append(rows, e)
		}
		if err := s.InsertAuditEvents(ctx, rows); err != nil {
			t.Fatal(err)
		}
		count := func(f db.AuditFilter) int {
			t.Helper()
			n, seen := 0, map[string]bool{}
			if err := s.EachAudit(ctx, f, func(e db.AuditEvent) error {
				if seen[e.ID] {
					t.Fatalf("EachAudit: %s twice", e.ID)
				}
				seen[e.ID], n = true, n+1
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name string
			f    db.AuditFilter
			want int
		}{
			{"everything, batches of 7", db.AuditFilter{Limit: 7}, 1100},
			{"scoped to no team", db.AuditFilter{Scoped: true}, 0},
			{"scoped to an unknown team", db.AuditFilter{Scoped: true, TeamIDs: []string{uuid.NewString()}}, 0},
			{"scoped to the team", db.AuditFilter{Scoped: true, TeamIDs: []string{f.team.ID}}, 275},
			{"scoped with own sign-ins", db.AuditFilter{Scoped: true, TeamIDs: []string{f.team.ID}, SelfID: f.user.ID}, 550},
			{"prefix with _", db.AuditFilter{ActionPrefix: "user.sign_in"}, 550},
			{"prefix", db.AuditFilter{ActionPrefix: "user."}, 825},
			{"label with _ is not a wildcard", db.AuditFilter{ActorLike: "ANN_X"}, 825},
			{"actor id", db.AuditFilter{ActorID: f.user.ID, Action: "user.signXin"}, 275},
			{"time range", db.AuditFilter{From: ptr(at.Add(time.Second)), To: ptr(at.Add(2 * time.Second))}, 367},
		} {
			if got := count(tc.f); got != tc.want {
				t.Errorf("%s: %d rows, want %d", tc.name, got, tc.want)
			}
		}
		// The cap is a page and its look-ahead row.
		page, err := s.ListAudit(ctx, db.AuditFilter{Limit: 1000})
		if err != nil || len(page) != db.MaxAuditLimit+1 {
			t.Errorf("ListAudit limit 1000: %d rows, %v; want %d", len(page), err, db.MaxAuditLimit+1)
		}
	})
}
