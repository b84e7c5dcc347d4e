package handlers

import (
	"testing"

	"switchboard/access"
)

// TestAuditRow_ActorOnce: the audit page shows an actor's type once, in
// front of its label; a token's label ("token <name>") is not shown as
// "token token <name>".
func TestAuditRow_ActorOnce(t *testing.T) {
	for _, tc := range []struct {
		typ, label, id, want string
	}{
		{"token", "token deploy-bot", "t1", "deploy-bot"},
		{"user", "ada@example.com", "u1", "ada@example.com"},
		{"user", "", "u2", "u2"},
		{"token", "token", "t2", "token"},                                  // nothing after the prefix: kept
		{"user", "user-admin@example.com", "u3", "user-admin@example.com"}, // no space: not a prefix
	} {
		r := auditRow(access.AuditEvent{ActorType: tc.typ, ActorLabel: tc.label, ActorID: tc.id, Details: "{}"}, nil, nil, true)
		if r.Actor != tc.want || r.ActorType != tc.typ {
			t.Errorf("%s %q: shown %s %q, want %s %q", tc.typ, tc.label, r.ActorType, r.Actor, tc.typ, tc.want)
		}
	}
}
