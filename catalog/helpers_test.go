package catalog_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"sicherkommunal/apperr"
)

// seqUUID returns a deterministic UUID function: version 4 UUIDs counting
// from 1.
func seqUUID() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

// wantValidation fails unless err is a VALIDATION error whose message
// contains every one of parts.
func wantValidation(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a VALIDATION error containing %q", parts)
	}
	if apperr.CodeOf(err) != apperr.Validation {
		t.Fatalf("error %v (code %q), want VALIDATION", err, apperr.CodeOf(err))
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// ruleOf is the rule detail of a catalogue's VALIDATION error.
func ruleOf(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		r, _ := e.Details["rule"].(string)
		return r
	}
	return ""
}
