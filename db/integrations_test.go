package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"switchboard/db"
)

// TestDB_CreateIntegration_OneStatement: a JSON create (no reveal, no
// unique key) writes the integration and its audit row together or not at
// all: a taken id is a conflict with no audit row, and an audit row that
// cannot be written leaves no integration.
func TestDB_CreateIntegration_OneStatement(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		count := func(q string, args ...any) int {
			var n int
			if err := s.SQLX().Get(&n, s.SQLX().Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
			return n
		}
		in := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "1password", Name: "op", Status: "active", SecretCiphertext: []byte{0, 1, 2, 0xff}}
		audit := &db.AuditEvent{ActorType: "token", Action: "integration.create", TargetType: "integration", TargetID: in.ID, TeamID: &f.team.ID}
		if err := s.CreateIntegration(ctx, in, nil, audit); err != nil {
			t.Fatal(err)
		}
		got, err := s.IntegrationByID(ctx, in.ID)
		if err != nil || string(got.SecretCiphertext) != string(in.SecretCiphertext) || got.TeamName != "Payments" {
			t.Fatalf("IntegrationByID = %+v, %v; want the row with its sealed bytes", got, err)
		}
		if n := count(`SELECT COUNT(*) FROM audit_events WHERE target_id = ? AND action = 'integration.create'`, in.ID); n != 1 {
			t.Errorf("audit rows of the create = %d, want 1", n)
		}

		// On PostgreSQL the statement is prepared once and reused: a
		// second create of the same shape adds no statement to the cache.
		second := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "1password", Name: "op-2", Status: "active", SecretCiphertext: []byte{3}}
		if err := s.CreateIntegration(ctx, second, nil, &db.AuditEvent{ActorType: "token", Action: "integration.create", TargetType: "integration", TargetID: second.ID, TeamID: &f.team.ID}); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM integrations WHERE id IN (?, ?)`, in.ID, second.ID); n != 2 {
			t.Errorf("integrations written by two creates = %d, want 2", n)
		}
		if want := map[db.Dialect]int{db.Postgres: 1, db.SQLite: 0}[s.Dialect()]; db.PreparedStatements(s) != want {
			t.Errorf("prepared statements after two creates = %d, want %d", db.PreparedStatements(s), want)
		}

		again := *in
		err = s.CreateIntegration(ctx, &again, nil, &db.AuditEvent{ActorType: "token", Action: "integration.create", TargetType: "integration", TargetID: "dup-" + in.ID})
		if !errors.Is(err, db.ErrConflict) {
			t.Errorf("a taken id: err = %v, want ErrConflict", err)
		}
		if n := count(`SELECT COUNT(*) FROM audit_events WHERE target_id = ?`, "dup-"+in.ID); n != 0 {
			t.Errorf("a refused create left %d audit rows, want 0", n)
		}

		if s.Dialect() == db.Postgres {
			// details is jsonb on PostgreSQL: text that is not JSON fails
			// the audit term, and with it the whole statement.
			bad := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "1password", Name: "op2", Status: "active"}
			if err := s.CreateIntegration(ctx, bad, nil, &db.AuditEvent{ActorType: "token", Action: "integration.create", Details: "not json"}); err == nil {
				t.Fatal("create with an unwritable audit row succeeded")
			}
			if n := count(`SELECT COUNT(*) FROM integrations WHERE id = ?`, bad.ID); n != 0 {
				t.Errorf("an integration was written without its audit row")
			}
		}
	})
}

// TestDB_CreateIntegration_QueuesWebhooks: every way an audit event is
// written queues its webhook deliveries, the one-statement create on
// PostgreSQL included (it writes the audit rows as CTE terms).
func TestDB_CreateIntegration_QueuesWebhooks(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		x := s.SQLX()
		hook := uuid.NewString()
		now := time.Now().UTC()
		if _, err := x.ExecContext(ctx, x.Rebind(`INSERT INTO webhook_endpoints (id, team_id, url, events_mode, events, secret_key_id, secret_ciphertext, created_at, updated_at)
			VALUES (?, ?, 'https://hooks.example.com/in', 'prefix', 'integration.', 'k', ?, ?, ?)`), hook, f.team.ID, []byte{1}, now, now); err != nil {
			t.Fatal(err)
		}
		in := &db.Integration{ID: uuid.NewString(), TeamID: f.team.ID, Provider: "1password", Name: "op", Status: "active"}
		audit := &db.AuditEvent{ActorType: "token", Action: "integration.create", TargetType: "integration", TargetID: in.ID, TeamID: &f.team.ID}
		if err := s.CreateIntegration(ctx, in, nil, audit); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordAudit(ctx, &db.AuditEvent{ActorType: "user", Action: "token.create", TeamID: &f.team.ID}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := x.GetContext(ctx, &n, x.Rebind(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ? AND event_id = ?`), hook, audit.ID); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("deliveries queued for the create = %d, want 1", n)
		}
		if err := x.GetContext(ctx, &n, x.Rebind(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`), hook); err != nil || n != 1 {
			t.Errorf("deliveries in all = %d, %v; want 1 (token.create is not under the integration. prefix)", n, err)
		}
	})
}
