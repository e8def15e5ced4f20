package app

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReportPeriodDefaults: the reconciliation query and its downloads
// default from to the programme's start (2025-12-02) and to to today in
// the programme's time zone; given bounds are kept.
func TestReportPeriodDefaults(t *testing.T) {
	s := newTestServer(t)
	coord := s.token(t, "COORDINATOR", "")
	pid := s.programID(t)
	// 23:30 UTC on 26 November is already the 27th in Berlin.
	s.Clock.Set(time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC))
	for _, c := range []struct{ args, from, to string }{
		{``, "2025-12-02", "2026-11-27"},
		{`, from: "2026-03-01"`, "2026-03-01", "2026-11-27"},
		{`, to: "2026-06-30"`, "2025-12-02", "2026-06-30"},
		{`, from: "2026-01-01", to: "2026-01-31"`, "2026-01-01", "2026-01-31"},
	} {
		var d struct{ Reconciliation struct{ From, To string } }
		s.must(t, coord, `query($p: ID!) { reconciliation(programID: $p`+c.args+`) { from to } }`, map[string]any{"p": pid}, &d)
		if d.Reconciliation.From != c.from || d.Reconciliation.To != c.to {
			t.Errorf("reconciliation(%s): %s..%s, want %s..%s", c.args, d.Reconciliation.From, d.Reconciliation.To, c.from, c.to)
		}
	}
	for _, c := range []struct{ query, name string }{
		{"", "reconciliation-2025-12-02-2026-11-27.csv"},
		{"&from=2026-02-01", "reconciliation-2026-02-01-2026-11-27.csv"},
		{"&from=2026-02-01&to=2026-02-28", "reconciliation-2026-02-01-2026-02-28.csv"},
	} {
		res, body := s.download(t, coord, "/exports/reconciliation.csv?programID="+pid+c.query)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), c.name) {
			t.Errorf("download %q: %d %q %s", c.query, res.StatusCode, res.Header.Get("Content-Disposition"), body)
		}
	}
	res, body := s.download(t, coord, "/exports/reconciliation.csv?programID="+pid+"&from=March")
	if res.StatusCode != 400 || !strings.Contains(string(body), "VALIDATION") {
		t.Errorf("bad from: %d %s", res.StatusCode, body)
	}
	res, body = s.download(t, coord, "/exports/reconciliation.xlsx?programID=PG01JUNKNOWN000000000000000")
	if res.StatusCode != 404 || !strings.Contains(string(body), "NOT_FOUND") {
		t.Errorf("unknown programme: %d %s", res.StatusCode, body)
	}
}

// TestEveryFlagHasAnEnvVar: each flag of -h names the SK_ variable that
// sets it, and the variables are read (the flag wins).
func TestEveryFlagHasAnEnvVar(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"-h"}, func(string) string { return "" }, io.Discard, &out); err == nil {
		t.Fatal("-h did not stop")
	}
	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatchIndex(out.String(), -1)
	if len(flags) < 12 {
		t.Fatalf("%d flags in -h:\n%s", len(flags), out.String())
	}
	text := out.String()
	for i, m := range flags {
		end := len(text)
		if i+1 < len(flags) {
			end = flags[i+1][0]
		}
		if !strings.Contains(text[m[0]:end], "SK_") {
			t.Errorf("flag -%s names no SK_ variable: %s", text[m[2]:m[3]], text[m[0]:end])
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseConfig(nil, env(map[string]string{"SK_MAX_BODY_BYTES": "2048", "SK_MAX_UPLOAD_BYTES": "104857600"}), io.Discard)
	if err != nil || c.MaxBodyBytes != 2048 || c.MaxUploadBytes != 100<<20 {
		t.Errorf("SK_MAX_BODY_BYTES/SK_MAX_UPLOAD_BYTES not read: %+v %v", c, err)
	}
	c, err = parseConfig([]string{"-max-body-bytes", "4096"}, env(map[string]string{"SK_MAX_BODY_BYTES": "2048"}), io.Discard)
	if err != nil || c.MaxBodyBytes != 4096 {
		t.Errorf("the flag does not win: %+v %v", c, err)
	}
	if c.MaxUploadBytes != 64<<20 || c.DatabaseURL != "" {
		t.Errorf("defaults: upload %d, database %q", c.MaxUploadBytes, c.DatabaseURL)
	}
	for _, bad := range []string{"SK_MAX_BODY_BYTES", "SK_MAX_UPLOAD_BYTES"} {
		if _, err := parseConfig(nil, env(map[string]string{bad: "1MB"}), io.Discard); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s=1MB: %v", bad, err)
		}
	}
	// -demo keeps its own file unless a database is given.
	if c, _ := parseConfig([]string{"-demo"}, env(nil), io.Discard); c.DatabaseURL != demoSQLiteFile {
		t.Errorf("-demo database %q", c.DatabaseURL)
	}
	if c, _ := parseConfig([]string{"-demo"}, env(map[string]string{"SK_DATABASE_URL": "x.db"}), io.Discard); c.DatabaseURL != "x.db" {
		t.Errorf("-demo with SK_DATABASE_URL: %q", c.DatabaseURL)
	}
}
