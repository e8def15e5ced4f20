package app

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const importWithDifferences = `mutation($in: ImportBankStatementInput!) {
  importBankStatement(input: $in) { id statementIds linesTotal linesAdded differingLines }
}`

type camtImport struct {
	ID                     string
	StatementIds           []string
	LinesTotal, LinesAdded int
	DifferingLines         []string
}

func (s *testServer) importCAMT(t *testing.T, token, content string) camtImport {
	t.Helper()
	var d struct{ ImportBankStatement camtImport }
	s.must(t, token, importWithDifferences, map[string]any{"in": map[string]any{"format": "CAMT053", "content": content}}, &d)
	return d.ImportBankStatement
}

func camtFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../reconcile/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// camtLines returns the stored bank lines as "key kind amount currency
// value date | counterparty name | IBAN", by line key.
func (s *testServer) camtLines(t *testing.T, token string) map[string]string {
	t.Helper()
	var d struct {
		BankTransactions struct {
			Edges []struct {
				Node struct {
					LineKey, Kind, Amount, Currency, ValueDate string
					CounterpartyName, CounterpartyIban         *string
					Returned                                   bool
				}
			}
		}
	}
	s.must(t, token, `{ bankTransactions(first: 100) { edges { node {
	  lineKey kind amount currency valueDate counterpartyName counterpartyIban returned } } } }`, nil, &d)
	out := map[string]string{}
	for _, e := range d.BankTransactions.Edges {
		n := e.Node
		out[n.LineKey] = strings.Join([]string{n.Kind, n.Amount, n.Currency, n.ValueDate, str(n.CounterpartyName), str(n.CounterpartyIban)}, " ")
		if n.Returned != (n.Kind == "RETURN") {
			t.Fatalf("%s: returned %v for %s", n.LineKey, n.Returned, n.Kind)
		}
	}
	return out
}

// TestCamtImportVersions: MID finance imports one statement written in
// camt.053 .001.03 over GraphQL; its lines are stored with their kinds and
// counterparties, and credits without a Dbtr have none. The same statement
// in .001.02, .04, .08 and .10 adds nothing and differs in nothing. An
// unknown version is refused naming its namespace.
func TestCamtImportVersions(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")

	imp := s.importCAMT(t, mid, camtFixture(t, "camt053-001-03-mixed.xml"))
	if imp.LinesTotal != 5 || imp.LinesAdded != 5 || imp.DifferingLines == nil || len(imp.DifferingLines) != 0 ||
		!reflect.DeepEqual(imp.StatementIds, []string{"DE42810000000810015001:2026-0100"}) {
		t.Fatalf("import .03: %+v", imp)
	}
	want := map[string]string{
		"000010":           "CREDIT 16100.00 EUR 2026-03-02 Kommune A DE82810532721000123456",
		"#2":               "CREDIT 12.34 EUR 2026-03-04  ", // interest: no Dbtr, no counterparty
		"2026030400000003": "PAYMENT 8000.00 EUR 2026-03-04 Kommune C DE59800537620040007890",
		"#4":               "RETURN 8000.00 EUR 2026-03-05 Kommune C DE59800537620040007890",
		"000015":           "CREDIT 75.00 EUR 2026-03-05  ", // no details at all
	}
	if got := s.camtLines(t, mid); !reflect.DeepEqual(got, want) {
		t.Fatalf("lines\n got %q\nwant %q", got, want)
	}
	for _, v := range []string{"02", "04", "08", "10"} {
		imp := s.importCAMT(t, mid, camtFixture(t, "camt053-001-"+v+"-mixed.xml"))
		if imp.LinesTotal != 5 || imp.LinesAdded != 0 || imp.DifferingLines == nil || len(imp.DifferingLines) != 0 {
			t.Fatalf("the same statement in .%s: %+v", v, imp)
		}
	}
	if got := s.camtLines(t, mid); !reflect.DeepEqual(got, want) {
		t.Fatalf("lines after the other versions: %q", got)
	}

	v10 := camtFixture(t, "camt053-001-10-mixed.xml")
	for _, ns := range []string{"camt.053.001.14", "camt.053.001.01"} {
		e := s.fails(t, mid, importWithDifferences, map[string]any{"in": map[string]any{"format": "CAMT053",
			"content": strings.Replace(v10, "camt.053.001.10", ns, 1)}}, "INVALID_STATEMENT")
		if !strings.Contains(e.Message, `unknown namespace "urn:iso:std:iso:20022:tech:xsd:`+ns+`"`) {
			t.Fatalf("%s: %s", ns, e.Message)
		}
	}
	// A version between the fixtures' is read too.
	imp = s.importCAMT(t, mid, strings.Replace(strings.Replace(v10, "camt.053.001.10", "camt.053.001.13", 1), "2026-0100", "2026-0113", 1))
	if imp.LinesAdded != 5 || imp.StatementIds[0] != "DE42810000000810015001:2026-0113" {
		t.Fatalf(".13: %+v", imp)
	}
}

// TestCamtImportDifferingLines: a statement sent again whose lines differ
// from the stored ones at the same keys (here by position: no NtryRef, no
// AcctSvcrRef) adds nothing, and the import names every differing line
// with the stored and the new values; the stored lines stay. MID finance
// and ADMIN read the list (it is bank data); KITU reads the import's
// counts but not the list.
func TestCamtImportDifferingLines(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	v04 := camtFixture(t, "camt053-001-04-mixed.xml")
	s.importCAMT(t, mid, v04)
	before := s.camtLines(t, mid)

	changed := strings.Replace(v04, `<Amt Ccy="EUR">12.34</Amt>`, `<Amt Ccy="EUR">21.34</Amt>`, 2) // entry #2 and its TxDtls
	changed = strings.Replace(changed, "<Dbtr><Nm>Kommune C</Nm></Dbtr>", "<Dbtr><Nm>Kommune C (neu)</Nm></Dbtr>", 1)
	changed = strings.Replace(changed, "<DbtrAcct><Id><IBAN>DE59800537620040007890</IBAN>", "<DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN>", 1)
	imp := s.importCAMT(t, mid, changed)
	want := []string{
		"DE42810000000810015001:2026-0100 line #2: amount stored 12.34, new 21.34",
		"DE42810000000810015001:2026-0100 line #4: counterpartyIban stored DE59800537620040007890, new DE02120300000000202051",
	}
	if imp.LinesTotal != 5 || imp.LinesAdded != 0 || !reflect.DeepEqual(imp.DifferingLines, want) {
		t.Fatalf("re-sent statement: %+v\nwant differing %q", imp, want)
	}
	if after := s.camtLines(t, mid); !reflect.DeepEqual(after, before) {
		t.Fatalf("stored lines changed:\n%q\n%q", after, before)
	}

	// Read back through node(id:), by MID and ADMIN.
	const read = `query($id: ID!) { node(id: $id) { ... on BankStatementImport { linesTotal linesAdded differingLines } } }`
	for _, token := range []string{mid, s.Admin} {
		var d struct{ Node camtImport }
		s.must(t, token, read, map[string]any{"id": imp.ID}, &d)
		if d.Node.LinesAdded != 0 || !reflect.DeepEqual(d.Node.DifferingLines, want) {
			t.Fatalf("read back: %+v", d.Node)
		}
	}
	var list struct {
		BankStatementImports struct {
			TotalCount int
			Edges      []struct{ Node camtImport }
		}
	}
	s.must(t, mid, `{ bankStatementImports(first: 10) { totalCount edges { node { id linesAdded differingLines } } } }`, nil, &list)
	if list.BankStatementImports.TotalCount != 2 {
		t.Fatalf("imports: %+v", list)
	}
	for _, e := range list.BankStatementImports.Edges {
		if e.Node.ID == imp.ID && !reflect.DeepEqual(e.Node.DifferingLines, want) || e.Node.ID != imp.ID && len(e.Node.DifferingLines) != 0 {
			t.Fatalf("listed import: %+v", e.Node)
		}
	}

	// KITU sees that an import added nothing, not the bank data of the lines.
	coord := s.token(t, "COORDINATOR", "")
	s.must(t, coord, `{ bankStatementImports { totalCount edges { node { linesTotal linesAdded } } } }`, nil, nil)
	s.fails(t, coord, `{ bankStatementImports { edges { node { differingLines } } } }`, nil, "FORBIDDEN")
	s.fails(t, coord, read, map[string]any{"id": imp.ID}, "FORBIDDEN")
}
