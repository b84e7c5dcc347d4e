package web_test

// The per-token rate limit of every JSON family: 429 in the family's own
// error shape with Retry-After and X-Ratelimit-* headers, counted in the
// database so it holds across app instances sharing one store.

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

// rlEachDialect runs fn on a fresh app of every dialect whose API allows
// limit requests a minute per token.
func rlEachDialect(t *testing.T, limit int, fn func(t *testing.T, env *webtest.Env)) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, webtest.NewWith(t, d, func(c *web.Config) { c.APIRateLimit = limit }))
		})
	}
}

// rlPinClock stops the store clock 30 s into a minute, so a test never
// straddles a window boundary, and returns the pinned time.
func rlPinClock(t *testing.T, env *webtest.Env) time.Time {
	t.Helper()
	at := time.Now().Truncate(time.Minute).Add(30 * time.Second)
	env.Store.Now = func() time.Time { return at }
	t.Cleanup(func() { env.Store.Now = time.Now })
	return at
}

// rlGet sends an authenticated GET to app (one of possibly several
// instances over one store) and decodes the JSON answer.
func rlGet(t *testing.T, app *web.App, path, token string) (*http.Response, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := app.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m, string(b)
}

// rlHeaders checks the X-Ratelimit-* headers of one answer.
func rlHeaders(t *testing.T, resp *http.Response, limit, remaining int, reset time.Time) {
	t.Helper()
	for h, want := range map[string]string{
		"X-Ratelimit-Limit":     strconv.Itoa(limit),
		"X-Ratelimit-Remaining": strconv.Itoa(remaining),
		"X-Ratelimit-Reset":     strconv.FormatInt(reset.UnixMilli(), 10),
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

// rlFamilies are the JSON families, each with a cheap GET and a check of
// its own 429 body.
var rlFamilies = []struct {
	name  string
	path  string
	check func(t *testing.T, resp *http.Response, m map[string]any, raw string)
}{
	{"node API keys", "/api/v1/integrations", func(t *testing.T, resp *http.Response, m map[string]any, raw string) {
		htAPIError(t, resp, m, raw, http.StatusTooManyRequests, "rate_limited")
	}},
	{"Infisical", "/api/v1/app-connections", func(t *testing.T, resp *http.Response, m map[string]any, raw string) {
		infErr(t, resp, m, raw, http.StatusTooManyRequests, "RateLimitExceeded")
	}},
	{"Anchor", "/v1/integrations", func(t *testing.T, resp *http.Response, m map[string]any, raw string) {
		opAnchorError(t, resp, m, raw, http.StatusTooManyRequests)
	}},
	{"LaunchDarkly", "/api/v2/integration-configurations/keys/datadog", func(t *testing.T, resp *http.Response, m map[string]any, raw string) {
		ldErr(t, resp, m, raw, http.StatusTooManyRequests, "rate_limited")
	}},
}

func TestAPIRateLimit_EveryFamily(t *testing.T) {
	const limit = 3
	rlEachDialect(t, limit, func(t *testing.T, env *webtest.Env) {
		at := rlPinClock(t, env)
		reset := at.Truncate(time.Minute).Add(time.Minute)
		team := env.CreateTeam("payments")
		for _, f := range rlFamilies {
			t.Run(f.name, func(t *testing.T) {
				token, other := env.CreateToken(team.ID, false), env.CreateToken(team.ID, true)
				for i := 1; i <= limit; i++ {
					resp, _, raw := rlGet(t, env.App, f.path, token)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("request %d of %d = %d, want 200; body %s", i, limit, resp.StatusCode, raw)
					}
					rlHeaders(t, resp, limit, limit-i, reset)
					if got := resp.Header.Get("Retry-After"); got != "" {
						t.Errorf("request %d: Retry-After = %q on an allowed request, want none", i, got)
					}
				}
				resp, m, raw := rlGet(t, env.App, f.path, token)
				f.check(t, resp, m, raw)
				rlHeaders(t, resp, limit, 0, reset)
				if got, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || got < 1 || got > 60 {
					t.Errorf("Retry-After = %q, want whole seconds in 1..60", resp.Header.Get("Retry-After"))
				} else if got != 30 {
					t.Errorf("Retry-After = %d 30 s into the window, want 30", got)
				}
				if resp, _, _ := rlGet(t, env.App, f.path, token); resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("request %d = %d, want 429 still", limit+2, resp.StatusCode)
				}

				resp, _, raw = rlGet(t, env.App, f.path, other)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("another token of the same team = %d, want 200 (limits are per token); body %s", resp.StatusCode, raw)
				}
				rlHeaders(t, resp, limit, limit-1, reset)
			})
		}
	})
}

func TestAPIRateLimit_SharedAcrossInstances(t *testing.T) {
	const limit = 3
	rlEachDialect(t, limit, func(t *testing.T, env *webtest.Env) {
		rlPinClock(t, env)
		// A second instance over the same store: on PostgreSQL this is the
		// deployment with several instances behind a load balancer.
		log := slog.New(slog.NewTextHandler(env.Logs, nil))
		second := web.New(web.Config{BaseURL: "http://127.0.0.1", APIRateLimit: limit}, env.Store, env.Keys, log)
		token := env.CreateToken(env.CreateTeam("payments").ID, false)
		for i, app := range []*web.App{env.App, second, env.App} {
			if resp, _, raw := rlGet(t, app, "/api/v1/integrations", token); resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d = %d, want 200; body %s", i+1, resp.StatusCode, raw)
			} else if got, want := resp.Header.Get("X-Ratelimit-Remaining"), strconv.Itoa(limit-i-1); got != want {
				t.Errorf("request %d: X-Ratelimit-Remaining = %q, want %q (counted across instances)", i+1, got, want)
			}
		}
		resp, m, raw := rlGet(t, second, "/api/v1/integrations", token)
		htAPIError(t, resp, m, raw, http.StatusTooManyRequests, "rate_limited")
	})
}

// TestAPIRateLimit_Leases: a busy token takes its allowance in blocks
// (leases doubling up to limit/64), so most requests cost no statement, and
// still no more than the limit passes across two instances: what one holds
// unspent counts as used, so the other is refused at most a lease early.
func TestAPIRateLimit_Leases(t *testing.T) {
	const limit = 256 // leases of up to 4
	rlEachDialect(t, limit, func(t *testing.T, env *webtest.Env) {
		at := rlPinClock(t, env)
		window := at.Truncate(time.Minute)
		team := env.CreateTeam("payments")

		t.Run("one instance", func(t *testing.T) {
			token := env.CreateToken(team.ID, false)
			for i := 1; i <= 10; i++ {
				resp, _, raw := rlGet(t, env.App, "/api/v1/integrations", token)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d = %d; body %s", i, resp.StatusCode, raw)
				}
				// One instance knows every request it served: exact.
				if got, want := resp.Header.Get("X-Ratelimit-Remaining"), strconv.Itoa(limit-i); got != want {
					t.Errorf("request %d: X-Ratelimit-Remaining = %q, want %q", i, got, want)
				}
			}
			// Leases of 1, 2, 4, 4: 11 taken for 10 served, in 4 statements.
			var hits int
			if err := env.Store.SQLX().Get(&hits, env.Store.SQLX().Rebind(`SELECT MAX(hits) FROM rate_limits WHERE window_start = ?`), window.UTC()); err != nil {
				t.Fatal(err)
			}
			if hits != 11 {
				t.Errorf("shared count after 10 requests = %d, want 11 (leases of 1, 2, 4, 4, not a count a request)", hits)
			}
		})

		t.Run("two instances", func(t *testing.T) {
			log := slog.New(slog.NewTextHandler(env.Logs, nil))
			second := web.New(web.Config{BaseURL: "http://127.0.0.1", APIRateLimit: limit}, env.Store, env.Keys, log)
			token := env.CreateToken(team.ID, false)
			served, refused := 0, 0
			for i := range 2 * limit {
				app := env.App
				if i%3 == 0 {
					app = second
				}
				resp, _, raw := rlGet(t, app, "/api/v1/integrations", token)
				switch resp.StatusCode {
				case http.StatusOK:
					served++
				case http.StatusTooManyRequests:
					refused++
				default:
					t.Fatalf("request %d = %d; body %s", i+1, resp.StatusCode, raw)
				}
			}
			if served > limit {
				t.Errorf("served %d across two instances, want at most the limit %d", served, limit)
			}
			if served < limit-2*4 {
				t.Errorf("served %d, want at least %d (only leases held unspent refused early)", served, limit-2*4)
			}
		})
	})
}

func TestAPIRateLimit_NewWindowResets(t *testing.T) {
	const limit = 3
	rlEachDialect(t, limit, func(t *testing.T, env *webtest.Env) {
		at := rlPinClock(t, env)
		token := env.CreateToken(env.CreateTeam("payments").ID, false)
		for range limit {
			rlGet(t, env.App, "/api/v1/integrations", token)
		}
		if resp, _, _ := rlGet(t, env.App, "/api/v1/integrations", token); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request %d = %d, want 429", limit+1, resp.StatusCode)
		}

		next := at.Add(time.Minute)
		env.Store.Now = func() time.Time { return next }
		resp, _, raw := rlGet(t, env.App, "/api/v1/integrations", token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first request of the next minute = %d, want 200; body %s", resp.StatusCode, raw)
		}
		rlHeaders(t, resp, limit, limit-1, next.Truncate(time.Minute).Add(time.Minute))

		// Old windows are pruned (at most once a minute per instance); the
		// previous one is kept for instances whose clock runs behind.
		later := at.Add(3 * time.Minute)
		env.Store.Now = func() time.Time { return later }
		if resp, _, _ := rlGet(t, env.App, "/api/v1/integrations", token); resp.StatusCode != http.StatusOK {
			t.Fatalf("request three minutes later = %d, want 200", resp.StatusCode)
		}
		var rows int
		if err := env.Store.SQLX().Get(&rows, `SELECT COUNT(*) FROM rate_limits`); err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Errorf("rate_limits rows after a prune = %d, want 1 (only the current window)", rows)
		}
	})
}

func TestAPIRateLimit_OffAndUnauthenticated(t *testing.T) {
	t.Run("off", func(t *testing.T) { rlEachDialect(t, -1, rlOff) })
	t.Run("unauthenticated", func(t *testing.T) { rlEachDialect(t, 1, rlUnauthenticated) })
}

// rlOff: a negative APIRateLimit turns the limit off: no headers, no rows.
func rlOff(t *testing.T, env *webtest.Env) {
	token := env.CreateToken(env.CreateTeam("payments").ID, false)
	for i := range 5 {
		resp, _, raw := rlGet(t, env.App, "/api/v1/integrations", token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d with the limit off = %d, want 200; body %s", i+1, resp.StatusCode, raw)
		}
		if got := resp.Header.Get("X-Ratelimit-Limit"); got != "" {
			t.Errorf("X-Ratelimit-Limit = %q with the limit off, want none", got)
		}
	}
	var rows int
	if err := env.Store.SQLX().Get(&rows, `SELECT COUNT(*) FROM rate_limits`); err != nil || rows != 0 {
		t.Errorf("rate_limits rows with the limit off = %d, %v; want 0", rows, err)
	}
}

// rlUnauthenticated: a request without a valid token is answered 401 and
// not counted against any token (the limit is per token).
func rlUnauthenticated(t *testing.T, env *webtest.Env) {
	for range 3 {
		resp, m, raw := rlGet(t, env.App, "/api/v1/integrations", "sbt_not_a_token")
		htAPIError(t, resp, m, raw, http.StatusUnauthorized, "unauthorized")
		if got := resp.Header.Get("X-Ratelimit-Limit"); got != "" {
			t.Errorf("X-Ratelimit-Limit = %q on a 401, want none (only tokens are counted)", got)
		}
	}
}

func TestAPIRateLimit_FailsClosed(t *testing.T) {
	rlEachDialect(t, 3, func(t *testing.T, env *webtest.Env) {
		token := env.CreateToken(env.CreateTeam("payments").ID, false)
		if _, err := env.Store.SQLX().Exec(`DROP TABLE rate_limits`); err != nil {
			t.Fatal(err)
		}
		for _, f := range rlFamilies {
			resp, m, raw := rlGet(t, env.App, f.path, token)
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("%s with the count unavailable = %d, want 500; body %s", f.name, resp.StatusCode, raw)
			}
			if m == nil || strings.Contains(raw, "rate_limits") {
				t.Errorf("%s: body %s, want the family's JSON error without internals", f.name, raw)
			}
		}
		if logs := env.Logs.String(); !strings.Contains(logs, "internal error") || !strings.Contains(logs, "hit rate limit") {
			t.Errorf("logs do not record the store failure:\n%s", logs)
		}
	})
}

// TestAPIRateLimit_ZeroIsOff: 0 means "no limit" in web.Config as in
// SWITCHBOARD_API_RATE_LIMIT (one meaning end to end); the default of 300
// is the configuration's (TestConfig_APIRateLimit in cmd/switchboard).
func TestAPIRateLimit_ZeroIsOff(t *testing.T) {
	rlEachDialect(t, 0, func(t *testing.T, env *webtest.Env) {
		token := env.CreateToken(env.CreateTeam("payments").ID, false)
		resp, _, _ := rlGet(t, env.App, "/api/v1/integrations", token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if got := resp.Header.Get("X-Ratelimit-Limit"); got != "" {
			t.Errorf("X-Ratelimit-Limit with APIRateLimit 0 = %q, want none (0 turns the limit off)", got)
		}
	})
}

// BenchmarkAPI_AuthenticatedGet measures an authenticated JSON GET (token
// lookup, the rate-limit count, an empty list) with the limiter on and off,
// so the difference is the limiter's cost: a lease statement now and then.
func BenchmarkAPI_AuthenticatedGet(b *testing.B) {
	for _, d := range dbtest.Dialects {
		for _, lim := range []struct {
			name  string
			limit int
		}{{"limiter=on", 1 << 30}, {"limiter=off", 0}} {
			b.Run(string(d)+"/"+lim.name, func(b *testing.B) {
				env := webtest.NewWith(b, d, func(c *web.Config) { c.APIRateLimit = lim.limit })
				token := env.CreateToken(env.CreateTeam("bench").ID, false)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", token, nil); resp.StatusCode != http.StatusOK {
						b.Fatalf("list = %d %s", resp.StatusCode, raw)
					}
				}
			})
		}
	}
}
