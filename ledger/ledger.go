// Package ledger is the money of the programme: an append-only ledger of
// stage-1 and stage-2 disbursements and their reversals, exact decimals
// stored as cents, per-participation funding accounts with running totals,
// and the rules that keep every payment within the caps.
//
// Concurrency: every posting runs in a transaction that first locks the
// participant's funding account (SELECT … FOR UPDATE on PostgreSQL; on
// SQLite the transaction is BEGIN IMMEDIATE, so writers are serialized).
// All checks read the locked totals, so the caps hold under any
// interleaving and across server processes. Postings that arrive while
// others are being written share the next transaction and its commit
// (group commit, batch.go). Transient failures (busy, deadlock) are
// retried by store.InTx and never reach a client.
package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/ledgerentry"
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

func hashPayload(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(h[:])
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

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

// detach returns e usable after its transaction ended: entities loaded in a
// transaction that InTx opened itself carry its (closed) driver.
func detach(ctx context.Context, e *ent.LedgerEntry) *ent.LedgerEntry {
	if e == nil || ent.TxFromContext(ctx) != nil {
		return e
	}
	return e.Unwrap()
}

// ReverseDisbursement books a reversal of (part of) a disbursement.
// Errors: INVALID_AMOUNT, NOT_FOUND, VALIDATION, IDEMPOTENCY_CONFLICT,
// ALREADY_REVERSED, REVERSAL_EXCEEDS_ORIGINAL.
func (s *Service) ReverseDisbursement(ctx context.Context, r Reversal) (*ent.LedgerEntry, error) {
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
			ValueDate: types.DateOf(s.Now(), berlin), Reference: orig.Reference, Reason: &reason,
			IdempotencyKey: r.IdempotencyKey, PayloadHash: r.payloadHash(), ReversesID: &origID,
		}).Save(ctx)
		out = e
		return insertErr(err)
	})
	return detach(ctx, out), err
}

var berlin = types.DefaultZone() // the programme's zone (programme.CheckZone)

// ApproveStage2 records the state committees' approval of stage 2.
// Errors: NOT_FOUND, VALIDATION, CONFLICT (already approved).
func (s *Service) ApproveStage2(ctx context.Context, programID pulid.ID, approvedOn time.Time, decisionReference string) (*ent.Program, error) {
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
		if on.After(types.DateOf(s.Now(), berlin)) {
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
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
