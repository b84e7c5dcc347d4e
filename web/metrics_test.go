package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

const mtToken = "metrics-token-for-the-tests-0123456789"

// mtScrape fetches /metrics with the given Authorization value.
func mtScrape(t *testing.T, env *webtest.Env, auth string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func mtParse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the /metrics answer does not parse as Prometheus text: %v", err)
	}
	return fams
}

// mtValue sums the family's samples whose labels include want.
func mtValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, true
}

var mtUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestMetrics_Scrape drives the app (sign-ins, one refused; pages of real
// ids; a reveal; unknown paths; API calls) and scrapes /metrics: it parses
// with Prometheus's own text parser, carries each promised metric, and no
// label value is an id, a raw path or anything but a registered route
// pattern. Without the token, or with a wrong one, it is refused. On SQLite
// and PostgreSQL.
func TestMetrics_Scrape(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewWith(t, d, func(c *web.Config) { c.MetricsToken = mtToken })
			team := env.CreateTeam("payments")
			node := env.CreateNode(team.ID, "edge-1")
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			admin, _ := htSignIn(t, env, "admin@example.com")
			bad := env.Client()
			bad.Get("/sign-in")
			bad.Post("/sign-in", url.Values{"email": {"admin@example.com"}, "password": {"wrong password, wrong"}})
			revealPath := htCreateKey(t, admin, team.ID, node.ID, "Key")
			admin.Get(revealPath)
			admin.Get(revealPath) // gone
			keyID := htOnlyRow(t, env, node.ID).ID
			admin.Get("/integrations/" + keyID)
			admin.Get("/teams/" + team.ID)
			rawPaths := []string{"/no/such/page-xyzzy", "/api/v1/nope-plugh", "/integrations/" + keyID + "/edit"}
			for _, p := range rawPaths {
				admin.Get(p)
			}
			token := env.CreateToken(team.ID, false)
			env.API(http.MethodGet, "/api/v1/integrations/"+keyID, token, nil)
			env.API(http.MethodGet, "/api/v2/integration-configurations/"+node.ID, token, nil)

			for _, auth := range []string{"", "Bearer wrong-token-wrong-token-wrong", mtToken, "Basic " + mtToken} {
				if resp, body := mtScrape(t, env, auth); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "switchboard_http") {
					t.Errorf("GET /metrics with Authorization %q = %d, want 401 without metrics", auth, resp.StatusCode)
				}
			}
			resp, body := mtScrape(t, env, "Bearer "+mtToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /metrics with the token = %d, want 200", resp.StatusCode)
			}
			fams := mtParse(t, body)
			for _, tc := range []struct {
				name   string
				labels map[string]string
				min    float64
			}{
				{"switchboard_http_requests_total", map[string]string{"route": "/integrations/:id", "method": "GET", "status": "200"}, 1},
				{"switchboard_http_request_duration_seconds", map[string]string{"route": "/integrations/:id"}, 1},
				{"switchboard_http_requests_total", map[string]string{"route": "/api/v1/integrations/:id", "status": "200"}, 1},
				{"switchboard_sign_in_failures_total", map[string]string{"reason": "credentials"}, 1},
				{"switchboard_reveal_claims_total", map[string]string{"outcome": "shown"}, 1},
				{"switchboard_reveal_claims_total", map[string]string{"outcome": "gone"}, 1},
				{"go_sql_max_open_connections", map[string]string{"db_name": "switchboard"}, 1},
				{"go_goroutines", nil, 1},
				{"process_resident_memory_bytes", nil, 1},
			} {
				v, ok := mtValue(fams, tc.name, tc.labels)
				if !ok || v < tc.min {
					t.Errorf("%s%v = %v (present %v), want at least %v", tc.name, tc.labels, v, ok, tc.min)
				}
			}
			routes := map[string]bool{"other": true}
			for _, r := range env.App.Fiber.GetRoutes(false) {
				routes[r.Path] = true
			}
			forbidden := append([]string{keyID, team.ID, node.ID, token, "xyzzy", "plugh", strings.TrimPrefix(revealPath, "/reveal/")}, rawPaths...)
			for name, f := range fams {
				for _, m := range f.GetMetric() {
					for _, l := range m.GetLabel() {
						v := l.GetValue()
						if mtUUID.MatchString(v) {
							t.Errorf("%s: label %s=%q is an id", name, l.GetName(), v)
						}
						for _, s := range forbidden {
							if strings.Contains(v, s) {
								t.Errorf("%s: label %s=%q carries a raw path or id (%s)", name, l.GetName(), v, s)
							}
						}
						if l.GetName() == "route" && !routes[v] {
							t.Errorf("%s: route label %q is not a registered route pattern", name, v)
						}
					}
				}
			}
		})
	}
}

// TestMetrics_RateLimitedAndOff: a 429 of the per-token limit is counted,
// and an app without a metrics token has no /metrics route at all.
func TestMetrics_RateLimitedAndOff(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewWith(t, d, func(c *web.Config) { c.MetricsToken = mtToken; c.APIRateLimit = 1 })
			team := env.CreateTeam("payments")
			token := env.CreateToken(team.ID, true)
			env.API(http.MethodGet, "/api/v1/integrations", token, nil)
			if resp, _, _ := env.API(http.MethodGet, "/api/v1/integrations", token, nil); resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("second request over a limit of 1 = %d, want 429", resp.StatusCode)
			}
			_, body := mtScrape(t, env, "Bearer "+mtToken)
			if v, _ := mtValue(mtParse(t, body), "switchboard_api_rate_limited_total", map[string]string{"route": "/api/v1/integrations"}); v != 1 {
				t.Errorf("switchboard_api_rate_limited_total{route=/api/v1/integrations} = %v, want 1", v)
			}

			off := webtest.New(t, d)
			for _, auth := range []string{"", "Bearer " + mtToken} {
				if resp, body := mtScrape(t, off, auth); resp.StatusCode == http.StatusOK || strings.Contains(body, "go_goroutines") {
					t.Errorf("GET /metrics without a configured token (Authorization %q) = %d, want no metrics", auth, resp.StatusCode)
				}
			}
		})
	}
}
