package reconcile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/banktransaction"
)

// lineText is a bank line as one comparable text: key, kind, amount and
// currency, booking and value date, end-to-end id, counterparty name and
// IBAN, remittance.
func lineText(key string, kind banktransaction.Kind, amount decimal.Decimal, currency string, booking, value time.Time,
	endToEnd, name, iban, remittance string) string {
	return fmt.Sprintf("%s|%s|%s %s|%s|%s|%s|%s|%s|%s", key, kind, amount.StringFixed(2), currency,
		booking.Format(time.DateOnly), value.Format(time.DateOnly), endToEnd, name, iban, remittance)
}

// summary is a parsed line as lineText writes it, and its bank reference.
func summary(l Line) string {
	return lineText(l.LineKey, l.Kind(), l.Amount, l.Currency, l.BookingDate, l.ValueDate,
		l.EndToEndID, l.CounterpartyName, l.CounterpartyIBAN, l.Remittance) + "|" + l.BankReference
}

// mixedLines are the lines of the statement camt053-001-NN-mixed.xml, the
// same in every version: money received from Kommune A; interest credited
// without a Dbtr (its only party is the account itself, as Cdtr: no
// counterparty); a payment to Kommune C; the bank's return of it (RvslInd,
// no NtryRef or AcctSvcrRef: keyed by position); a credit without any
// details (no counterparty). The pending sixth entry is skipped. The
// interest's booking time 2026-03-03T23:30:00Z is 2026-03-04 in Berlin.
var mixedLines = []string{
	"000010|CREDIT|16100.00 EUR|2026-03-02|2026-03-02|RUECK-a1|Kommune A|DE82810532721000123456|Rueckzahlung SicherKOMMUNAL KZ-a1|2026030200000010",
	"#2|CREDIT|12.34 EUR|2026-03-04|2026-03-04||||Habenzinsen Februar|",
	"2026030400000003|PAYMENT|8000.00 EUR|2026-03-04|2026-03-04|KZ-c2|Kommune C|DE59800537620040007890|SicherKOMMUNAL Stufe 1 KZ-c2|2026030400000003",
	"#4|RETURN|8000.00 EUR|2026-03-05|2026-03-05|KZ-c2|Kommune C|DE59800537620040007890|RUECKUEBERWEISUNG AC04 KZ-c2|",
	"000015|CREDIT|75.00 EUR|2026-03-05|2026-03-05|||||",
}

const mixedStatement = "DE42810000000810015001:2026-0100"

func summaries(f *File) []string {
	out := make([]string, len(f.Lines))
	for i, l := range f.Lines {
		out[i] = summary(l)
	}
	return out
}

func checkMixed(t *testing.T, name string, f *File, msgID string) {
	t.Helper()
	if f.MessageID != msgID || !reflect.DeepEqual(f.StatementIDs, []string{mixedStatement}) {
		t.Errorf("%s: header %q %q", name, f.MessageID, f.StatementIDs)
	}
	if got := summaries(f); !reflect.DeepEqual(got, mixedLines) {
		t.Errorf("%s: lines\n got %q\nwant %q", name, got, mixedLines)
	}
	for _, l := range f.Lines {
		if l.StatementID != mixedStatement || l.AccountIBAN != "DE42810000000810015001" {
			t.Errorf("%s: line %s: statement %q account %q", name, l.LineKey, l.StatementID, l.AccountIBAN)
		}
	}
}

// TestParseCAMT053Versions: the same statement written in camt.053
// .001.02, .03, .04, .08 and .10 (each valid against its XSD, see
// .ci/camt-xsd.sh) is read alike: Sts as a code or Sts/Cd, Dbtr/Nm or
// Dbtr/Pty/Nm, transaction amounts in AmtDtls or directly in TxDtls.
func TestParseCAMT053Versions(t *testing.T) {
	for _, v := range []string{"02", "03", "04", "08", "10"} {
		name := "camt053-001-" + v + "-mixed.xml"
		f, err := ParseCAMT053(readFile(t, name), berlin)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkMixed(t, name, f, "MID-KTOAUSZ-20260306-0"+v)
	}
}

// TestParseCAMT053VersionRange: every version from .001.02 to .001.13 is
// read (the versions without a fixture here have the elements read in the
// same places as their neighbours); .001.01, .001.14 and namespaces that
// only look alike are refused, naming the namespace.
func TestParseCAMT053VersionRange(t *testing.T) {
	v04 := string(readFile(t, "camt053-001-04-mixed.xml"))
	v10 := string(readFile(t, "camt053-001-10-mixed.xml"))
	for v := 5; v <= 13; v++ {
		doc, from := v04, "04"
		if v >= 8 {
			doc, from = v10, "10"
		}
		ns := fmt.Sprintf("camt.053.001.%02d", v)
		f, err := ParseCAMT053([]byte(strings.Replace(doc, "camt.053.001."+from, ns, 1)), berlin)
		if err != nil {
			t.Fatalf("%s: %v", ns, err)
		}
		checkMixed(t, ns, f, "MID-KTOAUSZ-20260306-0"+from)
	}
	for _, ns := range []string{"camt.053.001.01", "camt.053.001.14", "camt.053.001.99", "camt.053.001.00", "camt.053.001.1",
		"camt.053.001.013", "camt.053.001.0a", "camt.052.001.08", "camt.054.001.08"} {
		_, err := ParseCAMT053([]byte(strings.Replace(v10, "camt.053.001.10", ns, 1)), berlin)
		wantRefusal(t, ns, err, CodeInvalidStatement,
			`unknown namespace "urn:iso:std:iso:20022:tech:xsd:`+ns+`": camt.053.001.02 to camt.053.001.13 are read`)
	}
	for ns, want := range map[string]int{NamespaceCAMT053v02: 2, NamespaceCAMT053v08: 8, NamespaceCAMT053v13: 13} {
		if v, ok := CAMT053Version(ns); !ok || v != want {
			t.Errorf("CAMT053Version(%s) = %d %v", ns, v, ok)
		}
	}
}

// TestParseCAMT053Counterparty: a credit's counterparty is its Dbtr, a
// debit's its Cdtr; without that party there is none, even when the other
// party (the account itself) is named.
func TestParseCAMT053Counterparty(t *testing.T) {
	v02 := string(readFile(t, "camt053-001-02.xml"))
	// Ntry 1 is a debit naming both parties; without its Cdtr the debtor
	// (the account itself) must not become the counterparty.
	noCdtr := strings.Replace(strings.Replace(v02, "<Cdtr><Nm>Kommune A</Nm></Cdtr>", "", 1),
		"<CdtrAcct><Id><IBAN>DE82810532721000123456</IBAN></Id></CdtrAcct>", "", 1)
	f, err := ParseCAMT053([]byte(noCdtr), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Lines[0]; a.LineKey != "000001" || a.Kind() != "PAYMENT" || a.CounterpartyName != "" || a.CounterpartyIBAN != "" {
		t.Fatalf("debit without Cdtr: %+v", a)
	}
	// The return in the .08 sample is a credit: without its Dbtr it has no
	// counterparty, though the statement names the account's own IBAN.
	v08 := string(readFile(t, "camt053-001-08.xml"))
	noDbtr := strings.Replace(strings.Replace(v08, "<Dbtr><Pty><Nm>Kommune D</Nm></Pty></Dbtr>", "<Cdtr><Pty><Nm>Land Sachsen-Anhalt</Nm></Pty></Cdtr>", 1),
		"<DbtrAcct><Id><IBAN>DE54800555000500012345</IBAN></Id></DbtrAcct>", "<CdtrAcct><Id><IBAN>DE42810000000810015001</IBAN></Id></CdtrAcct>", 1)
	f, err = ParseCAMT053([]byte(noDbtr), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if ret := f.Lines[1]; ret.Kind() != "RETURN" || ret.CounterpartyName != "" || ret.CounterpartyIBAN != "" || ret.EndToEndID != "KZ-d1" {
		t.Fatalf("credit without Dbtr: %+v", ret)
	}
	// With both parties, each direction takes its own.
	f, err = ParseCAMT053(readFile(t, "camt053-001-02-mixed.xml"), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if cr, pay := f.Lines[0], f.Lines[2]; cr.CounterpartyIBAN != "DE82810532721000123456" || pay.CounterpartyIBAN != "DE59800537620040007890" {
		t.Fatalf("credit %+v, payment %+v", cr, pay)
	}
	// IBANs are read without their spaces.
	spaced := strings.Replace(v02, "<IBAN>DE82810532721000123456</IBAN>", "<IBAN>DE82 8105 3272 1000 1234 56</IBAN>", 1)
	if f, err := ParseCAMT053([]byte(spaced), berlin); err != nil || f.Lines[0].CounterpartyIBAN != "DE82810532721000123456" {
		t.Fatalf("spaced IBAN: %v", err)
	}
}

// TestParseCAMT053Reader: the parser reads a stream. However the reader
// cuts its bytes, the result is the same; it stops at the first bad entry
// without reading on; an error of the reader is returned as it is (no
// statement error); more than 64 MiB are not read.
func TestParseCAMT053Reader(t *testing.T) {
	for _, name := range []string{"camt053-001-02.xml", "camt053-001-08.xml", "camt053-001-02-mixed.xml", "camt053-001-10-mixed.xml"} {
		data := readFile(t, name)
		want, err := ParseCAMT053(data, berlin)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data)), iotest.DataErrReader(bytes.NewReader(data))} {
			got, err := ParseCAMT053Reader(r, berlin)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s through %T: %v\n got %+v\nwant %+v", name, r, err, got, want)
			}
		}
	}

	// A bad first entry, then a megabyte of whitespace, then a reader that
	// fails: the parser reports the entry and never reaches the failure.
	doc := string(readFile(t, "camt053-001-02-mixed.xml"))
	bad := strings.Replace(doc, `<Amt Ccy="EUR">16100.00</Amt>`, `<Amt Ccy="EUR">16.100,00</Amt>`, 1)
	cut := strings.Index(bad, "</Ntry>") + len("</Ntry>")
	poison := errors.New("read past the bad entry")
	_, err := ParseCAMT053Reader(io.MultiReader(strings.NewReader(bad[:cut]), strings.NewReader(strings.Repeat(" ", 1<<20)), iotest.ErrReader(poison)), berlin)
	wantRefusal(t, "bad entry", err, CodeInvalidStatement, "Stmt 1 (Id 2026-0100), Ntry 1 (NtryRef 000010): Amt")

	// The reader fails half-way: its error, without a code.
	_, err = ParseCAMT053Reader(io.MultiReader(strings.NewReader(doc[:len(doc)/2]), iotest.ErrReader(poison)), berlin)
	if !errors.Is(err, poison) || apperr.CodeOf(err) != "" {
		t.Fatalf("reader error: %v", err)
	}

	// More than 64 MiB: refused once the limit is passed. (Comments as
	// padding: each is a token of its own.)
	head := doc[:strings.Index(doc, "<Ntry>")]
	_, err = ParseCAMT053Reader(io.MultiReader(strings.NewReader(head), &padding{}), berlin)
	wantRefusal(t, "too large", err, CodeInvalidStatement, "larger than 67108864 bytes")
	// Exactly at the limit it is read.
	pad := maxCAMTBytes - len(doc)
	comments := pad - pad%len(paddingText)
	padded := func(blanks int) io.Reader {
		return io.MultiReader(strings.NewReader(head), io.LimitReader(&padding{}, int64(comments)),
			strings.NewReader(strings.Repeat(" ", blanks)), strings.NewReader(doc[len(head):]))
	}
	if f, err := ParseCAMT053Reader(padded(pad-comments), berlin); err != nil || len(f.Lines) != len(mixedLines) {
		t.Fatalf("at the limit: %v", err)
	}
	_, err = ParseCAMT053Reader(padded(pad-comments+1), berlin)
	wantRefusal(t, "one byte above the limit", err, CodeInvalidStatement, "larger than")
}

// padding is an endless reader of XML comments and blanks.
type padding struct{ at int }

const paddingText = "<!-- padding -->  "

func (p *padding) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = paddingText[p.at%len(paddingText)]
		p.at++
	}
	return len(b), nil
}

// TestParseCAMT053Structure: what the streaming walk refuses, each naming
// where.
func TestParseCAMT053Structure(t *testing.T) {
	v02 := string(readFile(t, "camt053-001-02-mixed.xml"))
	v10 := string(readFile(t, "camt053-001-10-mixed.xml"))
	wantRefused(t, "camt", ParseCAMT053, CodeInvalidStatement, []refusal{
		{"blank", " \n\t ", "the statement is empty"},
		{"only a comment", "<!-- nothing -->", "not a camt.053 document: it has no Document element"},
		{"text first", "camt " + v02, "not a camt.053 document: text before the Document element"},
		{"other root", strings.Replace(strings.Replace(v02, "<Document ", "<Doc ", 1), "</Document>", "</Doc>", 1), "the root element is Doc, not Document"},
		{"second root", v02 + "<Document/>", "element Document after the Document element"},
		{"text after", v02 + "x", "text after the Document element"},
		{"truncated", v02[:len(v02)/2], "not well-formed XML"},
		{"two messages", strings.Replace(v02, "</BkToCstmrStmt>", "</BkToCstmrStmt><BkToCstmrStmt/>", 1), "Document needs exactly one BkToCstmrStmt"},
		{"no message", strings.Replace(strings.Replace(v02, "<BkToCstmrStmt>", "<Other>", 1), "</BkToCstmrStmt>", "</Other>", 1), "Document needs exactly one BkToCstmrStmt"},
		{"no statement", strings.Replace(strings.Replace(v02, "<Stmt>", "<Other>", 1), "</Stmt>", "</Other>", 1), "BkToCstmrStmt has no Stmt"},
		{"two headers", strings.Replace(v02, "</GrpHdr>", "</GrpHdr><GrpHdr/>", 1), "BkToCstmrStmt has two GrpHdr"},
		{"id after entries", strings.Replace(strings.Replace(v02, "<Id>2026-0100</Id>", "", 1), "</Stmt>", "<Id>2026-0100</Id></Stmt>", 1),
			"Stmt 1: Id is missing (before Ntry 1)"},
		{"two ids", strings.Replace(v02, "<Id>2026-0100</Id>", "<Id>2026-0100</Id><Id>2026-0101</Id>", 1), "Stmt 1 (Id 2026-0100): Id appears twice"},
		{"bad account", strings.Replace(v02, "<IBAN>DE42810000000810015001</IBAN>", "<IBAN>DE42-8100</IBAN>", 1), "Stmt 1 (Id 2026-0100): Acct/Id/IBAN"},
		{"proprietary status", strings.Replace(v10, "<Sts><Cd>BOOK</Cd></Sts>", "<Sts><Prtry>GEBUCHT</Prtry></Sts>", 1),
			`Stmt 1 (Id 2026-0100), Ntry 1: Sts has the proprietary code "GEBUCHT"`},
		{"deep foreign element", strings.Replace(v02, "<Dbtr><Nm>Kommune A</Nm></Dbtr>", `<Dbtr><x:Nm xmlns:x="urn:example:other">Kommune A</x:Nm></Dbtr>`, 1),
			`line 45: element Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RltdPties/Dbtr/Nm is in namespace "urn:example:other"`},
		{"unbound prefix", strings.Replace(v02, "<Dbtr><Nm>Kommune A</Nm></Dbtr>", `<Dbtr><y:Nm>Kommune A</y:Nm></Dbtr>`, 1),
			`element Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RltdPties/Dbtr/Nm is in namespace "y"`},
		{"foreign element in the header", strings.Replace(v02, "<MsgId>", `<MsgId xmlns="urn:example:other">`, 1),
			`element Document/BkToCstmrStmt/GrpHdr/MsgId is in namespace "urn:example:other"`},
		{"latin-1", strings.Replace(v02, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), `the encoding "ISO-8859-1" is not read: camt.053 statements are UTF-8`},
	})
	// Comments, processing instructions and whitespace around the Document
	// are fine, and so are elements the parser does not read.
	extra := "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- bank export -->\n" +
		strings.Replace(strings.TrimPrefix(v02, `<?xml version="1.0" encoding="UTF-8"?>`), "</Stmt>", "<AddtlStmtInf>Ende</AddtlStmtInf></Stmt>", 1) +
		"\n<!-- end --><?bank done?>\n"
	f, err := ParseCAMT053([]byte(extra), berlin)
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, "with extras", f, "MID-KTOAUSZ-20260306-002")
}
