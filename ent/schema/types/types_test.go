package types

import (
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
	v, err := MoneyScanner.Value(decimal.RequireFromString("16100.00"))
	if err != nil || v != int64(1610000) {
		t.Fatalf("stored as %#v, %v", v, err)
	}
}
