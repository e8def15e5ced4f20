package apperr

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHTTPStatus: the table, code by code, and the two defaults.
func TestHTTPStatus(t *testing.T) {
	for code, want := range map[string]int{
		Validation: 400, BadRequest: 400, Unauthenticated: 401, Forbidden: 403, IntrospectionDisabled: 403,
		NotFound: 404, MethodNotAllowed: 405, Conflict: 409, RequestTooLarge: 413, Internal: 500,
		Timeout: 503, Unavailable: 503,
		"CAP_EXCEEDED": 422, "INVALID_STATEMENT": 422, "INVALID_AMOUNT": 422, "": 500,
	} {
		if got := HTTPStatus(code); got != want {
			t.Errorf("%q: %d, want %d", code, got, want)
		}
	}
	if len(statuses) != 12 {
		t.Errorf("the table has %d codes; add the new one above", len(statuses))
	}
}

func TestWriteHTTP(t *testing.T) {
	w := httptest.NewRecorder()
	WriteHTTP(w, Unauthenticated, "a valid bearer token is required", nil)
	if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") ||
		w.Body.String() != `{"errors":[{"extensions":{"code":"UNAUTHENTICATED"},"message":"a valid bearer token is required"}]}` {
		t.Errorf("401: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	WriteHTTP(w, Unavailable, "try again", map[string]any{"limit": 3})
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"limit":3`) {
		t.Errorf("503: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestPresentable(t *testing.T) {
	if code, msg, _, ok := Presentable(New(Conflict, "taken")); code != Conflict || msg != "taken" || !ok {
		t.Errorf("domain error: %s %s %v", code, msg, ok)
	}
	if code, msg, _, ok := Presentable(errors.New("pq: relation x")); code != Internal || strings.Contains(msg, "pq") || ok {
		t.Errorf("unexpected error shown: %s %s %v", code, msg, ok)
	}
}
