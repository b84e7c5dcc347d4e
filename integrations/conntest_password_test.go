package integrations_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/netguard"
)

// TestPostgresConnection_Password runs "Test connection" against a
// PostgreSQL that checks passwords (a throwaway scram-sha-256 cluster from
// .ci/run): the right password connects; a wrong one gets PostgreSQL's own
// refusal, and no message carries either password.
func TestPostgresConnection_Password(t *testing.T) {
	u := dbtest.PasswordURL(t)
	good, _ := u.User.Password()
	port, _ := strconv.Atoi(u.Port())
	svc := integrations.New(nil, nil, quiet)
	svc.Guard = netguard.Guard{AllowPrivate: true}
	creds := func(pw string) map[string]any {
		return map[string]any{"host": u.Hostname(), "port": float64(port), "database": strings.TrimPrefix(u.Path, "/"),
			"username": u.User.Username(), "password": pw, "sslEnabled": false}
	}
	admin := sb.Actor{Role: sb.RoleAdmin, UserID: "u"}
	summary, err := svc.TestAppCredentials(context.Background(), admin, "postgres", "username-and-password", creds(good), "")
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	if strings.Contains(summary, good) {
		t.Errorf("summary %q carries the password", summary)
	}
	const wrong = "wrong-password-canary-91c2"
	_, err = svc.TestAppCredentials(context.Background(), admin, "postgres", "username-and-password", creds(wrong), "")
	if err == nil {
		t.Fatal("wrong password: the test passed")
	}
	msg := err.Error()
	if sb.ErrorCode(err) != sb.CodeBadRequest || !strings.Contains(msg, `password authentication failed for user "`+u.User.Username()+`"`) {
		t.Errorf("wrong password: error = %q (%s), want PostgreSQL's refusal as a bad request", msg, sb.ErrorCode(err))
	}
	if strings.Contains(msg, wrong) || strings.Contains(msg, good) {
		t.Errorf("the refusal carries a password: %q", msg)
	}
}
