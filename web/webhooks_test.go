package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/web/webtest"
	"switchboard/webhooks"
)

// whReceiver is a webhook receiver that checks the signature of every
// delivery and answers the statuses it is told to, in turn (then 200).
type whReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	codes  []int
	got    []whDelivery
	srv    *httptest.Server
	// onDelivery, when set, runs (under mu) as a delivery arrives,
	// before it is answered.
	onDelivery func()
}

type whDelivery struct {
	EventID, Type, Body string
	Code                int
}

func whNewReceiver(t *testing.T, codes ...int) *whReceiver {
	r := &whReceiver{t: t, codes: codes}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if !whValid(r.secret, req.Header.Get("Switchboard-Signature"), body) {
			r.t.Errorf("delivery with a bad signature %q", req.Header.Get("Switchboard-Signature"))
		}
		var p struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			r.t.Errorf("delivery body is not JSON: %s", body)
		}
		code := http.StatusOK
		if len(r.codes) > 0 {
			code, r.codes = r.codes[0], r.codes[1:]
		}
		r.got = append(r.got, whDelivery{EventID: p.ID, Type: p.Type, Body: string(body), Code: code})
		if r.onDelivery != nil {
			r.onDelivery()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// whValid checks "t=<unix>,v1=<hex>" as the README tells receivers to.
func whValid(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return ts != "" && hmac.Equal([]byte(sig), []byte(want))
}

func (r *whReceiver) deliveries() []whDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]whDelivery{}, r.got...)
}

var whSecretRE = regexp.MustCompile(`sbwh_[0-9A-Za-z]{49}`)

// TestWebhooks_SignedRetriedOnceNoSecret: an admin adds an endpoint for
// integration.* events on the page and gets its secret once; a node key is
// created and rotated; the receiver checks every signature, answers the
// first delivery 500 and sees it again after the backoff, gets each event
// exactly once with a 2xx, never a token.create (not asked for) and never
// a secret. The delivery log shows it, and Redeliver sends one again. On
// SQLite and PostgreSQL.
func TestWebhooks_SignedRetriedOnceNoSecret(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		rcv := whNewReceiver(t, http.StatusInternalServerError)
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		if resp, page := c.Post("/webhooks", url.Values{"team_id": {""}, "url": {"ftp://x"}, "events": {"nope.thing"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(page, `data-testid="error-url"`) || !strings.Contains(page, `data-testid="error-events"`) {
			t.Errorf("bad webhook form: %d, want 422 with url and events errors", resp.StatusCode)
		}
		resp, _ := c.Post("/webhooks", url.Values{"team_id": {""}, "url": {rcv.srv.URL + "/hook"}, "events": {"integration."}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/reveal/") {
			t.Fatalf("add webhook: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, reveal := c.Get(resp.Header.Get("Location"))
		rcv.secret = whSecretRE.FindString(reveal)
		if rcv.secret == "" {
			t.Fatal("the reveal shows no signing secret")
		}
		eps, err := env.App.Webhooks.List(context.Background(), sb.Actor{Role: sb.RoleAdmin})
		if err != nil || len(eps) != 1 {
			t.Fatalf("endpoints: %v %v", eps, err)
		}
		epID := eps[0].ID

		now := time.Now().UTC().Add(time.Second)
		env.App.Webhooks.Now = func() time.Time { return now }
		rw := env.CreateToken(team.ID, false)
		id, _, keySecret := vkKey(t, env, rw, env.CreateNode(team.ID, "edge").ID, nil)
		_, m, _ := env.API(http.MethodPost, "/api/v1/integrations/"+id+"/rotate", rw, nil)
		newSecret, _ := m["secret"].(string)
		d := env.App.WebhookDispatcher
		if n, err := d.RunOnce(context.Background()); err != nil || n != 2 {
			t.Fatalf("first run attempted %d (%v), want 2", n, err)
		}
		if n, _ := d.RunOnce(context.Background()); n != 0 {
			t.Errorf("a second run before the backoff attempted %d, want 0", n)
		}
		now = now.Add(webhooks.Backoff(1) + time.Second)
		if n, _ := d.RunOnce(context.Background()); n != 1 {
			t.Errorf("after the backoff: %d attempts, want 1 (the retry)", n)
		}
		now = now.Add(2 * time.Hour)
		if n, _ := d.RunOnce(context.Background()); n != 0 {
			t.Errorf("after every success: %d attempts, want 0", n)
		}
		got := rcv.deliveries()
		if len(got) != 3 || got[0].Code != 500 {
			t.Fatalf("receiver saw %+v, want 3 deliveries, the first answered 500", got)
		}
		ok := map[string]int{}
		types := map[string]bool{}
		for _, g := range got {
			if g.Code == 200 {
				ok[g.EventID]++
			}
			types[g.Type] = true
			for _, s := range []string{keySecret, newSecret, rcv.secret, rw} {
				if s != "" && strings.Contains(g.Body, s) {
					t.Errorf("a delivery carries a secret: %s", g.Body)
				}
			}
		}
		if got[2].EventID != got[0].EventID {
			t.Errorf("the retry is of event %s, want the refused %s", got[2].EventID, got[0].EventID)
		}
		if len(ok) != 2 {
			t.Errorf("events delivered: %v, want 2 events", ok)
		}
		for ev, n := range ok {
			if n != 1 {
				t.Errorf("event %s delivered %d times, want exactly once", ev, n)
			}
		}
		if !types["integration.create"] || !types["integration.rotate"] || types["token.create"] {
			t.Errorf("delivered types %v, want integration.create and .rotate only", types)
		}

		_, page := c.Get("/webhooks/" + epID)
		if strings.Count(page, `data-testid="delivery-row"`) != 2 || !strings.Contains(page, "HTTP 200") || !strings.Contains(page, `data-testid="redeliver"`) {
			t.Errorf("the delivery log does not show two delivered rows with Redeliver")
		}
		if strings.Contains(page, rcv.secret) {
			t.Errorf("the endpoint page shows the secret")
		}
		if resp, _ := c.Post("/webhooks/"+epID+"/deliveries/"+got[0].EventID+"/redeliver", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("redeliver: %d, want 303", resp.StatusCode)
		}
		if n, _ := d.RunOnce(context.Background()); n != 1 || len(rcv.deliveries()) != 4 {
			t.Errorf("redeliver: %d attempts and %d deliveries, want 1 and 4", n, len(rcv.deliveries()))
		}
	})
}

// TestWebhooks_DisabledAfterFailingADay: a receiver that always answers
// 500 is retried with growing waits; after 24 hours the delivery is given
// up and the endpoint disabled, its page saying why.
func TestWebhooks_DisabledAfterFailingADay(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		rcv := whNewReceiver(t)
		team := env.CreateTeam("payments")
		admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
		actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
		secret, ep, err := env.App.Webhooks.Create(context.Background(), actor, webhooks.Input{TeamID: team.ID, URL: rcv.srv.URL, Events: "node.create"})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = secret
		rcv.codes = make([]int, 1000)
		for i := range rcv.codes {
			rcv.codes[i] = http.StatusInternalServerError
		}
		env.CreateNode(team.ID, "edge") // node.create, of the team
		start := time.Now().UTC().Add(time.Second)
		now := start
		env.App.Webhooks.Now = func() time.Time { return now }
		d := env.App.WebhookDispatcher
		attempts := 0
		for now.Sub(start) <= 25*time.Hour {
			n, err := d.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			attempts += n
			now = now.Add(10 * time.Minute)
		}
		if attempts < 20 || attempts > 40 {
			t.Errorf("%d attempts in 25 hours, want the backoff's 20-40", attempts)
		}
		got, err := env.App.Webhooks.Get(context.Background(), actor, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || !strings.Contains(got.DisabledReason, "HTTP 500") {
			t.Errorf("after 24 hours of failures: enabled %v, reason %q", got.Enabled, got.DisabledReason)
		}
		c, _ := htSignIn(t, env, "admin@example.com")
		if _, page := c.Get("/webhooks/" + ep.ID); !strings.Contains(page, `data-testid="webhook-disabled-reason"`) || !strings.Contains(page, "failed") {
			t.Errorf("the endpoint page does not say why it is disabled")
		}
	})
}

// TestWebhooks_RestartLosesNothing (SQLite): a change is made while no
// dispatcher runs, then the database pool is closed (the instance stops)
// and a new app instance opens the database file afresh and delivers the
// event: the queue row was written in the change's own transaction. The
// PostgreSQL server itself is crashed and restarted in
// TestWebhooks_PostgresCrashLosesNothing.
func TestWebhooks_RestartLosesNothing(t *testing.T) {
	envs, dbURL, keys := exInstances(t, db.SQLite, 1)
	env := envs[0]
	rcv := whNewReceiver(t)
	team := env.CreateTeam("payments")
	admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
	actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
	secret, _, err := env.App.Webhooks.Create(context.Background(), actor, webhooks.Input{URL: rcv.srv.URL, Events: "integration.create"})
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secret
	created, err := env.App.Services.Create(context.Background(), actor, &integrations.NodeKeyInput{NodeID: env.CreateNode(team.ID, "edge").ID, Name: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	next := exInstance(t, dbURL, keys)
	if n, err := next.App.WebhookDispatcher.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("the new instance attempted %d (%v), want 1", n, err)
	}
	got := rcv.deliveries()
	if len(got) != 1 || got[0].Type != "integration.create" || !strings.Contains(got[0].Body, created.Record.ID) {
		t.Errorf("after the restart the receiver got %+v, want the integration.create of %s", got, created.Record.ID)
	}
}

// TestWebhooks_PostgresCrashLosesNothing: on a PostgreSQL cluster of the
// test's own, two node keys are created while the receiver is down: the
// first one's delivery has been tried once (503, a retry pending), the
// second's not yet. Then the server is crashed (pg_ctl stop -m immediate:
// no checkpoint, every backend killed) while the app's own delivery
// engine keeps polling, and started again on the same data dir. The same
// app, its pool reconnecting, delivers both events: each reaches the
// receiver exactly once with a 2xx and a valid signature, no attempt is
// wasted on the outage, and the app answers again. Without initdb it
// skips, or fails under SWITCHBOARD_REQUIRE_POSTGRES=1.
func TestWebhooks_PostgresCrashLosesNothing(t *testing.T) {
	pg := dbtest.StartCluster(t)
	env := exInstance(t, pg.URL(), whKeyring(t))
	ctx := context.Background()
	rcv := whNewReceiver(t, http.StatusServiceUnavailable)
	team := env.CreateTeam("payments")
	admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
	actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
	secret, ep, err := env.App.Webhooks.Create(ctx, actor, webhooks.Input{URL: rcv.srv.URL, Events: "integration.create"})
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secret
	var mu sync.Mutex
	now := time.Now().UTC().Add(time.Second)
	env.App.Webhooks.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	node := env.CreateNode(team.ID, "edge")
	first, err := env.App.Services.Create(ctx, actor, &integrations.NodeKeyInput{NodeID: node.ID, Name: "first"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := env.App.WebhookDispatcher
	if n, err := d.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the attempt before the crash: %d (%v), want 1", n, err)
	}
	second, err := env.App.Services.Create(ctx, actor, &integrations.NodeKeyInput{NodeID: env.CreateNode(team.ID, "edge-2").ID, Name: "second"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A pool full of idle connections that the crash leaves dead: the
	// engine meets them after the restart, not only during the outage.
	var warm sync.WaitGroup
	for range 15 {
		warm.Add(1)
		go func() {
			defer warm.Done()
			if _, err := env.Store.SQLX().ExecContext(ctx, `SELECT pg_sleep(0.2)`); err != nil {
				t.Error(err)
			}
		}()
	}
	warm.Wait()
	if n := env.Store.SQLX().Stats().Idle; n < 10 {
		t.Fatalf("%d idle connections before the crash, want at least 10", n)
	}
	pg.Crash()
	d.Interval = 50 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(runCtx) }()
	defer func() { stop(); <-done }()
	waitFor(t, 20*time.Second, "the engine to notice the database is down", func() bool {
		return strings.Contains(env.Logs.String(), "webhook dispatch")
	})
	pg.Start()
	mu.Lock()
	now = now.Add(webhooks.Backoff(1) + time.Second) // the first one's retry is due
	mu.Unlock()

	delivered := func() map[string]int {
		ok := map[string]int{}
		for _, g := range rcv.deliveries() {
			if g.Code == http.StatusOK {
				ok[g.EventID]++
			}
		}
		return ok
	}
	waitFor(t, 60*time.Second, "both events delivered after the restart", func() bool { return len(delivered()) == 2 })
	time.Sleep(20 * d.Interval) // more polls: nothing is sent twice
	stop()
	<-done

	got := rcv.deliveries()
	if len(got) != 3 || got[0].Code != http.StatusServiceUnavailable || (got[0].EventID != got[1].EventID && got[0].EventID != got[2].EventID) {
		t.Errorf("the receiver saw %+v, want 3 deliveries: the refused first event, then it again and the second once", got)
	}
	for ev, n := range delivered() {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want exactly once", ev, n)
		}
	}
	for _, rec := range []string{first.Record.ID, second.Record.ID} {
		found := false
		for _, g := range got {
			found = found || g.Code == http.StatusOK && g.Type == "integration.create" && strings.Contains(g.Body, rec)
		}
		if !found {
			t.Errorf("the integration.create of %s never reached the receiver with a 2xx", rec)
		}
	}
	rows, err := env.Store.ListWebhookDeliveries(ctx, ep.ID, 10)
	if err != nil {
		t.Fatalf("the store after the restart: %v", err)
	}
	attempts := 0
	for _, r := range rows {
		if r.Status != "delivered" {
			t.Errorf("delivery of %s is %q, want delivered", r.EventID, r.Status)
		}
		attempts += r.Attempts
	}
	if len(rows) != 2 || attempts != 3 {
		t.Errorf("%d deliveries with %d attempts in all, want 2 with 3 (none counted for the outage)", len(rows), attempts)
	}
	if resp, _ := htRaw(t, env, http.MethodGet, "/readyz", nil, nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz after the restart = %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(pg.ServerLog(), "database system was interrupted") && !strings.Contains(pg.ServerLog(), "not properly shut down") {
		t.Logf("server log:\n%s", pg.ServerLog())
		t.Errorf("the server log shows no crash recovery")
	}
}

// TestWebhooks_PostgresCrashMidDeliveryOnce: the server crashes while a
// delivery is in flight, after the receiver got it and before its result
// is written; it is back a second later. The engine keeps retrying the
// write of the result until it lands, so the event is not sent again when
// the claim runs out: the receiver gets it exactly once, signed. Without
// initdb it skips, or fails under SWITCHBOARD_REQUIRE_POSTGRES=1.
func TestWebhooks_PostgresCrashMidDeliveryOnce(t *testing.T) {
	pg := dbtest.StartCluster(t)
	env := exInstance(t, pg.URL(), whKeyring(t))
	ctx := context.Background()
	rcv := whNewReceiver(t)
	team := env.CreateTeam("payments")
	admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
	actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
	secret, ep, err := env.App.Webhooks.Create(ctx, actor, webhooks.Input{URL: rcv.srv.URL, Events: "integration.create"})
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secret
	var mu sync.Mutex
	now := time.Now().UTC().Add(time.Second)
	env.App.Webhooks.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	created, err := env.App.Services.Create(ctx, actor, &integrations.NodeKeyInput{NodeID: env.CreateNode(team.ID, "edge").ID, Name: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	rcv.mu.Lock()
	rcv.onDelivery = func() {
		rcv.onDelivery = nil
		if err := pg.CrashErr(); err != nil {
			restarted <- err
			return
		}
		go func() {
			time.Sleep(time.Second)
			restarted <- pg.StartErr()
		}()
	}
	rcv.mu.Unlock()
	d := env.App.WebhookDispatcher
	n, err := d.RunOnce(ctx) // returns once the result is written, after the restart
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if err != nil || n != 1 {
		t.Errorf("the attempt through the crash: %d (%v), want 1 and its result written", n, err)
	}
	mu.Lock()
	now = now.Add(10 * time.Minute) // long past the claim's hold
	mu.Unlock()
	if n, err := d.RunOnce(ctx); err != nil || n != 0 {
		t.Errorf("after the claim's hold: %d attempts (%v), want 0", n, err)
	}
	got := rcv.deliveries()
	if len(got) != 1 || got[0].Code != http.StatusOK || !strings.Contains(got[0].Body, created.Record.ID) {
		t.Errorf("the receiver saw %+v, want the integration.create of %s once", got, created.Record.ID)
	}
	rows, err := env.Store.ListWebhookDeliveries(ctx, ep.ID, 10)
	if err != nil || len(rows) != 1 || rows[0].Status != "delivered" || rows[0].Attempts != 1 {
		t.Errorf("deliveries after the restart: %+v (%v), want one delivered in 1 attempt", rows, err)
	}
}

// whKeyring is a fresh master keyring for apps a test opens itself.
func whKeyring(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// waitFor polls cond every 20 ms until it holds, failing t after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhooks_TwoInstancesDeliverOnce: two app instances on one database
// run their dispatchers at the same moment; each event reaches the
// receiver once. On SQLite and PostgreSQL.
func TestWebhooks_TwoInstancesDeliverOnce(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			envs, _, _ := exInstances(t, d, 2)
			rcv := whNewReceiver(t)
			team := envs[0].CreateTeam("payments")
			admin := envs[0].CreateUser("admin@example.com", sb.RoleAdmin)
			actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
			secret, _, err := envs[0].App.Webhooks.Create(context.Background(), actor, webhooks.Input{URL: rcv.srv.URL, Events: "node.create"})
			if err != nil {
				t.Fatal(err)
			}
			rcv.secret = secret
			for i := range 6 {
				envs[i%2].CreateNode(team.ID, "edge-"+string(rune('a'+i)))
			}
			var wg sync.WaitGroup
			for _, e := range append(envs, envs...) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.App.WebhookDispatcher.RunOnce(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			seen := map[string]int{}
			for _, g := range rcv.deliveries() {
				seen[g.EventID]++
			}
			if len(seen) != 6 {
				t.Errorf("%d events delivered, want 6", len(seen))
			}
			for ev, n := range seen {
				if n != 1 {
					t.Errorf("event %s delivered %d times, want once", ev, n)
				}
			}
		})
	}
}
