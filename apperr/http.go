package apperr

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Codes of the HTTP edges: the request itself was refused or could not be
// served.
const (
	BadRequest            = "BAD_REQUEST"
	RequestTooLarge       = "REQUEST_TOO_LARGE"
	MethodNotAllowed      = "METHOD_NOT_ALLOWED"
	IntrospectionDisabled = "INTROSPECTION_DISABLED"
	Timeout               = "TIMEOUT"
	Unavailable           = "UNAVAILABLE"
)

// statuses is the one table from code to HTTP status, for every answer
// that is only an error: a download, a feed, a refused request. (A GraphQL
// response with data and field errors is 200, as the GraphQL-over-HTTP
// spec asks.)
var statuses = map[string]int{
	Validation:            http.StatusBadRequest,
	BadRequest:            http.StatusBadRequest,
	Unauthenticated:       http.StatusUnauthorized,
	Forbidden:             http.StatusForbidden,
	IntrospectionDisabled: http.StatusForbidden,
	NotFound:              http.StatusNotFound,
	MethodNotAllowed:      http.StatusMethodNotAllowed,
	Conflict:              http.StatusConflict,
	RequestTooLarge:       http.StatusRequestEntityTooLarge,
	Internal:              http.StatusInternalServerError,
	Timeout:               http.StatusServiceUnavailable,
	Unavailable:           http.StatusServiceUnavailable,
}

// HTTPStatus is the status of an answer that carries an error with this
// code. Any other code a domain package defines (CAP_EXCEEDED,
// INVALID_STATEMENT, …) is a rule that refused the request: 422. No code
// (an unexpected error) is 500.
func HTTPStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	if code == "" {
		return http.StatusInternalServerError
	}
	return http.StatusUnprocessableEntity
}

// WriteHTTP answers with one error in the GraphQL shape
// {"errors": [{"message", "extensions": {"code", …}}]} and the status of
// its code. A 401 names the bearer scheme; a 503 says when to try again.
func WriteHTTP(w http.ResponseWriter, code, msg string, ext map[string]any) {
	e := map[string]any{"code": code}
	for k, v := range ext {
		e[k] = v
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": e}}})
	status := HTTPStatus(code)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="sicherkommunal"`)
	case http.StatusServiceUnavailable:
		if code == Unavailable {
			w.Header().Set("Retry-After", "1")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Presentable splits an error for a client: a domain error gives its code
// and message; anything else is INTERNAL with a generic message, and ok
// false says the caller must log it.
func Presentable(err error) (code, msg string, details map[string]any, ok bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message, e.Details, true
	}
	return Internal, "internal error", nil, false
}
