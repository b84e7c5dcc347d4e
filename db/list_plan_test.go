package db_test

import (
	"context"
	"strings"
	"testing"

	"switchboard/db"
	"switchboard/db/dbtest"
)

// TestList_SQLitePlanKeepsOrder: with the tables analyzed (one team, many
// integrations), a team and status filter on SQLite reads the first page
// in index order; it sorted every match when SQLite put the one-row teams
// table outside the loop (93 ms a page over 100,000 rows).
func TestList_SQLitePlanKeepsOrder(t *testing.T) {
	ctx := context.Background()
	store := dbtest.MustOpenDB(t, db.SQLite)
	x := store.SQLX()
	x.MustExec(`INSERT INTO teams (id, slug, name, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'plan', 'Plan', '2026-01-01 00:00:00+00:00')`)
	x.MustExec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
		INSERT INTO integrations (id, team_id, provider, name, status, attrs, created_at, updated_at)
		SELECT printf('00000000-0000-4000-8000-%012d', i), '00000000-0000-4000-8000-000000000001', '1password', 'plan-' || i,
			CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END, '{}',
			strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '-' || i || ' minutes') || '+00:00',
			strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '-' || i || ' minutes') || '+00:00' FROM n`)
	x.MustExec(`ANALYZE`)
	q, args, err := db.ListQueryForTest(store, db.IntegrationFilter{TeamIDs: []string{"00000000-0000-4000-8000-000000000001"}, Statuses: []string{"disabled"}, Limit: 51})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
		if parent == 0 && strings.Contains(detail, "TEMP B-TREE FOR ORDER BY") {
			defer t.Errorf("the filtered list sorts its matches; plan:\n%s", strings.Join(plan, "\n"))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) == 0 {
		t.Fatal("no plan")
	}
}
