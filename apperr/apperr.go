// Package apperr defines domain errors that carry a machine-readable code.
// Domain packages return them; the GraphQL edge maps Code to
// extensions.code and Message to the error message. Any other error is
// unexpected: it is logged and shown to clients as INTERNAL.
package apperr

import (
	"errors"
	"fmt"
)

// Codes shared by all packages. Domain packages add their own (CAP_EXCEEDED …).
const (
	Validation      = "VALIDATION"
	NotFound        = "NOT_FOUND"
	Conflict        = "CONFLICT"
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	Internal        = "INTERNAL"
)

// Error is a domain error.
type Error struct {
	Code    string
	Message string
	// Details are extra figures for clients (for example "remaining").
	Details map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error with a code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with one more detail.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// CodeOf returns the code of a domain error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
