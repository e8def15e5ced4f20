package reconcile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
)

// berlin is the programme's time zone the tests parse in.
var berlin = clock.MustLoadZone("Europe/Berlin")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refusal is a document a parser must refuse, and a part of the message.
type refusal struct{ name, doc, want string }

// wantRefused parses each document (in Berlin) and wants it refused with
// code, the message containing want; kind names the parser in failures.
func wantRefused(t *testing.T, kind string, parse func([]byte, *time.Location) (*File, error), code string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		_, err := parse([]byte(c.doc), berlin)
		wantRefusal(t, kind+" "+c.name, err, code, c.want)
	}
}

// wantRefusal fails the test unless err has the code and its message
// contains want.
func wantRefusal(t *testing.T, name string, err error, code, want string) {
	t.Helper()
	if apperr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: want %s containing %q, got %v", name, code, want, err)
	}
}

func TestParseCAMT053v02(t *testing.T) {
	f, err := ParseCAMT053(readFile(t, "camt053-001-02.xml"), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if f.MessageID != "MID-KTOAUSZ-20260205-001" || len(f.StatementIDs) != 1 || f.StatementIDs[0] != "DE42810000000810015001:2026-0001" {
		t.Fatalf("header: %+v", f)
	}
	// 3 booked entries, one a batch of 2; the pending entry is skipped.
	if len(f.Lines) != 4 {
		t.Fatalf("want 4 lines, got %d: %+v", len(f.Lines), f.Lines)
	}
	a, b, c, usd := f.Lines[0], f.Lines[1], f.Lines[2], f.Lines[3]
	if a.LineKey != "000001" || a.Amount.StringFixed(2) != "16100.00" || !a.Debit || a.Reversal || a.EndToEndID != "KZ-a1" ||
		a.CounterpartyIBAN != "DE82810532721000123456" || a.CounterpartyName != "Kommune A" ||
		!a.ValueDate.Equal(types.Date(2026, 2, 2)) || a.Kind() != banktransaction.KindPAYMENT || a.BankReference != "2026020200000001" {
		t.Fatalf("line a: %+v", a)
	}
	if b.LineKey != "000002/1" || b.EndToEndID != "" || b.Amount.StringFixed(2) != "16100.00" || b.CounterpartyIBAN != "DE24810520000300045678" {
		t.Fatalf("line b: %+v", b)
	}
	if c.LineKey != "000002/2" || c.EndToEndID != "KZ-c1" || c.Amount.StringFixed(2) != "8500.00" || c.Remittance != "SicherKOMMUNAL KZ-c1" {
		t.Fatalf("line c: %+v", c)
	}
	if usd.Currency != "USD" || usd.CounterpartyIBAN != "GB33BUKB20201555555555" || !usd.BookingDate.Equal(types.Date(2026, 2, 4)) ||
		!usd.ValueDate.Equal(types.Date(2026, 2, 5)) {
		t.Fatalf("line usd: %+v", usd)
	}
}

func TestParseCAMT053v08(t *testing.T) {
	f, err := ParseCAMT053(readFile(t, "camt053-001-08.xml"), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Lines) != 3 {
		t.Fatalf("want 3 lines, got %+v", f.Lines)
	}
	d, ret, unknown := f.Lines[0], f.Lines[1], f.Lines[2]
	if d.CounterpartyName != "Kommune D" || d.EndToEndID != "" || !d.BookingDate.Equal(types.Date(2026, 2, 5)) ||
		!strings.Contains(d.Remittance, "KZ-d1") {
		t.Fatalf("line d: %+v", d)
	}
	if ret.Kind() != banktransaction.KindRETURN || ret.Debit || !ret.Reversal || ret.EndToEndID != "KZ-d1" ||
		ret.CounterpartyIBAN != "DE54800555000500012345" || ret.CounterpartyName != "Kommune D" {
		t.Fatalf("return: %+v", ret)
	}
	if unknown.Amount.StringFixed(2) != "1234.56" || unknown.EndToEndID != "E2E-UNKNOWN-1" {
		t.Fatalf("unknown: %+v", unknown)
	}
}

func TestParseCSV(t *testing.T) {
	f, err := ParseCSV(readFile(t, "statement.csv"), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Lines) != 2 || f.StatementIDs[0] != "CSV-2026-02" {
		t.Fatalf("%+v", f)
	}
	e, cr := f.Lines[0], f.Lines[1]
	if e.CounterpartyIBAN != "DE29810550000600054321" || e.Remittance != "Foerderung; Teil 1" || e.Kind() != banktransaction.KindPAYMENT {
		t.Fatalf("line 1: %+v", e)
	}
	if cr.Kind() != banktransaction.KindCREDIT || cr.Amount.StringFixed(2) != "250.00" {
		t.Fatalf("line 2: %+v", cr)
	}
	// Comma-separated, columns in another order, BOM.
	f, err = ParseCSV([]byte("\xef\xbb\xbfamount,currency,credit_debit,statement_id,line_ref,booking_date,value_date\n12.30,EUR,DBIT,S1,x,2026-03-02,2026-03-02\n"), berlin)
	if err != nil || len(f.Lines) != 1 || f.Lines[0].Amount.StringFixed(2) != "12.30" {
		t.Fatalf("%+v %v", f, err)
	}
}

// TestParseErrors: a broken file fails with INVALID_STATEMENT naming the
// element or line.
func TestParseErrors(t *testing.T) {
	v02 := string(readFile(t, "camt053-001-02.xml"))
	wantRefused(t, "camt", ParseCAMT053, CodeInvalidStatement, []refusal{
		{"empty", "", "empty"},
		{"not xml", "hello", "not a camt.053"},
		{"unclosed", v02[:len(v02)-40], "line"},
		{"namespace", strings.Replace(v02, "camt.053.001.02", "camt.052.001.02", 1), "camt.052.001.02"},
		{"comma amount", strings.Replace(v02, ">24600.00<", ">24.600,00<", 1), "Stmt 1 (Id 2026-0001), Ntry 2 (NtryRef 000002): Amt"},
		{"fraction of a cent", strings.Replace(v02, ">16100.00</Amt>\n        <CdtDbtInd>", ">16100.001</Amt>\n        <CdtDbtInd>", 1), "fractions of a cent"},
		{"batch sum", strings.Replace(v02, ">8500.00<", ">8400.00<", 1), "add up to 24500.00"},
		{"direction", strings.Replace(v02, "<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>", 1), "Ntry 1 (NtryRef 000001): CdtDbtInd"},
		{"no currency", strings.Replace(v02, `<Amt Ccy="EUR">16100.00</Amt>`, `<Amt>16100.00</Amt>`, 1), "Ccy"},
		{"date", strings.Replace(v02, "<Dt>2026-02-02</Dt>", "<Dt>02.02.2026</Dt>", 1), "BookgDt"},
		{"duplicate ref", strings.Replace(v02, "<NtryRef>000003</NtryRef>", "<NtryRef>000001</NtryRef>", 1), "two bookings with the reference 000001"},
		{"no statement id", strings.Replace(v02, "<Id>2026-0001</Id>", "", 1), "Stmt 1: Id is missing"},
	})
	csv := string(readFile(t, "statement.csv"))
	wantRefused(t, "csv", ParseCSV, CodeInvalidStatement, []refusal{
		{"empty", "", "empty"},
		{"missing column", strings.Replace(csv, "currency;", "waehrung;", 1), "unknown column"},
		{"amount", strings.Replace(csv, "5000.00", "5.000,00", 1), "line 2, column amount"},
		{"date", strings.Replace(csv, "2026-02-06;2026-02-06;CRDT", "2026-02-06;06.02.2026;CRDT", 1), "line 3, column value_date"},
		{"field count", csv + "CSV-2026-02;3;2026-02-06\n", "line 4"},
		{"negative", strings.Replace(csv, "250.00", "-250.00", 1), "line 3, column amount"},
		{"zero", strings.Replace(csv, "250.00", "0.00", 1), "not positive"},
		{"not utf-8", strings.Replace(csv, "Kommune E", "Kommune \xe4", 1), "UTF-8"},
		{"duplicate", strings.Replace(csv, "CSV-2026-02;2;", "CSV-2026-02;1;", 1), "two bookings"},
	})
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]string{"1": "1.00", "0.01": "0.01", "16100.00000": "16100.00", "12.5": "12.50"} {
		d, err := parseAmount(in)
		if err != nil || d.StringFixed(2) != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-1", "1e3", "1,00", "1.000001", "1.001", "NaN", "+1", ".5", "1.", "99999999999999999999"} {
		if _, err := parseAmount(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	// The ceiling of every amount: 1,000,000,000.00, however written.
	for _, in := range []string{"1000000000", "1000000000.00", "1000000000.00000", "0001000000000.00", "999999999.99"} {
		if d, err := parseAmount(in); err != nil || d.GreaterThan(types.MaxMoney) {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"1000000000.01", "1000000001", "92233720368547758.07", "99999999999999999999",
		"00000000000000000000000001000000000.01", strings.Repeat("9", 1000)} {
		if _, err := parseAmount(in); !errors.Is(err, types.ErrAboveMoneyLimit) || !strings.Contains(err.Error(), "limit of 1000000000.00") {
			t.Errorf("%.30q: want the ceiling, got %v", in, err)
		}
	}
}

// TestParseAmountCeiling: a line above the ceiling refuses the whole file
// with INVALID_AMOUNT, naming the element or line and the limit.
func TestParseAmountCeiling(t *testing.T) {
	v02 := string(readFile(t, "camt053-001-02.xml"))
	wantRefused(t, "camt", ParseCAMT053, CodeInvalidAmount, []refusal{
		{"entry", strings.Replace(v02, ">16100.00</Amt>\n        <CdtDbtInd>", ">92233720368547758.07</Amt>\n        <CdtDbtInd>", 1),
			`Stmt 1 (Id 2026-0001), Ntry 1 (NtryRef 000001): Amt "92233720368547758.07" is above the limit of 1000000000.00 EUR`},
		{"one cent above", strings.Replace(v02, ">500.00</Amt>", ">1000000000.01</Amt>", 1),
			`Ntry 3 (NtryRef 000003): Amt "1000000000.01" is above the limit`},
		{"transaction of a batch", strings.Replace(v02, ">8500.00<", ">1000000008400.00<", 1),
			`Stmt 1 (Id 2026-0001), Ntry 2 (NtryRef 000002), TxDtls 2: Amt "1000000008400.00" is above the limit`},
	})
	if _, err := ParseCAMT053([]byte(strings.Replace(v02, ">500.00</Amt>", ">1000000000.00</Amt>", 1)), berlin); err != nil {
		t.Errorf("camt at the ceiling: %v", err)
	}
	csv := string(readFile(t, "statement.csv"))
	wantRefused(t, "csv", ParseCSV, CodeInvalidAmount, []refusal{{"amount", strings.Replace(csv, "250.00", "92233720368547758.07", 1),
		`line 3, column amount: "92233720368547758.07" is above the limit of 1000000000.00 EUR`}})
	if f, err := ParseCSV([]byte(strings.Replace(csv, "250.00", "1000000000.00", 1)), berlin); err != nil || f.Lines[1].Amount.StringFixed(2) != "1000000000.00" {
		t.Errorf("csv at the ceiling: %v", err)
	}
}

// TestParseCAMT053Namespaces: every element is in the Document's
// namespace; a child in another namespace, or in none, is refused naming
// the element and the namespace. Only SplmtryData/Envlp may carry other
// namespaces (ISO 20022 leaves it open, and nothing in it is read).
func TestParseCAMT053Namespaces(t *testing.T) {
	v02 := string(readFile(t, "camt053-001-02.xml"))
	const v08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
	wantRefused(t, "camt", ParseCAMT053, CodeInvalidStatement, []refusal{
		{"prefixed child", strings.Replace(v02, `<Amt Ccy="EUR">24600.00</Amt>`,
			`<x:Amt xmlns:x="`+v08+`" Ccy="EUR">24600.00</x:Amt>`, 1),
			`line 48: element Document/BkToCstmrStmt/Stmt/Ntry/Amt is in namespace "` + v08 + `", not in the Document's namespace "` + NamespaceCAMT053v02 + `"`},
		{"default namespace redeclared", strings.Replace(v02, "<Ntry>", `<Ntry xmlns="`+v08+`">`, 1),
			`element Document/BkToCstmrStmt/Stmt/Ntry is in namespace "` + v08 + `"`},
		{"no namespace", strings.Replace(v02, "<BkToCstmrStmt>", `<BkToCstmrStmt xmlns="">`, 1),
			`element Document/BkToCstmrStmt is in no namespace`},
		{"foreign entry among ours", strings.Replace(v02, "</Stmt>",
			`<Ntry xmlns="urn:example:other"><NtryRef>X</NtryRef><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-02-02</Dt></BookgDt></Ntry></Stmt>`, 1),
			`Stmt/Ntry is in namespace "urn:example:other"`},
		{"foreign attribute", strings.Replace(v02, `<Amt Ccy="EUR">24600.00</Amt>`,
			`<Amt xmlns:x="urn:example:other" x:Ccy="EUR">24600.00</Amt>`, 1),
			`element Document/BkToCstmrStmt/Stmt/Ntry/Amt: attribute Ccy is in namespace "urn:example:other"`},
	})
	// Supplementary data may carry anything; the file is read as without it.
	withEnvlp := strings.Replace(v02, "</Stmt>", `<SplmtryData><Envlp><b:Info xmlns:b="urn:example:bank"><b:Ntry>ignored</b:Ntry></b:Info><Other xmlns="">x</Other></Envlp></SplmtryData></Stmt>`, 1)
	f, err := ParseCAMT053([]byte(withEnvlp), berlin)
	if err != nil || len(f.Lines) != 4 {
		t.Fatalf("Envlp content: %v", err)
	}
	// But an element outside Envlp after it is checked again.
	after := strings.Replace(withEnvlp, "</SplmtryData></Stmt>", `</SplmtryData><Ntry xmlns="">x</Ntry></Stmt>`, 1)
	wantRefused(t, "camt", ParseCAMT053, CodeInvalidStatement, []refusal{{"after Envlp", after, "Stmt/Ntry is in no namespace"}})
	// The xsi attributes on the Document are fine (the .02 sample has them), and so is the .08 sample.
	for _, name := range []string{"camt053-001-02.xml", "camt053-001-08.xml"} {
		if _, err := ParseCAMT053(readFile(t, name), berlin); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	xsi := strings.Replace(v02, `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`,
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="`+NamespaceCAMT053v02+` camt.053.001.02.xsd">`, 1)
	if _, err := ParseCAMT053([]byte(xsi), berlin); err != nil {
		t.Fatalf("xsi:schemaLocation: %v", err)
	}
}

// TestBankingDays: weekdays minus TARGET2 closing days and
// Sachsen-Anhalt holidays.
func TestBankingDays(t *testing.T) {
	for _, d := range []time.Time{
		types.Date(2026, 1, 1), types.Date(2026, 1, 6), types.Date(2026, 4, 3), types.Date(2026, 4, 6),
		types.Date(2026, 5, 1), types.Date(2026, 5, 14), types.Date(2026, 5, 25), types.Date(2026, 12, 25),
		types.Date(2026, 2, 7), types.Date(2026, 2, 8),
	} {
		if IsBankingDay(d) {
			t.Errorf("%s is not a banking day", d.Format(time.DateOnly))
		}
	}
	if !IsBankingDay(types.Date(2026, 2, 5)) || !IsBankingDay(types.Date(2026, 4, 7)) {
		t.Fatal("weekdays are banking days")
	}
	if got := AddBankingDays(types.Date(2026, 4, 2), 1); !got.Equal(types.Date(2026, 4, 7)) {
		t.Fatalf("Thursday before Easter + 1 = %s", got.Format(time.DateOnly))
	}
	if got := AddBankingDays(types.Date(2026, 4, 7), -1); !got.Equal(types.Date(2026, 4, 2)) {
		t.Fatalf("Tuesday after Easter - 1 = %s", got.Format(time.DateOnly))
	}
	if n := BankingDaysBetween(types.Date(2026, 2, 6), types.Date(2026, 2, 9)); n != 1 {
		t.Fatalf("Friday to Monday: %d", n)
	}
	if n := BankingDaysBetween(types.Date(2026, 2, 9), types.Date(2026, 2, 6)); n != -1 {
		t.Fatalf("Monday to Friday: %d", n)
	}
}

// FuzzParseCAMT053: the parser never panics, and what it accepts is
// consistent: positive cent amounts, a currency, unique keys. The stream
// gives the same answer however its reader cuts the bytes. Every fixture
// is a seed.
func FuzzParseCAMT053(f *testing.F) {
	fixtures, err := filepath.Glob("testdata/camt053-*.xml")
	if err != nil || len(fixtures) < 7 {
		f.Fatalf("fixtures: %v %v", fixtures, err)
	}
	for _, name := range fixtures {
		f.Add(readFile(f, filepath.Base(name)))
	}
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>x</Id><Ntry><Amt Ccy="EUR">1.5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-01-02</Dt></BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>`))
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt></BkToCstmrStmt></Document>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Document/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseCAMT053(data, berlin)
		cut, cutErr := ParseCAMT053Reader(iotest.HalfReader(bytes.NewReader(data)), berlin)
		if fmt.Sprint(err) != fmt.Sprint(cutErr) || !reflect.DeepEqual(file, cut) {
			t.Fatalf("a reader that cuts the bytes reads another statement: %v / %v", err, cutErr)
		}
		if err != nil {
			if code := apperr.CodeOf(err); code != CodeInvalidStatement && code != CodeInvalidAmount {
				t.Fatalf("error without code: %v", err)
			}
			return
		}
		checkFile(t, file)
	})
}

// FuzzParseCSV: as FuzzParseCAMT053 for the CSV layout.
func FuzzParseCSV(f *testing.F) {
	f.Add(readFile(f, "statement.csv"))
	f.Add([]byte("amount,currency,credit_debit,statement_id,line_ref,booking_date,value_date\n12.30,EUR,DBIT,S1,x,2026-03-02,2026-03-02\n"))
	f.Add([]byte("statement_id;line_ref\n\"a;b\";\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseCSV(data, berlin)
		if err != nil {
			if code := apperr.CodeOf(err); code != CodeInvalidStatement && code != CodeInvalidAmount {
				t.Fatalf("error without code: %v", err)
			}
			return
		}
		checkFile(t, file)
	})
}

func checkFile(t *testing.T, f *File) {
	seen := map[[2]string]bool{}
	for _, l := range f.Lines {
		if !l.Amount.IsPositive() || !l.Amount.Equal(l.Amount.Round(2)) {
			t.Fatalf("amount %s", l.Amount)
		}
		if _, err := types.Cents(l.Amount); err != nil || l.Amount.GreaterThan(types.MaxMoney) {
			t.Fatalf("amount %s: %v", l.Amount, err)
		}
		if !isCurrency(l.Currency) || l.StatementID == "" || l.LineKey == "" || l.BookingDate.IsZero() || l.ValueDate.IsZero() {
			t.Fatalf("line %+v", l)
		}
		k := [2]string{l.StatementID, l.LineKey}
		if seen[k] {
			t.Fatalf("duplicate key %v", k)
		}
		seen[k] = true
	}
}
