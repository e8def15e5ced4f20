// Package scalar implements the GraphQL scalars Decimal, Date and Time.
package scalar

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// CodeInvalidAmount marks a Decimal that cannot be an amount of money.
const CodeInvalidAmount = "INVALID_AMOUNT"

// decimalPattern: optional minus, no leading zeros, no fraction digits or
// one or two of them (written back with two), digits only: no exponent, no
// plus sign, no spaces. How large the value may be is the ceiling's
// business (types.MaxMoney), checked on the digits before any parsing.
var decimalPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`)

// maxIntegerDigits is the number of integer digits of the ceiling.
var maxIntegerDigits = len(types.MaxMoney.Truncate(0).String())

// ParseDecimal parses the text form of a Decimal, exactly, never rounding:
// "10", "10.0" and "10.00" are the same amount, "10.000" is refused. An
// amount above the ceiling (1,000,000,000.00 EUR, either sign) is refused
// with INVALID_AMOUNT naming the limit.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if !decimalPattern.MatchString(s) {
		return decimal.Zero, &apperr.Error{Code: CodeInvalidAmount, Message: fmt.Sprintf(
			"%q is not an amount: write a JSON string with digits and at most two fraction digits, such as \"16100.00\"", truncate(s))}
	}
	intDigits := strings.TrimPrefix(s, "-")
	if i := strings.IndexByte(intDigits, '.'); i >= 0 {
		intDigits = intDigits[:i]
	}
	var d decimal.Decimal
	if len(intDigits) <= maxIntegerDigits {
		d = decimal.RequireFromString(s)
	}
	if len(intDigits) > maxIntegerDigits || types.CheckMoneyLimit(d) != nil {
		limit := types.MaxMoney.StringFixed(2)
		return decimal.Zero, (&apperr.Error{Code: CodeInvalidAmount, Message: fmt.Sprintf(
			"%q is above the limit of %s EUR for an amount", truncate(s), limit)}).With("limit", limit)
	}
	return d, nil
}

// MarshalDecimal writes a JSON string with exactly two fraction digits.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.StringFixed(2)))
	})
}

// UnmarshalDecimal accepts only JSON strings: a JSON number has already lost
// exactness in many clients and is refused.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		return decimal.Zero, &apperr.Error{Code: CodeInvalidAmount, Message: fmt.Sprintf(
			"an amount must be a JSON string such as \"16100.00\", not %T", v)}
	}
	return ParseDecimal(s)
}

// DateLayout is the only accepted form of a Date.
const DateLayout = "2006-01-02"

// ParseDate parses YYYY-MM-DD into midnight UTC of that day.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || len(s) != len(DateLayout) {
		return time.Time{}, apperr.New(apperr.Validation, "%q is not a date of the form YYYY-MM-DD", truncate(s))
	}
	return t, nil
}

// MarshalDate writes YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(types.NormalizeDate(t).Format(DateLayout)))
	})
}

// UnmarshalDate reads YYYY-MM-DD.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.New(apperr.Validation, "a date must be a string of the form YYYY-MM-DD")
	}
	return ParseDate(s)
}

// MarshalTime writes RFC 3339 in UTC with second precision.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339)))
	})
}

// UnmarshalTime reads RFC 3339 with an explicit offset ("Z" or "+01:00").
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.New(apperr.Validation, "a time must be an RFC 3339 string such as 2026-12-03T09:00:00+01:00")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Validation, "%q is not an RFC 3339 time such as 2026-12-03T09:00:00+01:00", truncate(s))
	}
	return t.UTC(), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
