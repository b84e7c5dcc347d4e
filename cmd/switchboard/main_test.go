package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	code := exitCode(err, &errb)
	return result{code, out.String(), errb.String()}
}

func TestRun_BadConfigExits2(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		variable string
	}{
		{"unknown database scheme", map[string]string{"SWITCHBOARD_DATABASE_URL": "mysql://root@localhost/x"}, []string{"migrate"}, "SWITCHBOARD_DATABASE_URL"},
		{"short master key", map[string]string{"SWITCHBOARD_MASTER_KEY": "c2hvcnQ="}, []string{"migrate"}, "SWITCHBOARD_MASTER_KEY"},
		{"master key not base64", map[string]string{"SWITCHBOARD_MASTER_KEY": "!!!!"}, []string{"serve"}, "SWITCHBOARD_MASTER_KEY"},
		{"unparsable address", map[string]string{"SWITCHBOARD_ADDR": "localhost"}, []string{"serve"}, "SWITCHBOARD_ADDR"},
		{"address by flag", nil, []string{"serve", "--addr", "127.0.0.1:99999"}, "SWITCHBOARD_ADDR"},
		{"bad base URL", map[string]string{"SWITCHBOARD_BASE_URL": "ftp://x"}, []string{"serve"}, "SWITCHBOARD_BASE_URL"},
		{"bad idle", map[string]string{"SWITCHBOARD_SESSION_IDLE": "soon"}, []string{"serve"}, "SWITCHBOARD_SESSION_IDLE"},
		{"request timeout too short", map[string]string{"SWITCHBOARD_REQUEST_TIMEOUT": "10ms"}, []string{"serve"}, "SWITCHBOARD_REQUEST_TIMEOUT"},
		{"rate limit not a number", map[string]string{"SWITCHBOARD_API_RATE_LIMIT": "lots"}, []string{"serve"}, "SWITCHBOARD_API_RATE_LIMIT"},
		{"negative rate limit by flag", nil, []string{"serve", "--api-rate-limit", "-5"}, "SWITCHBOARD_API_RATE_LIMIT"},
		{"postgres without key", map[string]string{"SWITCHBOARD_DATABASE_URL": "postgres://127.0.0.1:1/x"}, []string{"serve"}, "SWITCHBOARD_MASTER_KEY"},
		{"short metrics token", map[string]string{"SWITCHBOARD_METRICS_TOKEN": "short"}, []string{"serve"}, "SWITCHBOARD_METRICS_TOKEN"},
		{"bad metrics address", map[string]string{"SWITCHBOARD_METRICS_ADDR": "localhost"}, []string{"serve"}, "SWITCHBOARD_METRICS_ADDR"},
		{"issuer without client", map[string]string{"SWITCHBOARD_OIDC_ISSUER": "https://idp.example.com"}, []string{"serve"}, "SWITCHBOARD_OIDC_ISSUER"},
		{"issuer not a URL", map[string]string{"SWITCHBOARD_OIDC_ISSUER": "idp", "SWITCHBOARD_OIDC_CLIENT_ID": "c", "SWITCHBOARD_OIDC_CLIENT_SECRET": "s"}, []string{"serve"}, "SWITCHBOARD_OIDC_ISSUER"},
		{"secret and secret file", map[string]string{"SWITCHBOARD_OIDC_ISSUER": "https://idp.example.com", "SWITCHBOARD_OIDC_CLIENT_ID": "c", "SWITCHBOARD_OIDC_CLIENT_SECRET": "s", "SWITCHBOARD_OIDC_CLIENT_SECRET_FILE": "/nonexistent"}, []string{"serve"}, "SWITCHBOARD_OIDC_CLIENT_SECRET_FILE"},
		{"password sign-in off without SSO", map[string]string{"SWITCHBOARD_PASSWORD_SIGN_IN": "false"}, []string{"serve"}, "SWITCHBOARD_PASSWORD_SIGN_IN"},
		{"JIT not a bool", map[string]string{"SWITCHBOARD_OIDC_JIT": "maybe"}, []string{"serve"}, "SWITCHBOARD_OIDC_JIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit status = %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.variable) {
				t.Errorf("stderr = %q, want one line naming %s", r.stderr, tt.variable)
			}
			if v := tt.env["SWITCHBOARD_MASTER_KEY"]; v != "" && strings.Contains(r.stderr, v) {
				t.Errorf("stderr echoes the master key: %q", r.stderr)
			}
		})
	}
}

func TestRun_UnknownCommand(t *testing.T) {
	if r := runCLI(t, nil, "", "frobnicate"); r.code != 2 {
		t.Errorf("exit status = %d, want 2", r.code)
	}
}

func TestCLI_Create(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			key, _ := secrets.GenerateKey()
			env := map[string]string{"SWITCHBOARD_DATABASE_URL": dbtest.URL(t, d), "SWITCHBOARD_MASTER_KEY": key}
			uuidRE := regexp.MustCompile(`^[0-9a-f-]{36}\n$`)

			r := runCLI(t, env, "", "teams", "create", "--slug", "payments", "--name", "Payments")
			if r.code != 0 || !uuidRE.MatchString(r.stdout) {
				t.Fatalf("teams create: status %d stdout %q stderr %q; want 0 and a lone id", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, env, "", "teams", "create", "--slug", "payments", "--name", "Again"); r.code != 1 || r.stdout != "" {
				t.Errorf("duplicate team: status %d stdout %q, want 1 and nothing", r.code, r.stdout)
			}
			if r := runCLI(t, env, "", "nodes", "create", "--team", "payments", "--name", "edge-1"); r.code != 0 || !uuidRE.MatchString(r.stdout) {
				t.Errorf("nodes create: status %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, env, "", "nodes", "create", "--team", "nope", "--name", "edge-1"); r.code != 1 {
				t.Errorf("node of unknown team: status %d, want 1", r.code)
			}
			r = runCLI(t, env, "", "tokens", "create", "--team", "payments", "--name", "deploy", "--expires", "720h")
			token := strings.TrimSpace(r.stdout)
			if r.code != 0 || !secrets.CheckToken("sbt_", token) {
				t.Errorf("tokens create: status %d stdout %q; want a valid sbt_ token", r.code, r.stdout)
			}
			r = runCLI(t, env, "a password that is long enough\n", "users", "create", "--email", "Ops@Example.com", "--role", "support", "--team", "payments", "--password-stdin")
			if r.code != 0 || !uuidRE.MatchString(r.stdout) {
				t.Errorf("users create: status %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stderr, "a password that is long enough") {
				t.Errorf("users create echoed the password")
			}
			if r := runCLI(t, env, "short\n", "users", "create", "--email", "x@example.com", "--role", "admin", "--password-stdin"); r.code != 2 || !strings.Contains(r.stderr, "password") {
				t.Errorf("short password: status %d stderr %q; want 2 naming password", r.code, r.stderr)
			}
			if r := runCLI(t, env, "", "users", "create", "--email", "x@example.com", "--role", "admin"); r.code != 2 {
				t.Errorf("users create without --password-stdin: status %d, want 2", r.code)
			}
		})
	}
}

// syncBuf collects the server's stderr while it runs.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServe_LogsSetupURLAndServes(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := map[string]string{"SWITCHBOARD_DATABASE_URL": dbtest.URL(t, d), "SWITCHBOARD_ADDR": "127.0.0.1:0"}
			if d == db.Postgres {
				env["SWITCHBOARD_MASTER_KEY"], _ = secrets.GenerateKey()
			} else {
				env["SWITCHBOARD_DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "data", "sb.db")
			}
			ctx, cancel := context.WithCancel(context.Background())
			errb := &syncBuf{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, errb)
			}()
			addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
			setupRE := regexp.MustCompile(`setup_url=\S+/setup/([0-9a-f]+)`)
			var addr, token string
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if m := setupRE.FindStringSubmatch(errb.String()); m != nil {
					token = m[1]
					addr = addrRE.FindStringSubmatch(errb.String())[1]
					break
				}
			}
			if token == "" {
				cancel()
				t.Fatalf("no setup URL logged; stderr:\n%s", errb.String())
			}
			for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/setup/" + token: 200, "/setup/" + strings.Repeat("0", 32): 404} {
				resp, err := http.Get("http://" + addr + path)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
				}
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve returned %v after cancel, want nil", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop within 15s of cancel")
			}
			if strings.Contains(errb.String(), "/setup/"+token) && strings.Count(errb.String(), token) != 1 {
				t.Errorf("setup token logged more than once (request log must show the route, not the token)")
			}
		})
	}
}

func TestBindConfig_APIRateLimitAndManifestDir(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		args         []string
		wantRate     int
		wantManifest string
	}{
		{"defaults", nil, nil, 300, ""},
		{"from the environment", map[string]string{"SWITCHBOARD_API_RATE_LIMIT": "60", "SWITCHBOARD_MANIFEST_DIR": "/etc/sb/manifests"}, nil, 60, "/etc/sb/manifests"},
		{"zero turns the limit off", map[string]string{"SWITCHBOARD_API_RATE_LIMIT": "0"}, nil, 0, ""},
		{"flag over environment", map[string]string{"SWITCHBOARD_API_RATE_LIMIT": "60", "SWITCHBOARD_MANIFEST_DIR": "env"}, []string{"--api-rate-limit", "1000", "--manifest-dir", "flag"}, 1000, "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			load := bindConfig(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := load()
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if cfg.APIRateLimit != tt.wantRate || cfg.ManifestDir != tt.wantManifest {
				t.Errorf("APIRateLimit, ManifestDir = %d, %q; want %d, %q", cfg.APIRateLimit, cfg.ManifestDir, tt.wantRate, tt.wantManifest)
			}
		})
	}
}

// TestBindConfig_OIDCSecretFile: the client secret is read from its _FILE
// (trimmed), and the single sign-on settings reach the config.
func TestBindConfig_OIDCSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SWITCHBOARD_OIDC_ISSUER": "https://idp.example.com/", "SWITCHBOARD_OIDC_CLIENT_ID": "sb", "SWITCHBOARD_OIDC_CLIENT_SECRET_FILE": path,
		"SWITCHBOARD_OIDC_JIT": "true", "SWITCHBOARD_OIDC_ADMIN_GROUP": "admins", "SWITCHBOARD_PASSWORD_SIGN_IN": "false", "SWITCHBOARD_METRICS_TOKEN": "a-metrics-token-of-16+"}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	load := bindConfig(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	o := cfg.OIDC
	if o.Issuer != "https://idp.example.com" || o.ClientID != "sb" || o.ClientSecret != "from-the-file" || !o.JIT || o.AdminGroup != "admins" || o.GroupsClaim != "groups" || o.ProviderName != "single sign-on" || cfg.PasswordSignIn || cfg.MetricsToken != "a-metrics-token-of-16+" {
		t.Errorf("config = %+v (password sign-in %v, metrics token %q), want the settings above", o, cfg.PasswordSignIn, cfg.MetricsToken)
	}
}

// TestServe_BadManifestStopsTheStart: a manifest in SWITCHBOARD_MANIFEST_DIR
// that breaks a rule stops serve with exit status 2, naming the file and
// the rule, before anything listens.
func TestServe_BadManifestStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "acme.json")
	if err := os.WriteFile(bad, []byte(`{"key":"acme","name":"Acme","description":"d","formVariables":[{"key":"on","name":"On","type":"boolean","description":"d","isSecret":true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SWITCHBOARD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "sb.db"), "SWITCHBOARD_ADDR": "127.0.0.1:0", "SWITCHBOARD_MANIFEST_DIR": dir}
	r := runCLI(t, env, "", "serve")
	if r.code != 2 {
		t.Fatalf("exit status = %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	for _, want := range []string{"SWITCHBOARD_MANIFEST_DIR", bad, "isSecret is only allowed on string"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not name %q", r.stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sb.db")); err == nil {
		t.Errorf("the database was created: the start went on past the bad manifest")
	}
}

// TestServe_ShutdownKeepsSentRequests: SIGTERM (the context's cancel) while
// clients POST as fast as they can on reused keep-alive connections. A
// request written on a reused connection must get an answer; only a new
// connection after the listener closed may be refused (issue 11 item 8:
// 3 of 24 such POSTs failed with "connection aborted").
func TestServe_ShutdownKeepsSentRequests(t *testing.T) {
	env := map[string]string{"SWITCHBOARD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "sb.db"), "SWITCHBOARD_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errb := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, errb)
	}()
	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(errb.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no address logged; stderr:\n%s", errb.String())
	}
	var (
		mu                          sync.Mutex
		sentAfter, failed, answered int
		failures                    []string
		stopping                    = make(chan struct{})
		wg                          sync.WaitGroup
	)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 15 * time.Second}
			for {
				var reused, wrote bool
				trace := &httptrace.ClientTrace{
					GotConn:      func(i httptrace.GotConnInfo) { reused = i.Reused },
					WroteRequest: func(httptrace.WroteRequestInfo) { wrote = true },
				}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
					"POST", "http://"+addr+"/sign-in", strings.NewReader("email=a%40b.c&password=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				mu.Lock()
				select {
				case <-stopping:
					if reused && wrote {
						sentAfter++
					}
				default:
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answered++
					mu.Unlock()
					continue
				}
				if reused && wrote {
					failed++
					failures = append(failures, err.Error())
				}
				mu.Unlock()
				if !reused { // the listener is gone: this client is done
					return
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(stopping)
	cancel()
	wg.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after cancel, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of cancel")
	}
	t.Logf("answered %d; %d requests written on reused connections during shutdown; %d of those failed", answered, sentAfter, failed)
	if failed > 0 {
		t.Errorf("%d requests already written on reused keep-alive connections failed during shutdown, want 0: %v", failed, failures)
	}
	if sentAfter == 0 {
		t.Error("no request was written on a reused connection during shutdown: the test did not exercise the drain")
	}
}
