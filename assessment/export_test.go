package assessment

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/types"
)

// exportRows are a Kommune whose name a spreadsheet would run, with a
// checklist of 1 of 3 YES, and one without an AGS whose only answers do
// not apply (no share; complete).
func exportRows() []KommuneRow {
	day := types.Date(2026, 11, 27)
	return []KommuneRow{
		{ParticipationID: "PA1", Municipality: "=cmd|' /C calc'!A0", AGS: "15001000", MunicipalityKind: municipality.KindKREISFREIE_STADT,
			Kind: types.AssessmentBaseline, Status: types.AssessmentSubmitted, SubmittedOn: &day,
			Checklist: GroupScore{Number: 3, Title: "Backup", Priority: 1, Counts: Counts{Yes: 1, Partial: 1, No: 1}}},
		{ParticipationID: "PA2", Municipality: "+Verbandsgemeinde", MunicipalityKind: municipality.KindVERBANDSGEMEINDE,
			Kind: types.AssessmentFollowUp, Status: types.AssessmentConfirmed,
			Checklist: GroupScore{Number: 6, Title: "-Drucker", Priority: 4, Counts: Counts{NotApplicable: 2}}},
	}
}

func TestWriteKommuneCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteKommuneCSV(&buf, exportRows()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		KommuneColumns,
		{"PA1", "'=cmd|' /C calc'!A0", "15001000", "KREISFREIE_STADT", "BASELINE", "3", "Backup", "1", "1", "1", "1", "0", "0", "33.33", "false", "SUBMITTED", "2026-11-27"},
		{"PA2", "'+Verbandsgemeinde", "", "VERBANDSGEMEINDE", "FOLLOW_UP", "6", "'-Drucker", "4", "0", "0", "0", "2", "0", "", "true", "CONFIRMED", ""},
	}
	if fmt.Sprintf("%q", recs) != fmt.Sprintf("%q", want) {
		t.Errorf("csv:\n got %q\nwant %q", recs, want)
	}
}

func TestWriteKommuneXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteKommuneXLSX(&buf, exportRows()); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(SheetKommunen)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != strings.Join(KommuneColumns, ",") {
		t.Errorf("header %s", got)
	}
	if got := strings.Join(rows[1], "|"); got != "PA1|=cmd|' /C calc'!A0|15001000|KREISFREIE_STADT|BASELINE|3|Backup|1|1|1|1|0|0|33.33|FALSE|SUBMITTED|2026-11-27" {
		t.Errorf("row 2: %s", got)
	}
	for cell, want := range map[string]excelize.CellType{"B2": excelize.CellTypeSharedString, "G3": excelize.CellTypeSharedString,
		"I2": excelize.CellTypeUnset, "N2": excelize.CellTypeUnset, "O2": excelize.CellTypeBool, "Q2": excelize.CellTypeUnset} {
		typ, _ := x.GetCellType(SheetKommunen, cell)
		formula, _ := x.GetCellFormula(SheetKommunen, cell)
		if typ != want || formula != "" {
			t.Errorf("%s: type %v, formula %q", cell, typ, formula)
		}
	}
	// The share is its exact decimal text, no float; no share, no day:
	// empty cells.
	for cell, want := range map[string]string{"N2": "33.33", "N3": "", "Q3": ""} {
		if v, _ := x.GetCellValue(SheetKommunen, cell, excelize.Options{RawCellValue: true}); v != want {
			t.Errorf("%s: %q, want %q", cell, v, want)
		}
	}
}

// TestWritePictureXLSX: withheld figures are empty cells beside their
// reason; a withheld kind is one row; the Kommunen of a picture that
// has them (PerKommune, Own) are never written.
func TestWritePictureXLSX(t *testing.T) {
	n, full, w := 6, 2, Withheld
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	backup := &ChecklistFigures{Number: 3, Title: "Backup", Priority: 1, Kommunen: &n, FullyFulfilled: &full,
		Fulfilled: &Distribution{Min: d("33.33"), Q1: d("50"), Median: d("66.67"), Q3: d("100"), Max: d("100")}}
	drucker := &ChecklistFigures{Number: 6, Title: "Drucker", Priority: 4, Withheld: &w}
	change := d("-12.5")
	p := &Picture{Kind: types.AssessmentFollowUp, Anonymised: true, Kommunen: 6,
		Checklists: []*ChecklistFigures{backup, drucker},
		ByKind: []*KindFigures{{MunicipalityKind: municipality.KindKREISFREIE_STADT, Withheld: &w, Checklists: []*ChecklistFigures{}},
			{MunicipalityKind: municipality.KindLANDKREIS, Kommunen: &n, Checklists: []*ChecklistFigures{backup, drucker}}},
		MostOftenNo: []*GapFigures{{Ref: "Backup-3", Question: "Frage?", Checklist: 3, Kommunen: &n}, {Ref: "Backup-1", Question: "Frage 1?", Checklist: 3, Withheld: &w}},
		Change:      []*ChangeFigures{{Number: 3, Title: "Backup", Kommunen: &n, BaselineMedian: &backup.Fulfilled.Median, FollowUpMedian: &backup.Fulfilled.Q1, MedianChange: &change, Improved: &full, Unchanged: &full, Worse: &full}},
		PerKommune:  []*KommuneFigures{{ParticipationID: "PA-SECRET", MunicipalityID: "MU-SECRET"}},
		Own:         &KommuneFigures{ParticipationID: "PA-OWN", MunicipalityID: "MU-OWN"},
	}
	var buf bytes.Buffer
	if err := WritePictureXLSX(&buf, p); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := map[string]string{
		SheetSummary:     "kind|FOLLOW_UP;anonymised|TRUE;minimum_group|5;kommunen|6",
		SheetChecklists:  "3|Backup|1|6|33.33|50.00|66.67|100.00|100.00|2;6|Drucker|4||||||||withheld: computed from fewer than 5 Kommunen",
		SheetByKind:      "KREISFREIE_STADT||withheld: computed from fewer than 5 Kommunen;LANDKREIS|6||3|Backup|1|6|33.33|50.00|66.67|100.00|100.00|2;LANDKREIS|6||6|Drucker|4||||||||withheld: computed from fewer than 5 Kommunen",
		SheetMostOftenNo: "Backup-3|Frage?|3|6;Backup-1|Frage 1?|3||withheld: computed from fewer than 5 Kommunen",
		SheetChange:      "3|Backup|6|66.67|50.00|-12.50|2|2|2",
	}
	if got := x.GetSheetList(); strings.Join(got, ",") != "Summary,Checklists,By kind,Most often NO,Change" {
		t.Errorf("sheets %q", got)
	}
	for sheet, w := range want {
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if sheet != SheetSummary {
			rows = rows[1:]
		}
		var lines []string
		for _, r := range rows {
			lines = append(lines, strings.Join(r, "|"))
			for _, c := range r {
				if strings.Contains(c, "SECRET") || strings.Contains(c, "OWN") {
					t.Errorf("%s names a Kommune: %q", sheet, c)
				}
			}
		}
		if got := strings.Join(lines, ";"); got != w {
			t.Errorf("%s:\n got %s\nwant %s", sheet, got, w)
		}
	}
	if typ, _ := x.GetCellType(SheetChecklists, "E2"); typ != excelize.CellTypeUnset {
		t.Errorf("a share is of type %v", typ)
	}
}
