// Package web builds Switchboard's Fiber app: the middleware (request ids
// and logs, security headers, body limits, sessions, CSRF, authentication)
// and the one route table, readable top to bottom.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/handlers"
	"switchboard/handlers/session"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/metrics"
	"switchboard/secrets"
	"switchboard/static"
	"switchboard/syncs"
	"switchboard/webhooks"
)

// Config is what the app needs to serve.
type Config struct {
	// BaseURL is the public URL; https turns on Secure cookies and HSTS.
	BaseURL string
	// SessionIdle and SessionAbsolute bound a browser session.
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// AllowPrivateTargets lets "Test connection" reach private, loopback and
	// link-local addresses.
	AllowPrivateTargets bool
	// APIRateLimit is the JSON API requests a minute each token may make;
	// 0 turns the limit off, as SWITCHBOARD_API_RATE_LIMIT=0 does (the
	// default, DefaultAPIRateLimit, is the configuration's).
	APIRateLimit int
	// SecretSyncs serves the secret-sync family (secrets, integration auths,
	// integrations and their pages); serve turns it on unless
	// SWITCHBOARD_SECRET_SYNCS=false.
	SecretSyncs bool
	// Manifests are the LaunchDarkly integrations offered; nil means the
	// shipped ones.
	Manifests *launchdarkly.ManifestSet
	// OIDC, when its Issuer is set, turns on single sign-on (RedirectURL
	// defaults to BaseURL/sign-in/oidc/callback).
	OIDC access.OIDCConfig
	// PasswordSignInOff hides the password form and refuses password
	// sign-ins (single sign-on only).
	PasswordSignInOff bool
	// MetricsToken, when set, serves GET /metrics on this app to requests
	// with "Authorization: Bearer <MetricsToken>"; empty means no /metrics
	// route here (a separate metrics address may serve App.Metrics).
	MetricsToken string
	// RequestTimeout is every request's deadline, carried by its context to
	// the store (0: DefaultRequestTimeout; negative: none).
	RequestTimeout time.Duration
	// IdempotencyWait bounds how long a request waits for a running one
	// with the same Idempotency-Key before it answers 409; 0 means 20 s.
	IdempotencyWait time.Duration
}

// DefaultRequestTimeout is a request's deadline unless Config says otherwise.
const DefaultRequestTimeout = 20 * time.Second

// App is the assembled application.
type App struct {
	Fiber    *fiber.App
	Access   *access.Service
	Services *integrations.Service
	Sessions *session.Store
	// Syncs is the secret-sync family; SyncEngine runs its jobs (serve
	// starts it; tests drive it with RunOnce).
	Syncs      *syncs.Service
	SyncEngine *syncs.Engine
	// KeySweeper ends grace periods and warns of expiries (serve runs it).
	KeySweeper *integrations.KeySweeper
	// Webhooks manages endpoints; WebhookDispatcher delivers (serve runs it).
	Webhooks          *webhooks.Service
	WebhookDispatcher *webhooks.Dispatcher
	// Metrics is the app's Prometheus registry and collectors.
	Metrics *metrics.Metrics
	// draining is set by Drain: every answer closes its connection and
	// /readyz answers 503, so clients and load balancers move away.
	draining *atomic.Bool
}

// Drain starts a graceful stop: from now on every response carries
// "Connection: close", so a keep-alive connection ends after the request
// it is serving instead of being cut while the client writes the next one,
// and /readyz answers 503. The listener keeps accepting during the drain
// (a new connection gets one answer and is closed).
func (a *App) Drain() { a.draining.Store(true) }

// Shutdown drains for at most drain (ending early once no connection is
// open), then stops the server, waiting up to timeout for in-flight
// requests. Only connections idle for the whole drain are cut; a request
// arriving on one at that instant can still fail (README: the limit).
func (a *App) Shutdown(drain, timeout time.Duration) error {
	a.Drain()
	srv := a.Fiber.Server()
	for end := time.Now().Add(drain); time.Now().Before(end) && srv.GetOpenConnectionsCount() > 0; {
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.Fiber.ShutdownWithTimeout(timeout); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// New assembles the app over an open, migrated store.
func New(cfg Config, store *db.DB, keys *secrets.Keyring, log *slog.Logger) *App {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 2 * time.Hour
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.SessionAbsolute == 0 {
		cfg.SessionAbsolute = 12 * time.Hour
	}
	secure := strings.HasPrefix(cfg.BaseURL, "https://")
	// Hear other instances' changes, so who a request is can be kept for
	// a moment (db.Changes); without it every request reads it.
	if err := store.WatchChanges(); err != nil {
		log.Warn("listen for changes: every request reads its session", "err", err)
	}
	acc := access.New(store, keys, log)
	acc.SessionIdle, acc.SessionAbsolute = cfg.SessionIdle, cfg.SessionAbsolute
	if cfg.OIDC.Issuer != "" {
		if cfg.OIDC.RedirectURL == "" {
			cfg.OIDC.RedirectURL = strings.TrimRight(cfg.BaseURL, "/") + "/sign-in/oidc/callback"
		}
		acc.EnableOIDC(cfg.OIDC)
	}
	acc.PasswordSignInOff = cfg.PasswordSignInOff
	svc := integrations.New(store, keys, log)
	svc.Guard.AllowPrivate = cfg.AllowPrivateTargets
	if cfg.Manifests != nil {
		svc.Manifests = cfg.Manifests
	}
	syncSvc := syncs.New(store, keys, log)
	syncSvc.Guard.AllowPrivate = cfg.AllowPrivateTargets
	syncSvc.Connections = appConnections{svc}
	syncEngine := syncSvc.NewEngine()
	sessions := session.NewStore(keys, secure, cfg.SessionIdle, cfg.SessionAbsolute)
	hooks := webhooks.New(store, keys, log)
	hooks.Guard.AllowPrivate = cfg.AllowPrivateTargets
	h := handlers.New(handlers.Deps{Access: acc, Integrations: svc, Syncs: syncSvc, Webhooks: hooks, Log: log, BaseURL: strings.TrimRight(cfg.BaseURL, "/")})

	app := fiber.New(fiber.Config{
		AppName:               "switchboard",
		Immutable:             true, // values from c.Params etc. stay valid after the handler
		BodyLimit:             bodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(log),
	})
	met := metrics.New(store.SQLX().DB)
	m := &middleware{log: log, sessions: sessions, access: acc, secure: secure, store: store, metrics: met, timeout: cfg.RequestTimeout}
	idem := &idempotency{store: store, keys: keys, wait: cfg.IdempotencyWait}
	if cfg.APIRateLimit > 0 {
		m.limiter = &rateLimiter{store: store, limit: cfg.APIRateLimit}
	}

	draining := new(atomic.Bool)
	app.Use(func(c *fiber.Ctx) error {
		if draining.Load() {
			c.Response().SetConnectionClose()
		}
		return c.Next()
	})
	app.Use(m.observe, m.requestLog, m.deadline, m.securityHeaders, m.checkInput)
	if cfg.SecretSyncs {
		app.Use(func(c *fiber.Ctx) error {
			c.Locals(handlers.LocalSecretSyncs, true)
			return c.Next()
		})
	}
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", readyz(store, draining))
	if cfg.MetricsToken != "" {
		app.Get("/metrics", adaptor.HTTPHandler(met.Handler(cfg.MetricsToken)))
	}
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 300}))
	app.Get("/openapi.json", handlers.OpenAPI)

	// JSON API: team API tokens, no cookies, no CSRF. Every create takes an
	// Idempotency-Key (idem.guard, idempotency.go); true marks a create whose
	// answer carries a one-time secret.
	nodeAPI := app.Group("/api/v1/integrations", m.apiAuth(handlers.NodeAPIError, false))
	nodeAPI.Post("/", idem.guard(handlers.NodeAPIError, true), h.APINodeKeyCreate)
	nodeAPI.Post("/verify", h.APINodeKeyVerify)
	nodeAPI.Get("/", h.APINodeKeyList)
	nodeAPI.Get("/:id", h.APINodeKeyShow)
	nodeAPI.Delete("/:id", h.APINodeKeyDelete)
	nodeAPI.Post("/:id/rotate", h.APINodeKeyRotate)
	nodeAPI.Post("/:id/disable", h.APINodeKeyDisable)
	nodeAPI.Post("/:id/enable", h.APINodeKeyEnable)
	// Infisical's app connections family: Bearer token, Infisical's error
	// shape on every path under it (options before /:app, so it is not an app).
	appConns := app.Group("/api/v1/app-connections", m.apiAuth(handlers.InfisicalAPIError, false))
	appConns.Get("/", h.APIInfisicalList)
	appConns.Get("/options", h.APIInfisicalOptions)
	appConns.Post("/:app", idem.guard(handlers.InfisicalAPIError, false), h.APIInfisicalCreate)
	appConns.Get("/:app", h.APIInfisicalList)
	appConns.Get("/:app/:id", h.APIInfisicalShow)
	appConns.Patch("/:app/:id", h.APIInfisicalUpdate)
	appConns.Delete("/:app/:id", h.APIInfisicalDelete)
	appConns.Post("/:app/:id/test", h.APIInfisicalTest)
	appConns.Post("/:app/:id/disable", h.APIInfisicalDisable)
	appConns.Post("/:app/:id/enable", h.APIInfisicalEnable)
	appConns.Use(handlers.APIInfisicalNotFound)
	// Infisical's secrets and legacy integrations (the secret-sync family),
	// served unless cfg.SecretSyncs is off (SWITCHBOARD_SECRET_SYNCS=false).
	if cfg.SecretSyncs {
		infAuth := m.apiAuth(handlers.InfisicalAPIError, false)
		app.Get("/api/v4/secrets", infAuth, h.APISecretsList)
		infIdem := idem.guard(handlers.InfisicalAPIError, false)
		app.Post("/api/v4/secrets/batch", infAuth, infIdem, h.APISecretsBatch)
		app.Post("/api/v4/secrets/:secretName", infAuth, infIdem, h.APISecretCreate)
		app.Patch("/api/v4/secrets/:secretName", infAuth, h.APISecretUpdate)
		app.Delete("/api/v4/secrets/:secretName", infAuth, h.APISecretDelete)
		app.Post("/api/v1/folders", infAuth, infIdem, h.APIFolderCreate)
		app.Post("/api/v1/workspace/:workspaceId/environments", infAuth, infIdem, h.APIEnvironmentCreate)
		app.Patch("/api/v1/workspace/:workspaceId/environments/:id", infAuth, h.APIEnvironmentUpdate)
		app.Delete("/api/v1/workspace/:workspaceId/environments/:id", infAuth, h.APIEnvironmentDelete)
		app.Get("/api/v1/workspace/:workspaceId/authorizations", infAuth, h.APIIntegrationAuthList)
		app.Get("/api/v1/workspace/:workspaceId/integrations", infAuth, h.APIIntegrationList)
		app.Post("/api/v1/integration-auth/access-token", infAuth, infIdem, h.APIIntegrationAuthCreate)
		app.Get("/api/v1/integration-auth/:id", infAuth, h.APIIntegrationAuthShow)
		app.Delete("/api/v1/integration-auth/:id", infAuth, h.APIIntegrationAuthDelete)
		app.Post("/api/v1/integration", infAuth, infIdem, h.APIIntegrationCreate)
		app.Get("/api/v1/integration/:id", infAuth, h.APIIntegrationShow)
		app.Patch("/api/v1/integration/:id", infAuth, h.APIIntegrationUpdate)
		app.Delete("/api/v1/integration/:id", infAuth, h.APIIntegrationDelete)
		app.Post("/api/v1/integration/:id/sync", infAuth, h.APIIntegrationSync)
	}
	// Anchor's 1Password family: anchor-api-key header or Bearer.
	anchorAPI := app.Group("/v1/integrations", m.apiAuthWith(handlers.AnchorAPIError, false, "anchor-api-key"))
	anchorAPI.Post("/", idem.guard(handlers.AnchorAPIError, false), h.APIAnchorCreate)
	anchorAPI.Get("/", h.APIAnchorList)
	anchorAPI.Get("/:id", h.APIAnchorShow)
	anchorAPI.Delete("/:id", h.APIAnchorDelete)
	anchorAPI.Post("/:id/rotate", h.APIAnchorRotate)
	anchorAPI.Post("/:id/disable", h.APIAnchorDisable)
	anchorAPI.Post("/:id/enable", h.APIAnchorEnable)
	// LaunchDarkly's integration configurations: the token as a bare
	// Authorization value (as LaunchDarkly's clients send it) or Bearer.
	ldAPI := app.Group("/api/v2/integration-configurations", m.apiAuth(handlers.LaunchDarklyAPIError, true))
	ldAPI.Post("/keys/:integrationKey", idem.guard(handlers.LaunchDarklyAPIError, false), h.APILaunchDarklyCreate)
	ldAPI.Get("/keys/:integrationKey", h.APILaunchDarklyList)
	ldAPI.Get("/:id", h.APILaunchDarklyShow)
	ldAPI.Patch("/:id", h.APILaunchDarklyPatch)
	ldAPI.Delete("/:id", h.APILaunchDarklyDelete)
	ldAPI.Use(handlers.APILaunchDarklyNotFound)
	// The audit log of the token's team, in the node family's error shape.
	app.Get("/api/v1/audit-events", m.apiAuth(handlers.NodeAPIError, false), h.APIAuditList)
	app.Use("/v1", func(c *fiber.Ctx) error {
		return handlers.AnchorAPIError(c, sb.Errorf(sb.CodeNotFound, "no such API route"))
	})

	app.Use("/api", func(c *fiber.Ctx) error {
		return handlers.NodeAPIError(c, sb.Errorf(sb.CodeNotFound, "no such API route"))
	})

	// Browser pages: session cookie, CSRF on every state change.
	ui := app.Group("", m.session, m.csrf)
	ui.Get("/sign-in", h.SignInPage)
	ui.Post("/sign-in", h.SignIn)
	ui.Post("/sign-out", h.SignOut)
	ui.Get("/sign-in/oidc", h.OIDCStart)
	ui.Get("/sign-in/oidc/callback", h.OIDCCallback)
	ui.Get("/sign-in/two-factor", h.TwoFactorPage)
	ui.Post("/sign-in/two-factor", h.TwoFactorSubmit)
	ui.Get("/sign-in/two-factor/enrol", h.TwoFactorEnrolPage)
	ui.Post("/sign-in/two-factor/enrol", h.TwoFactorEnrolSubmit)
	ui.Get("/setup/:token", h.SetupPage)
	ui.Post("/setup/:token", h.Setup)
	ui.Get("/set-password/:token", h.SetPasswordPage)
	ui.Post("/set-password/:token", h.SetPassword)

	signedIn := ui.Group("", m.requireUser)
	signedIn.Get("/", h.Home)
	signedIn.Get("/integrations", h.HomeNotices, h.IntegrationsList)
	signedIn.Get("/integrations/new", h.NewIntegration)
	signedIn.Get("/integrations/new/node-api-key", h.NodeKeyNew)
	signedIn.Get("/integrations/new/node-api-key/nodes", h.NodeKeyNodes)
	signedIn.Post("/integrations/new/node-api-key", h.NodeKeyCreate)
	signedIn.Get("/integrations/new/1password", h.OnePasswordNew)
	signedIn.Post("/integrations/new/1password", h.OnePasswordCreate)
	signedIn.Get("/integrations/new/infisical", h.InfisicalNew)
	signedIn.Post("/integrations/new/infisical", h.InfisicalCreate)
	signedIn.Get("/integrations/new/launchdarkly", h.LaunchDarklyNew)
	signedIn.Post("/integrations/new/launchdarkly", h.LaunchDarklyCreate)
	signedIn.Get("/integrations/:id", h.IntegrationShow)
	signedIn.Post("/integrations/:id/test", h.IntegrationTest)
	signedIn.Get("/integrations/:id/edit", h.IntegrationEdit)
	signedIn.Post("/integrations/:id/edit", h.IntegrationUpdate)
	signedIn.Post("/integrations/:id/revoke", h.IntegrationRevoke)
	signedIn.Get("/integrations/:id/confirm/:action", h.IntegrationConfirm)
	signedIn.Post("/integrations/:id/disable", h.IntegrationDisable)
	signedIn.Post("/integrations/:id/enable", h.IntegrationEnable)
	signedIn.Post("/integrations/:id/rotate", h.IntegrationRotate)
	signedIn.Post("/integrations/:id/delete", h.IntegrationDelete)
	signedIn.Get("/reveal/:id", h.RevealShow)
	signedIn.Get("/audit", h.AuditList)
	signedIn.Get("/audit/export.csv", h.AuditExportCSV)
	signedIn.Get("/audit/export.jsonl", h.AuditExportJSONL)
	// API tokens: admins manage every team's, support staff their teams'
	// (access scopes it; another team's token is not found).
	// Nodes: admins every team's, support staff their teams'.
	// Secrets and secret syncs: admins every team's, support staff their teams'.
	if cfg.SecretSyncs {
		signedIn.Get("/secrets", h.SecretsPage)
		signedIn.Post("/secrets", h.SecretSave)
		signedIn.Post("/secrets/import", h.SecretImport)
		signedIn.Post("/secrets/delete", h.SecretDelete)
		signedIn.Get("/secrets/confirm/delete", h.SecretConfirmDelete)
		signedIn.Post("/secrets/environments", h.EnvCreateUI)
		signedIn.Post("/secrets/environments/:id", h.EnvRenameUI)
		signedIn.Get("/secrets/environments/:id/confirm/delete", h.EnvConfirmDelete)
		signedIn.Post("/secrets/environments/:id/delete", h.EnvDeleteUI)
		signedIn.Get("/secret-syncs", h.SyncsPage)
		signedIn.Get("/secret-syncs/new", h.SyncNew)
		signedIn.Post("/secret-syncs", h.SyncCreate)
		signedIn.Post("/secret-syncs/auths", h.SyncAuthCreate)
		signedIn.Post("/secret-syncs/auths/connection", h.SyncAuthFromConnection)
		signedIn.Get("/secret-syncs/:id", h.SyncShow)
		signedIn.Get("/secret-syncs/:id/confirm/delete", h.SyncConfirmDelete)
		signedIn.Post("/secret-syncs/:id/sync", h.SyncNowUI)
		signedIn.Post("/secret-syncs/:id/active", h.SyncActive)
		signedIn.Post("/secret-syncs/:id/delete", h.SyncDeleteUI)
	}
	signedIn.Get("/nodes", h.NodesPage)
	signedIn.Post("/nodes", h.NodeCreate)
	signedIn.Get("/tokens", h.TokensPage)
	signedIn.Post("/tokens", h.TokenCreate)
	signedIn.Get("/tokens/:id/confirm/revoke", h.TokenConfirmRevoke)
	signedIn.Post("/tokens/:id/revoke", h.TokenRevoke)
	signedIn.Get("/tokens/:id/confirm/roll", h.TokenConfirmRoll)
	signedIn.Post("/tokens/:id/roll", h.TokenRoll)
	// Webhooks: admins every endpoint, support staff their teams'.
	signedIn.Get("/webhooks", h.WebhooksPage)
	signedIn.Post("/webhooks", h.WebhookCreate)
	signedIn.Get("/webhooks/:id", h.WebhookShow)
	signedIn.Post("/webhooks/:id/enable", h.WebhookEnable)
	signedIn.Post("/webhooks/:id/disable", h.WebhookDisable)
	signedIn.Get("/webhooks/:id/confirm/delete", h.WebhookConfirmDelete)
	signedIn.Post("/webhooks/:id/delete", h.WebhookDelete)
	signedIn.Post("/webhooks/:id/deliveries/:event/redeliver", h.WebhookRedeliver)
	signedIn.Get("/account", h.AccountPage)
	signedIn.Post("/account/password", h.AccountPassword)
	signedIn.Post("/sign-out-everywhere", h.SignOutEverywhere)
	signedIn.Post("/account/sessions/:id/end", h.AccountSessionEnd)
	signedIn.Get("/account/two-factor", h.AccountTwoFactorPage)
	signedIn.Post("/account/two-factor", h.AccountTwoFactorSubmit)

	admin := signedIn.Group("", m.requireAdmin)
	admin.Get("/teams", h.TeamsList)
	admin.Post("/teams", h.TeamCreate)
	admin.Get("/teams/:id", h.TeamShow)
	admin.Post("/teams/:id/members", h.TeamAddMember)
	admin.Post("/teams/:id/nodes", h.TeamAddNode)
	admin.Get("/users", h.UsersList)
	admin.Post("/users", h.UserInvite)
	admin.Post("/users/two-factor-policy", h.TwoFactorPolicyUpdate)
	admin.Get("/users/:id", h.UserShow)
	admin.Post("/users/:id", h.UserUpdate)
	admin.Get("/users/:id/confirm/disable", h.UserConfirmDisable)
	admin.Post("/users/:id/disable", h.UserDisable)
	admin.Post("/users/:id/enable", h.UserEnable)
	admin.Post("/users/:id/password-link", h.UserPasswordLink)
	admin.Post("/users/:id/sessions/end", h.UserSessionsEnd)
	admin.Post("/users/:id/sessions/:session/end", h.UserSessionEnd)

	ui.Use(h.NotFound)
	for _, r := range app.GetRoutes(false) {
		met.AddRoutes(r.Path)
	}
	return &App{Fiber: app, Access: acc, Services: svc, Sessions: sessions, Metrics: met, draining: draining, Syncs: syncSvc, SyncEngine: syncEngine, KeySweeper: svc.NewKeySweeper(),
		Webhooks: hooks, WebhookDispatcher: hooks.NewDispatcher()}
}

// bodyLimit is the largest request body accepted (413 above it).
const bodyLimit = 1 << 20

// errorHandler answers errors no handler turned into a response (unknown
// routes, body too large, panics recovered by Fiber) without internals.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code = fe.Code
		} else {
			handlers.Logger(c).Error("unhandled error", "err", err)
		}
		msg := http.StatusText(code)
		f := familyOf(c.Path())
		if code == fiber.StatusRequestEntityTooLarge {
			// Fiber answers an oversized body before any middleware ran:
			// give it the request id and the family's shape here.
			if c.GetRespHeader(fiber.HeaderXRequestID) == "" {
				c.Set(fiber.HeaderXRequestID, secrets.RandomID(12))
			}
			return f.writeErr(c, sb.Errorf(sb.CodeTooLarge, "the request body is over the %d KiB limit", bodyLimit>>10))
		}
		if f.json && code == fiber.StatusNotFound {
			return f.writeErr(c, sb.Errorf(sb.CodeNotFound, "no such API route"))
		}
		if f.json {
			return c.Status(code).JSON(fiber.Map{"error": strings.ToLower(strings.ReplaceAll(msg, " ", "_")), "message": msg})
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(code).SendString(msg)
	}
}
