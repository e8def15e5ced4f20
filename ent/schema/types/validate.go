package types

import (
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"regexp"
	"strings"
)

// StatePrefix is the Länderschlüssel of Sachsen-Anhalt. Municipalities of
// this deployment must belong to the state.
const StatePrefix = "15"

var (
	agsPattern = regexp.MustCompile(`^[0-9]{8}$`)
	arsPattern = regexp.MustCompile(`^([0-9]{5}|[0-9]{9}|[0-9]{12})$`)
)

// ValidateAGS checks an Amtlicher Gemeindeschlüssel: 8 digits of the state.
func ValidateAGS(s string) error {
	if !agsPattern.MatchString(s) {
		return fmt.Errorf("AGS %q must be exactly 8 digits", s)
	}
	if !strings.HasPrefix(s, StatePrefix) {
		return fmt.Errorf("AGS %q does not belong to Sachsen-Anhalt (prefix %s)", s, StatePrefix)
	}
	return nil
}

// ValidateARS checks a Regionalschlüssel: 5 (Kreis), 9 (Verbandsgemeinde) or
// 12 (Gemeinde) digits of the state.
func ValidateARS(s string) error {
	if !arsPattern.MatchString(s) {
		return fmt.Errorf("ARS %q must have 5, 9 or 12 digits", s)
	}
	if !strings.HasPrefix(s, StatePrefix) {
		return fmt.Errorf("ARS %q does not belong to Sachsen-Anhalt (prefix %s)", s, StatePrefix)
	}
	return nil
}

// ValidateEmail accepts a bare address such as "it@example.de".
func ValidateEmail(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return fmt.Errorf("%q is not an e-mail address with a domain", s)
	}
	return nil
}

// ValidateIBAN checks length, country code and the ISO 13616 mod-97 check
// digits. Spaces are not allowed: store the electronic form.
func ValidateIBAN(s string) error {
	if len(s) < 15 || len(s) > 34 {
		return errors.New("IBAN must have 15 to 34 characters without spaces")
	}
	for i, r := range s {
		switch {
		case i < 2 && r >= 'A' && r <= 'Z':
		case i >= 2 && i < 4 && r >= '0' && r <= '9':
		case i >= 4 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'):
		default:
			return fmt.Errorf("IBAN %q has an invalid character at position %d", s, i+1)
		}
	}
	if strings.HasPrefix(s, "DE") && len(s) != 22 {
		return fmt.Errorf("a German IBAN has 22 characters, %q has %d", s, len(s))
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		if r >= 'A' && r <= 'Z' {
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		} else {
			digits.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return fmt.Errorf("IBAN %q has wrong check digits", s)
	}
	return nil
}
