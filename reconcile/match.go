package reconcile

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"

	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/schema/pulid"
)

// MatchWindow is how many banking days a payment's value date may differ
// from its ledger entry's when it is matched by amount and IBAN (without a
// reference).
const MatchWindow = 3

// candidate is a ledger entry that bank lines may confirm, with the IBAN
// of its participation's Kommune.
type candidate struct {
	ID              pulid.ID
	ParticipationID pulid.ID
	Kind            ledgerentry.Kind
	Amount          decimal.Decimal
	ValueDate       time.Time
	Reference       string
	IBAN            string
}

// openLine is a bank line the matcher decides about.
type openLine struct {
	Kind             banktransaction.Kind
	Amount           decimal.Decimal
	Currency         string
	ValueDate        time.Time
	EndToEndID       string
	Remittance       string
	CounterpartyIBAN string
}

// decision is the matcher's verdict on one line.
type decision struct {
	Status  banktransaction.Status
	EntryID *pulid.ID
	Method  *banktransaction.MatchMethod
	Note    string
}

type slot struct {
	entry pulid.ID
	kind  banktransaction.Kind
}

// matcher links lines to entries. Rules, in order:
//
//  1. Only EUR lines are matched; others stay UNMATCHED (the programme
//     pays in EUR; a foreign-currency line is shown, never guessed).
//  2. By reference: the end-to-end id, or a word of the remittance text,
//     equals an entry's reference. A payment (debit) or a return (credit
//     with reversal indicator) confirms a DISBURSEMENT; money received
//     (credit) confirms a REVERSAL (a Kommune paying back). One free entry
//     with the same amount: MATCHED; one free entry with another amount:
//     AMOUNT_MISMATCH (linked); several: AMBIGUOUS.
//  3. Payments without a reference hit: same amount, creditor IBAN equal
//     to the Kommune's IBAN, value dates at most MatchWindow banking days
//     apart. One: MATCHED; several: AMBIGUOUS; none: UNMATCHED.
//
// An entry is confirmed by at most one line of each kind ("slot"): a
// second payment of the same reference is a double payment and stays
// UNMATCHED with a note. All reference matches of a run are decided before
// any fallback match, so a fallback never takes an entry that a later
// line names.
type matcher struct {
	byRef   map[string][]*candidate
	byIBAN  map[string][]*candidate
	taken   map[slot]string // slot → a description of the line holding it
	results []decision
}

func newMatcher(cands []*candidate, taken map[slot]string) *matcher {
	m := &matcher{byRef: map[string][]*candidate{}, byIBAN: map[string][]*candidate{}, taken: taken}
	for _, c := range cands {
		m.byRef[c.Reference] = append(m.byRef[c.Reference], c)
		if c.IBAN != "" && c.Kind == ledgerentry.KindDISBURSEMENT {
			m.byIBAN[c.IBAN] = append(m.byIBAN[c.IBAN], c)
		}
	}
	return m
}

func wantedKind(k banktransaction.Kind) (ledgerentry.Kind, bool) {
	switch k {
	case banktransaction.KindPAYMENT, banktransaction.KindRETURN:
		return ledgerentry.KindDISBURSEMENT, true
	case banktransaction.KindCREDIT:
		return ledgerentry.KindREVERSAL, true
	}
	return "", false
}

// refKeys are the strings of a line that may be an entry's reference.
func refKeys(l *openLine) []string {
	var keys []string
	if l.EndToEndID != "" {
		keys = append(keys, l.EndToEndID)
	}
	if r := strings.TrimSpace(l.Remittance); r != "" {
		keys = append(keys, r)
		for _, w := range strings.FieldsFunc(r, func(r rune) bool {
			return unicode.IsSpace(r) || r == ',' || r == ';' || r == '+' || r == ':'
		}) {
			keys = append(keys, strings.TrimRight(w, "."))
		}
	}
	return keys
}

// run decides about every line, in two passes: all reference matches
// first, then the fallback for the lines no reference decided, so that a
// fallback never takes an entry that a later line names. label(i) names
// the i-th line in the note of a later double booking.
func (m *matcher) run(lines []*openLine, label func(i int) string) []decision {
	out := make([]decision, len(lines))
	pending := make([]bool, len(lines))
	for i, l := range lines {
		out[i], pending[i] = m.byReference(l, i, label)
	}
	for i, l := range lines {
		if pending[i] {
			out[i] = m.byAmountIBANDate(l, i, label)
		}
	}
	return out
}

// byReference is rules 1 and 2 for line i: a line outside the programme's
// payments stays UNMATCHED; a line whose references name entries is
// decided by them. pending is true when the references name no entry of
// the wanted kind: then the fallback (byAmountIBANDate) decides.
func (m *matcher) byReference(l *openLine, i int, label func(int) string) (d decision, pending bool) {
	want, ok := wantedKind(l.Kind)
	switch {
	case l.Currency != "EUR":
		return decision{Status: banktransaction.StatusUNMATCHED, Note: fmt.Sprintf("currency %s: only EUR payments are matched", l.Currency)}, false
	case !ok:
		return decision{Status: banktransaction.StatusUNMATCHED, Note: "the reversal of a credit is not a programme payment"}, false
	}
	free, takenBy := m.referenced(l, want)
	if len(free) == 0 && len(takenBy) > 0 {
		c := takenBy[0]
		return decision{Status: banktransaction.StatusUNMATCHED,
			Note: fmt.Sprintf("entry %s (%s) is already confirmed by %s: a double booking?", c.ID, c.Reference, m.taken[slot{c.ID, l.Kind}])}, false
	}
	if len(free) == 0 {
		return decision{}, true
	}
	var same []*candidate
	for _, c := range free {
		if c.Amount.Equal(l.Amount) {
			same = append(same, c)
		}
	}
	method := banktransaction.MatchMethodREFERENCE
	switch {
	case len(same) == 1:
		return m.take(same[0], l, banktransaction.StatusMATCHED, method, "", label(i)), false
	case len(same) > 1:
		return decision{Status: banktransaction.StatusAMBIGUOUS,
			Note: fmt.Sprintf("%d entries with reference %s and amount %s", len(same), same[0].Reference, l.Amount.StringFixed(2))}, false
	case len(free) == 1:
		c := free[0]
		return m.take(c, l, banktransaction.StatusAMOUNT_MISMATCH, method,
			fmt.Sprintf("the bank booked %s, the ledger entry says %s", l.Amount.StringFixed(2), c.Amount.StringFixed(2)), label(i)), false
	}
	return decision{Status: banktransaction.StatusAMBIGUOUS,
		Note: fmt.Sprintf("%d entries with reference %s, none with amount %s", len(free), free[0].Reference, l.Amount.StringFixed(2))}, false
}

// referenced are the entries of the wanted kind that the line's
// references name, each once, split into those whose slot for the line's
// kind is free and those already confirmed by another line.
func (m *matcher) referenced(l *openLine, want ledgerentry.Kind) (free, takenBy []*candidate) {
	seen := map[pulid.ID]bool{}
	for _, k := range refKeys(l) {
		for _, c := range m.byRef[k] {
			if c.Kind != want || seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			if _, t := m.taken[slot{c.ID, l.Kind}]; t {
				takenBy = append(takenBy, c)
			} else {
				free = append(free, c)
			}
		}
	}
	return free, takenBy
}

// byAmountIBANDate is rule 3 for line i, which no reference decided: only
// a payment can match without one (returns and received money always
// carry the original reference), by amount, the Kommune's IBAN and a
// value date within MatchWindow banking days.
func (m *matcher) byAmountIBANDate(l *openLine, i int, label func(int) string) decision {
	d := decision{Status: banktransaction.StatusUNMATCHED, Note: "no ledger entry with this reference"}
	if l.Kind != banktransaction.KindPAYMENT || l.CounterpartyIBAN == "" {
		return d
	}
	var hits []*candidate
	for _, c := range m.byIBAN[l.CounterpartyIBAN] {
		if _, t := m.taken[slot{c.ID, l.Kind}]; t || !c.Amount.Equal(l.Amount) {
			continue
		}
		if days := BankingDaysBetween(c.ValueDate, l.ValueDate); days < -MatchWindow || days > MatchWindow {
			continue
		}
		hits = append(hits, c)
	}
	switch len(hits) {
	case 0:
		d.Note = "no ledger entry with this reference, or with this amount for this IBAN within 3 banking days"
		return d
	case 1:
		return m.take(hits[0], l, banktransaction.StatusMATCHED, banktransaction.MatchMethodAMOUNT_IBAN_DATE, "", label(i))
	}
	return decision{Status: banktransaction.StatusAMBIGUOUS,
		Note: fmt.Sprintf("%d entries with amount %s for IBAN %s within %d banking days", len(hits), l.Amount.StringFixed(2), l.CounterpartyIBAN, MatchWindow)}
}

// take gives the entry's slot for the line's kind to the line (label
// names it to later lines) and links it.
func (m *matcher) take(c *candidate, l *openLine, st banktransaction.Status, method banktransaction.MatchMethod, note, label string) decision {
	m.taken[slot{c.ID, l.Kind}] = label
	id := c.ID
	return decision{Status: st, EntryID: &id, Method: &method, Note: note}
}
