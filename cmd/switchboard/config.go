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

	"switchboard/db"
	"switchboard/secrets"
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
	LogFormat       string
	// AllowPrivateTargets lets "Test connection" reach private addresses.
	AllowPrivateTargets bool
	// APIRateLimit is the JSON API requests a minute per token; 0 is no limit.
	APIRateLimit int
	// ManifestDir is a folder of extra LaunchDarkly manifest JSON files ("" for none).
	ManifestDir string
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
		{"SWITCHBOARD_LOG_FORMAT", "log-format", "text", "text or json", raw["log-format"]},
		{"SWITCHBOARD_ALLOW_PRIVATE_TARGETS", "allow-private-targets", "false", "let Test connection reach private, loopback and link-local addresses", raw["allow-private-targets"]},
		{"SWITCHBOARD_API_RATE_LIMIT", "api-rate-limit", "300", "JSON API requests a minute per token (0 turns the limit off)", raw["api-rate-limit"]},
		{"SWITCHBOARD_MANIFEST_DIR", "manifest-dir", "", "folder of extra LaunchDarkly manifest JSON files", raw["manifest-dir"]},
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
	for _, n := range []string{"addr", "database-url", "master-key", "base-url", "session-idle", "session-absolute", "log-format", "allow-private-targets", "api-rate-limit", "manifest-dir", "sync-interval"} {
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
		cfg.LogFormat = val["SWITCHBOARD_LOG_FORMAT"]
		if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
			return nil, &configError{"SWITCHBOARD_LOG_FORMAT", fmt.Sprintf("%q is not text or json", cfg.LogFormat)}
		}
		allow, err := strconv.ParseBool(val["SWITCHBOARD_ALLOW_PRIVATE_TARGETS"])
		if err != nil {
			return nil, &configError{"SWITCHBOARD_ALLOW_PRIVATE_TARGETS", fmt.Sprintf("%q is not true or false", val["SWITCHBOARD_ALLOW_PRIVATE_TARGETS"])}
		}
		cfg.AllowPrivateTargets = allow
		rate, err := strconv.Atoi(val["SWITCHBOARD_API_RATE_LIMIT"])
		if err != nil || rate < 0 {
			return nil, &configError{"SWITCHBOARD_API_RATE_LIMIT", fmt.Sprintf("%q is not a number of requests a minute (0 turns the limit off)", val["SWITCHBOARD_API_RATE_LIMIT"])}
		}
		cfg.APIRateLimit = rate
		cfg.ManifestDir = val["SWITCHBOARD_MANIFEST_DIR"]
		return cfg, nil
	}
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
