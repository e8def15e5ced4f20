package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/reconcile"
)

// TestCSVExportNeutralisesFormulas: municipality names that a spreadsheet
// would run as formulas (=, +, -, @, tab, carriage return first) come back
// from /exports/reconciliation.csv with a single quote in front, read with
// encoding/csv; amounts stay numbers, a negative difference included; the
// XLSX export has them as text cells, never as formulas.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	coord := s.token(t, "COORDINATOR", "")
	payloads := []string{
		"=cmd|' /C calc'!A0",
		"+SUM(1;2)",
		"-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"\t=1+1",
		"\r=1+1",
	}
	pas := s.participations(t, len(payloads))
	names := map[string]string{} // participation → name as stored
	for i, pa := range pas {
		key := fmt.Sprintf("x%d", i)
		s.must(t, mid, postDisbursement, payment(pa, "STAGE_1", "100.00", "2026-02-02", key), nil)
		m := s.DB.Client.Participation.GetX(bg(), pulid.ID(pa)).MunicipalityID
		r := s.post(t, coord, `mutation($id: ID!, $name: String!) { updateMunicipality(id: $id, input: {name: $name}) { name } }`,
			map[string]any{"id": string(m), "name": payloads[i]})
		if len(r.Errors) > 0 {
			// A name the API refuses cannot reach an export either; the
			// first payload, the issue's, must be accepted.
			if i == 0 || r.Errors[0].Code() != "VALIDATION" {
				t.Fatalf("rename to %q: %s", payloads[i], r.Raw)
			}
			t.Logf("name %q refused: %s", payloads[i], r.Errors[0].Message)
			continue
		}
		names[pa] = payloads[i]
	}
	// The bank paid 150.00 for x0's 100.00: a difference of -50.00.
	s.must(t, mid, importStatement, map[string]any{"in": map[string]any{"format": "CSV", "content": "statement_id,line_ref,booking_date,value_date,credit_debit,amount,currency,end_to_end_id\n" +
		"S-CSV,1,2026-02-02,2026-02-02,DBIT,150.00,EUR,KZ-x0\n"}}, nil)

	q := "?programID=" + s.programID(t) + "&from=2026-01-01&to=2026-12-31"
	res, body := s.download(t, coord, "/exports/reconciliation.csv"+q)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("csv: %d %s", res.StatusCode, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]] = r
	}
	for pa, name := range names {
		r, ok := rows[pa]
		if !ok {
			t.Fatalf("no row for %s in %q", pa, recs)
		}
		if r[2] != "'"+name {
			t.Errorf("municipality cell %q, want %q", r[2], "'"+name)
		}
	}
	// Amounts the server formats are numbers, a negative one too.
	if r := rows[pas[0]]; r[3] != "100.00" || r[4] != "150.00" || r[5] != "-50.00" || r[11] != "-50.00" {
		t.Fatalf("amounts %q", r)
	}
	// No other cell of the file begins with a formula character.
	for _, r := range recs {
		for i, c := range r {
			if i >= 3 && i <= 11 {
				continue // amounts
			}
			if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') {
				t.Errorf("cell %q unescaped", c)
			}
		}
	}

	// XLSX: the names are text cells, no formulas.
	res, body = s.download(t, coord, "/exports/reconciliation.xlsx"+q)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d %s", res.StatusCode, body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	xrows, err := x.GetRows(reconcile.SheetParticipations, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, r := range xrows[1:] {
		name, ok := names[r[0]]
		if !ok {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(3, i+2)
		formula, _ := x.GetCellFormula(reconcile.SheetParticipations, cell)
		typ, _ := x.GetCellType(reconcile.SheetParticipations, cell)
		if r[2] != name || formula != "" || (typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString) {
			t.Errorf("xlsx %s: %q, formula %q, type %v", cell, r[2], formula, typ)
		}
		seen++
	}
	if seen != len(names) {
		t.Fatalf("xlsx rows for %d of %d names", seen, len(names))
	}
}
