package relaybook

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in the api package and to
// one exit code in the cli package; nothing else interprets them.
const (
	EINVALID      = "invalid"        // validation failed (422)
	EMALFORMED    = "malformed"      // the request could not be parsed (400)
	ENOTFOUND     = "not_found"      // unknown, or belongs to another team (404)
	ECONFLICT     = "conflict"       // duplicates an existing record (409)
	EUNAUTHORIZED = "unauthorized"   // missing, invalid or revoked credentials (401)
	EFORBIDDEN    = "forbidden"      // authenticated but not allowed (403)
	ETOOLARGE     = "too_large"      // request body too large (413)
	ERATELIMITED  = "rate_limited"   // too many requests (429)
	EUNAVAILABLE  = "unavailable"    // a dependency is down (503)
	EINTERNAL     = "internal_error" // a bug (500)
)

// Error is the one error type that crosses package boundaries with meaning.
// Message is safe to show to the caller; Field names the offending input.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error for a kind of object and its id.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that carry none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
