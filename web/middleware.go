package web

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"crypto/subtle"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/handlers"
	"switchboard/handlers/session"
	"switchboard/metrics"
	"switchboard/secrets"
)

type middleware struct {
	log      *slog.Logger
	sessions *session.Store
	access   *access.Service
	store    *db.DB
	secure   bool
	// limiter counts API requests per token (nil or limit 0: no limit).
	limiter *rateLimiter
	metrics *metrics.Metrics
	// timeout is every request's deadline (negative: none).
	timeout time.Duration
}

// deadline gives the request a context that ends after m.timeout; every
// handler passes c.UserContext() to the domain and the store, so a query
// still running then is cancelled and the request answers 503 in its
// family's shape instead of hanging.
func (m *middleware) deadline(c *fiber.Ctx) error {
	if m.timeout <= 0 {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), m.timeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// observe records every request's route pattern, status and latency. It
// runs outside requestLog, which has turned any error into the final
// status by the time it returns.
func (m *middleware) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	m.metrics.Observe(c.Method(), c.Route().Path, c.Response().StatusCode(), time.Since(start))
	return err
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// sensitivePaths carry a secret in their last segment; logs show only the
// prefix, whichever handler (or middleware) answered.
var sensitivePaths = []string{"/setup/", "/reveal/", "/set-password/"}

func logPath(p string) string {
	for _, s := range sensitivePaths {
		if strings.HasPrefix(p, s) {
			return s + "…"
		}
	}
	return p
}

// requestLog gives every request an id (a caller's X-Request-ID if it is
// sane), a logger carrying it, and one log line when it ends. Query strings
// and bodies are never logged.
func (m *middleware) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDRE.MatchString(id) {
		id = secrets.RandomID(12)
	}
	c.Set(fiber.HeaderXRequestID, id)
	log := m.log.With("request_id", id)
	c.Locals(handlers.LocalLogger, log)
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	log.Info("request", "method", c.Method(), "path", logPath(c.Path()), "status", c.Response().StatusCode(),
		"duration_ms", time.Since(start).Milliseconds(), "ip", c.IP())
	return nil
}

// securityHeaders sets a strict CSP (no inline script or style), framing and
// sniffing protections, and no-store on everything but static assets: pages
// show team data and reveals show secrets.
func (m *middleware) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if m.secure {
		c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	if !strings.HasPrefix(c.Path(), "/static/") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

// session loads the cookie session and the signed-in user (whose session
// row must be live), and after the handler records what happened to the
// session (a sign-in starts a row, a sign-out ends it, a re-issue moves it)
// and saves the cookie when it changed. If the row cannot be written the
// answer is a 500 without the new cookie: a session is never handed out
// without the row that lets it be ended.
func (m *middleware) session(c *fiber.Ctx) error {
	s := m.sessions.Load(c)
	live := ""
	if uid := s.UserID(); uid != "" {
		ref := access.SessionRef{UserID: uid, Generation: s.Generation(), SID: s.SID()}
		actor, rowID, err := m.access.SessionActor(c.UserContext(), ref, handlers.Meta(c))
		switch {
		case err == nil:
			c.Locals(handlers.LocalActor, actor)
			c.Locals(handlers.LocalSessionID, rowID)
			live = ref.SID
		case sb.ErrorCode(err) == sb.CodeUnauthorized:
			s.SignOut()
			s.Expired = true
		default:
			return err
		}
	}
	err := c.Next()
	if rerr := m.recordSession(c, s, live); rerr != nil {
		c.Response().Header.Del(fiber.HeaderLocation)
		c.Response().Header.Del("HX-Redirect")
		c.Response().ResetBody()
		return rerr
	}
	if serr := m.sessions.Save(c, s); serr != nil {
		handlers.Logger(c).Error("save session", "err", serr)
	}
	return err
}

// recordSession keeps the session rows in step with the cookie: live is
// the session id that was valid when the request arrived.
func (m *middleware) recordSession(c *fiber.Ctx, s *session.Session, live string) error {
	ctx, meta := c.UserContext(), handlers.Meta(c)
	cur := s.SID()
	if cur == "" {
		// Signed out (or timed out on arrival): end the row, so a copy of
		// the cookie is signed out too.
		return m.access.EndSessionByCookie(ctx, s.LoadedSID())
	}
	if cur == live {
		return nil
	}
	ref := access.SessionRef{UserID: s.UserID(), Generation: s.Generation(), SID: cur}
	if live != "" && !s.SignedInNow() {
		return m.access.ReissueSession(ctx, live, ref, meta)
	}
	if err := m.access.EndSessionByCookie(ctx, s.LoadedSID()); err != nil {
		return err
	}
	return m.access.StartSession(ctx, ref, meta)
}

// csrf checks every state-changing browser request: the session's token in
// the _csrf field or the X-CSRF-Token header (htmx), and a same-origin
// Origin header when the browser sends one.
func (m *middleware) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != "null" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != c.Hostname() {
			return forbidden(c, "cross-origin request refused")
		}
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return forbidden(c, "cross-site request refused")
	}
	token := c.Get("X-CSRF-Token")
	if token == "" {
		token = string(c.Request().PostArgs().Peek("_csrf"))
	}
	if token == "" && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		// A form with a file (the .env upload) is multipart.
		if f, err := c.MultipartForm(); err == nil && len(f.Value["_csrf"]) > 0 {
			token = f.Value["_csrf"][0]
		}
	}
	want := session.From(c).CSRF()
	if token == "" || want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return forbidden(c, "the form expired or was sent from another site: reload the page and try again")
	}
	return c.Next()
}

func forbidden(c *fiber.Ctx, msg string) error {
	c.Status(fiber.StatusForbidden)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString("403 Forbidden: " + msg)
}

// requireUser sends anonymous visitors to the sign-in page.
func (m *middleware) requireUser(c *fiber.Ctx) error {
	if handlers.Actor(c).UserID != "" {
		return c.Next()
	}
	if s := session.From(c); s != nil && s.Expired {
		s.AddFlash("info", "Your session ended. Sign in again.")
	}
	to := "/sign-in"
	if c.Method() == fiber.MethodGet && c.Path() != "/" {
		to += "?next=" + url.QueryEscape(c.OriginalURL())
	}
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// requireAdmin answers 404 to non-admins: the page does not exist for them.
func (m *middleware) requireAdmin(c *fiber.Ctx) error {
	if handlers.Actor(c).IsAdmin() {
		return c.Next()
	}
	return handlers.NotFoundPage(c)
}

// apiAuth authenticates a team API token sent as Authorization: Bearer (and,
// with allowBare, as a bare Authorization value, as LaunchDarkly's clients
// send it) and answers 401 in the family's shape. An authenticated request
// then counts against its token's rate limit (429 in the family's shape).
func (m *middleware) apiAuth(writeErr func(*fiber.Ctx, error) error, allowBare bool) fiber.Handler {
	return m.apiAuthWith(writeErr, allowBare, "")
}

// apiAuthWith also accepts the token in a vendor's own header (Anchor's
// anchor-api-key), tried before Authorization.
func (m *middleware) apiAuthWith(writeErr func(*fiber.Ctx, error) error, allowBare bool, header string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
		token := ""
		if header != "" {
			token = strings.TrimSpace(c.Get(header))
		}
		switch {
		case token != "":
		case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
			token = strings.TrimSpace(h[7:])
		case allowBare:
			token = h
		}
		if token == "" {
			how := "Authorization: Bearer <token>"
			if header != "" {
				how = "the " + header + " header"
			}
			return writeErr(c, sb.Errorf(sb.CodeUnauthorized, "missing API token: send %s", how))
		}
		actor, err := m.access.Authenticate(c.UserContext(), token, handlers.Meta(c))
		if err != nil {
			return writeErr(c, err)
		}
		c.Locals(handlers.LocalActor, actor)
		if window, on := m.limiter.window(); on {
			hits, err := m.limiter.take(c.UserContext(), actor.TokenID, window)
			if err != nil {
				return writeErr(c, sb.Internal(err))
			}
			if handled, err := m.limiter.allow(c, writeErr, window, hits); handled {
				return err
			}
		}
		return c.Next()
	}
}
