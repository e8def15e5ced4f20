package ledger

import (
	"context"
	"database/sql"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/fundingaccount"
	"sicherkommunal/ent/hook"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
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

// account is what the rules need of a locked funding account, its
// participation and its programme, loaded in one statement.
type account struct {
	participationID, programID pulid.ID
	status                     participation.Status // of the participation

	stage1Paid, stage2Paid decimal.Decimal // the running totals
	stage1Cap, totalCap    decimal.Decimal // the programme's caps, copied

	startsOn, endsOn, stage2OpensOn time.Time  // the programme's dates
	stage2ApprovedOn                *time.Time // nil until stage 2 is approved
}

const lockManySQL = `SELECT fa.participation_id, fa.stage1_paid, fa.stage2_paid, fa.stage1_cap, fa.total_cap,
  p.status, p.program_id, g.starts_on, g.ends_on, g.stage2_opens_on, g.stage2_approved_on
FROM funding_accounts fa
JOIN participations p ON p.id = fa.participation_id
JOIN programs g ON g.id = p.program_id
WHERE fa.participation_id IN (`

// lockAccounts locks the funding accounts of the sorted participations
// pids, in that order (FOR UPDATE OF the account and the participation on
// PostgreSQL), and loads what the rules need of their participations and
// programmes. A participation without an account is missing from the map.
func (s *Service) lockAccounts(ctx context.Context, c *ent.Client, pids []pulid.ID) (map[pulid.ID]account, error) {
	q := lockManySQL + store.Placeholders(len(pids)) + ") ORDER BY fa.participation_id"
	if s.Dialect.IsPostgres() {
		// The participation row too: a withdrawal or an acceptance
		// committed meanwhile must be seen, and not be overwritten.
		q += " FOR UPDATE OF fa, p"
	}
	args := make([]any, len(pids))
	for i, id := range pids {
		args[i] = string(id)
	}
	rows, err := c.QueryContext(ctx, s.Dialect.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	accs := make(map[pulid.ID]account, len(pids))
	for rows.Next() {
		var (
			pid, status, programID string
			s1, s2, cap1, capTotal int64
			approved               sql.NullTime
			a                      account
		)
		if err := rows.Scan(&pid, &s1, &s2, &cap1, &capTotal, &status, &programID,
			&a.startsOn, &a.endsOn, &a.stage2OpensOn, &approved); err != nil {
			return nil, err
		}
		if approved.Valid {
			a.stage2ApprovedOn = &approved.Time
		}
		a.participationID, a.programID, a.status = pulid.ID(pid), pulid.ID(programID), participation.Status(status)
		a.stage1Paid, a.stage2Paid = decimal.New(s1, -2), decimal.New(s2, -2)
		a.stage1Cap, a.totalCap = decimal.New(cap1, -2), decimal.New(capTotal, -2)
		accs[a.participationID] = a
	}
	return accs, rows.Err()
}

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

// bookedKeys returns the entries already booked under the idempotency
// keys, per programme. It runs after the accounts are locked, so on
// PostgreSQL it sees every posting committed before.
func (s *Service) bookedKeys(ctx context.Context, c *ent.Client, byProgram map[pulid.ID][]any) (map[bookedKey]keyHit, error) {
	hits := map[bookedKey]keyHit{}
	for programID, keys := range byProgram {
		q := s.Dialect.Rebind("SELECT idempotency_key, id, payload_hash FROM ledger_entries WHERE program_id = ?" +
			" AND idempotency_key IN (" + store.Placeholders(len(keys)) + ")")
		rows, err := c.QueryContext(ctx, q, append([]any{string(programID)}, keys...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key, id, hash string
			if err := rows.Scan(&key, &id, &hash); err != nil {
				rows.Close()
				return nil, err
			}
			hits[bookedKey{programID, key}] = keyHit{pulid.ID(id), hash}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return hits, nil
}

// bookedKey is an idempotency key; keys are unique per programme.
type bookedKey struct {
	program pulid.ID
	key     string
}

// keyHit is the entry booked under a key and the hash of its payload.
type keyHit struct {
	id   pulid.ID
	hash string
}
