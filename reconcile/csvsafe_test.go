package reconcile

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/shopspring/decimal"

	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
)

func TestCSVText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Magdeburg", "Magdeburg"},
		{"Landeshauptstadt Magdeburg", "Landeshauptstadt Magdeburg"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"=1+1", "'=1+1"},
		{"+49 391 1234", "'+49 391 1234"},
		{"-2+3", "'-2+3"},
		{"-100.00", "'-100.00"}, // as text (a user's), the safe rule
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"'already quoted", "'already quoted"},
		{" =1+1", " =1+1"}, // not at the start: no spreadsheet evaluates it
		{"a=b", "a=b"},
		{"100.00", "100.00"},
		{"15003000", "15003000"},
		{"Ückermünde-Süd", "Ückermünde-Süd"},
		{"\n=1", "\n=1"},
	} {
		if got := CSVText(c.in); got != c.want {
			t.Errorf("CSVText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriteCSVNeutralisesText: the export writes text cells through
// CSVText and amounts as numbers, negative ones included.
func TestWriteCSVNeutralisesText(t *testing.T) {
	r := &Reconciliation{Participations: []*ReconciliationRow{{
		Participation:    &ent.Participation{ID: pulid.ID("PA01TEST")},
		MunicipalityName: "=HYPERLINK(\"http://x.example\",\"y\")",
		Ags:              "15003000",
		Stage1:           Figures{LedgerPaid: decimal.RequireFromString("100"), BankConfirmed: decimal.RequireFromString("150"), Difference: decimal.RequireFromString("-50")},
	}}}
	r.Totals.Stage1 = r.Participations[0].Stage1
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	row := recs[1]
	if row[0] != "PA01TEST" || row[1] != "15003000" || row[2] != "'=HYPERLINK(\"http://x.example\",\"y\")" {
		t.Fatalf("text cells %q", row[:3])
	}
	if row[3] != "100.00" || row[4] != "150.00" || row[5] != "-50.00" || row[12] != "0" {
		t.Fatalf("number cells %q", row[3:])
	}
	if total := recs[2]; total[0] != "TOTAL" || total[5] != "-50.00" {
		t.Fatalf("total %q", total)
	}
}
