package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// vkKey creates a node key through the API and returns its id, api_key and secret.
func vkKey(t testing.TB, env *webtest.Env, token, nodeID string, extra map[string]any) (id, apiKey, secret string) {
	t.Helper()
	body := map[string]any{"node_id": nodeID, "name": "key " + nodeID[:8], "permissions": []string{"payments.read"}}
	for k, v := range extra {
		body[k] = v
	}
	resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create key: %d %s", resp.StatusCode, raw)
	}
	return m["id"].(string), m["api_key"].(string), m["secret"].(string)
}

// vkVerify posts a verification and returns the status, headers and body.
func vkVerify(t testing.TB, env *webtest.Env, token, apiKey, secret string) (int, http.Header, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"api_key": apiKey, "secret": secret})
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/api/v1/integrations/verify", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, string(raw)
}

// vkFlipLast changes a token's last character (so its checksum fails),
// whatever that character was.
func vkFlipLast(tok string) string {
	c := "x"
	if strings.HasSuffix(tok, c) {
		c = "y"
	}
	return tok[:len(tok)-1] + c
}

// vkHeaders are a response's headers without the ones that differ per request.
func vkHeaders(h http.Header) string {
	h = h.Clone()
	h.Del("X-Request-Id")
	h.Del("Date")
	h.Del("X-Ratelimit-Remaining")
	h.Del("X-Ratelimit-Reset")
	var b strings.Builder
	h.Write(&b)
	return b.String()
}

func vkAuditCount(t testing.TB, env *webtest.Env) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().Get(&n, `SELECT COUNT(*) FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAPINodeKeyVerify_LiveAndEveryFailure: a service of the team verifies
// a live key with a read-only token and gets its node and permissions;
// unknown, another team's, revoked, disabled, expired, a wrong secret and
// malformed values all get the byte-identical 401 (same headers). No
// verification writes an audit row; the day's count reaches the key page
// after a flush. On SQLite and PostgreSQL.
func TestAPINodeKeyVerify_LiveAndEveryFailure(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a, b := env.CreateTeam("payments"), env.CreateTeam("ledger")
		rw, ro, other := env.CreateToken(a.ID, false), env.CreateToken(a.ID, true), env.CreateToken(b.ID, false)
		nodes := make([]string, 5)
		for i := range nodes {
			nodes[i] = env.CreateNode(a.ID, "edge-"+string(rune('a'+i))).ID
		}
		liveID, liveKey, liveSecret := vkKey(t, env, rw, nodes[0], map[string]any{"expires_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)})
		otherNode := env.CreateNode(b.ID, "ledger-edge").ID
		_, otherKey, otherSecret := vkKey(t, env, other, otherNode, nil)
		revokedID, revokedKey, revokedSecret := vkKey(t, env, rw, nodes[1], nil)
		if resp, _, raw := env.API(http.MethodDelete, "/api/v1/integrations/"+revokedID, rw, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", resp.StatusCode, raw)
		}
		disabledID, disabledKey, disabledSecret := vkKey(t, env, rw, nodes[2], nil)
		if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations/"+disabledID+"/disable", rw, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("disable: %d %s", resp.StatusCode, raw)
		}
		_, expiringKey, expiringSecret := vkKey(t, env, rw, nodes[3], map[string]any{"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
		unknownKey, _ := secrets.NewToken("apex_")
		unknownSecret, _ := secrets.NewToken("apexs_")

		status, _, raw := vkVerify(t, env, ro, liveKey, liveSecret)
		if status != http.StatusOK {
			t.Fatalf("live key: %d %s, want 200", status, raw)
		}
		var got map[string]any
		json.Unmarshal([]byte(raw), &got)
		if got["active"] != true || got["id"] != liveID || got["node_id"] != nodes[0] || got["expires_at"] == nil {
			t.Errorf("live key body = %s", raw)
		}
		if perms, _ := got["permissions"].([]any); len(perms) != 1 || perms[0] != "payments.read" {
			t.Errorf("permissions = %v, want [payments.read]", got["permissions"])
		}
		if strings.Contains(raw, liveSecret) || strings.Contains(raw, "secret") {
			t.Errorf("the answer carries the secret: %s", raw)
		}

		// The expired key: one hour from creation, clock moved two hours on.
		later := func() time.Time { return time.Now().Add(2 * time.Hour) }
		cases := []struct{ name, key, secret string }{
			{"unknown key", unknownKey, unknownSecret},
			{"another team's key", otherKey, otherSecret},
			{"revoked", revokedKey, revokedSecret},
			{"disabled", disabledKey, disabledSecret},
			{"expired", expiringKey, expiringSecret},
			{"wrong secret", liveKey, unknownSecret},
			{"secret of another key", liveKey, revokedSecret},
			{"malformed key", "apex_nope", liveSecret},
			{"bad checksum", vkFlipLast(liveKey), liveSecret},
			{"key as secret", liveKey, liveKey},
		}
		var wantStatus int
		var wantHeaders, wantBody string
		for i, tc := range cases {
			if tc.name == "expired" {
				env.App.Services.Now = later
			}
			status, h, body := vkVerify(t, env, ro, tc.key, tc.secret)
			env.App.Services.Now = time.Now
			if status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401; %s", tc.name, status, body)
			}
			if i == 0 {
				wantStatus, wantHeaders, wantBody = status, vkHeaders(h), body
				continue
			}
			if status != wantStatus || body != wantBody || vkHeaders(h) != wantHeaders {
				t.Errorf("%s: answer differs from the unknown key's:\n%d %s %s\nwant\n%d %s %s", tc.name, status, vkHeaders(h), body, wantStatus, wantHeaders, wantBody)
			}
		}
		// The expiring key is live before its expiry.
		if status, _, body := vkVerify(t, env, ro, expiringKey, expiringSecret); status != http.StatusOK {
			t.Errorf("expiring key before its expiry: %d %s", status, body)
		}

		// Bad input is a 400 naming the fields; no token is a 401 of the token.
		if resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations/verify", ro, map[string]any{"api_key": 5}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(raw, "secret") || m["fields"] == nil {
			t.Errorf("bad body: %d %s, want 400 naming api_key and secret", resp.StatusCode, raw)
		}
		if resp, _, _ := env.API(http.MethodPost, "/api/v1/integrations/verify", "", map[string]any{"api_key": liveKey, "secret": liveSecret}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", resp.StatusCode)
		}

		// Verifications are not audit rows; they are counted per key and day.
		before := vkAuditCount(t, env)
		for range 3 {
			vkVerify(t, env, ro, liveKey, liveSecret)
			vkVerify(t, env, ro, liveKey, unknownSecret)
		}
		if after := vkAuditCount(t, env); after != before {
			t.Errorf("verifications wrote %d audit rows, want none", after-before)
		}
		if err := env.App.Services.FlushKeyUse(context.Background()); err != nil {
			t.Fatal(err)
		}
		n, err := env.Store.KeyVerifications(context.Background(), liveID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("live key's count today = %d, want 4 (successes only)", n)
		}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		_, page := c.Get("/integrations/" + liveID)
		if !strings.Contains(page, `data-testid="key-verified-today">4<`) {
			t.Errorf("key page does not show 4 verifications today")
		}
		if strings.Contains(page, `data-testid="key-last-used">never<`) {
			t.Errorf("key page shows last used never after verifications")
		}
	})
}

// TestAPINodeKeyVerify_LastUsedOncePerMinute: last_used_at is written by
// the first verification, not moved by the next ones within the minute,
// moved again after it; the list and the key page show it.
func TestAPINodeKeyVerify_LastUsedOncePerMinute(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		tok := env.CreateToken(a.ID, true)
		id, key, secret := vkKey(t, env, env.CreateToken(a.ID, false), env.CreateNode(a.ID, "edge").ID, nil)
		lastUsed := func() *time.Time {
			r, err := env.Store.IntegrationByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return r.LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("a new key has a last use")
		}
		start := time.Now().UTC().Truncate(time.Second)
		clock := start
		env.App.Services.Now = func() time.Time { return clock }
		vkVerify(t, env, tok, key, secret)
		first := lastUsed()
		if first == nil || !first.Equal(start) {
			t.Fatalf("last_used_at = %v, want %v", first, start)
		}
		clock = start.Add(30 * time.Second)
		vkVerify(t, env, tok, key, secret)
		if got := lastUsed(); !got.Equal(start) {
			t.Errorf("last_used_at moved within the minute: %v", got)
		}
		clock = start.Add(90 * time.Second)
		vkVerify(t, env, tok, key, secret)
		if got := lastUsed(); !got.Equal(start.Add(90 * time.Second)) {
			t.Errorf("last_used_at after the minute = %v, want %v", got, start.Add(90*time.Second))
		}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		want := start.Add(90 * time.Second).Format("2006-01-02 15:04 UTC")
		if _, list := c.Get("/integrations"); !strings.Contains(list, "last used "+want) {
			t.Errorf("list does not show last used %s", want)
		}
		if _, page := c.Get("/integrations/" + id); !strings.Contains(page, `data-testid="key-last-used">`+want+`<`) {
			t.Errorf("key page does not show last used %s", want)
		}
	})
}

// BenchmarkVerify compares a wrong secret for a known key with an unknown
// key (both well-formed): the work is the same (one indexed lookup, one
// keyed-hash comparison), so the timings must not tell them apart.
//
//	go test ./web -run '^$' -bench BenchmarkVerify -benchtime 2000x -count 5
func BenchmarkVerify(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			benchVerify(b, d)
		})
	}
}

func benchVerify(b *testing.B, d db.Dialect) {
	env := webtest.New(b, d)
	team := env.CreateTeam("payments")
	rw := env.CreateToken(team.ID, false)
	// Some keys, so the lookup is in a real index.
	var key string
	for i := range 50 {
		_, k, _ := vkKey(b, env, rw, env.CreateNode(team.ID, "edge-"+string(rune('A'+i))).ID, nil)
		key = k
	}
	wrong, _ := secrets.NewToken("apex_")
	wrongSecret, _ := secrets.NewToken("apexs_")
	actor := sb.Actor{TokenID: "bench", Role: sb.RoleSupport, Teams: []string{team.ID}, ReadOnly: true}
	ctx := context.Background()
	// Interleaved, so drift from the (shared) machine hits both alike:
	// the medians of each kind are reported as metrics.
	b.Run("interleaved", func(b *testing.B) {
		var ws, us []time.Duration
		for i := 0; b.Loop(); i++ {
			k := wrong
			if i%2 == 0 {
				k = key
			}
			t0 := time.Now()
			env.App.Services.VerifyNodeKey(ctx, actor, k, wrongSecret)
			if el := time.Since(t0); i%2 == 0 {
				ws = append(ws, el)
			} else {
				us = append(us, el)
			}
		}
		med := func(d []time.Duration) float64 {
			if len(d) == 0 {
				return 0
			}
			slices.Sort(d)
			return float64(d[len(d)/2].Nanoseconds())
		}
		b.ReportMetric(med(ws), "wrong-secret-median-ns")
		b.ReportMetric(med(us), "unknown-key-median-ns")
	})
	b.Run("wrong-secret", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.App.Services.VerifyNodeKey(ctx, actor, key, wrongSecret); err == nil {
				b.Fatal("verified")
			}
		}
	})
	b.Run("unknown-key", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.App.Services.VerifyNodeKey(ctx, actor, wrong, wrongSecret); err == nil {
				b.Fatal("verified")
			}
		}
	})
}

// TestNodeKeyLookup_AlwaysOneRow: the verification lookup reads one real
// node-key row for an unknown key too (the decoy's, marked not found) and
// the key's own row for a known key, so the two paths of a verification
// do the same work (timed by BenchmarkVerify); with neither key there it
// returns none. When the decoy is deleted the service picks another and
// verification goes on working. On SQLite and PostgreSQL.
func TestNodeKeyLookup_AlwaysOneRow(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		rw := env.CreateToken(team.ID, false)
		ro := env.CreateToken(team.ID, true)
		ctx := context.Background()
		if d, err := env.Store.NodeKeyDecoy(ctx, "node-api-key"); err != nil || d != "" {
			t.Fatalf("decoy with no node key: %q (%v), want none", d, err)
		}
		unknown, _ := secrets.NewToken("apex_")
		wellFormed, _ := secrets.NewToken("apexs_")
		if st, _, _ := vkVerify(t, env, ro, unknown, wellFormed); st != http.StatusUnauthorized {
			t.Errorf("verify with no node key at all: %d, want 401", st)
		}
		oldID, oldKey, _ := vkKey(t, env, rw, env.CreateNode(team.ID, "edge").ID, nil)
		time.Sleep(2 * time.Millisecond) // distinct created_at
		id, key, secret := vkKey(t, env, rw, env.CreateNode(team.ID, "edge-2").ID, nil)
		real, err := env.Store.IntegrationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		decoy, err := env.Store.NodeKeyDecoy(ctx, "node-api-key")
		if err != nil || decoy != oldKey {
			t.Fatalf("decoy = %q (%v), want the oldest key %q", decoy, err, oldKey)
		}
		got, found, err := env.Store.NodeKeyLookup(ctx, "node-api-key", unknown, decoy)
		if err != nil || found || got == nil || got.ID != oldID || got.SecretHash == nil {
			t.Errorf("unknown key: %+v found %v (%v), want the decoy's row, not found", got, found, err)
		}
		got, found, err = env.Store.NodeKeyLookup(ctx, "node-api-key", key, decoy)
		if err != nil || !found || got == nil || got.ID != id || got.SecretHash == nil || *got.SecretHash != *real.SecretHash {
			t.Errorf("known key: %+v found %v (%v), want its row", got, found, err)
		}
		if got, found, err = env.Store.NodeKeyLookup(ctx, "node-api-key", oldKey, decoy); err != nil || !found || got == nil || got.ID != oldID {
			t.Errorf("the decoy's own key: %+v found %v (%v), want its row, found", got, found, err)
		}
		other, _ := secrets.NewToken("apex_")
		if got, found, err = env.Store.NodeKeyLookup(ctx, "node-api-key", unknown, other); err != nil || found || got != nil {
			t.Errorf("neither key exists: %+v found %v (%v), want no row", got, found, err)
		}

		// The service's decoy (the oldest key) is deleted: an unknown key
		// is still refused, and the live key still verifies.
		if st, _, _ := vkVerify(t, env, ro, unknown, secret); st != http.StatusUnauthorized {
			t.Errorf("unknown key: %d, want 401", st)
		}
		for _, q := range []string{`DELETE FROM key_verifications WHERE integration_id = ?`, `DELETE FROM integrations WHERE id = ?`} {
			if _, err := env.Store.SQLX().ExecContext(ctx, env.Store.SQLX().Rebind(q), oldID); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if st, _, body := vkVerify(t, env, ro, unknown, secret); st != http.StatusUnauthorized {
				t.Errorf("unknown key after the decoy was deleted: %d %s, want 401", st, body)
			}
			if st, _, body := vkVerify(t, env, ro, key, secret); st != http.StatusOK {
				t.Errorf("live key after the decoy was deleted: %d %s, want 200", st, body)
			}
		}
	})
}
