package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/secrets"
	"switchboard/web"
)

type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// flags returns a flag set with the config flags bound.
func (c *cli) flags(name string) (*flag.FlagSet, func() (*Config, error)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs, bindConfig(fs, c.getenv)
}

func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &usageError{"help requested"}
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func (c *cli) logger(cfg *Config) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(c.stderr, nil))
}

// open loads the keyring and opens and migrates the store.
func (c *cli) open(ctx context.Context, cfg *Config) (*db.DB, *secrets.Keyring, error) {
	keys, err := cfg.keyring(c.stderr)
	if err != nil {
		return nil, nil, err
	}
	store, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, keys, nil
}

func (c *cli) migrate(ctx context.Context, args []string) error {
	fs, load := c.flags("migrate")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	store, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "switchboard: %d migration(s) applied (%s)\n", n, store.Dialect())
	return nil
}

func (c *cli) serve(ctx context.Context, args []string) error {
	fs, load := c.flags("serve")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	log := c.logger(cfg)
	// A bad manifest stops the start before anything else, naming the
	// file and the rule it breaks.
	manifests, err := launchdarkly.LoadManifests(cfg.ManifestDir)
	if err != nil {
		return &configError{"SWITCHBOARD_MANIFEST_DIR", err.Error()}
	}
	store, keys, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	webCfg := web.Config{BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdle, SessionAbsolute: cfg.SessionAbsolute, RequestTimeout: cfg.RequestTimeout, AllowPrivateTargets: cfg.AllowPrivateTargets, SecretSyncs: cfg.SecretSyncs, APIRateLimit: cfg.APIRateLimit, Manifests: manifests,
		OIDC: cfg.OIDC, PasswordSignInOff: !cfg.PasswordSignIn}
	if cfg.MetricsAddr == "" {
		// Without a separate address, /metrics is on the main listener, and
		// only behind its token (never public by default).
		webCfg.MetricsToken = cfg.MetricsToken
	}
	app := web.New(webCfg, store, keys, log)
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(cfg.MetricsAddr, app.Metrics.Handler(cfg.MetricsToken), log)
		if err != nil {
			return err
		}
		defer msrv.Close()
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("switchboard listening", "addr", ln.Addr().String(), "url", cfg.BaseURL, "database", string(store.Dialect()))
	if need, err := app.Access.NeedsSetup(ctx); err == nil && need {
		log.Warn("no users yet: open the setup link to create the first administrator (it stops working once one exists)",
			"setup_url", cfg.BaseURL+"/setup/"+app.Access.SetupToken())
	}
	go purgeReveals(ctx, store, log)
	go app.KeySweeper.Run(ctx)
	go app.WebhookDispatcher.Run(ctx)
	if cfg.SecretSyncs {
		app.SyncEngine.Interval = cfg.SyncInterval
		go app.SyncEngine.Run(ctx)
	}

	errc := make(chan error, 1)
	go func() { errc <- app.Fiber.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Drain first (answers close their connections), then stop: cutting an
	// idle keep-alive connection at once failed requests already on the wire.
	if err := app.Shutdown(3*time.Second, 10*time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serveMetrics serves h at /metrics (and nothing else) on its own address,
// for a scraper on a private network.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (SWITCHBOARD_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}
	log.Info("metrics listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("metrics listener", "err", err)
		}
	}()
	return srv, nil
}

// purgeReveals clears expired reveal payloads every few minutes.
func purgeReveals(ctx context.Context, store *db.DB, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if n, err := store.PurgeReveals(ctx, 7*24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("purge reveals", "err", err)
		} else if n > 0 {
			log.Info("purged expired reveals", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cliActor is who the command line acts as: an administrator, audited as "cli".
func cliActor() sb.Actor {
	host, _ := os.Hostname()
	return sb.Actor{Role: sb.RoleAdmin, Email: "cli", IP: "local", UserAgent: "switchboard-cli " + host}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *cli) create(ctx context.Context, what string, args []string) error {
	fs, load := c.flags(what + " create")
	var (
		email, role, slug, name, team string
		teams                         multiFlag
		passwordStdin, readOnly       bool
		expires                       time.Duration
	)
	switch what {
	case "users":
		fs.StringVar(&email, "email", "", "email address")
		fs.StringVar(&role, "role", "", "admin or support")
		fs.Var(&teams, "team", "team slug (repeatable)")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	case "teams":
		fs.StringVar(&slug, "slug", "", "team slug")
		fs.StringVar(&name, "name", "", "team name")
	case "nodes", "tokens":
		fs.StringVar(&team, "team", "", "team slug")
		fs.StringVar(&name, "name", "", "name")
		if what == "tokens" {
			fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: never expires)")
			fs.BoolVar(&readOnly, "read-only", false, "the token may only read")
		}
	}
	if err := c.parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if what == "users" && !passwordStdin {
		return &usageError{"users create needs --password-stdin (passwords never go on the command line)"}
	}
	if (what == "nodes" || what == "tokens") && team == "" {
		return &usageError{what + " create needs --team SLUG"}
	}
	store, keys, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	acc := access.New(store, keys, c.logger(cfg))
	actor := cliActor()
	var out string
	switch what {
	case "users":
		pw, rerr := bufio.NewReader(c.stdin).ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("read password: %w", rerr)
		}
		pw = strings.TrimRight(pw, "\r\n")
		var u *db.User
		u, err = acc.CreateUser(ctx, actor, access.UserInput{Email: email, Password: pw, Role: sb.Role(role), TeamSlugs: teams})
		if u != nil {
			out = u.ID
		}
	case "teams":
		var t *db.Team
		t, err = acc.CreateTeam(ctx, actor, slug, name)
		if t != nil {
			out = t.ID
		}
	case "nodes", "tokens":
		var t *db.Team
		t, err = acc.TeamBySlug(ctx, team)
		if err != nil {
			break
		}
		if what == "nodes" {
			var n *db.Node
			n, err = acc.CreateNode(ctx, actor, t.ID, name)
			if n != nil {
				out = n.ID
			}
		} else {
			out, _, err = acc.CreateToken(ctx, actor, access.TokenInput{TeamID: t.ID, Name: name, ExpiresIn: expires, ReadOnly: readOnly})
		}
	}
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeInvalid {
			return &usageError{e.Error()}
		}
		if e.Code == sb.CodeInternal {
			return e.Err
		}
		return errors.New(e.Error())
	}
	fmt.Fprintln(c.stdout, out)
	return nil
}

func (c *cli) rotate(ctx context.Context, args []string) error {
	fs, load := c.flags("keys rotate")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	store, keys, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := integrations.New(store, keys, c.logger(cfg)).RotateKeys(ctx, cliActor())
	if err != nil {
		return sb.AsError(err).Err
	}
	fmt.Fprintf(c.stderr, "switchboard: %d sealed value(s) re-encrypted under key %q\n", n, keys.ActiveID())
	fmt.Fprintln(c.stdout, n)
	return nil
}
