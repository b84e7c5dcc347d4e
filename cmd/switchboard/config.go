package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"switchboard/access"
	"switchboard/db"
	"switchboard/secrets"
	"switchboard/web"
)

// Config is every setting, from flags over environment over defaults.
type Config struct {
	Addr        string
	DatabaseURL string
	MasterKey   string
	BaseURL     string
	SessionIdle time.Duration
	// SyncInterval is how often every active secret sync runs again (reconcile).
	SyncInterval    time.Duration
	SessionAbsolute time.Duration
	// RequestTimeout is every request's deadline (web.Config.RequestTimeout).
	RequestTimeout time.Duration
	LogFormat      string
	// AllowPrivateTargets lets "Test connection" reach private addresses.
	AllowPrivateTargets bool
	// SecretSyncs serves the secret-sync family and runs its engine.
	SecretSyncs bool
	// APIRateLimit is the JSON API requests a minute per token; 0 is no limit
	// (as in web.Config: one meaning end to end).
	APIRateLimit int
	// ManifestDir is a folder of extra LaunchDarkly manifest JSON files ("" for none).
	ManifestDir string
	// MetricsToken is the bearer token /metrics wants ("" for none).
	MetricsToken string
	// MetricsAddr is a separate listener for /metrics ("" for none).
	MetricsAddr string
	// OIDC is single sign-on (Issuer "" for none).
	OIDC access.OIDCConfig
	// PasswordSignIn is false when only single sign-on may sign in.
	PasswordSignIn bool
}

// setting describes one variable and its flag.
type setting struct {
	env, flag, def, usage string
	dst                   *string
}

func (c *Config) settings(raw map[string]*string) []setting {
	return []setting{
		{"SWITCHBOARD_ADDR", "addr", "127.0.0.1:8080", "address to listen on (host:port)", raw["addr"]},
		{"SWITCHBOARD_DATABASE_URL", "database-url", "sqlite:data/switchboard.db", "postgres://… or sqlite:PATH", raw["database-url"]},
		{"SWITCHBOARD_MASTER_KEY", "master-key", "", "base64 of 32 bytes, or id1:base64,id2:base64 (first is active)", raw["master-key"]},
		{"SWITCHBOARD_BASE_URL", "base-url", "", "public URL (default http://ADDR); https turns on Secure cookies and HSTS", raw["base-url"]},
		{"SWITCHBOARD_SESSION_IDLE", "session-idle", "2h", "sign out after this long without a request", raw["session-idle"]},
		{"SWITCHBOARD_SESSION_ABSOLUTE", "session-absolute", "12h", "sign out this long after sign-in, active or not", raw["session-absolute"]},
		{"SWITCHBOARD_REQUEST_TIMEOUT", "request-timeout", "20s", "every request's deadline, database queries included (1s to 10m)", raw["request-timeout"]},
		{"SWITCHBOARD_LOG_FORMAT", "log-format", "text", "text or json", raw["log-format"]},
		{"SWITCHBOARD_SECRET_SYNCS", "secret-syncs", "true", "serve the secret-sync family (team secrets, integration auths, syncs) and run its engine; false turns the family off", raw["secret-syncs"]},
		{"SWITCHBOARD_ALLOW_PRIVATE_TARGETS", "allow-private-targets", "false", "let Test connection reach private, loopback and link-local addresses", raw["allow-private-targets"]},
		{"SWITCHBOARD_API_RATE_LIMIT", "api-rate-limit", strconv.Itoa(web.DefaultAPIRateLimit), "JSON API requests a minute per token (0 turns the limit off)", raw["api-rate-limit"]},
		{"SWITCHBOARD_MANIFEST_DIR", "manifest-dir", "", "folder of extra LaunchDarkly manifest JSON files", raw["manifest-dir"]},
		{"SWITCHBOARD_METRICS_TOKEN", "metrics-token", "", "bearer token for GET /metrics (16+ characters); serves /metrics on the main address when set", raw["metrics-token"]},
		{"SWITCHBOARD_OIDC_ISSUER", "oidc-issuer", "", "OpenID Connect issuer URL: turns on single sign-on", raw["oidc-issuer"]},
		{"SWITCHBOARD_OIDC_CLIENT_ID", "oidc-client-id", "", "OpenID Connect client id", raw["oidc-client-id"]},
		{"SWITCHBOARD_OIDC_CLIENT_SECRET", "oidc-client-secret", "", "OpenID Connect client secret (prefer SWITCHBOARD_OIDC_CLIENT_SECRET_FILE)", raw["oidc-client-secret"]},
		{"SWITCHBOARD_OIDC_CLIENT_SECRET_FILE", "oidc-client-secret-file", "", "file holding the OpenID Connect client secret", raw["oidc-client-secret-file"]},
		{"SWITCHBOARD_OIDC_PROVIDER_NAME", "oidc-provider-name", "single sign-on", "the name on the \"Sign in with …\" button", raw["oidc-provider-name"]},
		{"SWITCHBOARD_OIDC_JIT", "oidc-jit", "false", "create a user on the first single sign-on of an unknown verified email", raw["oidc-jit"]},
		{"SWITCHBOARD_OIDC_GROUPS_CLAIM", "oidc-groups-claim", "groups", "ID token claim (a list) mapped to role and teams on just-in-time creation", raw["oidc-groups-claim"]},
		{"SWITCHBOARD_OIDC_ADMIN_GROUP", "oidc-admin-group", "", "value of the groups claim that makes a just-in-time user an admin", raw["oidc-admin-group"]},
		{"SWITCHBOARD_PASSWORD_SIGN_IN", "password-sign-in", "true", "false hides the password form (single sign-on only)", raw["password-sign-in"]},
		{"SWITCHBOARD_METRICS_ADDR", "metrics-addr", "", "separate host:port that serves only /metrics (behind the token when one is set)", raw["metrics-addr"]},
		{"SWITCHBOARD_SYNC_INTERVAL", "sync-interval", "10m", "how often every active secret sync runs again (reconcile)", raw["sync-interval"]},
	}
}

// configError is a bad setting: exit status 2.
type configError struct{ name, msg string }

func (e *configError) Error() string { return e.name + ": " + e.msg }

// usageError is bad usage of the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// bindConfig registers the config flags on fs and returns a function that,
// after fs.Parse, resolves flags over the environment over the defaults and
// checks every value.
func bindConfig(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	raw := map[string]*string{}
	for _, n := range []string{"addr", "database-url", "master-key", "base-url", "session-idle", "session-absolute", "request-timeout", "log-format", "allow-private-targets", "api-rate-limit", "manifest-dir", "metrics-token", "metrics-addr", "oidc-issuer", "oidc-client-id", "oidc-client-secret", "oidc-client-secret-file", "oidc-provider-name", "oidc-jit", "oidc-groups-claim", "oidc-admin-group", "password-sign-in", "sync-interval", "secret-syncs"} {
		raw[n] = new(string)
	}
	cfg := &Config{}
	for _, s := range cfg.settings(raw) {
		fs.StringVar(s.dst, s.flag, "", s.usage+" (env "+s.env+", default "+strconv.Quote(s.def)+")")
	}
	return func() (*Config, error) {
		val := map[string]string{}
		for _, s := range cfg.settings(raw) {
			v := *s.dst
			if v == "" {
				v = getenv(s.env)
			}
			if v == "" {
				v = s.def
			}
			val[s.env] = v
		}
		cfg.Addr = val["SWITCHBOARD_ADDR"]
		host, port, err := net.SplitHostPort(cfg.Addr)
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
			return nil, &configError{"SWITCHBOARD_ADDR", fmt.Sprintf("%q is not a host:port address", cfg.Addr)}
		}
		cfg.DatabaseURL = val["SWITCHBOARD_DATABASE_URL"]
		if _, _, err := db.ParseURL(cfg.DatabaseURL); err != nil {
			return nil, &configError{"SWITCHBOARD_DATABASE_URL", err.Error()}
		}
		cfg.MasterKey = val["SWITCHBOARD_MASTER_KEY"]
		if cfg.MasterKey != "" {
			if _, err := secrets.ParseKeyring(cfg.MasterKey); err != nil {
				return nil, &configError{"SWITCHBOARD_MASTER_KEY", strings.TrimPrefix(err.Error(), "secrets: ")}
			}
		}
		cfg.BaseURL = strings.TrimRight(val["SWITCHBOARD_BASE_URL"], "/")
		if cfg.BaseURL == "" {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			cfg.BaseURL = "http://" + net.JoinHostPort(host, port)
		}
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &configError{"SWITCHBOARD_BASE_URL", fmt.Sprintf("%q is not an http(s) URL", cfg.BaseURL)}
		}
		for _, d := range []struct {
			env string
			dst *time.Duration
		}{{"SWITCHBOARD_SESSION_IDLE", &cfg.SessionIdle}, {"SWITCHBOARD_SESSION_ABSOLUTE", &cfg.SessionAbsolute}, {"SWITCHBOARD_SYNC_INTERVAL", &cfg.SyncInterval}} {
			v, err := time.ParseDuration(val[d.env])
			if err != nil || v < time.Minute {
				return nil, &configError{d.env, fmt.Sprintf("%q is not a duration of at least 1m (e.g. 30m, 12h)", val[d.env])}
			}
			*d.dst = v
		}
		if v, err := time.ParseDuration(val["SWITCHBOARD_REQUEST_TIMEOUT"]); err != nil || v < time.Second || v > 10*time.Minute {
			return nil, &configError{"SWITCHBOARD_REQUEST_TIMEOUT", fmt.Sprintf("%q is not a duration from 1s to 10m (e.g. 20s)", val["SWITCHBOARD_REQUEST_TIMEOUT"])}
		} else {
			cfg.RequestTimeout = v
		}
		cfg.LogFormat = val["SWITCHBOARD_LOG_FORMAT"]
		if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
			return nil, &configError{"SWITCHBOARD_LOG_FORMAT", fmt.Sprintf("%q is not text or json", cfg.LogFormat)}
		}
		allow, err := strconv.ParseBool(val["SWITCHBOARD_ALLOW_PRIVATE_TARGETS"])
		if err != nil {
			return nil, &configError{"SWITCHBOARD_ALLOW_PRIVATE_TARGETS", fmt.Sprintf("%q is not true or false", val["SWITCHBOARD_ALLOW_PRIVATE_TARGETS"])}
		}
		cfg.AllowPrivateTargets = allow
		syncsOn, err := strconv.ParseBool(val["SWITCHBOARD_SECRET_SYNCS"])
		if err != nil {
			return nil, &configError{"SWITCHBOARD_SECRET_SYNCS", fmt.Sprintf("%q is not true or false", val["SWITCHBOARD_SECRET_SYNCS"])}
		}
		cfg.SecretSyncs = syncsOn
		rate, err := strconv.Atoi(val["SWITCHBOARD_API_RATE_LIMIT"])
		if err != nil || rate < 0 {
			return nil, &configError{"SWITCHBOARD_API_RATE_LIMIT", fmt.Sprintf("%q is not a number of requests a minute (0 turns the limit off)", val["SWITCHBOARD_API_RATE_LIMIT"])}
		}
		cfg.APIRateLimit = rate
		cfg.ManifestDir = val["SWITCHBOARD_MANIFEST_DIR"]
		cfg.MetricsToken = val["SWITCHBOARD_METRICS_TOKEN"]
		if cfg.MetricsToken != "" && (len(cfg.MetricsToken) < 16 || strings.ContainsAny(cfg.MetricsToken, " \t\r\n")) {
			return nil, &configError{"SWITCHBOARD_METRICS_TOKEN", "must be at least 16 characters without spaces (generate one with: openssl rand -hex 32)"}
		}
		cfg.MetricsAddr = val["SWITCHBOARD_METRICS_ADDR"]
		if cfg.MetricsAddr != "" {
			if _, port, err := net.SplitHostPort(cfg.MetricsAddr); err != nil || port == "" {
				return nil, &configError{"SWITCHBOARD_METRICS_ADDR", fmt.Sprintf("%q is not a host:port address", cfg.MetricsAddr)}
			}
		}
		if err := cfg.bindOIDC(val); err != nil {
			return nil, err
		}
		return cfg, nil
	}
}

// bindOIDC checks the single sign-on settings: an issuer needs a client id
// and a secret (from the variable or its _FILE), and password sign-in may be
// turned off only when single sign-on is on.
func (cfg *Config) bindOIDC(val map[string]string) error {
	pw, err := strconv.ParseBool(val["SWITCHBOARD_PASSWORD_SIGN_IN"])
	if err != nil {
		return &configError{"SWITCHBOARD_PASSWORD_SIGN_IN", fmt.Sprintf("%q is not true or false", val["SWITCHBOARD_PASSWORD_SIGN_IN"])}
	}
	cfg.PasswordSignIn = pw
	jit, err := strconv.ParseBool(val["SWITCHBOARD_OIDC_JIT"])
	if err != nil {
		return &configError{"SWITCHBOARD_OIDC_JIT", fmt.Sprintf("%q is not true or false", val["SWITCHBOARD_OIDC_JIT"])}
	}
	issuer := strings.TrimRight(val["SWITCHBOARD_OIDC_ISSUER"], "/")
	if issuer == "" {
		if !pw {
			return &configError{"SWITCHBOARD_PASSWORD_SIGN_IN", "can be false only with single sign-on (SWITCHBOARD_OIDC_ISSUER)"}
		}
		return nil
	}
	if u, err := url.Parse(issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &configError{"SWITCHBOARD_OIDC_ISSUER", fmt.Sprintf("%q is not an http(s) URL", issuer)}
	}
	secret := val["SWITCHBOARD_OIDC_CLIENT_SECRET"]
	if f := val["SWITCHBOARD_OIDC_CLIENT_SECRET_FILE"]; f != "" {
		if secret != "" {
			return &configError{"SWITCHBOARD_OIDC_CLIENT_SECRET_FILE", "set either it or SWITCHBOARD_OIDC_CLIENT_SECRET, not both"}
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return &configError{"SWITCHBOARD_OIDC_CLIENT_SECRET_FILE", "cannot be read: " + err.Error()}
		}
		secret = strings.TrimSpace(string(b))
	}
	if val["SWITCHBOARD_OIDC_CLIENT_ID"] == "" || secret == "" {
		return &configError{"SWITCHBOARD_OIDC_ISSUER", "needs SWITCHBOARD_OIDC_CLIENT_ID and SWITCHBOARD_OIDC_CLIENT_SECRET (or _FILE)"}
	}
	cfg.OIDC = access.OIDCConfig{Issuer: issuer, ClientID: val["SWITCHBOARD_OIDC_CLIENT_ID"], ClientSecret: secret,
		ProviderName: val["SWITCHBOARD_OIDC_PROVIDER_NAME"], JIT: jit, GroupsClaim: val["SWITCHBOARD_OIDC_GROUPS_CLAIM"], AdminGroup: val["SWITCHBOARD_OIDC_ADMIN_GROUP"]}
	return nil
}

// keyring returns the master keyring. With SQLite and no key set it creates
// (once) a key file beside the database, mode 0600, and warns; PostgreSQL
// deployments must set the key, since several instances must share it.
func (c *Config) keyring(stderr io.Writer) (*secrets.Keyring, error) {
	if c.MasterKey != "" {
		return secrets.ParseKeyring(c.MasterKey)
	}
	dialect, _, _ := db.ParseURL(c.DatabaseURL)
	if dialect != db.SQLite {
		return nil, &configError{"SWITCHBOARD_MASTER_KEY", "is required with PostgreSQL (generate one with: openssl rand -base64 32)"}
	}
	path := strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "//")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == ":memory:" {
		k, err := secrets.GenerateKey()
		if err != nil {
			return nil, err
		}
		return secrets.ParseKeyring(k)
	}
	keyFile := filepath.Join(filepath.Dir(path), "master.key")
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		k, gerr := secrets.GenerateKey()
		if gerr != nil {
			return nil, gerr
		}
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o750); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(keyFile), err)
		}
		if err := os.WriteFile(keyFile, []byte(k+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write key file: %w", err)
		}
		fmt.Fprintf(stderr, "switchboard: warning: SWITCHBOARD_MASTER_KEY is not set; created %s (mode 0600). Back it up: without it no stored secret can be decrypted.\n", keyFile)
		b = []byte(k)
	} else if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	kr, err := secrets.ParseKeyring(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, &configError{keyFile, strings.TrimPrefix(err.Error(), "secrets: ")}
	}
	return kr, nil
}
