package reconcile

import (
	"context"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// Figures compare the ledger with the bank for one stage (or both).
// LedgerPaid is net of reversals; BankConfirmed is what matched bank lines
// paid, net of returns and money received back; Difference is LedgerPaid
// minus BankConfirmed.
type Figures struct {
	LedgerPaid    decimal.Decimal
	BankConfirmed decimal.Decimal
	Difference    decimal.Decimal
}

func (f *Figures) add(o Figures) {
	f.LedgerPaid = f.LedgerPaid.Add(o.LedgerPaid)
	f.BankConfirmed = f.BankConfirmed.Add(o.BankConfirmed)
	f.Difference = f.LedgerPaid.Sub(f.BankConfirmed)
}

// ReconciliationRow is one participation of the report.
type ReconciliationRow struct {
	Participation    *ent.Participation
	MunicipalityName string
	Ags              string
	Stage1, Stage2   Figures
	Total            Figures
	// UnconfirmedEntries are disbursements of the period that no bank
	// payment confirms (wherever its date).
	UnconfirmedEntries []*ent.LedgerEntry
	// OpenBankTransactions are lines of the period for this participation
	// that are not MATCHED: AMOUNT_MISMATCH (linked to its entry), or
	// UNMATCHED / AMBIGUOUS with its Kommune's IBAN as counterparty.
	OpenBankTransactions []*ent.BankTransaction
}

// ReconciliationTotals sums the rows.
type ReconciliationTotals struct {
	Stage1, Stage2, Total        Figures
	UnconfirmedEntries           int
	OpenBankTransactions         int
	UnattributedBankTransactions int
}

// Reconciliation is the report of a programme over a period: each side by
// its own value date (a payment near the end of a period may be confirmed
// in the next: a timing difference the items explain).
type Reconciliation struct {
	Program        *ent.Program
	From, To       time.Time
	Participations []*ReconciliationRow
	Totals         ReconciliationTotals
	// UnattributedBankTransactions are open lines of the period that
	// belong to no participation of the programme (no entry, unknown IBAN).
	UnattributedBankTransactions []*ent.BankTransaction
}

const ledgerSumSQL = `SELECT participation_id, stage, SUM(CASE WHEN kind = 'DISBURSEMENT' THEN amount ELSE -amount END)
FROM ledger_entries WHERE program_id = ? AND value_date >= ? AND value_date <= ?
GROUP BY participation_id, stage`

const bankSumSQL = `SELECT le.participation_id, le.stage, SUM(CASE WHEN bt.kind = 'PAYMENT' THEN bt.amount ELSE -bt.amount END)
FROM bank_transactions bt JOIN ledger_entries le ON le.id = bt.entry_id
WHERE le.program_id = ? AND bt.value_date >= ? AND bt.value_date <= ?
GROUP BY le.participation_id, le.stage`

const unconfirmedSQL = `SELECT le.id FROM ledger_entries le
WHERE le.program_id = ? AND le.kind = 'DISBURSEMENT' AND le.value_date >= ? AND le.value_date <= ?
AND NOT EXISTS (SELECT 1 FROM bank_transactions bt WHERE bt.entry_id = le.id AND bt.kind = 'PAYMENT')`

// Report reconciles a programme's ledger with the bank from from to to
// (value dates, inclusive), in a fixed number of queries.
// Errors: NOT_FOUND, VALIDATION.
func (s *Service) Report(ctx context.Context, programID pulid.ID, from, to time.Time) (*Reconciliation, error) {
	from, to = types.NormalizeDate(from), types.NormalizeDate(to)
	if to.Before(from) {
		return nil, apperr.New(apperr.Validation, "from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	c := s.Client
	p, err := c.Program.Get(ctx, programID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", programID)
	} else if err != nil {
		return nil, err
	}
	rows := map[pulid.ID]*ReconciliationRow{}
	row := func(id pulid.ID) *ReconciliationRow {
		r := rows[id]
		if r == nil {
			r = &ReconciliationRow{Participation: &ent.Participation{ID: id}}
			rows[id] = r
		}
		return r
	}
	args := []any{string(programID), from, to}
	sums := func(q string, set func(f *Figures, d decimal.Decimal)) error {
		rs, err := c.QueryContext(ctx, s.Dialect.Rebind(q), args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var pid, stage string
			var cents int64
			if err := rs.Scan(&pid, &stage, &cents); err != nil {
				return err
			}
			r := row(pulid.ID(pid))
			f := &r.Stage1
			if types.FundingStage(stage) == types.Stage2 {
				f = &r.Stage2
			}
			set(f, decimal.New(cents, -2))
		}
		return rs.Err()
	}
	if err := sums(ledgerSumSQL, func(f *Figures, d decimal.Decimal) { f.LedgerPaid = d }); err != nil {
		return nil, err
	}
	if err := sums(bankSumSQL, func(f *Figures, d decimal.Decimal) { f.BankConfirmed = d }); err != nil {
		return nil, err
	}
	// Disbursements without a confirming payment.
	var ids []pulid.ID
	rs, err := c.QueryContext(ctx, s.Dialect.Rebind(unconfirmedSQL), args...)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return nil, err
		}
		ids = append(ids, pulid.ID(id))
	}
	if err := rs.Close(); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		entries, err := c.LedgerEntry.Query().Where(ledgerentry.IDIn(ids...)).
			Order(ent.Asc(ledgerentry.FieldValueDate), ent.Asc(ledgerentry.FieldID)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			r := row(e.ParticipationID)
			r.UnconfirmedEntries = append(r.UnconfirmedEntries, e)
		}
	}
	// Open bank lines of the period, attributed by entry or by IBAN.
	open, err := c.BankTransaction.Query().Where(
		banktransaction.StatusNEQ(banktransaction.StatusMATCHED),
		banktransaction.ValueDateGTE(from), banktransaction.ValueDateLTE(to),
	).WithEntry().Order(ent.Asc(banktransaction.FieldValueDate), ent.Asc(banktransaction.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byIBAN := map[string]pulid.ID{}
	if len(open) > 0 {
		pas, err := c.Participation.Query().Where(participation.ProgramID(programID),
			participation.HasMunicipalityWith(municipality.IbanNotNil())).WithMunicipality().All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pa := range pas {
			byIBAN[*pa.Edges.Municipality.Iban] = pa.ID
		}
	}
	out := &Reconciliation{Program: p, From: from, To: to}
	for _, bt := range open {
		switch {
		case bt.Edges.Entry != nil:
			if bt.Edges.Entry.ProgramID == programID {
				r := row(bt.Edges.Entry.ParticipationID)
				r.OpenBankTransactions = append(r.OpenBankTransactions, bt)
			}
		case bt.CounterpartyIban != nil && byIBAN[*bt.CounterpartyIban] != "":
			r := row(byIBAN[*bt.CounterpartyIban])
			r.OpenBankTransactions = append(r.OpenBankTransactions, bt)
		default:
			out.UnattributedBankTransactions = append(out.UnattributedBankTransactions, bt)
		}
	}
	if len(rows) > 0 {
		pids := make([]pulid.ID, 0, len(rows))
		for id := range rows {
			pids = append(pids, id)
		}
		pas, err := c.Participation.Query().Where(participation.IDIn(pids...)).WithMunicipality().All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pa := range pas {
			r := rows[pa.ID]
			r.Participation = pa
			if m := pa.Edges.Municipality; m != nil {
				r.MunicipalityName = m.Name
				if m.Ags != nil {
					r.Ags = *m.Ags
				} else if m.Ars != nil {
					r.Ags = *m.Ars
				}
			}
		}
	}
	for _, r := range rows {
		r.Stage1.Difference = r.Stage1.LedgerPaid.Sub(r.Stage1.BankConfirmed)
		r.Stage2.Difference = r.Stage2.LedgerPaid.Sub(r.Stage2.BankConfirmed)
		r.Total = Figures{}
		r.Total.add(r.Stage1)
		r.Total.add(r.Stage2)
		out.Participations = append(out.Participations, r)
		out.Totals.Stage1.add(r.Stage1)
		out.Totals.Stage2.add(r.Stage2)
		out.Totals.Total.add(r.Total)
		out.Totals.UnconfirmedEntries += len(r.UnconfirmedEntries)
		out.Totals.OpenBankTransactions += len(r.OpenBankTransactions)
	}
	out.Totals.UnattributedBankTransactions = len(out.UnattributedBankTransactions)
	sort.Slice(out.Participations, func(i, j int) bool {
		a, b := out.Participations[i], out.Participations[j]
		if a.MunicipalityName != b.MunicipalityName {
			return a.MunicipalityName < b.MunicipalityName
		}
		return a.Participation.ID < b.Participation.ID
	})
	return out, nil
}
