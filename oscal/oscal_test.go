package oscal_test

import (
	"regexp"
	"testing"
	"time"

	"sicherkommunal/oscal"
)

// token is OSCAL's TokenDatatype pattern, as the official schema has it.
var token = regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)

func TestControlID(t *testing.T) {
	for ref, want := range map[string]string{
		"Backup-3":          "backup-3",
		"IT-Admin-12":       "it-admin-12",
		"OPS.1.1.4 A1":      "ops.1.1.4-a1",
		"OPS.1.1.4.A1":      "ops.1.1.4.a1",
		"Büro / Software 2": "büro-software-2",
		"3.1":               "r-3.1",
		"  Backup 3  ":      "backup-3",
		"-x-":               "x",
		"_intern":           "_intern",
		"///":               "r",
		"":                  "r",
		"Ⅻ-1":               "r-ⅻ-1",
	} {
		got := oscal.ControlID(ref)
		if got != want {
			t.Errorf("ControlID(%q) = %q, want %q", ref, got, want)
		}
		if !token.MatchString(got) || !token.MatchString(oscal.StatementID(ref)) || !token.MatchString(oscal.GuidanceID(ref)) {
			t.Errorf("ControlID(%q) = %q is no OSCAL token", ref, got)
		}
	}
	if oscal.StatementID("Backup-3") != "backup-3_smt" || oscal.GuidanceID("Backup-3") != "backup-3_gdn" {
		t.Error("statement or guidance ID")
	}
}

func TestStringAndTimes(t *testing.T) {
	if got := oscal.String("  Erika \n Beispiel\t"); got != "Erika Beispiel" {
		t.Errorf("String: %q", got)
	}
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 2, 10, 30, 0, 500, berlin)
	if got := oscal.Time(at); got != "2026-03-02T09:30:00.0000005Z" {
		t.Errorf("Time: %s", got)
	}
	if got := oscal.Date(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)); got != "2026-01-05T00:00:00Z" {
		t.Errorf("Date: %s", got)
	}
	if len(oscal.NewUUID()) != 36 || oscal.NewUUID() == oscal.NewUUID() {
		t.Error("NewUUID")
	}
}
