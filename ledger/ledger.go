// Package ledger is the money of the programme: an append-only ledger of
// stage-1 and stage-2 disbursements and their reversals, exact decimals
// stored as cents, per-participation funding accounts with running totals
// and copies of the programme's caps, and the rules that keep every
// payment within the caps.
//
// Concurrency: every posting runs in a transaction that first locks the
// participant's funding account (SELECT … FOR UPDATE on PostgreSQL; on
// SQLite the transaction is BEGIN IMMEDIATE, so writers are serialized).
// All checks read the locked totals, so the caps hold under any
// interleaving and across server processes. Postings that arrive while
// others are being written share the next transaction and its commit
// (group commit). Transient failures (busy, deadlock) are retried by
// store.InTx and never reach a client.
//
// Where what is:
//   - ledger.go: the API: the codes, Service and its methods
//     (PostDisbursement, ReverseDisbursement, ApproveStage2, Funding),
//     OpenAccount, Install, Verify, Remaining;
//   - accounts.go: the funding accounts, the lock order every transaction
//     that locks them follows, lockAccounts, the idempotency keys booked,
//     and capsHook, which copies a programme's new caps into its accounts;
//   - batch.go: the group commit: the queue, the writers, a batch's
//     transaction (postBatch) and the fallback to one transaction per
//     posting;
//   - decide.go: the decision on a batch's postings from values alone
//     (decide, checkDisbursement, nextStatus);
//   - write.go: the writer that books what was decided (inserts, status
//     moves, replays, audit);
//   - install.go: the database triggers.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Error codes of the ledger.
const (
	CodeCapExceeded             = "CAP_EXCEEDED"
	CodeStage2NotOpen           = "STAGE2_NOT_OPEN"
	CodeStage2NotApproved       = "STAGE2_NOT_APPROVED"
	CodeNotStage1Participant    = "NOT_STAGE1_PARTICIPANT"
	CodeAfterProgramEnd         = "AFTER_PROGRAM_END"
	CodeParticipationWithdrawn  = "PARTICIPATION_WITHDRAWN"
	CodeIdempotencyConflict     = "IDEMPOTENCY_CONFLICT"
	CodeAlreadyReversed         = "ALREADY_REVERSED"
	CodeReversalExceedsOriginal = "REVERSAL_EXCEEDS_ORIGINAL"
	CodeInvalidAmount           = "INVALID_AMOUNT"
)

// Service posts and reverses payments. Now is the clock; Dialect selects
// the locking strategy. A Service must not be copied after first use.
type Service struct {
	Client  *ent.Client
	Dialect store.Dialect
	Now     func() time.Time
	// Zone is the programme's time zone, from programme.InstallationZone:
	// "today" is the date of Now there (a reversal's value date, the
	// latest approval of stage 2). Without it ReverseDisbursement and
	// ApproveStage2 fail.
	Zone *time.Location
	// Unbatched posts every disbursement in a transaction of its own
	// instead of committing concurrent postings together (see batch.go);
	// the benchmark compares both.
	Unbatched bool
	// BatchSizes, if set, observes how many postings each batch wrote
	// (a prometheus.Histogram fits).
	BatchSizes interface{ Observe(float64) }

	batch batcher
}

// Disbursement is a payment to post.
type Disbursement struct {
	ParticipationID pulid.ID
	Stage           types.FundingStage
	Amount          decimal.Decimal
	ValueDate       time.Time
	Reference       string
	IdempotencyKey  string
}

func (d Disbursement) payloadHash() string {
	return hashPayload("D", string(d.ParticipationID), string(d.Stage), d.Amount.StringFixed(2),
		types.NormalizeDate(d.ValueDate).Format(time.DateOnly), d.Reference)
}

// normalize checks what needs no database and trims the reference.
func (d *Disbursement) normalize() error {
	d.Reference = strings.TrimSpace(d.Reference)
	switch {
	case d.Reference == "":
		return apperr.New(apperr.Validation, "a payment needs a reference (Kassenzeichen)")
	case strings.TrimSpace(d.IdempotencyKey) == "":
		return apperr.New(apperr.Validation, "a payment needs an idempotency key")
	case d.Stage != types.Stage1 && d.Stage != types.Stage2:
		return apperr.New(apperr.Validation, "unknown stage %q", d.Stage)
	}
	if err := validAmount(d.Amount); err != nil {
		return err
	}
	// The schema's limits, checked here so that a request that breaks
	// them never reaches (and rolls back) a batch.
	if len(d.Reference) > types.MaxReferenceLen {
		return apperr.New(apperr.Validation, "the reference is too long (at most %d bytes)", types.MaxReferenceLen)
	}
	if len(d.IdempotencyKey) > types.MaxIdempotencyKeyLen {
		return apperr.New(apperr.Validation, "the idempotency key is too long (at most %d bytes)", types.MaxIdempotencyKeyLen)
	}
	d.ValueDate = types.NormalizeDate(d.ValueDate)
	return nil
}

// Reversal corrects (part of) a disbursement. A nil Amount reverses what
// is left of the original.
type Reversal struct {
	EntryID        pulid.ID
	Amount         *decimal.Decimal
	Reason         string
	IdempotencyKey string
}

func (r Reversal) payloadHash() string {
	amount := "rest"
	if r.Amount != nil {
		amount = r.Amount.StringFixed(2)
	}
	return hashPayload("R", string(r.EntryID), amount, r.Reason)
}

// PostDisbursement books a payment after checking every rule against the
// locked totals. The same idempotency key with the same payload returns the
// original entry and books nothing. Concurrent postings are committed
// together (batch.go); inside a caller's transaction the posting is part
// of it.
// Errors: INVALID_AMOUNT, NOT_FOUND, VALIDATION, IDEMPOTENCY_CONFLICT,
// PARTICIPATION_WITHDRAWN, AFTER_PROGRAM_END, STAGE2_NOT_OPEN,
// STAGE2_NOT_APPROVED, NOT_STAGE1_PARTICIPANT, CAP_EXCEEDED.
func (s *Service) PostDisbursement(ctx context.Context, d Disbursement) (*ent.LedgerEntry, error) {
	if err := d.normalize(); err != nil {
		return nil, err
	}
	if s.Unbatched || ent.TxFromContext(ctx) != nil {
		return s.postAlone(ctx, d)
	}
	return s.postQueued(ctx, d)
}

// ReverseDisbursement books a reversal of (part of) a disbursement.
// Its value date is today in the programme's time zone.
// Errors: INVALID_AMOUNT, NOT_FOUND, VALIDATION, IDEMPOTENCY_CONFLICT,
// ALREADY_REVERSED, REVERSAL_EXCEEDS_ORIGINAL; without Zone an error
// without a code.
func (s *Service) ReverseDisbursement(ctx context.Context, r Reversal) (*ent.LedgerEntry, error) {
	if s.Zone == nil {
		return nil, errNoZone
	}
	r.Reason = strings.TrimSpace(r.Reason)
	switch {
	case r.Reason == "":
		return nil, apperr.New(apperr.Validation, "a reversal needs a reason")
	case strings.TrimSpace(r.IdempotencyKey) == "":
		return nil, apperr.New(apperr.Validation, "a reversal needs an idempotency key")
	}
	if r.Amount != nil {
		if err := validAmount(*r.Amount); err != nil {
			return nil, err
		}
	}
	var out *ent.LedgerEntry
	err := store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		orig, err := c.LedgerEntry.Get(ctx, r.EntryID)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "ledger entry %s not found", r.EntryID)
		} else if err != nil {
			return err
		}
		if _, err := s.lockAccounts(ctx, c, []pulid.ID{orig.ParticipationID}); err != nil {
			return err
		}
		keys, err := s.bookedKeys(ctx, c, map[pulid.ID][]any{orig.ProgramID: {r.IdempotencyKey}})
		if err != nil {
			return err
		}
		if hit, ok := keys[bookedKey{orig.ProgramID, r.IdempotencyKey}]; ok {
			if hit.hash != r.payloadHash() {
				return idempotencyConflict(r.IdempotencyKey, hit.id)
			}
			out, err = c.LedgerEntry.Get(ctx, hit.id)
			return err
		}
		if orig.Kind != ledgerentry.KindDISBURSEMENT {
			return apperr.New(apperr.Validation, "only disbursements can be reversed; %s is a reversal", orig.ID)
		}
		reversals, err := c.LedgerEntry.Query().Where(ledgerentry.ReversesID(orig.ID)).All(ctx)
		if err != nil {
			return err
		}
		left := orig.Amount
		for _, rev := range reversals {
			left = left.Sub(rev.Amount)
		}
		if !left.IsPositive() {
			return apperr.New(CodeAlreadyReversed, "entry %s is already fully reversed", orig.ID).With("remaining", money(decimal.Zero))
		}
		amount := left
		if r.Amount != nil {
			amount = *r.Amount
		}
		if amount.GreaterThan(left) {
			return apperr.New(CodeReversalExceedsOriginal, "%s EUR is more than the %s EUR left of entry %s",
				money(amount), money(left), orig.ID).With("remaining", money(left))
		}
		reason := r.Reason
		origID := orig.ID
		e, err := s.entryCreate(ctx, c, &ent.LedgerEntry{
			ProgramID: orig.ProgramID, ParticipationID: orig.ParticipationID, Stage: orig.Stage,
			Kind: ledgerentry.KindREVERSAL, Amount: amount,
			ValueDate: s.today(), Reference: orig.Reference, Reason: &reason,
			IdempotencyKey: r.IdempotencyKey, PayloadHash: r.payloadHash(), ReversesID: &origID,
		}).Save(ctx)
		out = e
		return insertErr(err)
	})
	return detach(ctx, out), err
}

// ApproveStage2 records the state committees' approval of stage 2 on
// approvedOn, a date within the programme's period and not after today in
// the programme's time zone.
// Errors: NOT_FOUND, VALIDATION, CONFLICT (already approved); without
// Zone an error without a code.
func (s *Service) ApproveStage2(ctx context.Context, programID pulid.ID, approvedOn time.Time, decisionReference string) (*ent.Program, error) {
	if s.Zone == nil {
		return nil, errNoZone
	}
	decisionReference = strings.TrimSpace(decisionReference)
	if decisionReference == "" {
		return nil, apperr.New(apperr.Validation, "the approval needs the committees' decision reference")
	}
	var out *ent.Program
	err := store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		p, err := c.Program.Get(ctx, programID)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "programme %s not found", programID)
		} else if err != nil {
			return err
		}
		if p.Stage2ApprovedOn != nil {
			return apperr.New(apperr.Conflict, "stage 2 was already approved on %s (%s)",
				p.Stage2ApprovedOn.Format(time.DateOnly), deref(p.Stage2DecisionReference))
		}
		on := types.NormalizeDate(approvedOn)
		if on.Before(types.NormalizeDate(p.StartsOn)) || on.After(types.NormalizeDate(p.EndsOn)) {
			return apperr.New(apperr.Validation, "approvedOn %s is outside the programme period", on.Format(time.DateOnly))
		}
		if on.After(s.today()) {
			return apperr.New(apperr.Validation, "approvedOn %s is in the future", on.Format(time.DateOnly))
		}
		n, err := c.Program.Update().Where(program.ID(p.ID), program.Stage2ApprovedOnIsNil()).
			SetStage2ApprovedOn(on).SetStage2DecisionReference(decisionReference).Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 { // approved concurrently
			return apperr.New(apperr.Conflict, "stage 2 was approved concurrently")
		}
		out, err = c.Program.Get(ctx, p.ID)
		return err
	})
	if err == nil && ent.TxFromContext(ctx) == nil {
		out = out.Unwrap()
	}
	return out, err
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

// Remaining returns what can still be paid for stage 1 and in total.
func Remaining(acc *ent.FundingAccount) (stage1, total decimal.Decimal) {
	total = acc.TotalCap.Sub(acc.Stage1Paid).Sub(acc.Stage2Paid)
	return decimal.Min(acc.Stage1Cap.Sub(acc.Stage1Paid), total), total
}

// OpenAccount creates the funding account of a new participation with the
// programme's caps. Registration calls it in its transaction, so that a
// posting always finds a row to lock.
func OpenAccount(ctx context.Context, c *ent.Client, pa *ent.Participation, p *ent.Program, now time.Time) error {
	return c.FundingAccount.Create().
		SetParticipationID(pa.ID).
		SetStage1Paid(decimal.Zero).SetStage2Paid(decimal.Zero).
		SetStage1Cap(p.Stage1Amount).SetTotalCap(p.TotalCap).
		SetUpdatedAt(now).
		Exec(ctx)
}

// Install adds what the ORM cannot express: a trigger that moves a funding
// account's totals with every entry inserted (so that they always equal the
// sum of the entries, in the inserting statement, under the CHECK
// constraints), and triggers that refuse UPDATE and DELETE of ledger
// entries, a second line of defence behind the append-only hook
// (install.go); and it adds to db.Client the hook that copies a
// programme's new caps into its funding accounts (capsHook, accounts.go).
// It is idempotent and runs after every migration, before the client is
// used.
func Install(ctx context.Context, db *store.DB) error {
	if err := installTriggers(ctx, db); err != nil {
		return err
	}
	db.Client.Program.Use(capsHook(db.Dialect))
	return nil
}

func hashPayload(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(h[:])
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

// detach returns e usable after its transaction ended: entities loaded in a
// transaction that InTx opened itself carry its (closed) driver.
func detach(ctx context.Context, e *ent.LedgerEntry) *ent.LedgerEntry {
	if e == nil || ent.TxFromContext(ctx) != nil {
		return e
	}
	return e.Unwrap()
}

// today is the date of Now in the programme's time zone (Zone, which the
// caller has checked).
func (s *Service) today() time.Time { return types.DateOf(s.Now(), s.Zone) }

// errNoZone is what a Service without Zone returns where it needs the
// date: the wiring forgot it, and no zone is guessed in its place.
var errNoZone = errors.New("ledger: the service has no time zone (Service.Zone, from programme.InstallationZone)")

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
