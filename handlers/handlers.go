// Package handlers holds Switchboard's HTTP handlers: ui_*.go render pages
// and fragments, api_<family>.go answer each vendor family's JSON. Handlers
// decode, call the domain, and render; they hold no business rule and no SQL.
// errors.go is the one place that maps a domain error code to a status, to a
// page, and to each JSON family's error body.
package handlers

import (
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-playground/form/v4"
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/handlers/session"
	"switchboard/integrations"
	"switchboard/syncs"
	"switchboard/views"
	"switchboard/webhooks"
)

// Keys of c.Locals set by the middleware.
const (
	// LocalSecretSyncs is true when the secret-sync family is served.
	LocalSecretSyncs = "switchboard.secretSyncs"
	LocalActor       = "switchboard.actor"
	LocalLogger      = "switchboard.log"
)

// Deps are what the handlers consume.
type Deps struct {
	Access       *access.Service
	Integrations *integrations.Service
	// Syncs is the secret-sync family (team secrets, auths, integrations).
	Syncs *syncs.Service
	// Webhooks are the endpoints that get audit events.
	Webhooks *webhooks.Service
	Log      *slog.Logger
	// BaseURL is the public URL that set-password links start with; empty
	// means the request's own scheme and host.
	BaseURL string
}

// Handlers serves every route.
type Handlers struct {
	Deps
	forms *form.Decoder
}

// New returns the handlers.
func New(d Deps) *Handlers {
	return &Handlers{Deps: d, forms: form.NewDecoder()}
}

// Actor returns the request's actor (zero when anonymous).
func Actor(c *fiber.Ctx) sb.Actor {
	a, _ := c.Locals(LocalActor).(sb.Actor)
	return a
}

// Logger returns the request's logger, which carries its request id.
func Logger(c *fiber.Ctx) *slog.Logger {
	if l, ok := c.Locals(LocalLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// Meta is where the request came from, for audit rows.
func Meta(c *fiber.Ctx) access.Meta {
	return access.Meta{IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)}
}

func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// render writes a component with a status. It renders under the request's
// context, so a component that reads it (or a client gone away) is bound
// to this request.
func render(c *fiber.Ctx, status int, cmp templ.Component) error {
	c.Status(status).Type("html", "utf-8")
	if err := cmp.Render(c.UserContext(), c.Response().BodyWriter()); err != nil {
		c.Response().ResetBody()
		return err
	}
	return nil
}

// page renders body in the layout, or only fragment for an htmx request
// when one is given.
func page(c *fiber.Ctx, status int, title, nav string, body, fragment templ.Component) error {
	c.Vary("HX-Request")
	// A history restore (htmx's cache missed on Back) needs the whole page,
	// though it is sent as an htmx request.
	if fragment != nil && isHTMX(c) && c.Get("HX-History-Restore-Request") != "true" {
		return render(c, status, fragment)
	}
	return render(c, status, views.Layout(pageModel(c, title, nav), body))
}

func pageModel(c *fiber.Ctx, title, nav string) views.Page {
	p := views.Page{Title: title, Nav: nav}
	p.SecretSyncs, _ = c.Locals(LocalSecretSyncs).(bool)
	p.ExpiringTokens, _ = c.Locals(LocalExpiringTokens).([]views.ExpiringToken)
	s := session.From(c)
	if s != nil {
		p.CSRF = s.CSRF()
		for _, f := range s.TakeFlashes() {
			p.Flash = append(p.Flash, views.Flash{Kind: f.Kind, Message: f.Message})
		}
	}
	if a := Actor(c); a.UserID != "" {
		p.Viewer = &views.Viewer{Email: a.Email, Admin: a.IsAdmin()}
	}
	return p
}

func csrf(c *fiber.Ctx) string {
	if s := session.From(c); s != nil {
		return s.CSRF()
	}
	return ""
}

func flash(c *fiber.Ctx, kind, msg string) {
	if s := session.From(c); s != nil {
		s.AddFlash(kind, msg)
	}
}

// redirect answers a form post: 303 for a plain browser, HX-Redirect for htmx
// (so the XHR does not follow the redirect itself and, for a reveal, use it up).
func redirect(c *fiber.Ctx, to string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// formValues returns the urlencoded body (POST) or the query (GET) as url.Values.
func formValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	args := c.Request().PostArgs()
	if c.Method() == fiber.MethodGet {
		args = c.Request().URI().QueryArgs()
	}
	args.VisitAll(func(k, val []byte) { v.Add(string(k), string(val)) })
	return v
}

// decodeForm fills dst from the request's form.
func (h *Handlers) decodeForm(c *fiber.Ctx, dst any) error {
	return h.forms.Decode(dst, formValues(c))
}

func itoa(n int) string { return strconv.Itoa(n) }

// safeNext accepts only a local path as a place to return to after sign-in.
func safeNext(next string) string {
	bad := !strings.HasPrefix(next, "/") || strings.ContainsRune(next, '\\')
	for _, r := range next {
		// Browsers drop tabs and newlines inside URLs, so "/\t/x" becomes "//x".
		if r < 0x20 || r == 0x7f {
			bad = true
		}
	}
	if bad || strings.HasPrefix(next, "//") {
		return "/integrations"
	}
	return next
}
