package reconcile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
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
// one booking; (statement_id, line_ref) identifies it. A date-time is the
// day it is in loc, the programme's time zone (parseDay).
// Errors: INVALID_STATEMENT naming the line and column; without loc an
// error without a code.
func ParseCSV(data []byte, loc *time.Location) (*File, error) {
	if err := checkZone(loc); err != nil {
		return nil, err
	}
	data, err := csvContent(data)
	if err != nil {
		return nil, err
	}
	r := csvReader(data)
	head, err := r.Read()
	if err != nil {
		return nil, csvErr(err, 1)
	}
	cols, err := csvHeader(head)
	if err != nil {
		return nil, err
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
		l, err := cols.line(rec, line, loc)
		if err != nil {
			return nil, err
		}
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

// csvContent checks the file as a whole before any row is read, and drops
// a byte-order mark (spreadsheets write one): an empty file, one above the
// limit or one that is not UTF-8 is refused without a line number.
func csvContent(data []byte) ([]byte, error) {
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
	return data, nil
}

// csvReader reads the rows with the separator of the header row: a
// semicolon when it has more semicolons than commas (what German
// spreadsheets write), else a comma. Every row must have as many fields
// as the header row (FieldsPerRecord 0), else the reader's error names
// the line.
func csvReader(data []byte) *csv.Reader {
	header := data
	if i := bytes.IndexByte(header, '\n'); i >= 0 {
		header = header[:i]
	}
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = 0
	return r
}

// csvColumns maps a column name of the layout to its index in a row.
type csvColumns map[string]int

// csvHeader maps the header row's columns, in any order and any case:
// every name must be one of the layout's, at most once, and every
// required column must be there, so that a misspelt column is refused
// rather than read as empty.
func csvHeader(head []string) (csvColumns, error) {
	col := csvColumns{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup {
			return nil, invalid("line 1: column %q appears twice", clip(h))
		}
		if !slices.Contains(csvRequired, h) && !slices.Contains(csvOptional, h) {
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
	return col, nil
}

// csvRecord is one data row with its columns, its line in the file (for
// the messages) and the programme's time zone (for its date-times).
type csvRecord struct {
	cols csvColumns
	rec  []string
	line int
	loc  *time.Location
}

// get is the trimmed value of a column; an optional column the file does
// not have is empty.
func (r csvRecord) get(name string) string {
	if i, ok := r.cols[name]; ok {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// bad is the refusal of the row naming its line and column:
// INVALID_AMOUNT for an amount above the ceiling, else INVALID_STATEMENT.
func (r csvRecord) bad(name string, err error) error {
	return invalidAmount(err, "line %d, column %s: %v", r.line, name, err)
}

// line turns the data row rec at line n of the file into a Line, its
// date-times read in loc, or refuses it naming the first column that is
// wrong (in the order below).
func (cols csvColumns) line(rec []string, n int, loc *time.Location) (Line, error) {
	r := csvRecord{cols: cols, rec: rec, line: n, loc: loc}
	var l Line
	for _, step := range []func(*Line) error{r.keys, r.booking, r.references} {
		if err := step(&l); err != nil {
			return Line{}, err
		}
	}
	return l, nil
}

// keys reads what identifies the line: its statement (prefixed with the
// account IBAN, as a camt.053 statement is) and its line_ref.
func (r csvRecord) keys(l *Line) error {
	acct, err := normIBAN(r.get("account_iban"))
	if err != nil {
		return r.bad("account_iban", err)
	}
	stmt, err := ident(r.get("statement_id"))
	if err != nil {
		return r.bad("statement_id", err)
	}
	if stmt == "" {
		return r.bad("statement_id", errors.New("is empty"))
	}
	l.AccountIBAN = acct
	if l.StatementID = statementKey(acct, stmt); len(l.StatementID) > maxIdentifier {
		return r.bad("statement_id", errors.New("is too long"))
	}
	if l.LineKey, err = ident(r.get("line_ref")); err != nil {
		return r.bad("line_ref", err)
	}
	if l.LineKey == "" {
		return r.bad("line_ref", errors.New("is empty"))
	}
	return nil
}

// booking reads what the bank booked: the two dates, the direction and
// the reversal flag (which together give the kind), amount and currency.
func (r csvRecord) booking(l *Line) error {
	var err error
	if l.BookingDate, err = parseDay(r.get("booking_date"), r.loc); err != nil {
		return r.bad("booking_date", err)
	}
	if l.ValueDate, err = parseDay(r.get("value_date"), r.loc); err != nil {
		return r.bad("value_date", err)
	}
	if l.Debit, err = camtDirection(strings.ToUpper(r.get("credit_debit"))); err != nil {
		return r.bad("credit_debit", err)
	}
	switch strings.ToLower(r.get("reversal")) {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		l.Reversal = true
	default:
		return r.bad("reversal", fmt.Errorf("%q is not true or false", clip(r.get("reversal"))))
	}
	if l.Amount, err = parseAmount(r.get("amount")); err != nil {
		return r.bad("amount", err)
	}
	if l.Currency = strings.ToUpper(r.get("currency")); !isCurrency(l.Currency) {
		return r.bad("currency", fmt.Errorf("%q is not a currency code like EUR", clip(r.get("currency"))))
	}
	return nil
}

// references reads what the matcher and a reader go by: the end-to-end
// id, the bank's reference, the counterparty and the remittance text.
// Identifiers are refused when broken; free texts are only normalized.
func (r csvRecord) references(l *Line) error {
	var err error
	if l.EndToEndID, err = endToEndID(r.get("end_to_end_id")); err != nil {
		return r.bad("end_to_end_id", err)
	}
	if l.BankReference, err = ident(r.get("bank_reference")); err != nil {
		return r.bad("bank_reference", err)
	}
	if l.CounterpartyIBAN, err = normIBAN(r.get("counterparty_iban")); err != nil {
		return r.bad("counterparty_iban", err)
	}
	l.CounterpartyName = text(r.get("counterparty_name"), maxName)
	l.Remittance = text(r.get("remittance"), maxRemittance)
	return nil
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
func ParseCSVReader(r io.Reader, loc *time.Location) (*File, error) {
	if err := checkZone(loc); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(&statementSource{r: r, max: maxStatementBytes})
	if errors.Is(err, errTooLarge) {
		return nil, invalid("the CSV file is larger than %d bytes", maxStatementBytes)
	}
	if err != nil {
		return nil, err
	}
	return ParseCSV(data, loc)
}
