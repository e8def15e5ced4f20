package scalar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

func TestUnmarshalDecimal(t *testing.T) {
	ok := map[string]string{
		"16100.00": "16100.00", "16100": "16100.00", "0.01": "0.01", "5000.5": "5000.50",
		"0": "0.00", "-12.30": "-12.30", "30000.00": "30000.00", "1000000000.00": "1000000000.00",
		"-1000000000.00": "-1000000000.00", "999999999.99": "999999999.99",
	}
	for in, want := range ok {
		d, err := UnmarshalDecimal(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := d.StringFixed(2); got != want {
			t.Errorf("%q = %s, want %s", in, got, want)
		}
	}
	bad := []any{
		16100.0, 16100, int64(1), json(`16100.00`), "", " 1.00", "1.00 ", "1.001", "1.", ".5", "+1.00", "1e3",
		"1E3", "NaN", "Inf", "-Inf", "0x10", "1,00", "16.100,00", "01.00", "--1", "1.0.0", "1_000",
		"1000000000000000.00", "999999999999999.99", "1000000000.01", nil, true,
	}
	for _, in := range bad {
		if _, err := UnmarshalDecimal(in); apperr.CodeOf(err) != CodeInvalidAmount {
			t.Errorf("%#v: want INVALID_AMOUNT, got %v", in, err)
		}
	}
}

type json string

// TestDecimalFractionDigits pins what the schema promises: on input no
// fraction digits, one or two (never more, never rounded); on output
// always two.
func TestDecimalFractionDigits(t *testing.T) {
	for _, in := range []string{"10", "10.0", "10.00"} {
		d, err := UnmarshalDecimal(in)
		if err != nil {
			t.Fatalf("%q refused: %v", in, err)
		}
		var b bytes.Buffer
		MarshalDecimal(d).MarshalGQL(&b)
		if b.String() != `"10.00"` {
			t.Errorf("%q written back as %s", in, b.String())
		}
	}
	for _, in := range []string{"10.000", "10.001", "10.", "0.000"} {
		if _, err := UnmarshalDecimal(in); apperr.CodeOf(err) != CodeInvalidAmount {
			t.Errorf("%q: want INVALID_AMOUNT, got %v", in, err)
		}
	}
}

// TestDecimalCeiling: every Decimal input is at most 1,000,000,000.00 EUR
// either way; above it the error is INVALID_AMOUNT and names the limit.
func TestDecimalCeiling(t *testing.T) {
	for _, in := range []string{"1000000000", "1000000000.0", "1000000000.00", "-1000000000.00", "999999999.99"} {
		if _, err := UnmarshalDecimal(in); err != nil {
			t.Errorf("%q refused: %v", in, err)
		}
	}
	for _, in := range []string{"1000000000.01", "-1000000000.01", "1000000001", "9999999999.99", "10000000000",
		"92233720368547758.07", "999999999999999.99", strings.Repeat("9", 400)} {
		_, err := UnmarshalDecimal(in)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != CodeInvalidAmount || !strings.Contains(ae.Message, "limit of 1000000000.00 EUR") ||
			ae.Details["limit"] != "1000000000.00" {
			t.Errorf("%.30q: want INVALID_AMOUNT naming the limit, got %v", in, err)
		}
	}
	if types.MaxMoney.StringFixed(2) != "1000000000.00" {
		t.Fatalf("ceiling %s", types.MaxMoney)
	}
}

func TestMarshalDecimal(t *testing.T) {
	for in, want := range map[string]string{"16100": `"16100.00"`, "0.1": `"0.10"`, "-3.5": `"-3.50"`} {
		var b bytes.Buffer
		MarshalDecimal(decimal.RequireFromString(in)).MarshalGQL(&b)
		if b.String() != want {
			t.Errorf("%s → %s, want %s", in, b.String(), want)
		}
	}
}

func TestDateAndTime(t *testing.T) {
	d, err := UnmarshalDate("2026-12-31")
	if err != nil || !d.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("date: %v %v", d, err)
	}
	for _, bad := range []any{"2026-12-32", "2026-2-3", "31.12.2026", "2026-12-31T00:00:00Z", "", 20261231} {
		if _, err := UnmarshalDate(bad); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("date %#v accepted", bad)
		}
	}
	var b bytes.Buffer
	MarshalDate(d).MarshalGQL(&b)
	if b.String() != `"2026-12-31"` {
		t.Errorf("date marshal %s", b.String())
	}
	tm, err := UnmarshalTime("2026-03-29T03:30:00+02:00")
	if err != nil || !tm.Equal(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)) {
		t.Fatalf("time: %v %v", tm, err)
	}
	for _, bad := range []any{"2026-03-29T03:30:00", "2026-03-29", "yesterday", 5} {
		if _, err := UnmarshalTime(bad); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("time %#v accepted", bad)
		}
	}
	b.Reset()
	MarshalTime(time.Date(2026, 3, 29, 3, 30, 0, 0, time.FixedZone("CEST", 7200))).MarshalGQL(&b)
	if b.String() != `"2026-03-29T01:30:00Z"` {
		t.Errorf("time marshal %s", b.String())
	}
}

// FuzzDecimal: whatever the input, parsing either fails with
// INVALID_AMOUNT or yields a value with at most two fraction digits that
// prints back to the same number — never a rounded one.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"16100.00", "0.01", "-1", "1e3", "1.005", "NaN", "", "00.1", "999999999999999.99", "1000000000.00", "1000000000.01", "10.0", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDecimal(s)
		if err != nil {
			if apperr.CodeOf(err) != CodeInvalidAmount {
				t.Fatalf("%q: error without INVALID_AMOUNT: %v", s, err)
			}
			return
		}
		if d.Abs().GreaterThan(types.MaxMoney) {
			t.Fatalf("%q above the ceiling accepted", s)
		}
		if d.Exponent() < -2 {
			t.Fatalf("%q parsed with exponent %d", s, d.Exponent())
		}
		back, err := decimal.NewFromString(d.StringFixed(2))
		if err != nil || !back.Equal(d) {
			t.Fatalf("%q → %s does not round-trip", s, d.StringFixed(2))
		}
		if want, _ := decimal.NewFromString(s); !want.Equal(d) {
			t.Fatalf("%q parsed as %s", s, d)
		}
		if strings.ContainsAny(s, "eE+ ") {
			t.Fatalf("%q accepted", s)
		}
	})
}
