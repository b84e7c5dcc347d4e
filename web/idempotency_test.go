package web_test

// Idempotency-Key on every JSON create (README, "Idempotency"): the same
// key and body from the same token replays the first answer, another body
// is refused with 422 in the family's shape, concurrent duplicates wait and
// replay, tokens are independent, and an answer that carried a one-time
// secret is replayed only within its window and is sealed at rest.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

// idemFamily is one create route of one JSON family.
type idemFamily struct {
	name string
	// path of the create; setup returns it for a team (with the team's
	// nodes or workspace in it) and a fresh valid body for name n.
	setup func(t *testing.T, env *webtest.Env, teamID string) (path string, body func(n string) string)
	// auth sets the token the way the family's clients send it.
	auth func(r *http.Request, token string)
	// status is the create's success status.
	status int
	// table counts what a create makes, per team.
	table string
	// where narrows the count to what the test makes (a team starts with
	// environments of its own).
	where string
	// errShape checks a body is the family's error shape with status.
	errShape func(t *testing.T, status int, m map[string]any, raw string)
	syncs    bool
	// secret marks a create whose answer carries a one-time secret.
	secret bool
}

func idemBearer(r *http.Request, token string) { r.Header.Set("Authorization", "Bearer "+token) }

func idemFamilies() []idemFamily {
	nodeShape := func(t *testing.T, status int, m map[string]any, raw string) {
		t.Helper()
		if s, _ := m["error"].(string); s == "" {
			t.Errorf("node shape: error = %v, want a code; body %s", m["error"], raw)
		}
		if s, _ := m["message"].(string); s == "" {
			t.Errorf("node shape: message = %v; body %s", m["message"], raw)
		}
	}
	infShape := func(t *testing.T, status int, m map[string]any, raw string) {
		t.Helper()
		if m["statusCode"] != float64(status) || m["error"] == nil || m["message"] == nil || m["reqId"] == nil {
			t.Errorf("Infisical shape: want reqId, statusCode %d, error, message; body %s", status, raw)
		}
	}
	return []idemFamily{
		{
			name: "anchor", status: http.StatusOK, table: "integrations",
			setup: func(t *testing.T, env *webtest.Env, teamID string) (string, func(string) string) {
				tok := newOPToken(t).Token
				return "/v1/integrations", func(n string) string { return opBody("Vault "+n, tok) }
			},
			auth: func(r *http.Request, token string) { r.Header.Set("anchor-api-key", token) },
			errShape: func(t *testing.T, status int, m map[string]any, raw string) {
				t.Helper()
				e, _ := m["error"].(map[string]any)
				if len(m) != 1 || e == nil || e["code"] != float64(status) || e["message"] == nil {
					t.Errorf(`Anchor shape: want {"error":{"code":%d,"message":…}}; body %s`, status, raw)
				}
			},
		},
		{
			name: "infisical", status: http.StatusOK, table: "integrations", auth: idemBearer, errShape: infShape,
			setup: func(t *testing.T, env *webtest.Env, teamID string) (string, func(string) string) {
				return "/api/v1/app-connections/1password", func(n string) string {
					// Connection names are unique across teams.
					b, _ := json.Marshal(map[string]any{"name": "conn-" + teamID[:8] + "-" + strings.ToLower(n), "method": "api-token",
						"credentials": map[string]any{"apiToken": "ops_secret_" + n, "instanceUrl": "https://1pass.example.com"}})
					return string(b)
				}
			},
		},
		{
			name: "launchdarkly", status: http.StatusCreated, table: "integrations",
			auth: func(r *http.Request, token string) { r.Header.Set("Authorization", token) },
			setup: func(t *testing.T, env *webtest.Env, teamID string) (string, func(string) string) {
				return ldKeys + "sample-integration", func(n string) string {
					return `{"name":"Config ` + n + `","configValues":{"required":"r","url":"https://example.com"}}`
				}
			},
			errShape: func(t *testing.T, status int, m map[string]any, raw string) {
				t.Helper()
				if len(m) != 2 || m["code"] == nil || m["message"] == nil {
					t.Errorf("LaunchDarkly shape: want exactly code and message; body %s", raw)
				}
			},
		},
		{
			name: "nodekeys", status: http.StatusCreated, secret: true, table: "integrations", auth: idemBearer, errShape: nodeShape,
			setup: func(t *testing.T, env *webtest.Env, teamID string) (string, func(string) string) {
				// A node has one key: each name gets its own node.
				nodes := map[string]string{}
				return "/api/v1/integrations", func(n string) string {
					if nodes[n] == "" {
						nodes[n] = env.CreateNode(teamID, "edge-"+uuid.NewString()[:6]).ID
					}
					return `{"node_id":"` + nodes[n] + `","name":"Key ` + n + `"}`
				}
			},
		},
		{
			name: "secretsync-environments", status: http.StatusOK, table: "secret_environments", where: " AND slug LIKE 'env-%'", auth: idemBearer, errShape: infShape, syncs: true,
			setup: func(t *testing.T, env *webtest.Env, teamID string) (string, func(string) string) {
				return "/api/v1/workspace/" + teamID + "/environments", func(n string) string {
					return `{"name":"Env ` + n + `","slug":"env-` + strings.ToLower(n) + `"}`
				}
			},
		},
	}
}

// idemDo sends one create with an optional Idempotency-Key.
func idemDo(t *testing.T, env *webtest.Env, f idemFamily, path, token, key, body string) (*http.Response, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	f.auth(req, token)
	if key != "" {
		req.Header.Set(web.IdempotencyHeader, key)
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m, string(b)
}

func idemCount(t *testing.T, env *webtest.Env, f idemFamily, teamID string) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().Get(&n, env.Store.SQLX().Rebind(`SELECT COUNT(*) FROM `+f.table+` WHERE team_id = ?`+f.where), teamID); err != nil {
		t.Fatal(err)
	}
	return n
}

func idemKeyRows(t *testing.T, env *webtest.Env) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().Get(&n, `SELECT COUNT(*) FROM idempotency_keys`); err != nil {
		t.Fatal(err)
	}
	return n
}

// idemEach runs fn for every family on every dialect.
func idemEach(t *testing.T, configure func(*web.Config), fn func(t *testing.T, env *webtest.Env, f idemFamily)) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			for _, f := range idemFamilies() {
				t.Run(f.name, func(t *testing.T) {
					env := webtest.NewWith(t, d, func(c *web.Config) {
						c.SecretSyncs = f.syncs
						if configure != nil {
							configure(c)
						}
					})
					fn(t, env, f)
				})
			}
		})
	}
}

func TestIdempotency_ReplayMismatchAndTokens(t *testing.T) {
	idemEach(t, nil, func(t *testing.T, env *webtest.Env, f idemFamily) {
		team := env.CreateTeam("alpha")
		token := env.CreateToken(team.ID, false)
		path, body := f.setup(t, env, team.ID)
		key := uuid.NewString()

		resp, _, first := idemDo(t, env, f, path, token, key, body("One"))
		if resp.StatusCode != f.status {
			t.Fatalf("first create = %d, want %d; body %s", resp.StatusCode, f.status, first)
		}
		if resp.Header.Get(web.ReplayedHeader) != "" {
			t.Errorf("first answer has %s", web.ReplayedHeader)
		}
		firstLocation := resp.Header.Get("Location")
		if f.name == "launchdarkly" && firstLocation == "" {
			t.Errorf("LaunchDarkly's create has no Location")
		}
		// The same body, spaced and ordered differently, is the same request.
		var obj map[string]any
		json.Unmarshal([]byte(body("One")), &obj)
		respaced, _ := json.MarshalIndent(obj, "", "   ")
		for i, b := range []string{body("One"), string(respaced)} {
			resp, _, again := idemDo(t, env, f, path, token, key, b)
			if resp.StatusCode != f.status || again != first {
				t.Errorf("replay %d = %d %s, want %d and the first body %s", i, resp.StatusCode, again, f.status, first)
			}
			if resp.Header.Get(web.ReplayedHeader) != "true" {
				t.Errorf("replay %d: %s = %q, want true", i, web.ReplayedHeader, resp.Header.Get(web.ReplayedHeader))
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("replay %d: Content-Type = %q", i, resp.Header.Get("Content-Type"))
			}
			if got := resp.Header.Get("Location"); got != firstLocation {
				t.Errorf("replay %d: Location = %q, want the first answer's %q", i, got, firstLocation)
			}
		}
		if n := idemCount(t, env, f, team.ID); n != 1 {
			t.Errorf("rows after create and replays = %d, want 1", n)
		}

		// Another body with the key: 422 in the family's shape, nothing made.
		resp, m, raw := idemDo(t, env, f, path, token, key, body("Two"))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("other body = %d, want 422; body %s", resp.StatusCode, raw)
		}
		f.errShape(t, http.StatusUnprocessableEntity, m, raw)
		if !strings.Contains(raw, web.IdempotencyHeader) {
			t.Errorf("422 does not name the %s: %s", web.IdempotencyHeader, raw)
		}
		if n := idemCount(t, env, f, team.ID); n != 1 {
			t.Errorf("rows after a mismatched key = %d, want 1", n)
		}

		// Keys are per token: another team's token with the same key creates.
		other := env.CreateTeam("beta")
		otherToken := env.CreateToken(other.ID, false)
		otherPath, otherBody := f.setup(t, env, other.ID)
		resp, _, raw = idemDo(t, env, f, otherPath, otherToken, key, otherBody("One"))
		if resp.StatusCode != f.status || resp.Header.Get(web.ReplayedHeader) != "" {
			t.Errorf("other token, same key = %d (replayed %q), want a fresh %d; body %s", resp.StatusCode, resp.Header.Get(web.ReplayedHeader), f.status, raw)
		}
		if n := idemCount(t, env, f, other.ID); n != 1 {
			t.Errorf("other team rows = %d, want 1", n)
		}
		// A second token of the same team is independent too.
		if !f.syncs { // environments are unique by slug per team
			token2 := env.CreateToken(team.ID, false)
			resp, _, raw = idemDo(t, env, f, path, token2, key, body("Three"))
			if resp.StatusCode != f.status || resp.Header.Get(web.ReplayedHeader) != "" {
				t.Errorf("second token of the team = %d, want a fresh %d; body %s", resp.StatusCode, f.status, raw)
			}
		}

		// Bad keys: 400 in the family's shape, nothing made, nothing kept.
		rows := idemKeyRows(t, env)
		for _, bad := range []string{strings.Repeat("k", 256), "has space", "tab\tkey", "ключ"} {
			before := idemCount(t, env, f, team.ID)
			resp, m, raw := idemDo(t, env, f, path, token, bad, body("Bad"))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("key %.20q = %d, want 400; body %s", bad, resp.StatusCode, raw)
			}
			f.errShape(t, http.StatusBadRequest, m, raw)
			if n := idemCount(t, env, f, team.ID); n != before {
				t.Errorf("key %.20q made a row", bad)
			}
		}
		if got := idemKeyRows(t, env); got != rows {
			t.Errorf("bad keys left %d idempotency rows, want none", got-rows)
		}
		// The longest key accepted.
		long := strings.Repeat("k", 255)
		if resp, _, raw := idemDo(t, env, f, path, token, long, body("Long")); resp.StatusCode != f.status {
			t.Errorf("255-character key = %d, want %d; body %s", resp.StatusCode, f.status, raw)
		}
	})
}

func TestIdempotency_ConcurrentDuplicates(t *testing.T) {
	idemEach(t, nil, func(t *testing.T, env *webtest.Env, f idemFamily) {
		team := env.CreateTeam("alpha")
		token := env.CreateToken(team.ID, false)
		path, body := f.setup(t, env, team.ID)
		key, b := uuid.NewString(), body("Same")
		const n = 20
		type answer struct {
			status   int
			body     string
			replayed bool
		}
		answers := make([]answer, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1"+path, strings.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				f.auth(req, token)
				req.Header.Set(web.IdempotencyHeader, key)
				resp, err := env.App.Fiber.Test(req, -1)
				if err != nil {
					t.Error(err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answers[i] = answer{resp.StatusCode, string(raw), resp.Header.Get(web.ReplayedHeader) == "true"}
			}()
		}
		close(start)
		wg.Wait()
		replayed := 0
		for i, a := range answers {
			if a.status != f.status || a.body != answers[0].body {
				t.Errorf("answer %d = %d %.200s, want %d and answer 0's body %.200s", i, a.status, a.body, f.status, answers[0].body)
			}
			if a.replayed {
				replayed++
			}
		}
		if replayed != n-1 {
			t.Errorf("replayed answers = %d, want %d (one ran, the others waited)", replayed, n-1)
		}
		if got := idemCount(t, env, f, team.ID); got != 1 {
			t.Errorf("rows after %d concurrent creates with one key = %d, want 1", n, got)
		}
	})
}

// TestIdempotency_NotKept: a refused input and a request without a key are
// not kept; a key past 24 h runs afresh.
func TestIdempotency_NotKeptAndExpiry(t *testing.T) {
	idemEach(t, nil, func(t *testing.T, env *webtest.Env, f idemFamily) {
		team := env.CreateTeam("alpha")
		token := env.CreateToken(team.ID, false)
		path, body := f.setup(t, env, team.ID)
		key := uuid.NewString()
		resp, _, raw := idemDo(t, env, f, path, token, key, `{"name":[]}`)
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("invalid body = %d, want 400 or 422; body %s", resp.StatusCode, raw)
		}
		if resp, _, raw := idemDo(t, env, f, path, token, key, body("Fixed")); resp.StatusCode != f.status || resp.Header.Get(web.ReplayedHeader) != "" {
			t.Errorf("corrected body with the key of a refused one = %d (replayed %q), want a fresh %d; body %s", resp.StatusCode, resp.Header.Get(web.ReplayedHeader), f.status, raw)
		}
		var created time.Time
		if err := env.Store.SQLX().Get(&created, env.Store.SQLX().Rebind(`SELECT created_at FROM idempotency_keys WHERE idem_key = ?`), key); err != nil {
			t.Fatal(err)
		}
		// A request just before 24 h runs the periodic prune, which keeps
		// the key; the next, under a minute later, does not prune, so the
		// claim itself must see that the key has expired.
		env.Store.Now = func() time.Time { return created.Add(web.IdempotencyTTL - 30*time.Second) }
		defer func() { env.Store.Now = time.Now }()
		if resp, _, raw := idemDo(t, env, f, path, token, uuid.NewString(), body("Prune")); resp.StatusCode != f.status {
			t.Fatalf("create before 24 h = %d; body %s", resp.StatusCode, raw)
		}
		wantLater := f.status
		if f.secret {
			wantLater = http.StatusGone // past the secret's window
		}
		if resp, _, raw := idemDo(t, env, f, path, token, key, body("Fixed")); resp.StatusCode != wantLater || resp.Header.Get(web.ReplayedHeader) != "true" {
			t.Errorf("same key just before 24 h = %d (replayed %q), want the replay; body %s", resp.StatusCode, resp.Header.Get(web.ReplayedHeader), raw)
		}
		env.Store.Now = func() time.Time { return created.Add(web.IdempotencyTTL + 20*time.Second) }
		if resp, _, raw := idemDo(t, env, f, path, token, key, body("Later")); resp.StatusCode != f.status || resp.Header.Get(web.ReplayedHeader) != "" {
			t.Errorf("same key after 24 h = %d (replayed %q), want a fresh %d; body %s", resp.StatusCode, resp.Header.Get(web.ReplayedHeader), f.status, raw)
		}
		if n := idemCount(t, env, f, team.ID); n != 3 {
			t.Errorf("rows = %d, want 3 (the corrected create, one more, and the one after 24 h)", n)
		}
	})
}

// TestIdempotency_SecretWindow: a node key's secret is replayed to the same
// token within the window only, never stored in clear, and dropped from
// the row once the window is over.
func TestIdempotency_SecretWindow(t *testing.T) {
	f := idemFamilies()[3]
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("alpha")
			token := env.CreateToken(team.ID, false)
			path, body := f.setup(t, env, team.ID)
			key := uuid.NewString()
			resp, m, first := idemDo(t, env, f, path, token, key, body("Secret"))
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create = %d; body %s", resp.StatusCode, first)
			}
			secret, _ := m["secret"].(string)
			id, _ := m["id"].(string)
			if secret == "" || id == "" {
				t.Fatalf("create answer has no secret or id: %s", first)
			}

			// Sealed at rest: the row holds neither the secret nor the answer's text.
			var rows []struct {
				Body          []byte    `db:"body"`
				KeyID         *string   `db:"key_id"`
				ID            string    `db:"id"`
				CarriesSecret bool      `db:"carries_secret"`
				DoneAt        time.Time `db:"done_at"`
			}
			if err := env.Store.SQLX().Select(&rows, `SELECT id, body, key_id, carries_secret, done_at FROM idempotency_keys`); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Body == nil || rows[0].KeyID == nil || !rows[0].CarriesSecret {
				t.Fatalf("idempotency rows = %+v, want one sealed, secret-carrying row", rows)
			}
			if bytes.Contains(rows[0].Body, []byte(secret)) || bytes.Contains(rows[0].Body, []byte("Key Secret")) {
				t.Errorf("the kept answer is in clear in the row")
			}
			if plain, err := env.Keys.Open(*rows[0].KeyID, rows[0].Body, []byte("idempotency:"+rows[0].ID)); err != nil || string(plain) != first {
				t.Errorf("the row does not open to the first answer under its AAD: %v", err)
			}

			if strings.Contains(dumpDB(t, env.Store), secret) {
				t.Errorf("the secret is in clear somewhere in the database")
			}

			// Within the window the same token gets the same secret. The
			// clock is set from the answer's time; the two steps are less
			// than a minute apart, so the periodic prune does not run at the
			// second and the replay's own window check is what answers.
			done := rows[0].DoneAt
			env.Store.Now = func() time.Time { return done.Add(web.IdempotencySecretWindow - 30*time.Second) }
			defer func() { env.Store.Now = time.Now }()
			resp, _, again := idemDo(t, env, f, path, token, key, body("Secret"))
			if resp.StatusCode != http.StatusCreated || again != first {
				t.Errorf("replay within the window = %d %s, want the first answer", resp.StatusCode, again)
			}
			// Another token with the key gets its own key, not this secret.
			other := env.CreateToken(team.ID, false)
			if resp, _, raw := idemDo(t, env, f, path, other, key, body("Other")); resp.StatusCode != http.StatusCreated || strings.Contains(raw, secret) {
				t.Errorf("another token with the same key got the secret")
			}

			// After the window: 410 in the node family's shape, naming the key to rotate.
			env.Store.Now = func() time.Time { return done.Add(web.IdempotencySecretWindow + 20*time.Second) }
			resp, m, raw := idemDo(t, env, f, path, token, key, body("Secret"))
			if resp.StatusCode != http.StatusGone || strings.Contains(raw, secret) {
				t.Errorf("replay after the window = %d %s, want 410 without the secret", resp.StatusCode, raw)
			}
			f.errShape(t, http.StatusGone, m, raw)
			if !strings.Contains(raw, id) || !strings.Contains(raw, "rotate") {
				t.Errorf("410 does not name the key %s and say to rotate it: %s", id, raw)
			}
			if resp.Header.Get(web.ReplayedHeader) != "true" {
				t.Errorf("410 replay lacks %s", web.ReplayedHeader)
			}
			var left []byte
			if err := env.Store.SQLX().Get(&left, env.Store.SQLX().Rebind(`SELECT body FROM idempotency_keys WHERE id = ?`), rows[0].ID); err != nil {
				t.Fatal(err)
			}
			if left != nil {
				t.Errorf("the sealed answer is still kept after the window (%d bytes)", len(left))
			}
			// The key still refuses another body, and still creates nothing.
			if resp, _, raw := idemDo(t, env, f, path, token, key, body("Else")); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("other body after the window = %d, want 422; %s", resp.StatusCode, raw)
			}
			if n := idemCount(t, env, f, team.ID); n != 2 {
				t.Errorf("node keys = %d, want 2 (one per token)", n)
			}
			if strings.Contains(env.Logs.String(), secret) {
				t.Errorf("the secret is in the log")
			}
		})
	}
}

// TestIdempotency_PruneDropsSecrets: the periodic prune drops secret
// answers past their window and rows past 24 h, without any replay.
func TestIdempotency_PruneDropsSecrets(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("alpha")
			token := env.CreateToken(team.ID, false)
			f := idemFamilies()[3]
			path, body := f.setup(t, env, team.ID)
			if resp, _, raw := idemDo(t, env, f, path, token, uuid.NewString(), body("A")); resp.StatusCode != http.StatusCreated {
				t.Fatalf("create = %d; %s", resp.StatusCode, raw)
			}
			ctx := context.Background()
			now := time.Now()
			if _, err := env.Store.PruneIdempotencyKeys(ctx, now.Add(-web.IdempotencyTTL), now.Add(-web.IdempotencySecretWindow)); err != nil {
				t.Fatal(err)
			}
			var kept int
			env.Store.SQLX().Get(&kept, `SELECT COUNT(*) FROM idempotency_keys WHERE body IS NOT NULL`)
			if kept != 1 {
				t.Fatalf("a fresh answer was pruned")
			}
			later := now.Add(web.IdempotencySecretWindow + time.Minute)
			if _, err := env.Store.PruneIdempotencyKeys(ctx, later.Add(-web.IdempotencyTTL), later.Add(-web.IdempotencySecretWindow)); err != nil {
				t.Fatal(err)
			}
			env.Store.SQLX().Get(&kept, `SELECT COUNT(*) FROM idempotency_keys WHERE body IS NOT NULL`)
			if kept != 0 {
				t.Errorf("a secret answer past its window is still kept")
			}
			later = now.Add(web.IdempotencyTTL + time.Minute)
			n, err := env.Store.PruneIdempotencyKeys(ctx, later.Add(-web.IdempotencyTTL), later.Add(-web.IdempotencySecretWindow))
			if err != nil || n != 1 || idemKeyRows(t, env) != 0 {
				t.Errorf("prune after 24 h deleted %d rows (%v), left %d, want 1 and 0", n, err, idemKeyRows(t, env))
			}
		})
	}
}

// TestIdempotency_InProgressAndStale: a duplicate of a request that is still
// running answers 409 after its bounded wait; a running row whose process
// died is taken over once its lease is over.
func TestIdempotency_InProgressAndStale(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewWith(t, d, func(c *web.Config) { c.IdempotencyWait = 50 * time.Millisecond })
			team := env.CreateTeam("alpha")
			token := env.CreateToken(team.ID, false)
			f := idemFamilies()[2]
			path, body := f.setup(t, env, team.ID)
			tokenID := idemTokenID(t, env, team.ID)
			key := uuid.NewString()
			// A request "running" on another instance holds the key.
			fp := web.IdempotencyFingerprint(http.MethodPost, path, []byte(body("Held")))
			now := time.Now()
			if _, mine, err := env.Store.ClaimIdempotencyKey(context.Background(), tokenID, key, fp, now.Add(-web.IdempotencyTTL), now.Add(-time.Hour)); err != nil || !mine {
				t.Fatalf("claim = %v, %v", mine, err)
			}
			resp, m, raw := idemDo(t, env, f, path, token, key, body("Held"))
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("duplicate of a running request = %d, want 409; %s", resp.StatusCode, raw)
			}
			f.errShape(t, http.StatusConflict, m, raw)
			// Three minutes on, its process is taken as dead: the request runs.
			env.Store.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
			defer func() { env.Store.Now = time.Now }()
			if resp, _, raw := idemDo(t, env, f, path, token, key, body("Held")); resp.StatusCode != f.status || resp.Header.Get(web.ReplayedHeader) != "" {
				t.Errorf("after the lease = %d, want a fresh %d; %s", resp.StatusCode, f.status, raw)
			}
		})
	}
}

// TestIdempotency_AnswerLostAfterCommit: the database refuses to keep the
// answer (a trigger fails the row's update to done, as a database that went
// away after the create's commit would), so the client got its answer but
// the key never recorded it. The change's own transaction marked the key
// committed, so a retry after the lease learns what was made (410 naming
// it) instead of creating a second object.
func TestIdempotency_AnswerLostAfterCommit(t *testing.T) {
	idemEach(t, nil, func(t *testing.T, env *webtest.Env, f idemFamily) {
		team := env.CreateTeam("alpha")
		token := env.CreateToken(team.ID, false)
		path, body := f.setup(t, env, team.ID)
		x := env.Store.SQLX()
		install, drop := []string{
			`CREATE TRIGGER idem_keep_fails BEFORE UPDATE ON idempotency_keys WHEN NEW.state = 'done' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`,
		}, []string{`DROP TRIGGER idem_keep_fails`}
		if env.Store.Dialect() == "postgres" {
			install = []string{
				`CREATE FUNCTION idem_keep_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$`,
				`CREATE TRIGGER idem_keep_fails BEFORE UPDATE ON idempotency_keys FOR EACH ROW WHEN (NEW.state = 'done') EXECUTE FUNCTION idem_keep_fails()`,
			}
			drop = []string{`DROP TRIGGER idem_keep_fails ON idempotency_keys`, `DROP FUNCTION idem_keep_fails()`}
		}
		for _, q := range install {
			if _, err := x.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		key := uuid.NewString()
		if resp, _, raw := idemDo(t, env, f, path, token, key, body("Once")); resp.StatusCode != f.status {
			t.Fatalf("create with the answer not kept = %d, want %d (the answer still goes out); body %s", resp.StatusCode, f.status, raw)
		}
		for _, q := range drop {
			if _, err := x.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		var state, object string
		if err := x.QueryRow(x.Rebind(`SELECT state, object_id FROM idempotency_keys WHERE idem_key = ?`), key).Scan(&state, &object); err != nil {
			t.Fatal(err)
		}
		if state != "committed" || object == "" {
			t.Errorf("key row after the create = %q naming %q, want committed naming what was made", state, object)
		}
		env.Store.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
		defer func() { env.Store.Now = time.Now }()
		resp, m, raw := idemDo(t, env, f, path, token, key, body("Once"))
		if resp.StatusCode != http.StatusGone || resp.Header.Get(web.ReplayedHeader) != "true" {
			t.Errorf("retry after the lease = %d (replayed %q), want 410 replayed; body %s", resp.StatusCode, resp.Header.Get(web.ReplayedHeader), raw)
		}
		f.errShape(t, http.StatusGone, m, raw)
		if object != "" && !strings.Contains(raw, object) {
			t.Errorf("the 410 does not name what was made (%s): %s", object, raw)
		}
		if n := idemCount(t, env, f, team.ID); n != 1 {
			t.Errorf("rows = %d after the retry, want 1 (made once)", n)
		}
	})
}

func idemTokenID(t *testing.T, env *webtest.Env, teamID string) string {
	t.Helper()
	var id string
	if err := env.Store.SQLX().Get(&id, env.Store.SQLX().Rebind(`SELECT CAST(id AS TEXT) FROM api_tokens WHERE team_id = ?`), teamID); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestIdempotency_KeyRotation: a kept answer is one of the sealed values a
// master key rotation re-encrypts, under the AAD that binds it to its row.
func TestIdempotency_KeyRotation(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("alpha")
			token := env.CreateToken(team.ID, false)
			f := idemFamilies()[0]
			path, body := f.setup(t, env, team.ID)
			key := uuid.NewString()
			resp, _, first := idemDo(t, env, f, path, token, key, body("A"))
			if resp.StatusCode != f.status {
				t.Fatalf("create = %d; %s", resp.StatusCode, first)
			}
			ctx := context.Background()
			sealed, err := env.Store.SealedNotUnder(ctx, "another-key")
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, s := range sealed {
				if s.Table != "idempotency_keys" {
					continue
				}
				found = true
				plain, err := env.Keys.Open(s.KeyID, s.Ciphertext, []byte(s.AAD))
				if err != nil || string(plain) != first {
					t.Fatalf("the listed answer does not open to the first answer under AAD %q: %v", s.AAD, err)
				}
				kid, ct, err := env.Keys.Seal(plain, []byte(s.AAD))
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := env.Store.Reseal(ctx, s, kid, ct); err != nil || !ok {
					t.Fatalf("reseal = %v, %v", ok, err)
				}
			}
			if !found {
				t.Fatal("a rotation does not list the kept idempotent answer")
			}
			if resp, _, again := idemDo(t, env, f, path, token, key, body("A")); resp.StatusCode != f.status || again != first {
				t.Errorf("replay after the reseal = %d %s, want the first answer", resp.StatusCode, again)
			}
		})
	}
}
