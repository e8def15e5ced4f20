package app

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/auth"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ledger"
	"sicherkommunal/reconcile"
)

const importStatement = `mutation($in: ImportBankStatementInput!) {
  importBankStatement(input: $in) { id format messageID statementIds linesTotal linesAdded createdBy }
}`

const bankTransactionsQuery = `{ bankTransactions(first: 100) { totalCount edges { node {
  id lineKey kind amount currency bookingDate valueDate endToEndID counterpartyIban status matchMethod manual returned note
  entry { id reference participation { id } } } } } }`

type bankTx struct {
	ID, LineKey, Kind, Amount, Currency, BookingDate, ValueDate, Status string
	EndToEndID, CounterpartyIban, MatchMethod, Note                     *string
	Manual, Returned                                                    bool
	Entry                                                               *struct {
		ID, Reference string
		Participation struct{ ID string }
	}
}

type importResult struct {
	ID, Format             string
	MessageID              *string
	StatementIds           []string
	LinesTotal, LinesAdded int
	CreatedBy              string
}

func (s *testServer) importFile(t *testing.T, token, format, file string) importResult {
	t.Helper()
	content, err := os.ReadFile("../reconcile/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ ImportBankStatement importResult }
	s.must(t, token, importStatement, map[string]any{"in": map[string]any{"format": format, "content": string(content)}}, &d)
	return d.ImportBankStatement
}

// bankTxs returns the stored bank transactions by "statement line" key
// (line key with the statement's last characters) and their count.
func (s *testServer) bankTxs(t *testing.T, token string) (map[string]bankTx, int) {
	t.Helper()
	var d struct {
		BankTransactions struct {
			TotalCount int
			Edges      []struct{ Node bankTx }
		}
	}
	s.must(t, token, bankTransactionsQuery, nil, &d)
	out := map[string]bankTx{}
	for _, e := range d.BankTransactions.Edges {
		key := e.Node.LineKey + "@" + e.Node.ValueDate + "/" + e.Node.Amount
		out[key] = e.Node
	}
	return out, d.BankTransactions.TotalCount
}

// reconFixture registers six Kommunen with IBANs (the test statements name
// them) and books their stage-1 payments.
type reconFixture struct {
	pas   map[string]string // a…f → participation ID
	entry map[string]string // payment key → ledger entry ID
}

var fixtureIBANs = map[string]string{
	"a": "DE82810532721000123456", "b": "DE24810520000300045678", "c": "DE59800537620040007890",
	"d": "DE54800555000500012345", "e": "DE29810550000600054321",
}

func (s *testServer) reconFixture(t *testing.T, mid string) *reconFixture {
	t.Helper()
	ids := s.participations(t, 6)
	f := &reconFixture{pas: map[string]string{}, entry: map[string]string{}}
	ctx := auth.SystemContext(bg())
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		f.pas[name] = ids[i]
		if iban := fixtureIBANs[name]; iban != "" {
			pa := s.DB.Client.Participation.GetX(ctx, pulid.ID(ids[i]))
			s.DB.Client.Municipality.UpdateOneID(pa.MunicipalityID).SetIban(iban).ExecX(ctx)
		}
	}
	for _, p := range []struct{ pa, amount, date, key string }{
		{"a", "16100.00", "2026-02-02", "a1"}, {"b", "16100.00", "2026-02-02", "b1"}, {"c", "8000.00", "2026-02-03", "c1"},
		{"d", "16100.00", "2026-02-04", "d1"}, {"e", "5000.00", "2026-02-05", "e1"}, {"e", "5000.00", "2026-02-05", "e2"},
	} {
		var d struct{ PostDisbursement struct{ ID string } }
		s.must(t, mid, postDisbursement, payment(f.pas[p.pa], "STAGE_1", p.amount, p.date, p.key), &d)
		f.entry[p.key] = d.PostDisbursement.ID
	}
	return f
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestReconciliationImportAndMatch: camt.053 .02 and .08 and CSV
// statements of several Kommunen with a batch booking, a return, a foreign
// payment and an unknown payee are imported over HTTP and matched as
// expected; re-imports add nothing; broken files change nothing and name
// the problem; the ledger is never touched.
func TestReconciliationImportAndMatch(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	f := s.reconFixture(t, mid)
	ctx := bg()
	entriesBefore := s.DB.Client.LedgerEntry.Query().CountX(ctx)

	imp := s.importFile(t, mid, "CAMT053", "camt053-001-02.xml")
	if imp.Format != "CAMT053" || imp.LinesTotal != 4 || imp.LinesAdded != 4 || str(imp.MessageID) != "MID-KTOAUSZ-20260205-001" ||
		len(imp.StatementIds) != 1 || !strings.HasPrefix(imp.CreatedBy, "test MINISTRY") {
		t.Fatalf("import .02: %+v", imp)
	}
	if imp := s.importFile(t, mid, "CAMT053", "camt053-001-08.xml"); imp.LinesAdded != 3 {
		t.Fatalf("import .08: %+v", imp)
	}
	if imp := s.importFile(t, mid, "CSV", "statement.csv"); imp.LinesAdded != 2 {
		t.Fatalf("import csv: %+v", imp)
	}
	txs, n := s.bankTxs(t, mid)
	if n != 9 {
		t.Fatalf("want 9 bank transactions, got %d", n)
	}
	expect := func(key, status, method, entryKey string) bankTx {
		t.Helper()
		bt, ok := txs[key]
		if !ok {
			t.Fatalf("no line %s in %v", key, txs)
		}
		if bt.Status != status || str(bt.MatchMethod) != method {
			t.Fatalf("%s: want %s/%s, got %s/%s (%s)", key, status, method, bt.Status, str(bt.MatchMethod), str(bt.Note))
		}
		switch {
		case entryKey == "" && bt.Entry != nil:
			t.Fatalf("%s: linked to %+v", key, bt.Entry)
		case entryKey != "" && (bt.Entry == nil || bt.Entry.ID != f.entry[entryKey]):
			t.Fatalf("%s: want entry %s, got %+v", key, entryKey, bt.Entry)
		}
		return bt
	}
	expect("000001@2026-02-02/16100.00", "MATCHED", "REFERENCE", "a1")               // end-to-end id
	expect("000002/1@2026-02-04/16100.00", "MATCHED", "AMOUNT_IBAN_DATE", "b1")      // batch, no reference: amount + IBAN + 2 banking days
	c := expect("000002/2@2026-02-04/8500.00", "AMOUNT_MISMATCH", "REFERENCE", "c1") // batch, reference, other amount
	usd := expect("000003@2026-02-05/500.00", "UNMATCHED", "", "")                   // foreign payment
	expect("000001@2026-02-05/16100.00", "MATCHED", "REFERENCE", "d1")               // reference in the remittance text
	ret := expect("000002@2026-02-10/16100.00", "MATCHED", "REFERENCE", "d1")        // the bank returned d's payment
	unknown := expect("000003@2026-02-05/1234.56", "UNMATCHED", "", "")              // unknown payee
	amb := expect("1@2026-02-06/5000.00", "AMBIGUOUS", "", "")                       // two entries of e fit
	credit := expect("2@2026-02-06/250.00", "UNMATCHED", "", "")                     // money received without reference
	if !ret.Returned || ret.Kind != "RETURN" || c.Returned || !strings.Contains(str(c.Note), "8000.00") ||
		usd.Currency != "USD" || !strings.Contains(str(usd.Note), "USD") || credit.Kind != "CREDIT" || amb.Kind != "PAYMENT" {
		t.Fatalf("kinds and notes: return %+v mismatch %+v usd %+v credit %+v", ret, c, usd, credit)
	}

	// Re-importing adds nothing.
	if imp := s.importFile(t, mid, "CAMT053", "camt053-001-02.xml"); imp.LinesAdded != 0 || imp.LinesTotal != 4 {
		t.Fatalf("re-import: %+v", imp)
	}
	if imp := s.importFile(t, mid, "CSV", "statement.csv"); imp.LinesAdded != 0 {
		t.Fatalf("re-import csv: %+v", imp)
	}
	if _, n := s.bankTxs(t, mid); n != 9 {
		t.Fatalf("re-import added lines: %d", n)
	}

	// Broken files change nothing and name the problem.
	var imports struct{ BankStatementImports struct{ TotalCount int } }
	s.must(t, mid, `{ bankStatementImports { totalCount } }`, nil, &imports)
	v02, _ := os.ReadFile("../reconcile/testdata/camt053-001-02.xml")
	broken := strings.Replace(strings.Replace(string(v02), "2026-0001", "2026-0099", 1), ">24600.00<", ">24.600,00<", 1)
	e := s.fails(t, mid, importStatement, map[string]any{"in": map[string]any{"format": "CAMT053", "content": broken}}, "INVALID_STATEMENT")
	if !strings.Contains(e.Message, "Ntry 2") || !strings.Contains(e.Message, "Amt") || !strings.Contains(e.Message, "24.600,00") {
		t.Fatalf("message: %s", e.Message)
	}
	e = s.fails(t, mid, importStatement, map[string]any{"in": map[string]any{"format": "CAMT053",
		"content": strings.Replace(string(v02), "camt.053.001.02", "camt.053.001.99", 1)}}, "INVALID_STATEMENT")
	if !strings.Contains(e.Message, "urn:iso:std:iso:20022:tech:xsd:camt.053.001.99") {
		t.Fatalf("message: %s", e.Message)
	}
	e = s.fails(t, mid, importStatement, map[string]any{"in": map[string]any{"format": "CSV",
		"content": "statement_id,line_ref,booking_date,value_date,credit_debit,amount,currency\nX,1,2026-03-02,2026-03-02,DBIT,1.00,EUR\nX,2,2026-03-02,2026-03-02,DBIT,1.00 EUR,EUR\n"}}, "INVALID_STATEMENT")
	if !strings.Contains(e.Message, "line 3, column amount") {
		t.Fatalf("message: %s", e.Message)
	}
	var after struct{ BankStatementImports struct{ TotalCount int } }
	s.must(t, mid, `{ bankStatementImports { totalCount } }`, nil, &after)
	if _, n := s.bankTxs(t, mid); n != 9 || after.BankStatementImports.TotalCount != imports.BankStatementImports.TotalCount {
		t.Fatalf("a broken file changed something: %d lines, %d imports", n, after.BankStatementImports.TotalCount)
	}

	// Overdue bank debits (for the unmatched-payments job): more than 3
	// banking days after booking.
	for asOf, want := range map[string]int{"2026-02-09": 0, "2026-02-10": 1, "2026-02-11": 2, "2026-02-12": 3} {
		d, _ := time.Parse(time.DateOnly, asOf)
		got, err := s.App.recon.Overdue(ctx, d, 3)
		if err != nil || len(got) != want {
			t.Fatalf("overdue as of %s: want %d, got %d (%v)", asOf, want, len(got), err)
		}
	}

	// Manual work.
	const match = `mutation($bt: ID!, $e: ID!) { matchBankTransaction(bankTransactionID: $bt, entryID: $e) { status matchMethod manual note entry { id } } }`
	const unmatch = `mutation($id: ID!) { unmatchBankTransaction(id: $id) { status manual entry { id } } }`
	var m struct {
		MatchBankTransaction struct {
			Status, MatchMethod string
			Manual              bool
			Note                *string
			Entry               *struct{ ID string }
		}
	}
	s.must(t, mid, match, map[string]any{"bt": amb.ID, "e": f.entry["e1"]}, &m)
	if m.MatchBankTransaction.Status != "MATCHED" || m.MatchBankTransaction.MatchMethod != "MANUAL" || !m.MatchBankTransaction.Manual {
		t.Fatalf("manual match: %+v", m)
	}
	s.fails(t, mid, match, map[string]any{"bt": unknown.ID, "e": f.entry["a1"]}, "CONFLICT")  // a1 is confirmed already
	s.fails(t, mid, match, map[string]any{"bt": usd.ID, "e": f.entry["e2"]}, "VALIDATION")    // USD
	s.fails(t, mid, match, map[string]any{"bt": credit.ID, "e": f.entry["b1"]}, "VALIDATION") // money received confirms a reversal
	s.fails(t, mid, match, map[string]any{"bt": "BT01KNOWNNOTHING000000000000", "e": f.entry["b1"]}, "NOT_FOUND")
	var u struct {
		UnmatchBankTransaction struct {
			Status string
			Manual bool
			Entry  *struct{ ID string }
		}
	}
	s.must(t, mid, unmatch, map[string]any{"id": c.ID}, &u)
	if u.UnmatchBankTransaction.Status != "UNMATCHED" || u.UnmatchBankTransaction.Entry != nil || !u.UnmatchBankTransaction.Manual {
		t.Fatalf("unmatch: %+v", u)
	}
	// A line unmatched by hand stays so when matching runs again; an
	// open line is matched once its entry is booked.
	s.must(t, mid, postDisbursement, payment(f.pas["f"], "STAGE_1", "700.00", "2026-02-06", "f1"), nil)
	if _, err := s.App.recon.Import(auth.SystemContext(ctx), "CSV", []byte(
		"statement_id,line_ref,booking_date,value_date,credit_debit,amount,currency,end_to_end_id\nCSV-2026-03,1,2026-02-06,2026-02-06,DBIT,700.00,EUR,KZ-f9\n")); err != nil {
		t.Fatal(err)
	}
	s.must(t, mid, postDisbursement, payment(f.pas["f"], "STAGE_1", "700.00", "2026-02-06", "f9"), nil)
	s.importFile(t, mid, "CSV", "statement.csv") // adds nothing, but matches again
	txs, _ = s.bankTxs(t, mid)
	if bt := txs["1@2026-02-06/700.00"]; bt.Status != "MATCHED" || bt.Entry == nil || bt.Entry.Reference != "KZ-f9" {
		t.Fatalf("late entry not matched: %+v", bt)
	}
	if bt := txs["000002/2@2026-02-04/8500.00"]; bt.Status != "UNMATCHED" || !bt.Manual {
		t.Fatalf("manual unmatch undone: %+v", bt)
	}
	s.must(t, mid, match, map[string]any{"bt": c.ID, "e": f.entry["c1"]}, &m)
	if m.MatchBankTransaction.Status != "AMOUNT_MISMATCH" {
		t.Fatalf("manual match with another amount: %+v", m)
	}

	// Roles.
	// Bank lines are banking data: MID finance and ADMIN read them; KITU
	// reads the reconciliation's figures, not the lines.
	coord := s.token(t, "COORDINATOR", "")
	s.fails(t, coord, `{ bankTransactions { totalCount } }`, nil, "FORBIDDEN")
	content := string(v02)
	for _, role := range []string{"CONTRACTOR", "MUNICIPALITY", "COORDINATOR"} {
		muni := ""
		if role == "MUNICIPALITY" {
			pa := s.DB.Client.Participation.Query().Where(participation.ID(pulid.ID(f.pas["a"]))).OnlyX(auth.SystemContext(ctx))
			muni = string(pa.MunicipalityID)
		}
		tok := s.token(t, role, muni)
		s.fails(t, tok, importStatement, map[string]any{"in": map[string]any{"format": "CAMT053", "content": content}}, "FORBIDDEN")
		s.fails(t, tok, match, map[string]any{"bt": amb.ID, "e": f.entry["e1"]}, "FORBIDDEN")
		s.fails(t, tok, unmatch, map[string]any{"id": amb.ID}, "FORBIDDEN")
		if role != "COORDINATOR" {
			s.fails(t, tok, bankTransactionsQuery, nil, "FORBIDDEN")
			s.fails(t, tok, `query($p: ID!) { reconciliation(programID: $p, from: "2026-01-01", to: "2026-12-31") { totals { total { difference } } } }`,
				map[string]any{"p": s.programID(t)}, "FORBIDDEN")
		}
	}

	// A bank transaction never creates a ledger entry.
	if n := s.DB.Client.LedgerEntry.Query().CountX(ctx); n != entriesBefore+2 {
		t.Fatalf("ledger entries: %d, want %d (the two payments of f)", n, entriesBefore+2)
	}
	if mm, err := ledger.Verify(ctx, s.DB.Client); err != nil || len(mm) > 0 {
		t.Fatalf("ledger: %v %v", mm, err)
	}
}

const reconciliationQuery = `query($p: ID!, $from: Date!, $to: Date!) { reconciliation(programID: $p, from: $from, to: $to) {
  from to
  participations { participation { id } municipalityName
    stage1 { ledgerPaid bankConfirmed difference } stage2 { ledgerPaid bankConfirmed difference } total { ledgerPaid bankConfirmed difference }
    unconfirmedEntries { id reference } openBankTransactions { id status amount } }
  totals { stage1 { ledgerPaid bankConfirmed difference } total { ledgerPaid bankConfirmed difference }
    unconfirmedEntries openBankTransactions unattributedBankTransactions }
  unattributedBankTransactions { id amount currency } } }`

type figures struct{ LedgerPaid, BankConfirmed, Difference string }

type reconRow struct {
	Participation         struct{ ID string }
	MunicipalityName      string
	Stage1, Stage2, Total figures
	UnconfirmedEntries    []struct{ ID, Reference string }
	OpenBankTransactions  []struct{ ID, Status, Amount string }
}

type reconReport struct {
	Participations []reconRow
	Totals         struct {
		Stage1, Total                                                          figures
		UnconfirmedEntries, OpenBankTransactions, UnattributedBankTransactions int
	}
	UnattributedBankTransactions []struct{ ID, Amount, Currency string }
}

func (s *testServer) reconciliation(t *testing.T, token, from, to string) (reconReport, map[string]reconRow) {
	t.Helper()
	var d struct{ Reconciliation reconReport }
	s.must(t, token, reconciliationQuery, map[string]any{"p": s.programID(t), "from": from, "to": to}, &d)
	rows := map[string]reconRow{}
	for _, r := range d.Reconciliation.Participations {
		rows[r.Participation.ID] = r
	}
	return d.Reconciliation, rows
}

// TestReconciliationReport: per participation and stage the ledger, what
// the bank confirmed, the differences and the open items; a bank return
// shows as a difference until the ledger books the reversal. The CSV and
// XLSX downloads carry the same figures, and their totals equal the
// ledger's.
func TestReconciliationReport(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	f := s.reconFixture(t, mid)
	s.importFile(t, mid, "CAMT053", "camt053-001-02.xml")
	s.importFile(t, mid, "CAMT053", "camt053-001-08.xml")
	s.importFile(t, mid, "CSV", "statement.csv")

	rep, rows := s.reconciliation(t, mid, "2026-01-01", "2026-12-31")
	want := map[string][3]string{ // ledger, bank, difference (total)
		"a": {"16100.00", "16100.00", "0.00"},
		"b": {"16100.00", "16100.00", "0.00"},
		"c": {"8000.00", "8500.00", "-500.00"},
		"d": {"16100.00", "0.00", "16100.00"}, // paid, returned by the bank, no reversal booked yet
		"e": {"10000.00", "0.00", "10000.00"},
	}
	for name, w := range want {
		r, ok := rows[f.pas[name]]
		if !ok {
			t.Fatalf("no row for %s", name)
		}
		if got := [3]string{r.Total.LedgerPaid, r.Total.BankConfirmed, r.Total.Difference}; got != w || r.Stage1 != r.Total || r.Stage2.LedgerPaid != "0.00" {
			t.Fatalf("%s: want %v, got %+v", name, w, r)
		}
	}
	if len(rows[f.pas["e"]].UnconfirmedEntries) != 2 || len(rows[f.pas["e"]].OpenBankTransactions) != 1 ||
		len(rows[f.pas["b"]].OpenBankTransactions) != 1 || len(rows[f.pas["c"]].OpenBankTransactions) != 1 ||
		len(rows[f.pas["a"]].UnconfirmedEntries) != 0 {
		t.Fatalf("items: %+v", rows)
	}
	if rep.Totals.Total != (figures{"66300.00", "40700.00", "25600.00"}) || rep.Totals.UnconfirmedEntries != 2 ||
		rep.Totals.OpenBankTransactions != 3 || rep.Totals.UnattributedBankTransactions != 2 || len(rep.UnattributedBankTransactions) != 2 {
		t.Fatalf("totals: %+v", rep.Totals)
	}
	// A period selects each side by its own value date.
	if rep, _ := s.reconciliation(t, mid, "2026-02-10", "2026-02-28"); rep.Totals.Total != (figures{"0.00", "-16100.00", "16100.00"}) {
		t.Fatalf("period with only the return: %+v", rep.Totals)
	}
	s.fails(t, mid, reconciliationQuery, map[string]any{"p": s.programID(t), "from": "2026-03-01", "to": "2026-02-01"}, "VALIDATION")

	// MID books the reversal of the returned payment: d is reconciled.
	s.must(t, mid, reverseDisbursement, map[string]any{"in": map[string]any{"entryID": f.entry["d1"], "reason": "Rücküberweisung der Bank (AC04)", "idempotencyKey": "rev-d1"}}, nil)
	_, rows = s.reconciliation(t, mid, "2026-01-01", "2026-12-31")
	if r := rows[f.pas["d"]]; r.Total != (figures{"0.00", "0.00", "0.00"}) {
		t.Fatalf("d after the reversal: %+v", r)
	}

	// Downloads.
	var fund struct {
		ProgramFunding struct{ TotalPaid, Stage1Paid string }
	}
	s.must(t, mid, `query($p: ID!) { programFunding(programID: $p) { totalPaid stage1Paid } }`, map[string]any{"p": s.programID(t)}, &fund)
	q := "?programID=" + s.programID(t) + "&from=2026-01-01&to=2026-12-31"
	get := func(token, path string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		return res, b.Bytes()
	}
	res, body := get(s.token(t, "COORDINATOR", ""), "/exports/reconciliation.csv"+q)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.StatusCode, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(reconcile.CSVColumns, ",") || len(recs) != 1+5+1 { // header, a…e, TOTAL
		t.Fatalf("csv: %q", recs)
	}
	total := recs[len(recs)-1]
	if total[0] != "TOTAL" || total[9] != fund.ProgramFunding.TotalPaid || total[3] != fund.ProgramFunding.Stage1Paid {
		t.Fatalf("csv total %q, ledger %+v", total, fund)
	}

	res, body = get(mid, "/exports/reconciliation.xlsx"+q)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %s", res.StatusCode, body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), ","); got != "Summary,Participations,Open items" {
		t.Fatalf("sheets: %s", got)
	}
	xrows, err := x.GetRows(reconcile.SheetParticipations, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	last := xrows[len(xrows)-1]
	ledgerTotal, err := decimal.NewFromString(last[9])
	if err != nil || last[0] != "TOTAL" || !ledgerTotal.Equal(decimal.RequireFromString(fund.ProgramFunding.TotalPaid)) {
		t.Fatalf("xlsx total row %q vs ledger %s (%v)", last, fund.ProgramFunding.TotalPaid, err)
	}
	// The sum of the participation rows is the total, and cells are numbers with the money format.
	sum := decimal.Zero
	for _, r := range xrows[1 : len(xrows)-1] {
		sum = sum.Add(decimal.RequireFromString(r[9]))
	}
	if !sum.Equal(ledgerTotal) {
		t.Fatalf("rows add up to %s, total says %s", sum, ledgerTotal)
	}
	if typ, _ := x.GetCellType(reconcile.SheetParticipations, "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("amount cell type %v", typ)
	}
	style, _ := x.GetCellStyle(reconcile.SheetParticipations, "J2")
	if st, err := x.GetStyle(style); err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "#,##0.00" {
		t.Fatalf("amount format: %+v %v", st, err)
	}
	if v, _ := x.GetCellValue(reconcile.SheetSummary, "B2"); v != "2026-01-01" {
		t.Fatalf("date cell shows %q", v)
	}
	if v, _ := x.GetCellValue(reconcile.SheetSummary, "B8"); v != "50,200.00" {
		t.Fatalf("formatted total %q", v)
	}

	// HTTP errors.
	if res, _ := get("", "/exports/reconciliation.csv"+q); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", res.StatusCode)
	}
	if res, _ := get(s.token(t, "CONTRACTOR", ""), "/exports/reconciliation.xlsx"+q); res.StatusCode != http.StatusForbidden {
		t.Fatalf("contractor: %d", res.StatusCode)
	}
	if res, body := get(mid, "/exports/reconciliation.csv?programID="+s.programID(t)+"&from=2026-01-01&to=31.12.2026"); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(body), "VALIDATION") {
		t.Fatalf("bad date: %d %s", res.StatusCode, body)
	}
	if res, _ := get(mid, "/exports/reconciliation.csv?programID=PG01NOTHING000000000000000&from=2026-01-01&to=2026-12-31"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown programme: %d", res.StatusCode)
	}
}

// TestDemoBankStatement: the demo imports a statement with matched,
// amount-mismatched and unmatched lines.
func TestDemoBankStatement(t *testing.T) {
	s := newTestServer(t)
	ctx := auth.SystemContext(bg())
	if added, err := loadDemo(ctx, s.DB.Client, s.App.program, s.App.ledger, s.Clock.Now()); err != nil || !added {
		t.Fatalf("demo: %v %v", added, err)
	}
	txs, n := s.bankTxs(t, s.Admin)
	statuses := map[string]int{}
	methods := map[string]int{}
	for _, bt := range txs {
		statuses[bt.Status]++
		methods[str(bt.MatchMethod)]++
	}
	if n != 9 || statuses["MATCHED"] != 7 || statuses["AMOUNT_MISMATCH"] != 1 || statuses["UNMATCHED"] != 1 || methods["AMOUNT_IBAN_DATE"] != 1 {
		t.Fatalf("demo statement: %d lines, %v, %v", n, statuses, methods)
	}
	rep, _ := s.reconciliation(t, s.Admin, "2026-01-01", "2026-12-31")
	if rep.Totals.Total.Difference == "0.00" || rep.Totals.UnattributedBankTransactions != 1 {
		t.Fatalf("demo report: %+v", rep.Totals)
	}
}
