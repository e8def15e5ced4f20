// Package reconcile proves that what the ledger says was paid is what the
// bank actually paid: it parses bank statements (ISO 20022 camt.053 and a
// documented CSV layout) into bank transactions, matches them against
// ledger entries, and reports the differences per participation and stage.
//
// A bank transaction never creates, changes or reverses a ledger entry:
// matching only links a line to the entry it confirms.
package reconcile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/schema/types"
)

// Error codes of reconciliation.
const (
	// CodeInvalidStatement: the file cannot be read; the message names the
	// element or line. Nothing of the file is stored.
	CodeInvalidStatement = "INVALID_STATEMENT"
	// CodeInvalidAmount: a line's amount is above the ceiling of every
	// amount (types.MaxMoney); the message names the element or line.
	// Nothing of the file is stored.
	CodeInvalidAmount = "INVALID_AMOUNT"
)

// Line is one booking of a statement as parsed, before it is stored.
type Line struct {
	StatementID      string // account IBAN and statement identification
	LineKey          string // unique within the statement
	AccountIBAN      string
	BookingDate      time.Time
	ValueDate        time.Time
	Debit            bool // CdtDbtInd DBIT
	Reversal         bool // RvslInd true
	Amount           decimal.Decimal
	Currency         string
	EndToEndID       string
	Remittance       string
	CounterpartyName string
	CounterpartyIBAN string
	BankReference    string
}

// Kind classifies the line: a payment (debit), a returned payment (credit
// with the reversal indicator), money received (credit), or the reversal
// of a credit (debit with the reversal indicator).
func (l *Line) Kind() banktransaction.Kind {
	switch {
	case l.Debit && !l.Reversal:
		return banktransaction.KindPAYMENT
	case !l.Debit && l.Reversal:
		return banktransaction.KindRETURN
	case !l.Debit:
		return banktransaction.KindCREDIT
	}
	return banktransaction.KindCREDIT_REVERSAL
}

// File is a parsed statement file.
type File struct {
	MessageID    string
	StatementIDs []string
	Lines        []Line
}

// Limits of stored texts (longer bank texts are cut, identifiers refused).
const (
	maxRemittance = 1000
	maxName       = 200
	maxIdentifier = 200
)

var amountPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,5})?$`)

// maxAmountDigits is the number of integer digits of the ceiling.
var maxAmountDigits = len(types.MaxMoney.Truncate(0).String())

// parseAmount reads an amount from its text: digits with at most five
// fraction digits (ISO 20022), of which only two may be non-zero (cents),
// positive and at most the ceiling of every amount (types.MaxMoney; above
// it the error wraps types.ErrAboveMoneyLimit). Never through a float.
func parseAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if !amountPattern.MatchString(s) {
		return decimal.Zero, fmt.Errorf("%q is not an amount like 1234.56", clip(s))
	}
	digits, fraction, _ := strings.Cut(s, ".")
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > maxAmountDigits {
		return decimal.Zero, fmt.Errorf("%q is %w", clip(s), types.ErrAboveMoneyLimit)
	}
	// At most 10 integer and 5 fraction digits are left to parse.
	d, err := decimal.NewFromString("0" + digits + "." + fraction + "0")
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not an amount", clip(s))
	}
	if !d.Equal(d.Truncate(2)) {
		return decimal.Zero, fmt.Errorf("%q has fractions of a cent", s)
	}
	if !d.IsPositive() {
		return decimal.Zero, fmt.Errorf("%q is not positive", s)
	}
	if types.CheckMoneyLimit(d) != nil {
		return decimal.Zero, fmt.Errorf("%q is %w", s, types.ErrAboveMoneyLimit)
	}
	return d.Round(2), nil
}

// parseDay reads YYYY-MM-DD, or an ISO date-time whose calendar day in
// loc, the programme's time zone, is taken: a date-time with an offset
// (2026-03-03T23:30:00Z) is the day it is in loc then (2026-03-04 in
// Europe/Berlin), one without an offset is a wall time in loc, so its day
// is the one written.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return types.NormalizeDate(t), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return types.DateOf(t, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or date-time", clip(s))
}

// errNoZone is what the parsers and the Service return without the
// programme's time zone: the wiring forgot it (Service.Zone), and no zone
// is guessed in its place.
var errNoZone = errors.New("reconcile: no time zone for the statement's dates (Service.Zone, from programme.InstallationZone)")

// checkZone refuses a nil zone before anything is read.
func checkZone(loc *time.Location) error {
	if loc == nil {
		return errNoZone
	}
	return nil
}

// normIBAN removes spaces and upper-cases an IBAN; it refuses what cannot
// be an account number at all (the check digits of foreign accounts are
// not ours to judge).
func normIBAN(s string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if s == "" {
		return "", nil
	}
	if len(s) < 5 || len(s) > 34 {
		return "", fmt.Errorf("%q is not an IBAN", clip(s))
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Errorf("%q is not an IBAN", clip(s))
		}
	}
	return s, nil
}

// ident checks an identifier (statement id, reference, end-to-end id).
func ident(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("is not valid UTF-8")
	}
	if len(s) > maxIdentifier {
		return "", fmt.Errorf("%q is longer than %d characters", clip(s), maxIdentifier)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("%q contains control characters", clip(s))
	}
	return s, nil
}

// statementKey is the identification under which a statement's lines are
// stored: its id prefixed with the account IBAN when there is one, since
// banks number statements per account.
func statementKey(accountIBAN, id string) string {
	if accountIBAN == "" {
		return id
	}
	return accountIBAN + ":" + id
}

// endToEndID checks an end-to-end id; NOTPROVIDED, which SEPA writes when
// the payer gave none, is none.
func endToEndID(s string) (string, error) {
	id, err := ident(s)
	if err != nil || id == "NOTPROVIDED" {
		return "", err
	}
	return id, nil
}

// text normalizes free text (names, remittance): valid UTF-8, single
// spaces, cut to max runes.
func text(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > 80 {
		return strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

func invalid(format string, args ...any) error {
	return apperr.New(CodeInvalidStatement, format, args...)
}

// invalidAmount is invalid, but INVALID_AMOUNT when cause is an amount above
// the ceiling.
func invalidAmount(cause error, format string, args ...any) error {
	if errors.Is(cause, types.ErrAboveMoneyLimit) {
		return apperr.New(CodeInvalidAmount, format, args...)
	}
	return invalid(format, args...)
}

// checkUnique refuses two lines with the same key in one file: they would
// silently collapse into one on import.
func checkUnique(lines []Line) error {
	seen := make(map[[2]string]bool, len(lines))
	for _, l := range lines {
		k := [2]string{l.StatementID, l.LineKey}
		if seen[k] {
			return invalid("statement %s has two bookings with the reference %s", l.StatementID, l.LineKey)
		}
		seen[k] = true
	}
	return nil
}
