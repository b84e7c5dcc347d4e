package web

import (
	"errors"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/db"
	"switchboard/handlers"
)

// family is the error shape (and whether JSON bodies are expected) of the
// routes under a path: every refusal the middleware makes before a handler
// runs is answered in it, so a client of one vendor's API never sees
// another's shape, and a route added under a prefix gets it for free.
type family struct {
	name string
	// json: the routes take JSON bodies (415 for anything else).
	json     bool
	writeErr func(*fiber.Ctx, error) error
}

var (
	nodeFamily         = family{name: "node", json: true, writeErr: handlers.NodeAPIError}
	infisicalFamily    = family{name: "infisical", json: true, writeErr: handlers.InfisicalAPIError}
	anchorFamily       = family{name: "anchor", json: true, writeErr: handlers.AnchorAPIError}
	launchDarklyFamily = family{name: "launchdarkly", json: true, writeErr: handlers.LaunchDarklyAPIError}
	browserFamily      = family{name: "browser", writeErr: handlers.UIError}
)

// familyPrefixes map a path prefix (a whole segment) to its family; the
// first match wins, so the longer prefixes come first.
var familyPrefixes = []struct {
	prefix string
	f      family
}{
	{"/api/v1/app-connections", infisicalFamily},
	{"/api/v1/integration-auth", infisicalFamily},
	{"/api/v1/integration", infisicalFamily}, // Infisical's integrations (not /api/v1/integrations)
	{"/api/v4", infisicalFamily},
	{"/api/v2", launchDarklyFamily},
	{"/api", nodeFamily},
	{"/v1", anchorFamily},
}

// familyOf returns the family of the routes at path.
func familyOf(path string) family {
	for _, p := range familyPrefixes {
		if path == p.prefix || strings.HasPrefix(path, p.prefix+"/") {
			return p.f
		}
	}
	return browserFamily
}

// checkInput refuses, before any handler or database work and in the
// route family's error shape:
//   - a compressed body (415: Fiber v2 inflates without a limit);
//   - on JSON routes, a body that is not Content-Type application/json
//     (415; a request without a body needs no Content-Type);
//   - text that is not UTF-8 or holds a NUL, in the path, the query, a form
//     or any JSON string or member name (400, Infisical's 422, naming it);
//   - a JSON object with the same member twice (decoders disagree on which
//     one wins, so a check and a use could read different values);
//   - bidirectional controls and invisible characters in names (see
//     nameRune).
func (m *middleware) checkInput(c *fiber.Ctx) error {
	f := familyOf(c.Path())
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return f.writeErr(c, sb.Errorf(sb.CodeUnsupportedMedia, "compressed request bodies (Content-Encoding: %s) are not accepted", clip(enc)))
	}
	if bad := badText(c.Path()); bad != "" {
		return f.writeErr(c, fieldError("path", bad))
	}
	var verr error
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if verr == nil {
			verr = checkArg(k, v)
		}
	})
	if verr != nil {
		return f.writeErr(c, verr)
	}
	body := c.Body()
	if len(body) == 0 || c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	if f.json {
		if !isJSONMedia(c.Get(fiber.HeaderContentType)) {
			return f.writeErr(c, sb.Errorf(sb.CodeUnsupportedMedia, "the request body must be sent as Content-Type: application/json"))
		}
		if err := checkJSON(body); err != nil {
			return f.writeErr(c, err)
		}
		return c.Next()
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationForm) {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if verr == nil {
				verr = checkArg(k, v)
				if verr == nil && isNameField(string(k)) {
					if bad := badName(string(v)); bad != "" {
						verr = fieldError(string(k), bad)
					}
				}
			}
		})
		if verr != nil {
			return f.writeErr(c, verr)
		}
	}
	return c.Next()
}

// isJSONMedia accepts application/json and the +json types (JSON Patch is
// application/json-patch+json), with no charset or charset=utf-8.
func isJSONMedia(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt != fiber.MIMEApplicationJSON && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// checkArg checks one query or form argument, naming it.
func checkArg(k, v []byte) error {
	if bad := badText(string(k)); bad != "" {
		return fieldError(fieldName(string(k)), bad)
	}
	if bad := badText(string(v)); bad != "" {
		return fieldError(string(k), bad)
	}
	return nil
}

// badText says what is wrong with text the store cannot keep, or "".
func badText(s string) string {
	if err := db.CheckText(s); err != nil {
		if strings.IndexByte(s, 0) >= 0 {
			return "must not contain a NUL character"
		}
		return "must be UTF-8 text"
	}
	return ""
}

// isNameField reports whether a form field or JSON member holds a name
// (shown in lists, where a right-to-left override would reverse it).
func isNameField(key string) bool {
	return strings.EqualFold(key, "name")
}

// badName refuses bidirectional embedding, override and isolate controls
// and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and the
// invisible zero-width characters (U+200B, U+2060, U+FEFF, U+180E) in a
// name: they make one name look like another, or reverse it on screen.
// The zero-width joiner and non-joiner (U+200C, U+200D) stay allowed:
// scripts such as Persian and Devanagari, and emoji sequences, need them.
func badName(s string) string {
	for _, r := range s {
		if nameRune(r) {
			return "must not contain bidirectional control or invisible characters (U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16)) + ")"
		}
	}
	return ""
}

func nameRune(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	case r == 0x200B, r == 0x2060, r == 0xFEFF, r == 0x180E:
		return true
	}
	return false
}

func fieldError(field, msg string) error {
	return &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{field: msg}}
}

// fieldName is a member or field name fit to show in an error: itself when
// it is clean text, else quoted with escapes.
func fieldName(k string) string {
	if badText(k) == "" && len(k) <= 64 {
		return k
	}
	return clip(strconv.QuoteToASCII(k))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// checkJSON walks a JSON body for text the store cannot keep, duplicate
// members and unfit names, naming the first one found by its path
// ("configValues.apiKey", "tags[2]"). A body that is not JSON at all is
// left to the handler, which says so in its own words.
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		// encoding/json would turn the bytes into U+FFFD without a word;
		// the decoder cannot say where they were, so the body is named.
		return fieldError("body", "must be UTF-8 text")
	}
	err := walkBody(body)
	var fe *sb.Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil // a syntax error: the handler's message
}
