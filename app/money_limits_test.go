package app

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent/flag"
	"sicherkommunal/monitoring"
	"sicherkommunal/reconcile"
)

// moneyCeiling is the ceiling of every amount (types.MaxMoney) as clients write it.
const moneyCeiling = "1000000000.00"

// download GETs an export with a bearer token and returns status and body.
func (s *testServer) download(t *testing.T, token, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return res, b.Bytes()
}

// TestMoneyCeilingMeasures: an amount above 1,000,000,000.00 is refused
// as INVALID_AMOUNT naming the limit wherever a Decimal comes in (a
// contractor's measure, a programme's budget); 95 measures at exactly the
// ceiling are stored and budget-overruns sums them without error on both
// databases (before the ceiling, 95 measures of 999,999,999,999,999.99
// overflowed its sums and the job failed with INTERNAL).
func TestMoneyCeilingMeasures(t *testing.T) {
	s := newTestServer(t)
	pa := s.participations(t, 1)[0]
	contractor := s.token(t, "CONTRACTOR", "")
	mid := s.token(t, "MINISTRY", "")
	const create = `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id plannedCost } }`
	measure := func(cost string) map[string]any {
		return map[string]any{"in": map[string]any{
			"participationID": pa, "kind": "TECHNICAL", "title": "Rechenzentrum", "stage": "STAGE_2", "plannedCost": cost}}
	}
	for _, cost := range []string{"999999999999999.99", "1000000000.01", "92233720368547758.07", "10000000000"} {
		e := s.fails(t, contractor, create, measure(cost), "INVALID_AMOUNT")
		if !strings.Contains(e.Message, "limit of "+moneyCeiling+" EUR") || e.Extensions["limit"] != moneyCeiling {
			t.Fatalf("%s: message %q, extensions %v", cost, e.Message, e.Extensions)
		}
	}
	if n := s.DB.Client.Measure.Query().CountX(bg()); n != 0 {
		t.Fatalf("%d measures stored above the ceiling", n)
	}
	s.fails(t, mid, `mutation($id: ID!) { updateProgram(id: $id, input: {budget: "1000000000.01"}) { id } }`,
		map[string]any{"id": s.programID(t)}, "INVALID_AMOUNT")
	s.must(t, mid, `mutation($id: ID!) { updateProgram(id: $id, input: {budget: "`+moneyCeiling+`"}) { id } }`,
		map[string]any{"id": s.programID(t)}, nil)

	var first string
	for i := 0; i < 95; i++ {
		var d struct {
			CreateMeasure struct{ ID, PlannedCost string }
		}
		s.must(t, contractor, create, measure(moneyCeiling), &d)
		if d.CreateMeasure.PlannedCost != moneyCeiling {
			t.Fatalf("stored as %s", d.CreateMeasure.PlannedCost)
		}
		if i == 0 {
			first = d.CreateMeasure.ID
		}
	}
	s.fails(t, contractor, `mutation($id: ID!) { updateMeasure(id: $id, input: {plannedCost: "1000000000.01"}) { id } }`,
		map[string]any{"id": first}, "INVALID_AMOUNT")

	var run struct {
		RunJob struct {
			Raised int
			Error  *string
		}
	}
	s.must(t, s.Admin, `mutation { runJob(name: "`+monitoring.JobBudgetOverruns+`") { raised error } }`, nil, &run)
	if run.RunJob.Error != nil || run.RunJob.Raised != 3 {
		t.Fatalf("budget-overruns: %+v (%v)", run.RunJob, str(run.RunJob.Error))
	}
	const planned = "95000000000.00"
	for subject, want := range map[string]string{
		pa + "/STAGE_2":            "Planned STAGE_2 measures cost " + planned + " EUR, more than the 30000.00 EUR that can be funded",
		pa + "/TOTAL":              "Planned measures cost " + planned + " EUR in total, more than the cap of 30000.00 EUR",
		s.programID(t) + "/BUDGET": "Planned measures of the programme cost " + planned + " EUR, more than its budget of " + moneyCeiling + " EUR",
	} {
		f := s.openFlag(t, flag.KindBUDGET_OVERRUN, subject)
		if f == nil || f.Message != want {
			t.Fatalf("%s: want %q, got %+v", subject, want, f)
		}
	}
	// Run again: nothing changes, and still no error.
	s.must(t, s.Admin, `mutation { runJob(name: "`+monitoring.JobBudgetOverruns+`") { raised error } }`, nil, &run)
	if run.RunJob.Error != nil || run.RunJob.Raised != 0 {
		t.Fatalf("second run: %+v", run.RunJob)
	}
}

// TestMoneyCeilingBankStatements: a camt.053 or CSV statement with a line
// above the ceiling is refused as INVALID_AMOUNT naming the element or
// line, and stores nothing; statements with lines at exactly the ceiling
// are imported, matched, and the reconciliation query and both exports
// carry their figures.
func TestMoneyCeilingBankStatements(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	f := s.reconFixture(t, mid)
	raw, err := os.ReadFile("../reconcile/testdata/camt053-001-02.xml")
	if err != nil {
		t.Fatal(err)
	}
	v02 := string(raw)
	csvHead := "statement_id,line_ref,booking_date,value_date,credit_debit,amount,currency,reversal,end_to_end_id,counterparty_iban\n"
	imports := func() (lines, files int) {
		var d struct {
			BankTransactions     struct{ TotalCount int }
			BankStatementImports struct{ TotalCount int }
		}
		s.must(t, mid, `{ bankTransactions { totalCount } bankStatementImports { totalCount } }`, nil, &d)
		return d.BankTransactions.TotalCount, d.BankStatementImports.TotalCount
	}
	importIn := func(format, content string) map[string]any {
		return map[string]any{"in": map[string]any{"format": format, "content": content}}
	}

	// Above the ceiling: refused, nothing stored.
	for _, c := range []struct{ name, format, content, where string }{
		{"camt int64", "CAMT053", strings.Replace(v02, ">16100.00<", ">92233720368547758.07<", 2),
			`Stmt 1 (Id 2026-0001), Ntry 1 (NtryRef 000001): Amt "92233720368547758.07" is above the limit of ` + moneyCeiling + ` EUR`},
		{"camt one cent", "CAMT053", strings.Replace(v02, ">500.00<", ">1000000000.01<", 1),
			`Stmt 1 (Id 2026-0001), Ntry 3 (NtryRef 000003): Amt "1000000000.01" is above the limit of ` + moneyCeiling + ` EUR`},
		{"csv", "CSV", csvHead + "S-BIG,1,2026-02-02,2026-02-02,DBIT,100.00,EUR,false,,\nS-BIG,2,2026-02-02,2026-02-02,DBIT,92233720368547758.07,EUR,false,KZ-a1,\n",
			`line 3, column amount: "92233720368547758.07" is above the limit of ` + moneyCeiling + ` EUR`},
		{"csv one cent", "CSV", csvHead + "S-BIG,1,2026-02-02,2026-02-02,CRDT,1000000000.01,EUR,true,KZ-a1,\n",
			`line 2, column amount: "1000000000.01" is above the limit`},
	} {
		e := s.fails(t, mid, importStatement, importIn(c.format, c.content), "INVALID_AMOUNT")
		if !strings.Contains(e.Message, c.where) {
			t.Fatalf("%s: message %q, want %q", c.name, e.Message, c.where)
		}
	}
	if lines, files := imports(); lines != 0 || files != 0 {
		t.Fatalf("refused statements stored %d lines, %d imports", lines, files)
	}

	// At the ceiling: imported and matched. camt: a's payment (KZ-a1) and
	// the USD line at the ceiling; CSV: a's return, d's payment (KZ-d1,
	// another amount), a double booking of KZ-a1, a payment to nobody and
	// money received from b.
	atCeiling := strings.Replace(strings.Replace(v02, ">16100.00<", ">"+moneyCeiling+"<", 2), ">500.00<", ">"+moneyCeiling+"<", 1)
	var imp struct{ ImportBankStatement importResult }
	s.must(t, mid, importStatement, importIn("CAMT053", atCeiling), &imp)
	if imp.ImportBankStatement.LinesAdded != 4 {
		t.Fatalf("camt at the ceiling: %+v", imp.ImportBankStatement)
	}
	m := moneyCeiling
	s.must(t, mid, importStatement, importIn("CSV", csvHead+
		"S-MAX,1,2026-02-10,2026-02-10,CRDT,"+m+",EUR,true,KZ-a1,\n"+
		"S-MAX,2,2026-02-04,2026-02-04,DBIT,"+m+",EUR,false,KZ-d1,\n"+
		"S-MAX,3,2026-02-03,2026-02-03,DBIT,"+m+",EUR,false,KZ-a1,\n"+
		"S-MAX,4,2026-02-03,2026-02-03,DBIT,"+m+",EUR,false,,DE37810532729990001234\n"+
		"S-MAX,5,2026-02-06,2026-02-06,CRDT,"+m+",EUR,false,,"+fixtureIBANs["b"]+"\n"), &imp)
	if imp.ImportBankStatement.LinesAdded != 5 {
		t.Fatalf("csv at the ceiling: %+v", imp.ImportBankStatement)
	}
	txs, n := s.bankTxs(t, mid)
	if n != 9 {
		t.Fatalf("want 9 lines, got %d", n)
	}
	for key, status := range map[string]string{
		"000001@2026-02-02/" + m: "AMOUNT_MISMATCH", // a1, by reference
		"1@2026-02-10/" + m:      "AMOUNT_MISMATCH", // a1 returned
		"2@2026-02-04/" + m:      "AMOUNT_MISMATCH", // d1
		"3@2026-02-03/" + m:      "UNMATCHED",       // a1 again: a double booking?
		"000003@2026-02-05/" + m: "UNMATCHED",       // USD
	} {
		if bt, ok := txs[key]; !ok || bt.Status != status {
			t.Fatalf("%s: want %s, got %+v (lines %v)", key, status, bt, txs)
		}
	}

	// The reconciliation query.
	rep, rows := s.reconciliation(t, mid, "2026-01-01", "2026-12-31")
	if r := rows[f.pas["a"]]; r.Total != (figures{"16100.00", "0.00", "16100.00"}) || len(r.OpenBankTransactions) != 2 {
		t.Fatalf("a: %+v", r)
	}
	if r := rows[f.pas["d"]]; r.Total != (figures{"16100.00", m, "-999983900.00"}) || r.Stage1 != r.Total {
		t.Fatalf("d: %+v", r)
	}
	// b: its batch payment matched; the money received from b is open, attributed by IBAN.
	if r := rows[f.pas["b"]]; r.Total != (figures{"16100.00", "16100.00", "0.00"}) || len(r.OpenBankTransactions) != 1 {
		t.Fatalf("b: %+v", r)
	}
	wantTotal := figures{"66300.00", "1000024600.00", "-999958300.00"}
	if rep.Totals.Total != wantTotal || rep.Totals.UnattributedBankTransactions != 3 {
		t.Fatalf("totals: %+v", rep.Totals)
	}

	// Both exports.
	q := "?programID=" + s.programID(t) + "&from=2026-01-01&to=2026-12-31"
	res, body := s.download(t, mid, "/exports/reconciliation.csv"+q)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("csv: %d %s", res.StatusCode, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	total := recs[len(recs)-1]
	if total[0] != "TOTAL" || total[9] != wantTotal.LedgerPaid || total[10] != wantTotal.BankConfirmed || total[11] != wantTotal.Difference {
		t.Fatalf("csv total %q", total)
	}
	res, body = s.download(t, mid, "/exports/reconciliation.xlsx"+q)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d %s", res.StatusCode, body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer x.Close()
	xrows, err := x.GetRows(reconcile.SheetParticipations, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	last := xrows[len(xrows)-1]
	for i, want := range map[int]string{9: wantTotal.LedgerPaid, 10: wantTotal.BankConfirmed, 11: wantTotal.Difference} {
		if d, err := decimal.NewFromString(last[i]); err != nil || !d.Equal(decimal.RequireFromString(want)) {
			t.Fatalf("xlsx total column %d: %q, want %s", i, last[i], want)
		}
	}
	open, err := x.GetRows(reconcile.SheetOpenItems, excelize.Options{RawCellValue: true})
	if err != nil || len(open) < 2 {
		t.Fatalf("open items: %v %v", open, err)
	}
	ceilings := 0
	for _, r := range open[1:] {
		if len(r) < 6 {
			continue
		}
		if d, err := decimal.NewFromString(r[5]); err == nil && d.Equal(decimal.RequireFromString(moneyCeiling)) {
			ceilings++
		}
	}
	// a1 and its return, d1, the double booking, nobody's payment, b's credit, the USD line.
	if ceilings != 7 {
		t.Fatalf("open items at the ceiling: %d in %q", ceilings, open)
	}
}
