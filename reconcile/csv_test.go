package reconcile

import (
	"strings"
	"testing"
)

// csvFields is a data row of the CSV layout with the named columns (all
// when names is nil), good values in each, and what overrides changes.
func csvFields(names []string, overrides map[string]string) (csvColumns, []string) {
	row := map[string]string{
		"statement_id": "S1", "line_ref": "7", "booking_date": "2026-03-02", "value_date": "2026-03-03",
		"credit_debit": "DBIT", "amount": "16100.00", "currency": "EUR",
	}
	for k, v := range overrides {
		row[k] = v
	}
	if names == nil {
		names = append(append([]string{}, csvRequired...), csvOptional...)
	}
	cols, rec := csvColumns{}, []string{}
	for _, name := range names {
		cols[name] = len(rec)
		rec = append(rec, row[name])
	}
	return cols, rec
}

// TestCSVLine: one data row becomes one Line: values trimmed and
// normalized (case of direction and currency, IBANs without spaces, free
// text on single spaces, NOTPROVIDED as no end-to-end id), the statement
// prefixed with the account IBAN.
func TestCSVLine(t *testing.T) {
	for _, c := range []struct {
		name            string
		row             map[string]string
		want            string // summary(l)
		stmt, acct      string
		onlyRequiredCol bool
	}{
		{name: "required columns only", onlyRequiredCol: true,
			want: "7|PAYMENT|16100.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "every column",
			row: map[string]string{"account_iban": "de42 8100 0000 0810 0150 01", "end_to_end_id": " KZ-a1 ",
				"counterparty_name": "  Kommune \t A ", "counterparty_iban": "DE82 8105 3272 1000 1234 56",
				"remittance": "SicherKOMMUNAL\nKZ-a1", "bank_reference": "2026030200000001"},
			want: "7|PAYMENT|16100.00 EUR|2026-03-02|2026-03-03|KZ-a1|Kommune A|DE82810532721000123456|SicherKOMMUNAL KZ-a1|2026030200000001",
			stmt: "DE42810000000810015001:S1", acct: "DE42810000000810015001"},
		{name: "credit, lower case", row: map[string]string{"credit_debit": "crdt", "currency": "eur", "amount": "250"},
			want: "7|CREDIT|250.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "return", row: map[string]string{"credit_debit": "CRDT", "reversal": "Yes"},
			want: "7|RETURN|16100.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "reversal of a credit", row: map[string]string{"reversal": "1"},
			want: "7|CREDIT_REVERSAL|16100.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "reversal false", row: map[string]string{"reversal": "no"},
			want: "7|PAYMENT|16100.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "NOTPROVIDED", row: map[string]string{"end_to_end_id": "NOTPROVIDED"},
			want: "7|PAYMENT|16100.00 EUR|2026-03-02|2026-03-03|||||", stmt: "S1"},
		{name: "date-time in Berlin", row: map[string]string{"value_date": "2026-03-03T23:30:00Z"},
			want: "7|PAYMENT|16100.00 EUR|2026-03-02|2026-03-04|||||", stmt: "S1"},
		{name: "other currency", row: map[string]string{"currency": "chf"},
			want: "7|PAYMENT|16100.00 CHF|2026-03-02|2026-03-03|||||", stmt: "S1"},
	} {
		var names []string
		if c.onlyRequiredCol {
			names = csvRequired
		}
		cols, rec := csvFields(names, c.row)
		l, err := cols.line(rec, 2, berlin)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := summary(l); got != c.want || l.StatementID != c.stmt || l.AccountIBAN != c.acct {
			t.Errorf("%s:\n got %s (statement %q, account %q)\nwant %s (statement %q, account %q)",
				c.name, got, l.StatementID, l.AccountIBAN, c.want, c.stmt, c.acct)
		}
	}
}

// TestCSVLineRefusals: each wrong value refuses the row with its line,
// its column and what is wrong; an amount above the ceiling with
// INVALID_AMOUNT, everything else with INVALID_STATEMENT.
func TestCSVLineRefusals(t *testing.T) {
	long := strings.Repeat("x", 201)
	for _, c := range []struct {
		name, column, value string
		code, want          string
	}{
		{"account IBAN", "account_iban", "DE-42", CodeInvalidStatement, `line 5, column account_iban: "DE-42" is not an IBAN`},
		{"statement control character", "statement_id", "S\x01", CodeInvalidStatement, `line 5, column statement_id: "S\x01" contains control characters`},
		{"statement empty", "statement_id", " ", CodeInvalidStatement, "line 5, column statement_id: is empty"},
		{"statement longer than an identifier", "statement_id", long, CodeInvalidStatement,
			`line 5, column statement_id: "` + long[:80] + `…" is longer than 200 characters`},
		{"line ref empty", "line_ref", "", CodeInvalidStatement, "line 5, column line_ref: is empty"},
		{"line ref control character", "line_ref", "a\tb", CodeInvalidStatement, `line 5, column line_ref: "a\tb" contains control characters`},
		{"booking date", "booking_date", "02.03.2026", CodeInvalidStatement,
			`line 5, column booking_date: "02.03.2026" is not a date (YYYY-MM-DD) or date-time`},
		{"value date", "value_date", "", CodeInvalidStatement, `line 5, column value_date: "" is not a date (YYYY-MM-DD) or date-time`},
		{"direction", "credit_debit", "DEBIT", CodeInvalidStatement, `line 5, column credit_debit: "DEBIT" is neither DBIT nor CRDT`},
		{"reversal", "reversal", "maybe", CodeInvalidStatement, `line 5, column reversal: "maybe" is not true or false`},
		{"amount with a comma", "amount", "16.100,00", CodeInvalidStatement, `line 5, column amount: "16.100,00" is not an amount like 1234.56`},
		{"negative amount", "amount", "-1.00", CodeInvalidStatement, `line 5, column amount: "-1.00" is not an amount like 1234.56`},
		{"zero amount", "amount", "0.00", CodeInvalidStatement, `line 5, column amount: "0.00" is not positive`},
		{"fraction of a cent", "amount", "1.001", CodeInvalidStatement, `line 5, column amount: "1.001" has fractions of a cent`},
		{"amount above the ceiling", "amount", "1000000000.01", CodeInvalidAmount,
			`line 5, column amount: "1000000000.01" is above the limit of 1000000000.00 EUR`},
		{"currency", "currency", "EURO", CodeInvalidStatement, `line 5, column currency: "EURO" is not a currency code like EUR`},
		{"end-to-end id", "end_to_end_id", long, CodeInvalidStatement, `line 5, column end_to_end_id: "` + long[:80] + `…" is longer than 200 characters`},
		{"bank reference", "bank_reference", "R\x7f", CodeInvalidStatement, `line 5, column bank_reference: "R\x7f" contains control characters`},
		{"counterparty IBAN", "counterparty_iban", "DE1", CodeInvalidStatement, `line 5, column counterparty_iban: "DE1" is not an IBAN`},
	} {
		cols, rec := csvFields(nil, map[string]string{c.column: c.value})
		_, err := cols.line(rec, 5, berlin)
		wantRefusal(t, c.name, err, c.code, c.want)
	}
	// Account IBAN and statement id are checked together: each fits, the
	// statement key does not.
	cols, rec := csvFields(nil, map[string]string{"account_iban": "DE42810000000810015001", "statement_id": strings.Repeat("s", 190)})
	_, err := cols.line(rec, 5, berlin)
	wantRefusal(t, "statement key too long", err, CodeInvalidStatement, "line 5, column statement_id: is too long")
	// The first wrong column is named.
	cols, rec = csvFields(nil, map[string]string{"amount": "x", "booking_date": "x", "currency": "x"})
	_, err = cols.line(rec, 5, berlin)
	wantRefusal(t, "several wrong columns", err, CodeInvalidStatement, "line 5, column booking_date:")
}

// TestCSVHeader: the header's columns in any order and case, each once,
// the required ones all there.
func TestCSVHeader(t *testing.T) {
	cols, err := csvHeader([]string{" Amount", "CURRENCY", "credit_debit", "statement_id", "line_ref", "booking_date", "value_date", "remittance"})
	if err != nil || cols["amount"] != 0 || cols["remittance"] != 7 || len(cols) != 8 {
		t.Fatalf("%v %v", cols, err)
	}
	required := strings.Join(csvRequired, ",")
	for _, c := range []struct{ name, head, want string }{
		{"twice", required + ",Amount", `line 1: column "amount" appears twice`},
		{"unknown", required + ",waehrung", `line 1: unknown column "waehrung" (columns: statement_id, line_ref, booking_date, value_date, credit_debit, amount, currency, optional account_iban, reversal, end_to_end_id, counterparty_name, counterparty_iban, remittance, bank_reference)`},
		{"empty name", required + ",", `line 1: unknown column ""`},
		{"missing", strings.Replace(required, ",currency", "", 1), "line 1: column currency is missing"},
	} {
		_, err := csvHeader(strings.Split(c.head, ","))
		wantRefusal(t, c.name, err, CodeInvalidStatement, c.want)
	}
}

// TestCSVDialect: the separator is the header row's, whatever the data
// rows contain.
func TestCSVDialect(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       rune
	}{
		{"comma", "a,b,c\n1;2;3;4\n", ','},
		{"semicolon", "a;b;c\n1,2,3,4\n", ';'},
		{"as many of each", "a;b,c\n", ','},
		{"header without newline", "a;b", ';'},
	} {
		if got := csvReader([]byte(c.data)).Comma; got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ name, data, want string }{
		{"blank", " \r\n\t", "the CSV file is empty"},
		{"only a byte-order mark", "\xef\xbb\xbf", "the CSV file is empty"},
		{"latin-1", "statement_id\nM\xfcnchen\n", "the CSV file is not UTF-8"},
	} {
		_, err := csvContent([]byte(c.data))
		wantRefusal(t, c.name, err, CodeInvalidStatement, c.want)
	}
	if got, err := csvContent([]byte("\xef\xbb\xbfa,b\n")); err != nil || string(got) != "a,b\n" {
		t.Fatalf("byte-order mark: %q %v", got, err)
	}
}
