package reconcile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/bankstatementimport"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func testService(t testing.TB) (*Service, context.Context) {
	t.Helper()
	db := storetest.Open(t, store.Options{})
	now := time.Date(2026, 3, 6, 8, 0, 0, 0, time.UTC)
	return &Service{Client: db.Client, Dialect: db.Dialect, Now: func() time.Time { return now }, Zone: berlin},
		auth.SystemContext(context.Background())
}

// storedLine is a stored bank transaction as lineText writes it.
func storedLine(bt *ent.BankTransaction) string {
	return lineText(bt.LineKey, bt.Kind, bt.Amount, bt.Currency, bt.BookingDate, bt.ValueDate,
		deref(bt.EndToEndID), deref(bt.CounterpartyName), deref(bt.CounterpartyIban), deref(bt.Remittance))
}

// edited is doc with each edit's first string replaced by its second, once;
// the test fails when doc lacks one, so that a changed fixture cannot make
// an edit silently do nothing.
func edited(t *testing.T, doc string, edits [][2]string) string {
	t.Helper()
	for _, e := range edits {
		if !strings.Contains(doc, e[0]) {
			t.Fatalf("fixture has no %q", e[0])
		}
		doc = strings.Replace(doc, e[0], e[1], 1)
	}
	return doc
}

// storedLines returns every stored line as storedLine writes it, sorted.
func storedLines(t *testing.T, svc *Service, ctx context.Context) []string {
	t.Helper()
	bts, err := svc.Client.BankTransaction.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(bts))
	for i, bt := range bts {
		out[i] = storedLine(bt)
	}
	sort.Strings(out) // by line key, in byte order on either database
	return out
}

// TestImportReader: a statement read from a stream is stored as parsed,
// with the SHA-256 of every byte read; a credit without Dbtr is stored
// without counterparty; the same statement in another version adds nothing
// and differs in nothing; a reader that fails stores nothing.
func TestImportReader(t *testing.T) {
	svc, ctx := testService(t)
	data := readFile(t, "camt053-001-02-mixed.xml")
	imp, err := svc.ImportReader(ctx, bankstatementimport.FormatCAMT053, iotest.OneByteReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if imp.ContentSha256 != hex.EncodeToString(sum[:]) || imp.LinesTotal != 5 || imp.LinesAdded != 5 ||
		imp.DifferingLines == nil || len(imp.DifferingLines) != 0 || !reflect.DeepEqual(imp.StatementIds, []string{mixedStatement}) {
		t.Fatalf("import: %+v", imp)
	}
	want := []string{ // by line key
		"#2|CREDIT|12.34 EUR|2026-03-04|2026-03-04||||Habenzinsen Februar",
		"#4|RETURN|8000.00 EUR|2026-03-05|2026-03-05|KZ-c2|Kommune C|DE59800537620040007890|RUECKUEBERWEISUNG AC04 KZ-c2",
		"000010|CREDIT|16100.00 EUR|2026-03-02|2026-03-02|RUECK-a1|Kommune A|DE82810532721000123456|Rueckzahlung SicherKOMMUNAL KZ-a1",
		"000015|CREDIT|75.00 EUR|2026-03-05|2026-03-05||||",
		"2026030400000003|PAYMENT|8000.00 EUR|2026-03-04|2026-03-04|KZ-c2|Kommune C|DE59800537620040007890|SicherKOMMUNAL Stufe 1 KZ-c2",
	}
	if got := storedLines(t, svc, ctx); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored\n got %q\nwant %q", got, want)
	}
	for _, v := range []string{"03", "04", "08", "10"} {
		imp, err := svc.Import(ctx, bankstatementimport.FormatCAMT053, readFile(t, "camt053-001-"+v+"-mixed.xml"))
		if err != nil || imp.LinesAdded != 0 || imp.LinesTotal != 5 || len(imp.DifferingLines) != 0 {
			t.Fatalf(".%s again: %+v %v", v, imp, err)
		}
	}

	// A failing reader: its error, nothing stored.
	before := svc.Client.BankStatementImport.Query().CountX(ctx)
	poison := errors.New("connection reset")
	_, err = svc.ImportReader(ctx, bankstatementimport.FormatCAMT053, io.MultiReader(bytes.NewReader(data[:len(data)-100]), iotest.ErrReader(poison)))
	if !errors.Is(err, poison) {
		t.Fatalf("failing reader: %v", err)
	}
	_, err = svc.ImportReader(ctx, bankstatementimport.FormatCSV, iotest.ErrReader(poison))
	if !errors.Is(err, poison) {
		t.Fatalf("failing CSV reader: %v", err)
	}
	if _, err := svc.ImportReader(ctx, "MT940", bytes.NewReader(data)); apperr.CodeOf(err) != apperr.Validation {
		t.Fatalf("unknown format: %v", err)
	}
	if n := svc.Client.BankStatementImport.Query().CountX(ctx); n != before {
		t.Fatalf("failed imports were recorded: %d, want %d", n, before)
	}
}

// TestImportDifferingLines: a statement sent again whose lines at the same
// keys differ (a positional key #n, or a NtryRef) adds only its new line;
// each differing line is named with the stored and the new value of every
// field that differs, and the stored line stays as it was.
func TestImportDifferingLines(t *testing.T) {
	svc, ctx := testService(t)
	doc := string(readFile(t, "camt053-001-02-mixed.xml"))
	if _, err := svc.Import(ctx, bankstatementimport.FormatCAMT053, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	before := storedLines(t, svc, ctx)

	changed := edited(t, doc, [][2]string{
		// #2: another amount.
		{`<Amt Ccy="EUR">12.34</Amt>`, `<Amt Ccy="EUR">12.43</Amt>`},
		// #4: another value date, debtor IBAN and text.
		{"<ValDt><Dt>2026-03-05</Dt></ValDt>", "<ValDt><Dt>2026-03-06</Dt></ValDt>"},
		{"<DbtrAcct><Id><IBAN>DE59800537620040007890</IBAN>", "<DbtrAcct><Id><IBAN>DE59800537620040007891</IBAN>"},
		{"RUECKUEBERWEISUNG AC04 KZ-c2", "RUECKUEBERWEISUNG MD07 KZ-c2"},
		// 000015 (keyed by NtryRef): another currency.
		{`<Amt Ccy="EUR">75.00</Amt>`, `<Amt Ccy="CHF">75.00</Amt>`},
		// A new seventh entry (#7), after the pending sixth.
		{"    </Stmt>", `      <Ntry>
        <Amt Ccy="EUR">5.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-03-05</Dt></BookgDt>
        <BkTxCd><Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
    </Stmt>`},
	})
	imp, err := svc.Import(ctx, bankstatementimport.FormatCAMT053, []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		mixedStatement + " line #2: amount stored 12.34, new 12.43",
		mixedStatement + ` line #4: valueDate stored 2026-03-05, new 2026-03-06; counterpartyIban stored DE59800537620040007890, new DE59800537620040007891; remittance stored "RUECKUEBERWEISUNG AC04 KZ-c2", new "RUECKUEBERWEISUNG MD07 KZ-c2"`,
		mixedStatement + " line 000015: currency stored EUR, new CHF",
	}
	if imp.LinesTotal != 6 || imp.LinesAdded != 1 || !reflect.DeepEqual(imp.DifferingLines, want) {
		t.Fatalf("import: total %d added %d differing\n got %q\nwant %q", imp.LinesTotal, imp.LinesAdded, imp.DifferingLines, want)
	}
	// The stored lines stay; only #7 is new.
	after := storedLines(t, svc, ctx)
	wantAfter := append([]string{"#7|PAYMENT|5.00 EUR|2026-03-05|2026-03-05||||"}, before...)
	sort.Strings(wantAfter)
	if !reflect.DeepEqual(after, wantAfter) {
		t.Fatalf("stored\n got %q\nwant %q", after, wantAfter)
	}
	// Read back from the database as recorded.
	got, err := svc.Client.BankStatementImport.Get(ctx, imp.ID)
	if err != nil || !reflect.DeepEqual(got.DifferingLines, want) {
		t.Fatalf("stored import: %q %v", got.DifferingLines, err)
	}
	// Sent once more: the same differences again, nothing added.
	imp, err = svc.Import(ctx, bankstatementimport.FormatCAMT053, []byte(changed))
	if err != nil || imp.LinesAdded != 0 || !reflect.DeepEqual(imp.DifferingLines, want) {
		t.Fatalf("third import: %+v %v", imp, err)
	}
}

// TestImportDifferingKind: the kind counts too: a credit that comes back
// as a debit is named (and with it its counterparty, now the Cdtr).
func TestImportDifferingKind(t *testing.T) {
	svc, ctx := testService(t)
	doc := string(readFile(t, "camt053-001-02-mixed.xml"))
	if _, err := svc.Import(ctx, bankstatementimport.FormatCAMT053, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	kind := edited(t, doc, [][2]string{{"<Amt Ccy=\"EUR\">16100.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>", "<Amt Ccy=\"EUR\">16100.00</Amt>\n        <CdtDbtInd>DBIT</CdtDbtInd>"}})
	imp, err := svc.Import(ctx, bankstatementimport.FormatCAMT053, []byte(kind))
	if err != nil || len(imp.DifferingLines) != 1 ||
		imp.DifferingLines[0] != mixedStatement+" line 000010: kind stored CREDIT, new PAYMENT; counterpartyIban stored DE82810532721000123456, new DE42810000000810015001" {
		t.Fatalf("kind: %q %v", imp.DifferingLines, err)
	}
}

// TestImportDifferingLinesBound: at most 100 differing lines are named, a
// last text counts the others.
func TestImportDifferingLinesBound(t *testing.T) {
	svc, ctx := testService(t)
	csv := func(amount string) []byte {
		var b strings.Builder
		b.WriteString("statement_id,line_ref,booking_date,value_date,credit_debit,amount,currency,end_to_end_id\n")
		for i := 1; i <= 103; i++ {
			fmt.Fprintf(&b, "CSV-BIG,%d,2026-03-02,2026-03-02,DBIT,%s,EUR,E2E-%d\n", i, amount, i)
		}
		return []byte(b.String())
	}
	if imp, err := svc.Import(ctx, bankstatementimport.FormatCSV, csv("10.00")); err != nil || imp.LinesAdded != 103 {
		t.Fatalf("first: %+v %v", imp, err)
	}
	imp, err := svc.ImportReader(ctx, bankstatementimport.FormatCSV, iotest.HalfReader(bytes.NewReader(csv("11.00"))))
	if err != nil {
		t.Fatal(err)
	}
	if imp.LinesAdded != 0 || len(imp.DifferingLines) != 101 || imp.DifferingLines[0] != "CSV-BIG line 1: amount stored 10.00, new 11.00" ||
		imp.DifferingLines[99] != "CSV-BIG line 100: amount stored 10.00, new 11.00" ||
		imp.DifferingLines[100] != "3 more lines differ from the stored ones (not named)" {
		t.Fatalf("bound: %d lines, first %q, last %q", len(imp.DifferingLines), imp.DifferingLines[0], imp.DifferingLines[len(imp.DifferingLines)-1])
	}
}
