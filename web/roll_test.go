package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/web/webtest"
)

// rlClock sets the services' clocks (integrations and access) to a
// movable time and returns the setter.
func rlClock(env *webtest.Env, start time.Time) func(time.Time) {
	now := start
	clock := func() time.Time { return now }
	env.App.Services.Now, env.App.Access.Now = clock, clock
	return func(t time.Time) { now = t }
}

func rlAuditRows(t *testing.T, env *webtest.Env, action, targetID string) int {
	t.Helper()
	var n int
	x := env.Store.SQLX()
	if err := x.Get(&n, x.Rebind(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND target_id = ?`), action, targetID); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNodeKeyRoll_GracePeriod: a roll with a 1-hour grace period gives a
// new key and secret once; both keys verify and both are listed (the old
// one marked as rolled); the old key cannot be rolled again; after the
// grace (clock moved) only the new one verifies and the sweep writes the
// end of the old key once; the audit log shows the roll and the end.
// Rolling again during a grace lets the oldest end first. A bad
// expires_old_in is a 400 naming it. On SQLite and PostgreSQL.
func TestNodeKeyRoll_GracePeriod(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		rw, ro := env.CreateToken(team.ID, false), env.CreateToken(team.ID, true)
		node := env.CreateNode(team.ID, "edge").ID
		start := time.Now().UTC().Truncate(time.Second)
		setClock := rlClock(env, start)
		oldID, oldKey, oldSecret := vkKey(t, env, rw, node, nil)

		if resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations/"+oldID+"/rotate", rw, map[string]any{"expires_old_in": "2h"}); resp.StatusCode != http.StatusBadRequest || m["fields"] == nil || !strings.Contains(raw, "expires_old_in") {
			t.Errorf("expires_old_in 2h: %d %s, want 400 naming expires_old_in", resp.StatusCode, raw)
		}
		resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations/"+oldID+"/rotate", rw, map[string]any{"expires_old_in": "1h"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("roll: %d %s", resp.StatusCode, raw)
		}
		newID, newKey, newSecret := m["id"].(string), m["api_key"].(string), m["secret"].(string)
		if newKey == oldKey || newSecret == "" {
			t.Fatalf("roll gave key %q secret %q", newKey, newSecret)
		}
		for _, k := range [][2]string{{oldKey, oldSecret}, {newKey, newSecret}} {
			if status, _, body := vkVerify(t, env, ro, k[0], k[1]); status != http.StatusOK {
				t.Errorf("during the grace, %s…: %d %s, want 200", k[0][:10], status, body)
			}
		}
		if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations/"+oldID+"/rotate", rw, map[string]any{"expires_old_in": "1h"}); resp.StatusCode != http.StatusConflict {
			t.Errorf("rolling the old key again: %d %s, want 409", resp.StatusCode, raw)
		}
		_, list, _ := env.API(http.MethodGet, "/api/v1/integrations?node_id="+node, ro, nil)
		if items, _ := list["integrations"].([]any); len(items) != 2 {
			t.Errorf("list has %d keys, want both", len(items))
		}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		_, page := c.Get("/integrations")
		if !strings.Contains(page, "rolled: works until "+start.Add(time.Hour).Format("2006-01-02 15:04 UTC")) {
			t.Errorf("the list does not show the old key's grace")
		}
		if _, p := c.Get("/integrations/" + oldID); !strings.Contains(p, newID) || strings.Contains(p, `data-testid="rotate"`) {
			t.Errorf("the old key's page does not name its successor, or still offers a rotation")
		}
		if n, err := env.App.Services.SweepKeys(context.Background()); err != nil || n != 0 {
			t.Errorf("sweep during the grace wrote %d events (%v), want 0", n, err)
		}

		setClock(start.Add(time.Hour + time.Second))
		if status, _, _ := vkVerify(t, env, ro, oldKey, oldSecret); status != http.StatusUnauthorized {
			t.Errorf("old key after the grace: %d, want 401", status)
		}
		if status, _, _ := vkVerify(t, env, ro, newKey, newSecret); status != http.StatusOK {
			t.Errorf("new key after the grace: %d, want 200", status)
		}
		for i, want := range []int{1, 0} {
			if n, err := env.App.Services.SweepKeys(context.Background()); err != nil || n != want {
				t.Errorf("sweep %d after the grace wrote %d events (%v), want %d", i+1, n, err, want)
			}
		}
		if got := rlAuditRows(t, env, "integration.rotate", newID); got != 1 {
			t.Errorf("integration.rotate rows of the new key = %d, want 1", got)
		}
		if got := rlAuditRows(t, env, "integration.roll_ended", oldID); got != 1 {
			t.Errorf("integration.roll_ended rows of the old key = %d, want 1", got)
		}

		// Rolling again during a grace: the older key ends no later than the newer.
		now := start.Add(2 * time.Hour)
		setClock(now)
		_, m2, _ := env.API(http.MethodPost, "/api/v1/integrations/"+newID+"/rotate", rw, map[string]any{"expires_old_in": "7d"})
		k3, _ := m2["id"].(string)
		_, m3, raw3 := env.API(http.MethodPost, "/api/v1/integrations/"+k3+"/rotate", rw, map[string]any{"expires_old_in": "1h"})
		if m3["id"] == nil {
			t.Fatalf("second roll during a grace: %s", raw3)
		}
		for _, id := range []string{newID, k3} {
			r, err := env.Store.IntegrationByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if r.ExpiresAt == nil || !r.ExpiresAt.Equal(now.Add(time.Hour)) {
				t.Errorf("key %s ends at %v, want %v (the oldest ends first)", id, r.ExpiresAt, now.Add(time.Hour))
			}
		}
	})
}

var rlTokenRE = regexp.MustCompile(`sbt_[0-9A-Za-z]{49}`)

// TestTokenRoll_GracePeriod: rolling a token on the tokens page with a
// 1-hour grace shows the new token once; both authenticate; the list
// marks the old one; after the grace only the new one does, and the sweep
// writes token.roll_ended once. On SQLite and PostgreSQL.
func TestTokenRoll_GracePeriod(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		start := time.Now().UTC().Truncate(time.Second)
		setClock := rlClock(env, start)
		oldPlain := env.CreateToken(team.ID, true)
		toks, err := env.Store.ListAPITokens(context.Background(), team.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %v %v", toks, err)
		}
		oldID := toks[0].ID
		_, confirm := c.Get("/tokens/" + oldID + "/confirm/roll")
		if !strings.Contains(confirm, `name="expires_old_in"`) {
			t.Fatalf("the roll confirmation does not ask for the grace")
		}
		resp, _ := c.Post("/tokens/"+oldID+"/roll", url.Values{"expires_old_in": {"1h"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/reveal/") {
			t.Fatalf("roll: %d to %q, want 303 to a reveal", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, reveal := c.Get(resp.Header.Get("Location"))
		newPlain := rlTokenRE.FindString(reveal)
		if newPlain == "" || newPlain == oldPlain {
			t.Fatalf("reveal shows no new token")
		}
		api := func(tok string) int {
			resp, _, _ := env.API(http.MethodGet, "/api/v1/integrations", tok, nil)
			return resp.StatusCode
		}
		if api(oldPlain) != http.StatusOK || api(newPlain) != http.StatusOK {
			t.Errorf("during the grace: old %d, new %d, want both 200", api(oldPlain), api(newPlain))
		}
		_, list := c.Get("/tokens?team=" + team.ID)
		if !strings.Contains(list, `data-testid="token-ending">rolled: works until `+start.Add(time.Hour).Format("2006-01-02 15:04 UTC")) {
			t.Errorf("the tokens page does not mark the rolled token")
		}
		if resp, _ := c.Post("/tokens/"+oldID+"/roll", url.Values{"expires_old_in": {"1h"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("rolling the old token again: %d, want 409", resp.StatusCode)
		}
		setClock(start.Add(time.Hour + time.Second))
		if api(oldPlain) != http.StatusUnauthorized || api(newPlain) != http.StatusOK {
			t.Errorf("after the grace: old %d (want 401), new %d (want 200)", api(oldPlain), api(newPlain))
		}
		for i, want := range []int{1, 0} {
			if n, err := env.App.Services.SweepKeys(context.Background()); err != nil || n != want {
				t.Errorf("sweep %d wrote %d (%v), want %d", i+1, n, err, want)
			}
		}
		if got := rlAuditRows(t, env, "token.roll_ended", oldID); got != 1 {
			t.Errorf("token.roll_ended rows = %d, want 1", got)
		}
		toks, _ = env.Store.ListAPITokens(context.Background(), team.ID)
		var newID string
		for _, tk := range toks {
			if tk.ID != oldID {
				newID = tk.ID
			}
		}
		if got := rlAuditRows(t, env, "token.roll", newID); got != 1 {
			t.Errorf("token.roll rows = %d, want 1", got)
		}
	})
}
