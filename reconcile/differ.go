package reconcile

import (
	"fmt"
	"strings"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/banktransaction"
)

// A line of a statement sent again is identified by its statement and line
// key; when the key is only the entry's position (no NtryRef, no
// AcctSvcrRef), a bank that sends a corrected or another statement under
// the same identification gives another booking the same key. Such a line
// is not added (the stored one stays, with its match), but the import names
// it with what differs, so that nobody loses it silently.

// comparedFields are the stored fields a line sent again is compared by,
// with the key that finds it.
var comparedFields = []string{
	banktransaction.FieldStatementID, banktransaction.FieldLineKey,
	banktransaction.FieldAmount, banktransaction.FieldCurrency, banktransaction.FieldKind,
	banktransaction.FieldValueDate, banktransaction.FieldCounterpartyIban,
	banktransaction.FieldEndToEndID, banktransaction.FieldRemittance,
}

// maxDifferingLines is how many differing lines an import names; a last
// text counts the rest.
const maxDifferingLines = 100

// differences collects the differing lines of one import, in file order.
type differences struct {
	texts []string
	more  int
}

// compare records l when it differs from the stored line of its key.
func (d *differences) compare(stored *ent.BankTransaction, l *Line) {
	diffs := lineDifferences(stored, l)
	if len(diffs) == 0 {
		return
	}
	if len(d.texts) == maxDifferingLines {
		d.more++
		return
	}
	d.texts = append(d.texts, fmt.Sprintf("%s line %s: %s", l.StatementID, l.LineKey, strings.Join(diffs, "; ")))
}

// list is what the import records: never nil, so that an import without
// differing lines shows an empty list.
func (d *differences) list() []string {
	out := append([]string{}, d.texts...)
	if d.more > 0 {
		out = append(out, fmt.Sprintf("%d more lines differ from the stored ones (not named)", d.more))
	}
	return out
}

// lineDifferences names each field in which l differs from the stored
// line, with both values, by the field's GraphQL name.
func lineDifferences(stored *ent.BankTransaction, l *Line) []string {
	var out []string
	add := func(name, was, is string) {
		if was != is {
			out = append(out, fmt.Sprintf("%s stored %s, new %s", name, was, is))
		}
	}
	if !stored.Amount.Equal(l.Amount) {
		add("amount", stored.Amount.StringFixed(2), l.Amount.StringFixed(2))
	}
	add("currency", stored.Currency, l.Currency)
	add("kind", string(stored.Kind), string(l.Kind()))
	add("valueDate", stored.ValueDate.Format(time.DateOnly), l.ValueDate.Format(time.DateOnly))
	add("counterpartyIban", shown(deref(stored.CounterpartyIban), false), shown(l.CounterpartyIBAN, false))
	add("endToEndID", shown(deref(stored.EndToEndID), true), shown(l.EndToEndID, true))
	add("remittance", shown(deref(stored.Remittance), true), shown(l.Remittance, true))
	return out
}

// shown is a value in a differing line's text: "none" when empty, free
// text quoted and shortened.
func shown(s string, quote bool) string {
	switch {
	case s == "":
		return "none"
	case quote:
		return fmt.Sprintf("%q", clip(s))
	}
	return s
}
