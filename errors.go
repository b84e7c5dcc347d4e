// Package switchboard holds the domain vocabulary shared by every package of
// Switchboard: typed errors with a code and failing fields, roles, and the
// actor on whose behalf a request runs. It imports nothing of the project, so
// the domain packages (access, integrations), the store and the handlers can
// all speak it without import cycles.
package switchboard

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code classifies an error for the one place that maps errors to HTTP.
type Code string

// The error codes the domain returns. Handlers map each to a status and to the
// error body of the JSON family or to the form.
const (
	CodeInvalid Code = "invalid"
	// CodeBadRequest is a refused request that is not a schema failure: a
	// duplicate name where the vendor answers 400, a failed connection test.
	CodeBadRequest   Code = "bad_request"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeRateLimited  Code = "rate_limited"
	CodeGone         Code = "gone"
	// CodeTooLarge is a request body over the size limit (413).
	CodeTooLarge Code = "too_large"
	// CodeUnsupportedMedia is a body in a media type or encoding the route
	// does not take (415): not JSON, or compressed.
	CodeUnsupportedMedia Code = "unsupported_media"
	// CodeUnavailable is a request the store could not answer in time (its
	// deadline passed, or PostgreSQL's statement_timeout cancelled it): 503.
	CodeUnavailable Code = "unavailable"
	// CodeUnprocessable is a well-formed request that cannot be processed
	// as sent (422): an Idempotency-Key reused with another request.
	CodeUnprocessable Code = "unprocessable"
	// CodeInProgress is a request that waited for another one it depends on
	// (the first with its Idempotency-Key) which is still running (409).
	CodeInProgress Code = "in_progress"
	CodeInternal   Code = "internal"
)

// Error is a domain error: a code, a message safe to show to the caller, and
// for invalid input the failing fields with their messages.
type Error struct {
	Code    Code
	Message string
	// Fields maps a field name (as the form and the JSON body name it) to the
	// reason it was refused.
	Fields map[string]string
	// Err is the underlying cause of an internal error; it is logged, never shown.
	Err error
}

// Error implements error. The message never contains secrets: it is built
// from field names and fixed texts only.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return e.Message + ": " + e.FieldList()
}

// Unwrap returns the cause of an internal error.
func (e *Error) Unwrap() error { return e.Err }

// FieldList renders the failing fields as "a: why; b: why", sorted by name.
func (e *Error) FieldList() string {
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + e.Fields[n]
	}
	return strings.Join(parts, "; ")
}

// Errorf returns an Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error; callers see only "internal error".
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err: "" for nil, CodeInternal for an error
// that is not an *Error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping unknown errors as internal ones.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Validation collects field errors; its Err method returns nil when none were added.
type Validation map[string]string

// Add records msg for field unless the field already has an error.
func (v Validation) Add(field, msg string) {
	if _, ok := v[field]; !ok {
		v[field] = msg
	}
}

// Merge adds the field errors of err (an invalid-input Error) to v.
func (v Validation) Merge(err error) {
	var e *Error
	if errors.As(err, &e) {
		for f, m := range e.Fields {
			v.Add(f, m)
		}
	}
}

// Err returns an invalid-input Error naming the fields, or nil.
func (v Validation) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "invalid request", Fields: map[string]string(v)}
}

// ErrInvalidText is the cause of a store refusal of text with a NUL
// character or bytes that are not UTF-8 (the store's safety net under the
// input middleware); it is the caller's mistake, answered 400.
var ErrInvalidText = errors.New("text must be UTF-8 without NUL characters")
