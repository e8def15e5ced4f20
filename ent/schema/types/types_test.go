package types

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestValidators(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) error
		ok   []string
		bad  []string
	}{
		{"AGS", ValidateAGS, []string{"15003000", "15090070"}, []string{"", "1500300", "150030000", "16003000", "1500300a", " 15003000"}},
		{"ARS", ValidateARS, []string{"15081", "150855907", "150900070070"}, []string{"", "1508", "1508559070", "160855907", "15085590x"}},
		{"e-mail", ValidateEmail, []string{"it@magdeburg.de", "a.b-c@kitu-genossenschaft.de"},
			[]string{"", "it", "it@", "@x.de", "Name <it@x.de>", "it@localhost", "it@x.de "}},
		{"IBAN", ValidateIBAN, []string{"DE89370400440532013000", "GB82WEST12345698765432"},
			[]string{"", "DE89370400440532013001", "DE89 3704 0044 0532 0130 00", "DE8937040044053201300", "de89370400440532013000"}},
	}
	for _, c := range cases {
		for _, s := range c.ok {
			if err := c.fn(s); err != nil {
				t.Errorf("%s %q: %v", c.name, s, err)
			}
		}
		for _, s := range c.bad {
			if err := c.fn(s); err == nil {
				t.Errorf("%s %q accepted", c.name, s)
			}
		}
	}
}

func TestCents(t *testing.T) {
	for in, want := range map[string]int64{"16100.00": 1610000, "0.01": 1, "-5.5": -550, "30000": 3000000} {
		got, err := Cents(decimal.RequireFromString(in))
		if err != nil || got != want {
			t.Errorf("%s → %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0.001", "1.005", "92233720368547758.08"} {
		if _, err := Cents(decimal.RequireFromString(in)); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	// The ceiling: 1,000,000,000.00 EUR either way, exactly, and nothing above.
	for in, want := range map[string]int64{"1000000000.00": 100000000000, "-1000000000": -100000000000, "999999999.99": 99999999999} {
		got, err := Cents(decimal.RequireFromString(in))
		if err != nil || got != want {
			t.Errorf("%s → %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"1000000000.01", "-1000000000.01", "92233720368547758.07", "999999999999999.99", "1e40"} {
		_, err := Cents(decimal.RequireFromString(in))
		if !errors.Is(err, ErrAboveMoneyLimit) || !strings.Contains(err.Error(), "1000000000.00") {
			t.Errorf("%s: want ErrAboveMoneyLimit naming the limit, got %v", in, err)
		}
		if _, err := MoneyScanner.Value(decimal.RequireFromString(in)); err == nil {
			t.Errorf("%s stored", in)
		}
	}
	v, err := MoneyScanner.Value(decimal.RequireFromString("16100.00"))
	if err != nil || v != int64(1610000) {
		t.Fatalf("stored as %#v, %v", v, err)
	}
}

// TestMoneySumsFit: SQL sums of money columns are int64 cents (SQLite's
// SUM, the bigint casts of the monitoring jobs). At the ceiling, the
// sums of a nationwide programme fit: 11,000 Kommunen with 100 measures
// each, every one at the ceiling, summed per programme (the largest sum
// budget-overruns makes), and still with room for every stage-1 and
// stage-2 payment and bank line of each of them at the ceiling too.
func TestMoneySumsFit(t *testing.T) {
	if MaxMoney.StringFixed(2) != "1000000000.00" || MaxMoneyCents != 100_000_000_000 {
		t.Fatalf("ceiling %s (%d cents)", MaxMoney.StringFixed(2), MaxMoneyCents)
	}
	const kommunen, measuresEach = 11_000, 100
	nationwide := new(big.Int).Mul(big.NewInt(kommunen*measuresEach), big.NewInt(MaxMoneyCents))
	if !nationwide.IsInt64() || kommunen*measuresEach > MaxSummedMoneyValues {
		t.Fatalf("a nationwide sum of %s cents does not fit in int64", nationwide)
	}
	// Per Kommune 100 measures, 2 payments, 2 returns, 2 reversals: 10 times that still fits.
	worst := new(big.Int).Mul(big.NewInt(10*kommunen*(measuresEach+6)), big.NewInt(MaxMoneyCents))
	if !worst.IsInt64() {
		t.Fatalf("%s cents overflow int64", worst)
	}
	if MaxSummedMoneyValues != math.MaxInt64/100_000_000_000 || MaxSummedMoneyValues < 92_000_000 {
		t.Fatalf("MaxSummedMoneyValues = %d", MaxSummedMoneyValues)
	}
}
