package ledger

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
)

// Mismatch is a funding account whose running totals differ from the sum
// of its entries.
type Mismatch struct {
	ParticipationID              pulid.ID
	Stage1Account, Stage1Entries decimal.Decimal
	Stage2Account, Stage2Entries decimal.Decimal
	MissingAccount               bool
}

func (m Mismatch) String() string {
	if m.MissingAccount {
		return fmt.Sprintf("%s: entries without a funding account", m.ParticipationID)
	}
	return fmt.Sprintf("%s: stage 1 account %s vs entries %s, stage 2 account %s vs entries %s",
		m.ParticipationID, money(m.Stage1Account), money(m.Stage1Entries), money(m.Stage2Account), money(m.Stage2Entries))
}

// verifySQL recomputes every account from its entries in one set-based
// query (portable between SQLite and PostgreSQL).
const verifySQL = `
SELECT fa.participation_id, fa.stage1_paid, fa.stage2_paid, COALESCE(e.s1, 0), COALESCE(e.s2, 0)
FROM funding_accounts fa
LEFT JOIN (
  SELECT participation_id,
    SUM(CASE WHEN stage = 'STAGE_1' THEN (CASE WHEN kind = 'DISBURSEMENT' THEN amount ELSE -amount END) ELSE 0 END) AS s1,
    SUM(CASE WHEN stage = 'STAGE_2' THEN (CASE WHEN kind = 'DISBURSEMENT' THEN amount ELSE -amount END) ELSE 0 END) AS s2
  FROM ledger_entries GROUP BY participation_id
) e ON e.participation_id = fa.participation_id
WHERE fa.stage1_paid <> COALESCE(e.s1, 0) OR fa.stage2_paid <> COALESCE(e.s2, 0)
UNION ALL
SELECT DISTINCT le.participation_id, 0, 0, 0, 0
FROM ledger_entries le LEFT JOIN funding_accounts fa ON fa.participation_id = le.participation_id
WHERE fa.id IS NULL`

// Verify recomputes every funding account from its entries and reports
// each difference. A clean ledger returns no mismatches.
func Verify(ctx context.Context, c *ent.Client) ([]Mismatch, error) {
	rows, err := c.QueryContext(ctx, verifySQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mismatch
	for rows.Next() {
		var (
			id             string
			a1, a2, e1, e2 int64
		)
		if err := rows.Scan(&id, &a1, &a2, &e1, &e2); err != nil {
			return nil, err
		}
		m := Mismatch{ParticipationID: pulid.ID(id),
			Stage1Account: decimal.New(a1, -2), Stage2Account: decimal.New(a2, -2),
			Stage1Entries: decimal.New(e1, -2), Stage2Entries: decimal.New(e2, -2)}
		m.MissingAccount = a1 == 0 && a2 == 0 && e1 == 0 && e2 == 0
		out = append(out, m)
	}
	return out, rows.Err()
}

// ProgramFunding sums a programme's funding.
type ProgramFunding struct {
	Program                           *ent.Program
	Participants, Funded              int
	Stage1Paid, Stage2Paid, TotalPaid decimal.Decimal
	BudgetRemaining                   *decimal.Decimal
}

const programFundingSQL = `
SELECT COALESCE(SUM(CASE WHEN p.status <> ? THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN fa.stage1_paid + fa.stage2_paid > 0 THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(fa.stage1_paid), 0), COALESCE(SUM(fa.stage2_paid), 0)
FROM participations p JOIN funding_accounts fa ON fa.participation_id = p.id
WHERE p.program_id = ?`

// Funding returns the totals of a programme: participants (not
// withdrawn), how many received money (withdrawn ones included), paid per
// stage (all money paid, also to participations withdrawn since), and what
// is left of the budget. Errors: NOT_FOUND.
func (s *Service) Funding(ctx context.Context, programID pulid.ID) (*ProgramFunding, error) {
	c := s.Client
	p, err := c.Program.Get(ctx, programID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", programID)
	} else if err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, s.Dialect.Rebind(programFundingSQL), string(participation.StatusWITHDRAWN), string(programID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var n, funded, s1, s2 int64
	if rows.Next() {
		if err := rows.Scan(&n, &funded, &s1, &s2); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := &ProgramFunding{Program: p, Participants: int(n), Funded: int(funded),
		Stage1Paid: decimal.New(s1, -2), Stage2Paid: decimal.New(s2, -2)}
	out.TotalPaid = out.Stage1Paid.Add(out.Stage2Paid)
	if p.Budget != nil {
		rest := p.Budget.Sub(out.TotalPaid)
		out.BudgetRemaining = &rest
	}
	return out, nil
}

// Remaining returns what can still be paid for stage 1 and in total.
func Remaining(acc *ent.FundingAccount) (stage1, total decimal.Decimal) {
	total = acc.TotalCap.Sub(acc.Stage1Paid).Sub(acc.Stage2Paid)
	return decimal.Min(acc.Stage1Cap.Sub(acc.Stage1Paid), total), total
}
