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
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
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

// validAmount refuses amounts that can never be a payment.
func validAmount(a decimal.Decimal) error {
	if !a.IsPositive() {
		return apperr.New(CodeInvalidAmount, "the amount must be positive, not %s", money(a))
	}
	if a.Exponent() < -2 && !a.Equal(a.Round(2)) {
		return apperr.New(CodeInvalidAmount, "the amount %s has more than two fraction digits", a.String())
	}
	return nil
}

// account is a locked funding account with what the rules need of its
// participation and programme, loaded in one statement.
type account struct {
	*ent.FundingAccount
	status    participation.Status
	programID pulid.ID
	program   ent.Program // StartsOn, EndsOn, Stage2OpensOn, Stage2ApprovedOn
}

const lockManySQL = `SELECT fa.id, fa.participation_id, fa.stage1_paid, fa.stage2_paid, fa.stage1_cap, fa.total_cap,
  p.status, p.program_id, g.starts_on, g.ends_on, g.stage2_opens_on, g.stage2_approved_on
FROM funding_accounts fa
JOIN participations p ON p.id = fa.participation_id
JOIN programs g ON g.id = p.program_id
WHERE fa.participation_id IN (`

// lockAccounts locks the funding accounts of the sorted participations
// pids, in that order (FOR UPDATE OF the account and the participation on
// PostgreSQL; SQLite's write transaction is exclusive already), and loads
// what the rules need of their participations and programmes.
func (s *Service) lockAccounts(ctx context.Context, c *ent.Client, pids []pulid.ID) (map[pulid.ID]*account, error) {
	q := lockManySQL + store.Placeholders(len(pids)) + ") ORDER BY fa.participation_id"
	if s.Dialect.IsPostgres() {
		// The participation row too: a withdrawal or an acceptance
		// committed meanwhile must be seen, and not be overwritten.
		q += " FOR UPDATE OF fa, p"
	}
	q = s.Dialect.Rebind(q)
	args := make([]any, len(pids))
	for i, id := range pids {
		args[i] = string(id)
	}
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	accs := make(map[pulid.ID]*account, len(pids))
	for rows.Next() {
		var (
			id, pid, status, programID string
			s1, s2, cap1, capTotal     int64
			approved                   sql.NullTime
			a                          = &account{}
		)
		if err := rows.Scan(&id, &pid, &s1, &s2, &cap1, &capTotal, &status, &programID,
			&a.program.StartsOn, &a.program.EndsOn, &a.program.Stage2OpensOn, &approved); err != nil {
			return nil, err
		}
		if approved.Valid {
			a.program.Stage2ApprovedOn = &approved.Time
		}
		a.FundingAccount = &ent.FundingAccount{ID: pulid.ID(id), ParticipationID: pulid.ID(pid),
			Stage1Paid: decimal.New(s1, -2), Stage2Paid: decimal.New(s2, -2),
			Stage1Cap: decimal.New(cap1, -2), TotalCap: decimal.New(capTotal, -2)}
		a.status, a.programID = participation.Status(status), pulid.ID(programID)
		accs[a.ParticipationID] = a
	}
	return accs, rows.Err()
}

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

type bookedKey struct {
	program pulid.ID
	key     string
}

type keyHit struct {
	id   pulid.ID
	hash string
}

func idempotencyConflict(key string, entry pulid.ID) error {
	return apperr.New(CodeIdempotencyConflict, "idempotency key %q was used for another request", key).
		With("entryID", string(entry))
}

// checkDisbursement applies the ledger's rules (README, "Money") to a new payment.
func checkDisbursement(acc *account, stage types.FundingStage, amount decimal.Decimal, valueDate time.Time) error {
	p := &acc.program
	stage1Rest := acc.Stage1Cap.Sub(acc.Stage1Paid)
	totalRest := acc.TotalCap.Sub(acc.Stage1Paid).Sub(acc.Stage2Paid)
	remaining := totalRest
	stageCap := acc.TotalCap
	if stage == types.Stage1 {
		remaining = decimal.Min(stage1Rest, totalRest)
		stageCap = acc.Stage1Cap
	}
	if amount.GreaterThan(stageCap) {
		return apperr.New(CodeInvalidAmount, "%s EUR is more than the %s cap of %s EUR", money(amount), stage, money(stageCap)).
			With("remaining", money(remaining))
	}
	if acc.status == participation.StatusWITHDRAWN {
		return apperr.New(CodeParticipationWithdrawn, "the participation was withdrawn; no payments")
	}
	if valueDate.After(types.NormalizeDate(p.EndsOn)) {
		return apperr.New(CodeAfterProgramEnd, "value date %s is after the programme's end %s",
			valueDate.Format(time.DateOnly), p.EndsOn.Format(time.DateOnly)).With("endsOn", p.EndsOn.Format(time.DateOnly))
	}
	if valueDate.Before(types.NormalizeDate(p.StartsOn)) {
		return apperr.New(apperr.Validation, "value date %s is before the programme's start %s",
			valueDate.Format(time.DateOnly), p.StartsOn.Format(time.DateOnly))
	}
	if stage == types.Stage2 {
		if valueDate.Before(types.NormalizeDate(p.Stage2OpensOn)) {
			return apperr.New(CodeStage2NotOpen, "stage 2 opens on %s; value date %s is earlier",
				p.Stage2OpensOn.Format(time.DateOnly), valueDate.Format(time.DateOnly)).
				With("stage2OpensOn", p.Stage2OpensOn.Format(time.DateOnly))
		}
		if p.Stage2ApprovedOn == nil {
			return apperr.New(CodeStage2NotApproved, "the state committees' approval of stage 2 is not recorded")
		}
		if valueDate.Before(types.NormalizeDate(*p.Stage2ApprovedOn)) {
			return apperr.New(CodeStage2NotApproved, "stage 2 was approved on %s; value date %s is earlier",
				p.Stage2ApprovedOn.Format(time.DateOnly), valueDate.Format(time.DateOnly)).
				With("stage2ApprovedOn", p.Stage2ApprovedOn.Format(time.DateOnly))
		}
		if !acc.Stage1Paid.IsPositive() {
			return apperr.New(CodeNotStage1Participant, "stage 2 is only for stage-1 participants; no stage-1 payment is booked")
		}
	}
	if amount.GreaterThan(remaining) {
		return apperr.New(CodeCapExceeded, "%s EUR exceeds what can still be paid (%s EUR)", money(amount), money(remaining)).
			With("remaining", money(remaining)).
			With("stage1Paid", money(acc.Stage1Paid)).
			With("totalPaid", money(acc.Stage1Paid.Add(acc.Stage2Paid)))
	}
	return nil
}

// entryCreate returns the insert of e, with its ID chosen now so that a
// batch knows it before the insert.
func (s *Service) entryCreate(ctx context.Context, c *ent.Client, e *ent.LedgerEntry) *ent.LedgerEntryCreate {
	return c.LedgerEntry.Create().SetID(pulid.New(ledgerEntryPrefix)).
		SetProgramID(e.ProgramID).SetParticipationID(e.ParticipationID).SetStage(e.Stage).SetKind(e.Kind).
		SetAmount(e.Amount).SetValueDate(e.ValueDate).SetReference(e.Reference).SetNillableReason(e.Reason).
		SetIdempotencyKey(e.IdempotencyKey).SetPayloadHash(e.PayloadHash).SetNillableReversesID(e.ReversesID).
		SetCreatedBy(auth.Actor(ctx)).SetCreatedAt(s.Now())
}

// ledgerEntryPrefix is the type prefix of ledger entry IDs (see
// ent/schema).
const ledgerEntryPrefix = "LE"

// insertErr explains an insert's failure: the database triggers installed
// by Install move the accounts' totals in the inserting statement, so that
// they always equal the sum of the entries (and the CHECK constraints see
// every change). The caller holds the accounts' locks and has checked the
// idempotency keys, so a duplicate key can only come from a concurrent
// request on another participation; its unique violation makes the whole
// transaction retry, and the retry's key check decides.
func insertErr(err error) error {
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("%w: idempotency key booked concurrently: %v", store.ErrRetry, err)
	}
	return err
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
