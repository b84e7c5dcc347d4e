package handlers

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
)

// Status maps a domain error code to its HTTP status.
func Status(code sb.Code) int {
	switch code {
	case sb.CodeInvalid, sb.CodeBadRequest:
		return http.StatusBadRequest
	case sb.CodeNotFound:
		return http.StatusNotFound
	case sb.CodeConflict, sb.CodeInProgress:
		return http.StatusConflict
	case sb.CodeUnprocessable:
		return http.StatusUnprocessableEntity
	case sb.CodeUnauthorized:
		return http.StatusUnauthorized
	case sb.CodeForbidden:
		return http.StatusForbidden
	case sb.CodeRateLimited:
		return http.StatusTooManyRequests
	case sb.CodeGone:
		return http.StatusGone
	case sb.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case sb.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case sb.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// asError returns err as a domain error. It is the safety net under the
// input middleware: text the store refuses (NUL, invalid UTF-8) is the
// caller's mistake, a 400, never a 500, whichever route let it through.
func asError(err error) *sb.Error {
	if errors.Is(err, sb.ErrInvalidText) {
		return &sb.Error{Code: sb.CodeInvalid, Message: "invalid request: text must be UTF-8 without NUL characters"}
	}
	if timedOut(err) {
		return &sb.Error{Code: sb.CodeUnavailable, Message: "the database did not answer in time: try again", Err: err}
	}
	return sb.AsError(err)
}

// timedOut reports whether err comes from a deadline: the request's
// context, or PostgreSQL cancelling the statement (SQLSTATE 57014,
// query_canceled, which statement_timeout and a context cancel both give).
func timedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var st interface{ SQLState() string }
	return errors.As(err, &st) && st.SQLState() == "57014"
}

// logInternal logs an internal error's cause with the request id; other
// codes are the caller's mistake and are not logged.
func logInternal(c *fiber.Ctx, e *sb.Error) {
	switch e.Code {
	case sb.CodeInternal:
		Logger(c).Error("internal error", "method", c.Method(), "route", c.Route().Path, "err", e.Err)
	case sb.CodeUnavailable:
		Logger(c).Warn("database deadline", "method", c.Method(), "route", c.Route().Path, "err", e.Err)
	}
}

// uiError renders a domain error as a full page.
func uiError(c *fiber.Ctx, err error) error {
	e := asError(err)
	logInternal(c, e)
	status := Status(e.Code)
	m := views.Message{Status: status, LinkText: "Back to integrations", LinkHref: "/integrations"}
	switch e.Code {
	case sb.CodeNotFound:
		m.Title, m.Text = "Not found", "There is nothing here, or it belongs to a team you are not part of."
	case sb.CodeForbidden:
		m.Title, m.Text = "Not allowed", e.Message
	case sb.CodeGone:
		m.Title, m.Text = "Gone", e.Message
	case sb.CodeUnavailable:
		m.Title, m.Text = "Try again", "The database did not answer in time. Try again in a moment."
	case sb.CodeInternal:
		m.Title, m.Text = "Something went wrong", "The error was logged with request id "+c.GetRespHeader(fiber.HeaderXRequestID)+". Try again, or tell your administrator."
	case sb.CodeInvalid:
		m.Title, m.Text = http.StatusText(status), e.Error() // names each field
	default:
		m.Title, m.Text = http.StatusText(status), e.Message
	}
	return page(c, status, m.Title, "", views.MessagePage(m), nil)
}

// NotFound renders the 404 page for unknown routes.
func (h *Handlers) NotFound(c *fiber.Ctx) error {
	return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
}

// fieldErrors returns the failing fields of an invalid or conflict error.
func fieldErrors(err error) (views.Errors, bool) {
	var e *sb.Error
	if errors.As(err, &e) && (e.Code == sb.CodeInvalid || e.Code == sb.CodeConflict) && len(e.Fields) > 0 {
		out := make(views.Errors, len(e.Fields))
		for k, msg := range e.Fields {
			out[k] = formWording(msg)
		}
		return out, true
	}
	return nil, false
}

// nodeAPIError writes an error in the node API key family's shape:
// {"error":"<code>","message":"…"} plus "fields" naming what failed.
func nodeAPIError(c *fiber.Ctx, err error) error {
	e := asError(err)
	logInternal(c, e)
	body := fiber.Map{"error": nodeErrorCode(e.Code), "message": e.Message}
	if e.Code == sb.CodeInvalid {
		body["message"] = e.Error()
		if len(e.Fields) > 0 {
			body["fields"] = e.Fields
		}
	}
	return c.Status(Status(e.Code)).JSON(body)
}

func nodeErrorCode(code sb.Code) string {
	switch code {
	case sb.CodeInvalid, sb.CodeBadRequest:
		return "invalid_request"
	case sb.CodeNotFound:
		return "not_found"
	case sb.CodeConflict, sb.CodeInProgress:
		return "conflict"
	case sb.CodeUnprocessable:
		return "unprocessable_entity"
	case sb.CodeGone:
		return "gone"
	case sb.CodeUnauthorized:
		return "unauthorized"
	case sb.CodeForbidden:
		return "forbidden"
	case sb.CodeRateLimited:
		return "rate_limited"
	case sb.CodeTooLarge:
		return "payload_too_large"
	case sb.CodeUnsupportedMedia:
		return "unsupported_media_type"
	case sb.CodeUnavailable:
		return "service_unavailable"
	default:
		return "internal_error"
	}
}

// NodeAPIError writes err in the node API key family's error shape.
func NodeAPIError(c *fiber.Ctx, err error) error { return nodeAPIError(c, err) }

// UIError renders err as a full page (for the middleware's refusals of
// browser requests).
func UIError(c *fiber.Ctx, err error) error { return uiError(c, err) }

// NotFoundPage renders the 404 page.
func NotFoundPage(c *fiber.Ctx) error { return uiError(c, sb.Errorf(sb.CodeNotFound, "not found")) }

// anchorAPIError writes err in the Anchor (1Password service account)
// family's shape: {"error":{"code":<status>,"message":"…"}}.
func anchorAPIError(c *fiber.Ctx, err error) error {
	e := asError(err)
	logInternal(c, e)
	status := Status(e.Code)
	msg := e.Message
	if e.Code == sb.CodeInvalid {
		msg = e.Error()
	}
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": status, "message": msg}})
}

// AnchorAPIError writes err in the Anchor family's error shape.
func AnchorAPIError(c *fiber.Ctx, err error) error { return anchorAPIError(c, err) }

// infisicalAPIError writes err in Infisical's shape,
// {"reqId","statusCode","message","error"}. A schema failure is Infisical's
// 422 "ValidationFailure" whose message is the list of validation issues, as
// Infisical sends its zod errors: [{"code","path":[…],"message"}] (the
// seed's 422 allows no other member). A domain error may carry Infisical's
// own status (a duplicate name is a 400, not a 409).
func infisicalAPIError(c *fiber.Ctx, err error) error {
	e := asError(err)
	logInternal(c, e)
	status := Status(e.Code)
	body := fiber.Map{"reqId": c.GetRespHeader(fiber.HeaderXRequestID), "statusCode": status, "message": e.Message}
	switch e.Code {
	case sb.CodeInvalid, sb.CodeUnprocessable:
		status = fiber.StatusUnprocessableEntity
		issues := make([]fiber.Map, 0, max(1, len(e.Fields)))
		for _, f := range sortedKeys(e.Fields) {
			issues = append(issues, fiber.Map{"code": "custom", "path": issuePath(f), "message": e.Fields[f]})
		}
		if len(issues) == 0 {
			// A body that is not a JSON object at all: zod names the root.
			issues = append(issues, fiber.Map{"code": "custom", "path": []any{}, "message": e.Message})
		}
		body["statusCode"], body["error"], body["message"] = status, "ValidationFailure", issues
	case sb.CodeConflict, sb.CodeBadRequest:
		status = fiber.StatusBadRequest
		body["statusCode"], body["error"] = status, "BadRequest"
	case sb.CodeNotFound:
		body["error"] = "NotFound"
	case sb.CodeInProgress:
		body["error"] = "Conflict"
	case sb.CodeGone:
		body["error"] = "Gone"
	case sb.CodeUnauthorized:
		body["error"] = "UnauthorizedError"
	case sb.CodeForbidden:
		body["error"] = "PermissionDenied"
	case sb.CodeRateLimited:
		body["error"] = "RateLimitExceeded"
	case sb.CodeTooLarge:
		body["error"] = "PayloadTooLarge"
	case sb.CodeUnsupportedMedia:
		body["error"] = "UnsupportedMediaType"
	case sb.CodeUnavailable:
		body["error"] = "ServiceUnavailable"
	default:
		body["error"] = "InternalServerError"
	}
	return c.Status(status).JSON(body)
}

// issuePath splits a field name ("credentials.instanceUrl", "tags[1]") into
// a zod issue path: member names as strings, array indexes as numbers.
func issuePath(field string) []any {
	var path []any
	for _, seg := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			path = append(path, name)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				path = append(path, n)
			} else {
				path = append(path, idx)
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	if path == nil {
		path = []any{}
	}
	return path
}

// InfisicalAPIError writes err in Infisical's error shape.
func InfisicalAPIError(c *fiber.Ctx, err error) error { return infisicalAPIError(c, err) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// launchDarklyAPIError writes err in LaunchDarkly's shape,
// {"code":"…","message":"…"}; an invalid request names each failing field
// in the message.
func launchDarklyAPIError(c *fiber.Ctx, err error) error {
	e := asError(err)
	logInternal(c, e)
	msg := e.Message
	if e.Code == sb.CodeInvalid && len(e.Fields) > 0 {
		msg = e.FieldList()
	}
	code := nodeErrorCode(e.Code)
	if e.Code == sb.CodeUnauthorized {
		code = "unauthorized"
	}
	return c.Status(Status(e.Code)).JSON(fiber.Map{"code": code, "message": msg})
}

// LaunchDarklyAPIError writes err in the LaunchDarkly family's error shape.
func LaunchDarklyAPIError(c *fiber.Ctx, err error) error { return launchDarklyAPIError(c, err) }

// formWording puts a field message in the forms' one style, shown under
// the field's label: "is required", "can only contain …". Some families'
// messages name the field themselves ("Host required", Infisical's "name
// field can only contain …"), as their JSON APIs must; a form need not.
func formWording(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "Required"); ok && (rest == "" || rest[0] == ':') {
		return "is required" + rest
	}
	if head, ok := strings.CutSuffix(msg, " required"); ok && !strings.HasSuffix(head, " is") && !strings.Contains(head, ":") {
		return "is required"
	}
	if _, rest, ok := strings.Cut(msg, " field can only contain "); ok {
		return "can only contain " + rest
	}
	return msg
}
