package ledger

import (
	"context"
	"errors"
	"fmt"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/store"
)

// The writer: what a batch's transaction does around the decision
// (decide.go). prepare gives each request its context in the transaction
// and the insert it would make (and asks the privacy policy); write books
// the decided outcomes, moves the participations' statuses, reads the
// replayed entries and writes the audit trail.

// prepared is a request ready for the decision.
type prepared struct {
	rctx   context.Context        // the request's values in the batch's transaction
	create *ent.LedgerEntryCreate // its insert; nil without an account or when its client gave up
}

// prepare returns, for each of reqs (in order), what the writer and the
// decision need. The audit events of the inserts go to audit.
func (s *Service) prepare(ctx context.Context, c *ent.Client, reqs []*postReq, accs map[pulid.ID]account, audit *auth.AuditBuffer) ([]prepared, []ask) {
	tx := ent.TxFromContext(ctx)
	preps, asks := make([]prepared, len(reqs)), make([]ask, len(reqs))
	for i, r := range reqs {
		asks[i].d = r.d
		acc, ok := accs[r.d.ParticipationID]
		if !ok {
			continue
		}
		if asks[i].gone = r.ctx.Err(); asks[i].gone != nil {
			continue
		}
		// The request's own values (viewer, operation) for hooks and
		// privacy, in this transaction, bounded by the batch's deadline.
		rctx := audit.Context(ent.NewContext(valuesOf(ctx, r.ctx), c))
		if tx != nil {
			rctx = ent.NewTxContext(rctx, tx)
		}
		b := s.entryCreate(rctx, c, &ent.LedgerEntry{
			ProgramID: acc.programID, ParticipationID: r.d.ParticipationID, Stage: r.d.Stage, Kind: ledgerentry.KindDISBURSEMENT,
			Amount: r.d.Amount, ValueDate: r.d.ValueDate, Reference: r.d.Reference,
			IdempotencyKey: r.d.IdempotencyKey, PayloadHash: r.d.payloadHash(),
		})
		preps[i] = prepared{rctx, b}
		asks[i].id, _ = b.Mutation().ID()
		// Who may book is asked before the rules (and again by the
		// insert's own privacy hook).
		if ledgerentry.Policy != nil {
			asks[i].denied = ledgerentry.Policy.EvalMutation(rctx, b.Mutation())
		}
	}
	return preps, asks
}

// write books outs (decided for reqs, prepared as preps) in the
// transaction of ctx and sets each request's entry or error. It returns an
// error only when the transaction must not commit.
func (s *Service) write(ctx context.Context, c *ent.Client, reqs []*postReq, preps []prepared, outs []outcome, audit *auth.AuditBuffer) error {
	for i, o := range outs {
		reqs[i].err, reqs[i].replayOf = o.err, o.replayOf
	}
	// The postings are inserted together, one statement per principal
	// (viewer and operation, which hooks and audit see), in arrival order.
	var (
		groups  [][]int
		groupOf = map[string]int{}
	)
	for i, o := range outs {
		if o.post == nil {
			continue
		}
		p := auth.Principal(preps[i].rctx)
		g, ok := groupOf[p]
		if !ok {
			g = len(groups)
			groupOf[p] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	for _, g := range groups {
		builders := make([]*ent.LedgerEntryCreate, len(g))
		for j, i := range g {
			builders[j] = preps[i].create
		}
		entries, err := c.LedgerEntry.CreateBulk(builders...).Save(preps[g[0]].rctx)
		if err != nil {
			return insertErr(err)
		}
		for j, e := range entries {
			reqs[g[j]].entry = e
		}
	}
	// The first payment of a stage moves the participation forward.
	for i, o := range outs {
		if o.post == nil || o.post.from == o.post.to {
			continue
		}
		if err := c.Participation.Update().
			Where(participation.ID(reqs[i].d.ParticipationID), participation.StatusEQ(o.post.from)).
			SetStatus(o.post.to).Exec(preps[i].rctx); err != nil {
			return err
		}
	}
	for _, r := range reqs {
		if r.entry != nil && r.replayOf == "" && r.ctx.Err() != nil {
			return errGaveUp
		}
	}
	for _, r := range reqs {
		if r.replayOf == "" {
			continue
		}
		rctx := ent.NewContext(valuesOf(ctx, r.ctx), c)
		e, err := c.LedgerEntry.Get(rctx, r.replayOf)
		switch {
		case err == nil:
			r.entry = e
		case ownError(err):
			r.err = err
		default:
			return err
		}
	}
	return audit.Flush(ctx)
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

// ownError reports an error that concerns one request only and left the
// transaction usable: a rule, a privacy decision, a validation made before
// any statement was sent.
func ownError(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) || errors.Is(err, privacy.Deny) || ent.IsValidationError(err)
}

// valuesOf returns a context with the values of req (viewer, operation)
// and the deadline and cancellation of batch: once in a batch, a request
// is bounded by the batch, not by its client.
func valuesOf(batch, req context.Context) context.Context {
	return valuesCtx{Context: batch, values: req}
}

type valuesCtx struct {
	context.Context
	values context.Context
}

func (c valuesCtx) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}
