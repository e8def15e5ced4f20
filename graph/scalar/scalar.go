// Package scalar implements the GraphQL scalars Decimal, Date and Time.
package scalar

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// CodeInvalidAmount marks a Decimal that cannot be an amount of money.
const CodeInvalidAmount = "INVALID_AMOUNT"

// decimalPattern: optional minus, no leading zeros, at most two fraction
// digits, at most 15 integer digits (far beyond any cap, far within int64
// cents). No exponent, no plus sign, no spaces.
var decimalPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$`)

// ParseDecimal parses the text form of a Decimal, exactly, never rounding.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if !decimalPattern.MatchString(s) {
		return decimal.Zero, &apperr.Error{Code: CodeInvalidAmount, Message: fmt.Sprintf(
			"%q is not an amount: write a JSON string with digits and at most two fraction digits, such as \"16100.00\"", truncate(s))}
	}
	return decimal.RequireFromString(s), nil
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
