package handlers

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
)

// Status maps a domain error code to its HTTP status.
func Status(code sb.Code) int {
	switch code {
	case sb.CodeInvalid:
		return http.StatusBadRequest
	case sb.CodeNotFound:
		return http.StatusNotFound
	case sb.CodeConflict:
		return http.StatusConflict
	case sb.CodeUnauthorized:
		return http.StatusUnauthorized
	case sb.CodeForbidden:
		return http.StatusForbidden
	case sb.CodeRateLimited:
		return http.StatusTooManyRequests
	case sb.CodeGone:
		return http.StatusGone
	default:
		return http.StatusInternalServerError
	}
}

// logInternal logs an internal error's cause with the request id; other
// codes are the caller's mistake and are not logged.
func logInternal(c *fiber.Ctx, e *sb.Error) {
	if e.Code == sb.CodeInternal {
		Logger(c).Error("internal error", "method", c.Method(), "route", c.Route().Path, "err", e.Err)
	}
}

// uiError renders a domain error as a full page.
func uiError(c *fiber.Ctx, err error) error {
	e := sb.AsError(err)
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
	case sb.CodeInternal:
		m.Title, m.Text = "Something went wrong", "The error was logged with request id "+c.GetRespHeader(fiber.HeaderXRequestID)+". Try again, or tell your administrator."
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
		return views.Errors(e.Fields), true
	}
	return nil, false
}

// nodeAPIError writes an error in the node API key family's shape:
// {"error":"<code>","message":"…"} plus "fields" naming what failed.
func nodeAPIError(c *fiber.Ctx, err error) error {
	e := sb.AsError(err)
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
	case sb.CodeInvalid:
		return "invalid_request"
	case sb.CodeNotFound:
		return "not_found"
	case sb.CodeConflict:
		return "conflict"
	case sb.CodeUnauthorized:
		return "unauthorized"
	case sb.CodeForbidden:
		return "forbidden"
	case sb.CodeRateLimited:
		return "rate_limited"
	default:
		return "internal_error"
	}
}

// NodeAPIError writes err in the node API key family's error shape.
func NodeAPIError(c *fiber.Ctx, err error) error { return nodeAPIError(c, err) }

// NotFoundPage renders the 404 page.
func NotFoundPage(c *fiber.Ctx) error { return uiError(c, sb.Errorf(sb.CodeNotFound, "not found")) }
