package reconcile

import (
	"context"
	"database/sql"
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
// (value dates, inclusive), in a fixed number of queries: each step below
// is one or two of them, and the figures are put together without the
// database (addRows).
// Errors: NOT_FOUND, VALIDATION.
func (s *Service) Report(ctx context.Context, programID pulid.ID, from, to time.Time) (*Reconciliation, error) {
	from, to, err := reportPeriod(from, to)
	if err != nil {
		return nil, err
	}
	p, err := s.Client.Program.Get(ctx, programID)
	if err != nil {
		return nil, notFound(err, "programme", programID)
	}
	rows := reportRows{}
	args := []any{string(programID), from, to}
	if err := s.addSums(ctx, ledgerSumSQL, args, rows, setLedgerPaid); err != nil {
		return nil, err
	}
	if err := s.addSums(ctx, bankSumSQL, args, rows, setBankConfirmed); err != nil {
		return nil, err
	}
	if err := s.addUnconfirmed(ctx, args, rows); err != nil {
		return nil, err
	}
	out := &Reconciliation{Program: p, From: from, To: to}
	if out.UnattributedBankTransactions, err = s.addOpenLines(ctx, programID, from, to, rows); err != nil {
		return nil, err
	}
	if err := s.describeRows(ctx, rows); err != nil {
		return nil, err
	}
	out.addRows(rows)
	return out, nil
}

// reportPeriod normalizes the period to calendar days and refuses one that
// ends before it starts: the queries take both days as inclusive bounds.
func reportPeriod(from, to time.Time) (time.Time, time.Time, error) {
	from, to = types.NormalizeDate(from), types.NormalizeDate(to)
	if to.Before(from) {
		return from, to, apperr.New(apperr.Validation, "from %s is after to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	return from, to, nil
}

// reportRows are the rows of a report by participation. A participation
// gets a row as soon as any query names it (a sum, an unconfirmed entry,
// an open line), so that the rows are exactly the participations with
// something to show.
type reportRows map[pulid.ID]*ReconciliationRow

// row is the row of a participation, made on first use with only its ID
// (describeRows fills in the rest).
func (rows reportRows) row(id pulid.ID) *ReconciliationRow {
	r := rows[id]
	if r == nil {
		r = &ReconciliationRow{Participation: &ent.Participation{ID: id}}
		rows[id] = r
	}
	return r
}

// stage is the figures of one stage of the row: the sums come per
// (participation, stage), and anything but STAGE_2 counts as stage 1.
func (r *ReconciliationRow) stage(s types.FundingStage) *Figures {
	if s == types.Stage2 {
		return &r.Stage2
	}
	return &r.Stage1
}

// setLedgerPaid and setBankConfirmed say which side a sum query fills.
func setLedgerPaid(f *Figures, d decimal.Decimal)    { f.LedgerPaid = d }
func setBankConfirmed(f *Figures, d decimal.Decimal) { f.BankConfirmed = d }

// addSums runs one of the sum queries (ledgerSumSQL, bankSumSQL): one
// result row per participation and stage, in cents, set into the stage's
// figures by set. Summing in SQL keeps the report at a fixed number of
// queries however many entries and lines there are.
func (s *Service) addSums(ctx context.Context, query string, args []any, rows reportRows, set func(*Figures, decimal.Decimal)) error {
	return eachRow(ctx, s.Client, s.Dialect.Rebind(query), args, func(rs *sql.Rows) error {
		var pid, stage string
		var cents int64
		if err := rs.Scan(&pid, &stage, &cents); err != nil {
			return err
		}
		set(rows.row(pulid.ID(pid)).stage(types.FundingStage(stage)), decimal.New(cents, -2))
		return nil
	})
}

// addUnconfirmed lists the disbursements of the period that no bank
// payment confirms (unconfirmedSQL), and loads them whole in one more
// query, oldest first, for their rows: the report shows each of them.
func (s *Service) addUnconfirmed(ctx context.Context, args []any, rows reportRows) error {
	var ids []pulid.ID
	err := eachRow(ctx, s.Client, s.Dialect.Rebind(unconfirmedSQL), args, func(rs *sql.Rows) error {
		var id string
		if err := rs.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, pulid.ID(id))
		return nil
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	entries, err := s.Client.LedgerEntry.Query().Where(ledgerentry.IDIn(ids...)).
		Order(ent.Asc(ledgerentry.FieldValueDate), ent.Asc(ledgerentry.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := rows.row(e.ParticipationID)
		r.UnconfirmedEntries = append(r.UnconfirmedEntries, e)
	}
	return nil
}

// addOpenLines loads the bank lines of the period that are not MATCHED,
// and the Kommunen's IBANs of the programme only when there are such
// lines, and attributes them (attributeOpenLines); it returns the lines
// that belong to no participation.
func (s *Service) addOpenLines(ctx context.Context, programID pulid.ID, from, to time.Time, rows reportRows) ([]*ent.BankTransaction, error) {
	c := s.Client
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
	return attributeOpenLines(open, programID, byIBAN, rows), nil
}

// attributeOpenLines puts each open line into the row of its
// participation: by its entry (AMOUNT_MISMATCH links one; an entry of
// another programme drops the line from this report), else by its
// counterparty IBAN (byIBAN: Kommune IBAN → participation). The lines
// attributed to neither are returned, in their order.
func attributeOpenLines(open []*ent.BankTransaction, programID pulid.ID, byIBAN map[string]pulid.ID, rows reportRows) []*ent.BankTransaction {
	var unattributed []*ent.BankTransaction
	for _, bt := range open {
		switch {
		case bt.Edges.Entry != nil:
			if bt.Edges.Entry.ProgramID == programID {
				r := rows.row(bt.Edges.Entry.ParticipationID)
				r.OpenBankTransactions = append(r.OpenBankTransactions, bt)
			}
		case bt.CounterpartyIban != nil && byIBAN[*bt.CounterpartyIban] != "":
			r := rows.row(byIBAN[*bt.CounterpartyIban])
			r.OpenBankTransactions = append(r.OpenBankTransactions, bt)
		default:
			unattributed = append(unattributed, bt)
		}
	}
	return unattributed
}

// describeRows loads the participations of the rows with their Kommunen
// in one query: until now a row knows only its participation's ID.
func (s *Service) describeRows(ctx context.Context, rows reportRows) error {
	if len(rows) == 0 {
		return nil
	}
	pids := make([]pulid.ID, 0, len(rows))
	for id := range rows {
		pids = append(pids, id)
	}
	pas, err := s.Client.Participation.Query().Where(participation.IDIn(pids...)).WithMunicipality().All(ctx)
	if err != nil {
		return err
	}
	for _, pa := range pas {
		rows[pa.ID].describe(pa)
	}
	return nil
}

// describe sets the participation of the row and its Kommune's name and
// key: the AGS, or the ARS for a Kommune that has none (a
// Verbandsgemeinde).
func (r *ReconciliationRow) describe(pa *ent.Participation) {
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

// addRows completes the rows' figures (each stage's difference, the
// row's total) and adds them up into the report's totals, with the counts
// of open items; the rows are listed by Kommune name, then participation
// ID, so that the report reads the same on every run.
func (out *Reconciliation) addRows(rows reportRows) {
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
}
