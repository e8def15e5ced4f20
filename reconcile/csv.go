package reconcile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CSV layout (README "Reconciliation"): UTF-8 (a byte-order mark is
// ignored), a header row naming the columns in any order, comma or
// semicolon as separator (taken from the header row), RFC 4180 quoting,
// dates YYYY-MM-DD, amounts positive with a decimal point.
var (
	csvRequired = []string{"statement_id", "line_ref", "booking_date", "value_date", "credit_debit", "amount", "currency"}
	csvOptional = []string{"account_iban", "reversal", "end_to_end_id", "counterparty_name", "counterparty_iban", "remittance", "bank_reference"}
)

// ParseCSV reads a statement in the documented CSV layout. Each data row is
// one booking; (statement_id, line_ref) identifies it.
// Errors: INVALID_STATEMENT naming the line and column.
func ParseCSV(data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("the CSV file is empty")
	}
	if len(data) > maxStatementBytes {
		return nil, invalid("the CSV file is larger than %d bytes", maxStatementBytes)
	}
	if !utf8.Valid(data) {
		return nil, invalid("the CSV file is not UTF-8")
	}
	header := data
	if i := bytes.IndexByte(header, '\n'); i >= 0 {
		header = header[:i]
	}
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = 0
	head, err := r.Read()
	if err != nil {
		return nil, csvErr(err, 1)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup {
			return nil, invalid("line 1: column %q appears twice", clip(h))
		}
		known := false
		for _, k := range append(csvRequired, csvOptional...) {
			known = known || k == h
		}
		if !known {
			return nil, invalid("line 1: unknown column %q (columns: %s, optional %s)", clip(h),
				strings.Join(csvRequired, ", "), strings.Join(csvOptional, ", "))
		}
		col[h] = i
	}
	for _, k := range csvRequired {
		if _, ok := col[k]; !ok {
			return nil, invalid("line 1: column %s is missing", k)
		}
	}
	f := &File{}
	seenStmt := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err, 0)
		}
		line, _ := r.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(name string, err error) error {
			return invalidAmount(err, "line %d, column %s: %v", line, name, err)
		}
		var l Line
		acct, err := normIBAN(get("account_iban"))
		if err != nil {
			return nil, bad("account_iban", err)
		}
		stmt, err := ident(get("statement_id"))
		if err != nil {
			return nil, bad("statement_id", err)
		}
		if stmt == "" {
			return nil, bad("statement_id", errors.New("is empty"))
		}
		l.AccountIBAN = acct
		l.StatementID = stmt
		if acct != "" {
			l.StatementID = acct + ":" + stmt
		}
		if len(l.StatementID) > maxIdentifier {
			return nil, bad("statement_id", errors.New("is too long"))
		}
		if l.LineKey, err = ident(get("line_ref")); err != nil {
			return nil, bad("line_ref", err)
		}
		if l.LineKey == "" {
			return nil, bad("line_ref", errors.New("is empty"))
		}
		if l.BookingDate, err = parseDay(get("booking_date")); err != nil {
			return nil, bad("booking_date", err)
		}
		if l.ValueDate, err = parseDay(get("value_date")); err != nil {
			return nil, bad("value_date", err)
		}
		if l.Debit, err = camtDirection(strings.ToUpper(get("credit_debit"))); err != nil {
			return nil, bad("credit_debit", err)
		}
		switch strings.ToLower(get("reversal")) {
		case "", "false", "0", "no":
		case "true", "1", "yes":
			l.Reversal = true
		default:
			return nil, bad("reversal", fmt.Errorf("%q is not true or false", clip(get("reversal"))))
		}
		if l.Amount, err = parseAmount(get("amount")); err != nil {
			return nil, bad("amount", err)
		}
		if l.Currency = strings.ToUpper(get("currency")); !isCurrency(l.Currency) {
			return nil, bad("currency", fmt.Errorf("%q is not a currency code like EUR", clip(get("currency"))))
		}
		if l.EndToEndID, err = ident(get("end_to_end_id")); err != nil {
			return nil, bad("end_to_end_id", err)
		}
		if l.EndToEndID == "NOTPROVIDED" {
			l.EndToEndID = ""
		}
		if l.BankReference, err = ident(get("bank_reference")); err != nil {
			return nil, bad("bank_reference", err)
		}
		if l.CounterpartyIBAN, err = normIBAN(get("counterparty_iban")); err != nil {
			return nil, bad("counterparty_iban", err)
		}
		l.CounterpartyName = text(get("counterparty_name"), maxName)
		l.Remittance = text(get("remittance"), maxRemittance)
		if !seenStmt[l.StatementID] {
			seenStmt[l.StatementID] = true
			f.StatementIDs = append(f.StatementIDs, l.StatementID)
		}
		f.Lines = append(f.Lines, l)
	}
	if err := checkUnique(f.Lines); err != nil {
		return nil, err
	}
	return f, nil
}

func csvErr(err error, line int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalid("line %d: %v", pe.StartLine, pe.Err)
	}
	return invalid("line %d: %v", line, err)
}

// ParseCSVReader reads a statement in the documented CSV layout from r (at
// most 16 MiB); it is ParseCSV on what it read.
// Errors: as ParseCSV; an error of r is returned wrapped, without a code.
func ParseCSVReader(r io.Reader) (*File, error) {
	data, err := io.ReadAll(&statementSource{r: r, max: maxStatementBytes})
	if errors.Is(err, errTooLarge) {
		return nil, invalid("the CSV file is larger than %d bytes", maxStatementBytes)
	}
	if err != nil {
		return nil, err
	}
	return ParseCSV(data)
}
