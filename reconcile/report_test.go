package reconcile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// figures writes Figures as "ledger/bank/difference".
func figures(f Figures) string {
	return f.LedgerPaid.StringFixed(2) + "/" + f.BankConfirmed.StringFixed(2) + "/" + f.Difference.StringFixed(2)
}

// reportRow is a row of TestReportAddRows: its participation, Kommune,
// the sums per stage ("" is none) and counts of open items, and the
// figures wanted after addRows (stage 1, stage 2, total).
type reportRow struct {
	id                pulid.ID
	name              string
	s1Ledger, s1Bank  string
	s2Ledger, s2Bank  string
	unconfirmed, open int
	want              [3]string
}

// makeReportRows makes the report's rows as the sum queries leave them.
func makeReportRows(in []reportRow) reportRows {
	rows := reportRows{}
	for _, r := range in {
		rr := rows.row(r.id)
		rr.MunicipalityName = r.name
		for _, set := range []struct {
			s   string
			dst *decimal.Decimal
		}{{r.s1Ledger, &rr.Stage1.LedgerPaid}, {r.s1Bank, &rr.Stage1.BankConfirmed},
			{r.s2Ledger, &rr.Stage2.LedgerPaid}, {r.s2Bank, &rr.Stage2.BankConfirmed}} {
			if set.s != "" {
				*set.dst = money(set.s)
			}
		}
		rr.UnconfirmedEntries, rr.OpenBankTransactions = make([]*ent.LedgerEntry, r.unconfirmed), make([]*ent.BankTransaction, r.open)
	}
	return rows
}

// TestReportAddRows: the figures of the report without a database: each
// stage's difference, the row's total and the report's totals with their
// counts, the rows by Kommune name and then ID.
func TestReportAddRows(t *testing.T) {
	zero := "0.00/0.00/0.00"
	for _, c := range []struct {
		name         string
		rows         []reportRow
		unattributed int
		wantOrder    []pulid.ID
		wantTotals   [3]string // stage 1, stage 2, total
		wantCounts   [3]int    // unconfirmed, open, unattributed
	}{
		{name: "no rows", wantTotals: [3]string{zero, zero, zero}},
		{name: "only unattributed lines", unattributed: 2, wantTotals: [3]string{zero, zero, zero}, wantCounts: [3]int{0, 0, 2}},
		{name: "paid and confirmed", rows: []reportRow{
			{id: "PA1", name: "Aken", s1Ledger: "16100.00", s1Bank: "16100.00", want: [3]string{"16100.00/16100.00/0.00", zero, "16100.00/16100.00/0.00"}},
		}, wantOrder: []pulid.ID{"PA1"}, wantTotals: [3]string{"16100.00/16100.00/0.00", zero, "16100.00/16100.00/0.00"}},
		{name: "differences, both stages, by name then ID", rows: []reportRow{
			{id: "PA3", name: "Zerbst", s1Ledger: "100.00", s1Bank: "150.00", open: 1,
				want: [3]string{"100.00/150.00/-50.00", zero, "100.00/150.00/-50.00"}},
			{id: "PA2", name: "Aken", s1Ledger: "16100.00", s2Ledger: "8500.00", s2Bank: "8000.00", unconfirmed: 1,
				want: [3]string{"16100.00/0.00/16100.00", "8500.00/8000.00/500.00", "24600.00/8000.00/16600.00"}},
			{id: "PA1", name: "Aken", s2Bank: "0.01", open: 2,
				want: [3]string{zero, "0.00/0.01/-0.01", "0.00/0.01/-0.01"}},
		}, unattributed: 1, wantOrder: []pulid.ID{"PA1", "PA2", "PA3"},
			wantTotals: [3]string{"16200.00/150.00/16050.00", "8500.00/8000.01/499.99", "24700.00/8150.01/16549.99"},
			wantCounts: [3]int{1, 3, 1}},
	} {
		out := &Reconciliation{UnattributedBankTransactions: make([]*ent.BankTransaction, c.unattributed)}
		out.addRows(makeReportRows(c.rows))
		want := map[pulid.ID][3]string{}
		for _, r := range c.rows {
			want[r.id] = r.want
		}
		var order []pulid.ID
		for _, r := range out.Participations {
			order = append(order, r.Participation.ID)
			if got := [3]string{figures(r.Stage1), figures(r.Stage2), figures(r.Total)}; got != want[r.Participation.ID] {
				t.Errorf("%s: row %s: stage 1, stage 2, total %q, want %q", c.name, r.Participation.ID, got, want[r.Participation.ID])
			}
		}
		if !reflect.DeepEqual(order, c.wantOrder) {
			t.Errorf("%s: order %v, want %v", c.name, order, c.wantOrder)
		}
		tt := out.Totals
		if got := [3]string{figures(tt.Stage1), figures(tt.Stage2), figures(tt.Total)}; got != c.wantTotals {
			t.Errorf("%s: totals %q, want %q", c.name, got, c.wantTotals)
		}
		if got := [3]int{tt.UnconfirmedEntries, tt.OpenBankTransactions, tt.UnattributedBankTransactions}; got != c.wantCounts {
			t.Errorf("%s: counts %v, want %v", c.name, got, c.wantCounts)
		}
	}
}

// TestReportAttributeOpenLines: an open line belongs to the participation
// of its entry (nowhere when the entry is another programme's), else to
// the participation whose Kommune has its counterparty IBAN, else to none.
func TestReportAttributeOpenLines(t *testing.T) {
	const prog, other = pulid.ID("PG1"), pulid.ID("PG2")
	iban := func(s string) *string { return &s }
	line := func(id string, entry *ent.LedgerEntry, cp *string) *ent.BankTransaction {
		return &ent.BankTransaction{ID: pulid.ID(id), CounterpartyIban: cp, Edges: ent.BankTransactionEdges{Entry: entry}}
	}
	byIBAN := map[string]pulid.ID{"DE82810532721000123456": "PA1", "DE59800537620040007890": "PA2"}
	open := []*ent.BankTransaction{
		line("BT1", &ent.LedgerEntry{ProgramID: prog, ParticipationID: "PA3"}, iban("DE82810532721000123456")), // the entry wins over the IBAN
		line("BT2", &ent.LedgerEntry{ProgramID: other, ParticipationID: "PA9"}, nil),                           // another programme's: left out
		line("BT3", nil, iban("DE59800537620040007890")),
		line("BT4", nil, iban("GB33BUKB20201555555555")),
		line("BT5", nil, nil),
		line("BT6", nil, iban("DE82810532721000123456")),
	}
	rows := reportRows{}
	unattributed := attributeOpenLines(open, prog, byIBAN, rows)
	got := map[pulid.ID][]pulid.ID{}
	for id, r := range rows {
		for _, bt := range r.OpenBankTransactions {
			got[id] = append(got[id], bt.ID)
		}
	}
	for _, bt := range unattributed {
		got["none"] = append(got["none"], bt.ID)
	}
	want := map[pulid.ID][]pulid.ID{"PA1": {"BT6"}, "PA2": {"BT3"}, "PA3": {"BT1"}, "none": {"BT4", "BT5"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("attributed %v, want %v", got, want)
	}
	if r := rows["PA3"]; r.Participation.ID != "PA3" || r.MunicipalityName != "" {
		t.Fatalf("a new row knows only its ID: %+v", r)
	}
	if none := attributeOpenLines(nil, prog, byIBAN, reportRows{}); none != nil {
		t.Fatalf("no open lines: %v", none)
	}
}

// TestReportDescribe: a row shows its Kommune's name and AGS, or its ARS
// when it has no AGS.
func TestReportDescribe(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name     string
		m        *ent.Municipality
		wantName string
		wantKey  string
	}{
		{"AGS", &ent.Municipality{Name: "Aken (Elbe)", Ags: str("15082005"), Ars: str("150820005005")}, "Aken (Elbe)", "15082005"},
		{"ARS only", &ent.Municipality{Name: "Verbandsgemeinde Elbe-Heide", Ars: str("150835001")}, "Verbandsgemeinde Elbe-Heide", "150835001"},
		{"neither", &ent.Municipality{Name: "Ohne"}, "Ohne", ""},
		{"no Kommune loaded", nil, "", ""},
	} {
		r := reportRows{}.row("PA1")
		pa := &ent.Participation{ID: "PA1", Edges: ent.ParticipationEdges{Municipality: c.m}}
		r.describe(pa)
		if r.Participation != pa || r.MunicipalityName != c.wantName || r.Ags != c.wantKey {
			t.Errorf("%s: %q %q", c.name, r.MunicipalityName, r.Ags)
		}
	}
}

// TestReportPeriod: the period is taken as calendar days, and one that
// ends before it starts is refused naming both days.
func TestReportPeriod(t *testing.T) {
	from := time.Date(2026, 2, 1, 23, 30, 0, 0, time.UTC)
	to := time.Date(2026, 2, 28, 8, 0, 0, 0, time.UTC)
	f, tt, err := reportPeriod(from, to)
	if err != nil || !f.Equal(types.Date(2026, 2, 1)) || !tt.Equal(types.Date(2026, 2, 28)) {
		t.Fatalf("%v %v %v", f, tt, err)
	}
	if _, _, err := reportPeriod(to, from); apperr.CodeOf(err) != apperr.Validation ||
		!strings.Contains(err.Error(), "from 2026-02-28 is after to 2026-02-01") {
		t.Fatalf("reversed: %v", err)
	}
	if _, _, err := reportPeriod(from, from.Add(time.Hour)); err != nil {
		t.Fatalf("one day: %v", err)
	}
}
