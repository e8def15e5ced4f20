package ledger

import (
	"context"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/fundingaccount"
	"sicherkommunal/ent/hook"
	"sicherkommunal/ent/participation"
	"sicherkommunal/store"
)

// The funding accounts and their locks.
//
// A funding account holds a participation's running totals (moved by the
// insert trigger of install.go) and copies of its programme's caps, so
// that a posting checks every rule against one locked row.
//
// Lock order. Every transaction that locks funding accounts locks them in
// ascending participation ID and before any other row it changes, so that
// no two of them can wait for each other (on PostgreSQL; SQLite's write
// transaction is exclusive anyway, so there the order costs nothing):
//
//   - a posting batch and a reversal: lockAccounts, the accounts of their
//     participations together with the participation rows (FOR UPDATE OF
//     fa, p), then their inserts, which take the programme row's key-share
//     lock (the foreign key of ledger_entries);
//   - a change of a programme's caps: capsHook, every account of the
//     programme (FOR UPDATE OF fa), then the programme row, then the
//     accounts' copies of the caps. The programme row comes after the
//     accounts because an update that also renames the programme locks
//     the row against that key-share lock.

// lockProgramSQL locks every funding account of a programme, in
// participation order; the participations are read, not locked.
const lockProgramSQL = `SELECT fa.id FROM funding_accounts fa
WHERE fa.participation_id IN (SELECT p.id FROM participations p WHERE p.program_id = ?)
ORDER BY fa.participation_id`

// capsHook keeps the funding accounts' copies of a programme's caps equal
// to the programme's stage1_amount and total_cap: an update of a
// programme that sets either rewrites the caps of all its accounts in the
// same transaction, after the update (and its validation) succeeded. The
// accounts' CHECK constraints refuse caps below what was paid, as
// VALIDATION. Install adds the hook to the client; a second Install adds
// a hook that does nothing.
func capsHook(d store.Dialect) ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.ProgramFunc(func(ctx context.Context, m *ent.ProgramMutation) (ent.Value, error) {
			_, s1 := m.Stage1Amount()
			_, total := m.TotalCap()
			id, ok := m.ID()
			if !s1 && !total || !ok || ctx.Value(capsHookKey{}) != nil {
				return next.Mutate(ctx, m)
			}
			c := m.Client()
			// The accounts first (see "Lock order" above).
			q := lockProgramSQL
			if d.IsPostgres() {
				q += " FOR UPDATE OF fa"
			}
			rows, err := c.QueryContext(ctx, d.Rebind(q), string(id))
			if err != nil {
				return nil, err
			}
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(context.WithValue(ctx, capsHookKey{}, true), m)
			if err != nil {
				return nil, err
			}
			p, err := c.Program.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			err = c.FundingAccount.Update().
				Where(fundingaccount.HasParticipationWith(participation.ProgramID(id))).
				SetStage1Cap(p.Stage1Amount).SetTotalCap(p.TotalCap).Exec(ctx)
			if ent.IsConstraintError(err) {
				return nil, apperr.New(apperr.Validation, "some participants were already paid more than the new caps allow")
			}
			if err != nil {
				return nil, err
			}
			return v, nil
		})
	}, ent.OpUpdateOne)
}

type capsHookKey struct{}
