package reconcile

import (
	"fmt"
	"reflect"
	"testing"

	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

const (
	ibanA = "DE82810532721000123456"
	ibanC = "DE59800537620040007890"
)

// matchEntries are the ledger entries of TestMatcher: a stage-1 payment
// to each of two Kommunen, two entries sharing a reference, and a
// Kommune's repayment (REVERSAL).
func matchEntries() []*candidate {
	e := func(id, ref, amount, iban string, kind ledgerentry.Kind, day int) *candidate {
		return &candidate{ID: pulid.ID(id), ParticipationID: pulid.ID("PA" + id), Kind: kind, Amount: money(amount),
			ValueDate: types.Date(2026, 3, day), Reference: ref, IBAN: iban}
	}
	return []*candidate{
		e("LE1", "KZ-a1", "16100.00", ibanA, ledgerentry.KindDISBURSEMENT, 2),
		e("LE2", "KZ-c2", "8000.00", ibanC, ledgerentry.KindDISBURSEMENT, 4),
		e("LE3", "KZ-d1", "500.00", "", ledgerentry.KindDISBURSEMENT, 4),
		e("LE4", "KZ-d1", "500.00", "", ledgerentry.KindDISBURSEMENT, 5),
		e("LE5", "RUECK-a1", "16100.00", ibanA, ledgerentry.KindREVERSAL, 3),
	}
}

// matchLine is an open line: kind, amount, value date in March 2026,
// end-to-end id, remittance and counterparty IBAN; EUR unless currency is
// set.
type matchLine struct {
	kind             banktransaction.Kind
	amount           string
	day              int
	e2e, remit, iban string
	currency         string
}

func (l matchLine) open() *openLine {
	ccy := l.currency
	if ccy == "" {
		ccy = "EUR"
	}
	return &openLine{Kind: l.kind, Amount: money(l.amount), Currency: ccy, ValueDate: types.Date(2026, 3, l.day),
		EndToEndID: l.e2e, Remittance: l.remit, CounterpartyIBAN: l.iban}
}

// verdict writes a decision as "STATUS entry method: note".
func verdict(d decision) string {
	s := string(d.Status)
	if d.EntryID != nil {
		s += " " + string(*d.EntryID)
	}
	if d.Method != nil {
		s += " " + string(*d.Method)
	}
	if d.Note != "" {
		s += ": " + d.Note
	}
	return s
}

// TestMatcher: the matcher's rules in order (EUR only; references before
// the fallback; one line per entry and kind), each run on a fresh matcher
// over matchEntries; taken are slots already held by stored lines.
func TestMatcher(t *testing.T) {
	const pay, ret, cr = banktransaction.KindPAYMENT, banktransaction.KindRETURN, banktransaction.KindCREDIT
	for _, c := range []struct {
		name  string
		taken map[slot]string
		lines []matchLine
		want  []string
	}{
		{name: "foreign currency", lines: []matchLine{{kind: pay, amount: "16100.00", day: 2, e2e: "KZ-a1", currency: "USD"}},
			want: []string{"UNMATCHED: currency USD: only EUR payments are matched"}},
		{name: "reversal of a credit", lines: []matchLine{{kind: banktransaction.KindCREDIT_REVERSAL, amount: "1.00", day: 2, e2e: "KZ-a1"}},
			want: []string{"UNMATCHED: the reversal of a credit is not a programme payment"}},
		{name: "by end-to-end id", lines: []matchLine{{kind: pay, amount: "16100.00", day: 9, e2e: "KZ-a1"}},
			want: []string{"MATCHED LE1 REFERENCE"}},
		{name: "by a word of the remittance", lines: []matchLine{{kind: pay, amount: "8000.00", day: 4, remit: "SicherKOMMUNAL Stufe 1, KZ-c2."}},
			want: []string{"MATCHED LE2 REFERENCE"}},
		{name: "another amount", lines: []matchLine{{kind: pay, amount: "8000.01", day: 4, e2e: "KZ-c2"}},
			want: []string{"AMOUNT_MISMATCH LE2 REFERENCE: the bank booked 8000.01, the ledger entry says 8000.00"}},
		{name: "two entries of the reference and amount", lines: []matchLine{{kind: pay, amount: "500.00", day: 4, e2e: "KZ-d1"}},
			want: []string{"AMBIGUOUS: 2 entries with reference KZ-d1 and amount 500.00"}},
		{name: "two entries of the reference, neither amount", lines: []matchLine{{kind: pay, amount: "499.00", day: 4, e2e: "KZ-d1"}},
			want: []string{"AMBIGUOUS: 2 entries with reference KZ-d1, none with amount 499.00"}},
		{name: "paid twice in one run", lines: []matchLine{{kind: pay, amount: "16100.00", day: 2, e2e: "KZ-a1"}, {kind: pay, amount: "16100.00", day: 3, e2e: "KZ-a1"}},
			want: []string{"MATCHED LE1 REFERENCE", "UNMATCHED: entry LE1 (KZ-a1) is already confirmed by line 0: a double booking?"}},
		{name: "paid again after a stored line", taken: map[slot]string{{"LE1", pay}: "bank transaction BT9"},
			lines: []matchLine{{kind: pay, amount: "16100.00", day: 2, e2e: "KZ-a1"}},
			want:  []string{"UNMATCHED: entry LE1 (KZ-a1) is already confirmed by bank transaction BT9: a double booking?"}},
		{name: "a return has its own slot", taken: map[slot]string{{"LE2", pay}: "bank transaction BT9"},
			lines: []matchLine{{kind: ret, amount: "8000.00", day: 5, e2e: "KZ-c2", iban: ibanC}},
			want:  []string{"MATCHED LE2 REFERENCE"}},
		{name: "money received confirms a repayment", lines: []matchLine{{kind: cr, amount: "16100.00", day: 3, e2e: "RUECK-a1"}, {kind: cr, amount: "16100.00", day: 3, e2e: "KZ-a1"}},
			want: []string{"MATCHED LE5 REFERENCE", "UNMATCHED: no ledger entry with this reference"}},
		{name: "fallback by amount, IBAN and date", lines: []matchLine{{kind: pay, amount: "16100.00", day: 5, iban: ibanA}},
			want: []string{"MATCHED LE1 AMOUNT_IBAN_DATE"}},
		{name: "fallback outside the window", lines: []matchLine{{kind: pay, amount: "16100.00", day: 6, iban: ibanA}},
			want: []string{"UNMATCHED: no ledger entry with this reference, or with this amount for this IBAN within 3 banking days"}},
		{name: "fallback without an IBAN", lines: []matchLine{{kind: pay, amount: "16100.00", day: 2, e2e: "unknown"}},
			want: []string{"UNMATCHED: no ledger entry with this reference"}},
		{name: "no fallback for a return", lines: []matchLine{{kind: ret, amount: "16100.00", day: 2, iban: ibanA}},
			want: []string{"UNMATCHED: no ledger entry with this reference"}},
		{name: "the fallback leaves an entry a later line names", lines: []matchLine{{kind: pay, amount: "16100.00", day: 2, iban: ibanA}, {kind: pay, amount: "16100.00", day: 2, e2e: "KZ-a1"}},
			want: []string{"UNMATCHED: no ledger entry with this reference, or with this amount for this IBAN within 3 banking days", "MATCHED LE1 REFERENCE"}},
	} {
		taken := map[slot]string{}
		for k, v := range c.taken {
			taken[k] = v
		}
		m := newMatcher(matchEntries(), taken)
		lines := make([]*openLine, len(c.lines))
		for i, l := range c.lines {
			lines[i] = l.open()
		}
		var got []string
		for _, d := range m.run(lines, func(i int) string { return fmt.Sprintf("line %d", i) }) {
			got = append(got, verdict(d))
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
