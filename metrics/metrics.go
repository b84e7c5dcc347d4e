// Package metrics is Switchboard's Prometheus instrumentation: one registry
// with the HTTP request counts and latencies (labelled by route pattern and
// status, never by raw path or id), the database pool, rate-limit refusals,
// sign-in failures, reveal claims, and the Go runtime and process
// collectors. Every label value comes from a closed set, so a scrape's
// series count cannot grow with traffic.
package metrics

import (
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// OtherRoute is the route label of a request whose route pattern is not one
// of the app's registered routes (it cannot happen through Fiber's router,
// but an unknown value must never become a label).
const OtherRoute = "other"

// Metrics holds the registry and Switchboard's own collectors.
type Metrics struct {
	// Registry is what /metrics exposes.
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	rateLimited    *prometheus.CounterVec
	signInFailures *prometheus.CounterVec
	revealClaims   *prometheus.CounterVec
	routes         map[string]bool
}

// New returns the metrics of one app over its database pool (nil: no pool
// statistics).
func New(pool *sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_api_rate_limited_total",
			Help: "JSON API requests refused (429) by the per-token rate limit, by API family route.",
		}, []string{"route"}),
		signInFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sign_in_failures_total",
			Help: "Refused browser sign-ins, by reason (credentials, second_factor, sso, throttled).",
		}, []string{"reason"}),
		revealClaims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_reveal_claims_total",
			Help: "Requests for a one-time reveal, by outcome (shown, gone, not_found).",
		}, []string{"outcome"}),
		routes: map[string]bool{},
	}
	reg.MustRegister(m.requests, m.duration, m.rateLimited, m.signInFailures, m.revealClaims,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, "switchboard"))
	}
	// Zero series for the outcomes, so a dashboard sees 0 rather than nothing.
	for _, r := range []string{"credentials", "second_factor", "sso", "throttled"} {
		m.signInFailures.WithLabelValues(r)
	}
	for _, o := range []string{"shown", "gone", "not_found"} {
		m.revealClaims.WithLabelValues(o)
	}
	return m
}

// AddRoutes declares the app's route patterns: only these become route
// label values.
func (m *Metrics) AddRoutes(patterns ...string) {
	for _, p := range patterns {
		m.routes[p] = true
	}
}

var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Observe records one answered request: route is the pattern that answered
// it (Fiber's c.Route().Path), never the raw path. A sign-in answered 401
// or 429 counts as a sign-in failure, a reveal's outcome as a claim, and a
// 429 under /api or /v1 as a rate-limit refusal.
func (m *Metrics) Observe(method, route string, status int, d time.Duration) {
	if !methods[method] {
		method = "OTHER"
	}
	if !m.routes[route] {
		route = OtherRoute
	}
	code := strconv.Itoa(status)
	if status < 100 || status > 599 {
		code = "other"
	}
	m.requests.WithLabelValues(method, route, code).Inc()
	m.duration.WithLabelValues(method, route, code).Observe(d.Seconds())
	switch {
	case route == "/sign-in" && method == http.MethodPost && status == http.StatusUnauthorized:
		m.signInFailures.WithLabelValues("credentials").Inc()
	case (route == "/sign-in" || route == "/sign-in/two-factor") && method == http.MethodPost && status == http.StatusTooManyRequests:
		m.signInFailures.WithLabelValues("throttled").Inc()
	case route == "/sign-in/two-factor" && method == http.MethodPost && status == http.StatusUnauthorized:
		m.signInFailures.WithLabelValues("second_factor").Inc()
	case route == "/sign-in/oidc/callback" && status == http.StatusUnauthorized:
		m.signInFailures.WithLabelValues("sso").Inc()
	case route == "/reveal/:id" && method == http.MethodGet:
		switch status {
		case http.StatusOK:
			m.revealClaims.WithLabelValues("shown").Inc()
		case http.StatusGone:
			m.revealClaims.WithLabelValues("gone").Inc()
		case http.StatusNotFound:
			m.revealClaims.WithLabelValues("not_found").Inc()
		}
	case status == http.StatusTooManyRequests && (strings.HasPrefix(route, "/api/") || strings.HasPrefix(route, "/v1/")):
		m.rateLimited.WithLabelValues(route).Inc()
	}
}

// Handler serves the registry in Prometheus's text format. With a token it
// wants "Authorization: Bearer <token>" (compared in constant time) and
// answers 401 otherwise; an empty token serves anyone (for a separate,
// private metrics address only).
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "401 Unauthorized: send the metrics token as Authorization: Bearer <token>", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
