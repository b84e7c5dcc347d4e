// Package views holds Switchboard's templ components: the layout, shared
// widgets, one form per provider, the reveal screen and the admin pages.
// Each page takes a view model built by its handler; views never query.
package views

import (
	"strconv"
	"time"

	"github.com/a-h/templ"
)

// Page is what the layout needs on every page.
type Page struct {
	Title string
	// Nav names the active navigation entry.
	Nav    string
	Viewer *Viewer
	CSRF   string
	Flash  []Flash
	// SecretSyncs shows the Secrets and Secret syncs navigation (the family
	// is served only when SWITCHBOARD_SECRET_SYNCS is on).
	SecretSyncs bool
	// ExpiringTokens, on the home page, are the viewer's teams' API tokens
	// that expire within ExpiringWithin.
	ExpiringTokens []ExpiringToken
}

// Viewer is the signed-in user.
type Viewer struct {
	Email string
	Admin bool
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // success, error, info
	Message string
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// Errors maps a field name to its message.
type Errors map[string]string

// Has reports whether field has an error.
func (e Errors) Has(field string) bool { _, ok := e[field]; return ok }

func inputClass(e Errors, field string) string {
	if e.Has(field) {
		return "input input-error"
	}
	return "input"
}

// errAttrs ties an invalid field to its message for screen readers: the
// message FieldError renders has the id field+"-error".
func errAttrs(e Errors, field string) templ.Attributes {
	if !e.Has(field) {
		return nil
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": field + "-error"}
}

func flashClass(kind string) string {
	switch kind {
	case "success":
		return "flash flash-success"
	case "error":
		return "flash flash-error"
	default:
		return "flash flash-info"
	}
}

func statusBadge(status string) string {
	switch status {
	case "active":
		return "badge badge-green"
	case "revoked":
		return "badge badge-red"
	case "expired":
		return "badge badge-amber"
	default:
		return "badge badge-gray"
	}
}

func navClass(p Page, name string) string {
	if p.Nav == name {
		return "nav-link nav-link-active"
	}
	return "nav-link"
}

// navCurrent marks the current section's link for screen readers.
func navCurrent(p Page, name string) string {
	if p.Nav == name {
		return "page"
	}
	return ""
}

// FormatTime renders a time for tables: UTC, to the minute.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// FormatTimePtr renders an optional time, "never" when nil.
func FormatTimePtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return FormatTime(*t)
}

func itoa(n int) string { return strconv.Itoa(n) }
