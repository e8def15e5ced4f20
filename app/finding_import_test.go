package app

import (
	"os"
	"strings"
	"testing"

	"sicherkommunal/ent/finding"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

const importScan = `mutation($file: Upload!, $pa: ID!, $format: ScanReportFormat!, $on: Date!) {
  importScanReport(input: {participationID: $pa, kind: VULNERABILITY_SCAN, format: $format, file: $file, performedOn: $on, scope: "Rathausnetz"}) {
    id results findingsAdded findingsSeenAgain findingsReopened findingsNotSeen reportSha256 } }`

type gqlTest struct {
	ID                                                                  string
	Results                                                             int
	FindingsAdded, FindingsSeenAgain, FindingsReopened, FindingsNotSeen int
	ReportSha256                                                        string
}

func scanFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../finding/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportScanReport: a Greenbone report becomes a test with findings
// (severity from the CVSS vector, due dates from the programme); the same
// file again changes nothing; a newer scan updates what it finds again,
// marks what it no longer finds (verifying a FIXED one), adds what is new
// and reopens a fixed finding that is back; a broken file changes nothing
// and names the element; the CSV export imports too.
func TestImportScanReport(t *testing.T) {
	s := newTestServer(t)
	pas := s.participations(t, 2)
	contractor := s.token(t, "CONTRACTOR", "")
	scan := func(pa, file, format, on string) gqlTest {
		t.Helper()
		var d struct{ ImportScanReport gqlTest }
		s.must(t, contractor, importScan, map[string]any{"pa": pa, "format": format, "on": on,
			"file": testUpload{name: file, content: scanFile(t, file)}}, &d)
		return d.ImportScanReport
	}
	count := func() (tests, findings, history int) {
		return s.DB.Client.SecurityTest.Query().CountX(bg()), s.DB.Client.Finding.Query().CountX(bg()), s.DB.Client.FindingChange.Query().CountX(bg())
	}

	// Broken files change nothing.
	for _, c := range []struct{ file, format, want string }{
		{"broken-truncated.xml", "GREENBONE_XML", "not well-formed"},
		{"broken-doctype.xml", "GREENBONE_XML", "DOCTYPE"},
		{"broken-no-oid.xml", "GREENBONE_XML", "result 2"},
		{"broken-no-oid-column.csv", "GREENBONE_CSV", "NVT OID"},
	} {
		e := s.fails(t, contractor, importScan, map[string]any{"pa": pas[0], "format": c.format, "on": "2026-11-02",
			"file": testUpload{name: c.file, content: scanFile(t, c.file)}}, "VALIDATION")
		if !strings.Contains(e.Message, c.want) {
			t.Errorf("%s: %q does not name %q", c.file, e.Message, c.want)
		}
		if a, b, h := count(); a+b+h != 0 {
			t.Fatalf("%s: a refused report left %d tests, %d findings, %d history entries", c.file, a, b, h)
		}
	}

	first := scan(pas[0], "greenbone-scan1.xml", "GREENBONE_XML", "2026-11-02")
	if first.Results != 8 || first.FindingsAdded != 8 || first.FindingsSeenAgain != 0 || len(first.ReportSha256) != 64 {
		t.Fatalf("first scan: %+v", first)
	}
	// Severity from the vector, due from the programme's days.
	for _, f := range s.DB.Client.Finding.Query().AllX(bg()) {
		due := types.DefaultRemediationDays.DueOn(f.Severity, f.FirstSeenOn)
		if (due == nil) != (f.DueOn == nil) || due != nil && !due.Equal(*f.DueOn) {
			t.Errorf("%s (%s): due %v, want %v", f.Title, f.Severity, f.DueOn, due)
		}
		if f.Status != types.FindingOpen || f.FirstTestID != pulid.ID(first.ID) {
			t.Errorf("%s: %s, first test %s", f.Title, f.Status, f.FirstTestID)
		}
	}
	if n := s.DB.Client.Finding.Query().Where(finding.CvssScoreTenthsNotNil()).CountX(bg()); n == 0 {
		t.Error("no finding has a computed score")
	}

	// The same file again: the stored test, nothing written.
	t0, f0, h0 := count()
	if again := scan(pas[0], "greenbone-scan1.xml", "GREENBONE_XML", "2026-11-02"); again.ID != first.ID {
		t.Fatalf("the same file again made test %s (first %s)", again.ID, first.ID)
	}
	if a, b, h := count(); a != t0 || b != f0 || h != h0 {
		t.Fatalf("the same file again wrote: %d/%d/%d, were %d/%d/%d", a, b, h, t0, f0, h0)
	}

	// Fix two findings by hand; the newer scan no longer finds one of them
	// (VERIFIED) and finds the other again (REOPENED).
	fixed := s.DB.Client.Finding.Query().Where(finding.ParticipationID(pulid.ID(pas[0]))).Order(finding.ByHost(), finding.ByPort(), finding.ByRuleID()).AllX(bg())
	var gone, back string
	scan2 := map[string]bool{}
	second := scanFile(t, "greenbone-scan2.xml")
	for _, f := range fixed {
		if strings.Contains(string(second), `oid="`+f.RuleID+`"`) {
			scan2[string(f.ID)] = true
			if back == "" {
				back = string(f.ID)
			}
		} else if gone == "" {
			gone = string(f.ID)
		}
	}
	if gone == "" || back == "" {
		t.Fatalf("the fixtures have no finding gone (%q) or back (%q)", gone, back)
	}
	for _, id := range []string{gone, back} {
		s.must(t, contractor, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "FIXED"}}, nil)
	}
	next := scan(pas[0], "greenbone-scan2.xml", "GREENBONE_XML", "2026-11-30")
	if next.FindingsAdded != 1 || next.FindingsNotSeen != 1 || next.FindingsReopened != 1 || next.FindingsSeenAgain != len(scan2) {
		t.Fatalf("newer scan: %+v (seen again want %d)", next, len(scan2))
	}
	g := s.DB.Client.Finding.GetX(bg(), pulid.ID(gone))
	b := s.DB.Client.Finding.GetX(bg(), pulid.ID(back))
	if g.Status != types.FindingVerified || g.NotSeenSince == nil || g.NotSeenSince.Format("2006-01-02") != "2026-11-30" {
		t.Errorf("gone: %s, not seen since %v", g.Status, g.NotSeenSince)
	}
	if b.Status != types.FindingReopened || b.LastSeenOn.Format("2006-01-02") != "2026-11-30" {
		t.Errorf("back: %s, last seen %v", b.Status, b.LastSeenOn)
	}
	if want := types.DefaultRemediationDays.DueOn(b.Severity, b.LastSeenOn); want != nil && (b.DueOn == nil || !b.DueOn.Equal(*want)) {
		t.Errorf("reopened: due %v, want %v", b.DueOn, want)
	}

	// Another Kommune's scan is its own: the same rules there are new.
	other := scan(pas[1], "greenbone-scan1.csv", "GREENBONE_CSV", "2026-11-03")
	if other.FindingsAdded == 0 || other.FindingsSeenAgain != 0 {
		t.Fatalf("CSV of another Kommune: %+v", other)
	}
	// Only the contractor and ADMIN import.
	own, _ := s.kommuneTokens(t, pas[0])
	s.fails(t, own, importScan, map[string]any{"pa": pas[0], "format": "GREENBONE_XML", "on": "2026-11-02",
		"file": testUpload{name: "x.xml", content: scanFile(t, "greenbone-scan1.xml")}}, "FORBIDDEN")
}
