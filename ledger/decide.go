package ledger

import (
	"maps"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// The decision: what becomes of each posting of a batch, from values
// alone (no database, no context, no clock). The writer (write.go) then
// books what was decided.

// ask is a posting as the decision sees it.
type ask struct {
	d      Disbursement // normalized
	id     pulid.ID     // the ID its entry gets if it is booked
	gone   error        // its client gave up before the decision (its context's error)
	denied error        // the privacy policy's refusal of its insert
}

// outcome is the decision on one posting: exactly one of err, replayOf
// and post is set.
type outcome struct {
	err      error    // refused (a coded error, or gone or denied): nothing is booked
	replayOf pulid.ID // the same key and payload were booked before (earlier in the batch, or committed)
	post     *posting // to book
}

// posting is an entry to book and what it does to its account.
type posting struct {
	id, programID pulid.ID
	payloadHash   string
	// The account's totals after the entry.
	stage1Paid, stage2Paid decimal.Decimal
	// The participation's status before and after the entry (equal when
	// it stays).
	from, to participation.Status
}

// decide applies the rules to asks in arrival order, against the locked
// accounts (by participation) and the keys booked before; each ask sees
// the totals, statuses and keys of the ones accepted before it. A
// missing account is NOT_FOUND; then, in this order: the client gave up,
// the key was used (the same payload: a replay; another: a conflict),
// the policy denied, a rule of checkDisbursement refused. accs and booked
// are not changed.
func decide(accs map[pulid.ID]account, booked map[bookedKey]keyHit, asks []ask) []outcome {
	running := make(map[pulid.ID]*account, len(accs))
	for pid, a := range accs {
		running[pid] = &a
	}
	keys := maps.Clone(booked)
	if keys == nil {
		keys = map[bookedKey]keyHit{}
	}
	outs := make([]outcome, len(asks))
	for i, a := range asks {
		o := &outs[i]
		acc := running[a.d.ParticipationID]
		if acc == nil {
			o.err = apperr.New(apperr.NotFound, "participation %s not found", a.d.ParticipationID)
			continue
		}
		if a.gone != nil {
			o.err = a.gone
			continue
		}
		k, hash := bookedKey{acc.programID, a.d.IdempotencyKey}, a.d.payloadHash()
		if hit, ok := keys[k]; ok {
			if hit.hash != hash {
				o.err = idempotencyConflict(k.key, hit.id)
			} else {
				o.replayOf = hit.id
			}
			continue
		}
		// Who may book is decided before the rules.
		if a.denied != nil {
			o.err = a.denied
			continue
		}
		if o.err = checkDisbursement(acc, a.d.Stage, a.d.Amount, a.d.ValueDate); o.err != nil {
			continue
		}
		keys[k] = keyHit{a.id, hash}
		if a.d.Stage == types.Stage1 {
			acc.stage1Paid = acc.stage1Paid.Add(a.d.Amount)
		} else {
			acc.stage2Paid = acc.stage2Paid.Add(a.d.Amount)
		}
		from := acc.status
		acc.status = nextStatus(from, a.d.Stage)
		o.post = &posting{id: a.id, programID: acc.programID, payloadHash: hash,
			stage1Paid: acc.stage1Paid, stage2Paid: acc.stage2Paid, from: from, to: acc.status}
	}
	return outs
}

// checkDisbursement applies the ledger's rules (README, "Money") to a new
// payment on the account acc.
func checkDisbursement(acc *account, stage types.FundingStage, amount decimal.Decimal, valueDate time.Time) error {
	stage1Rest := acc.stage1Cap.Sub(acc.stage1Paid)
	totalRest := acc.totalCap.Sub(acc.stage1Paid).Sub(acc.stage2Paid)
	remaining := totalRest
	stageCap := acc.totalCap
	if stage == types.Stage1 {
		remaining = decimal.Min(stage1Rest, totalRest)
		stageCap = acc.stage1Cap
	}
	if amount.GreaterThan(stageCap) {
		return apperr.New(CodeInvalidAmount, "%s EUR is more than the %s cap of %s EUR", money(amount), stage, money(stageCap)).
			With("remaining", money(remaining))
	}
	if acc.status == participation.StatusWITHDRAWN {
		return apperr.New(CodeParticipationWithdrawn, "the participation was withdrawn; no payments")
	}
	if valueDate.After(types.NormalizeDate(acc.endsOn)) {
		return apperr.New(CodeAfterProgramEnd, "value date %s is after the programme's end %s",
			valueDate.Format(time.DateOnly), acc.endsOn.Format(time.DateOnly)).With("endsOn", acc.endsOn.Format(time.DateOnly))
	}
	if valueDate.Before(types.NormalizeDate(acc.startsOn)) {
		return apperr.New(apperr.Validation, "value date %s is before the programme's start %s",
			valueDate.Format(time.DateOnly), acc.startsOn.Format(time.DateOnly))
	}
	if stage == types.Stage2 {
		if valueDate.Before(types.NormalizeDate(acc.stage2OpensOn)) {
			return apperr.New(CodeStage2NotOpen, "stage 2 opens on %s; value date %s is earlier",
				acc.stage2OpensOn.Format(time.DateOnly), valueDate.Format(time.DateOnly)).
				With("stage2OpensOn", acc.stage2OpensOn.Format(time.DateOnly))
		}
		if acc.stage2ApprovedOn == nil {
			return apperr.New(CodeStage2NotApproved, "the state committees' approval of stage 2 is not recorded")
		}
		if valueDate.Before(types.NormalizeDate(*acc.stage2ApprovedOn)) {
			return apperr.New(CodeStage2NotApproved, "stage 2 was approved on %s; value date %s is earlier",
				acc.stage2ApprovedOn.Format(time.DateOnly), valueDate.Format(time.DateOnly)).
				With("stage2ApprovedOn", acc.stage2ApprovedOn.Format(time.DateOnly))
		}
		if !acc.stage1Paid.IsPositive() {
			return apperr.New(CodeNotStage1Participant, "stage 2 is only for stage-1 participants; no stage-1 payment is booked")
		}
	}
	if amount.GreaterThan(remaining) {
		return apperr.New(CodeCapExceeded, "%s EUR exceeds what can still be paid (%s EUR)", money(amount), money(remaining)).
			With("remaining", money(remaining)).
			With("stage1Paid", money(acc.stage1Paid)).
			With("totalPaid", money(acc.stage1Paid.Add(acc.stage2Paid)))
	}
	return nil
}

// nextStatus: the first payment of a stage moves the participation
// forward.
func nextStatus(st participation.Status, stage types.FundingStage) participation.Status {
	switch {
	case stage == types.Stage1 && st == participation.StatusREGISTERED:
		return participation.StatusSTAGE1
	case stage == types.Stage2 && (st == participation.StatusREGISTERED || st == participation.StatusSTAGE1):
		return participation.StatusSTAGE2
	}
	return st
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

func idempotencyConflict(key string, entry pulid.ID) error {
	return apperr.New(CodeIdempotencyConflict, "idempotency key %q was used for another request", key).
		With("entryID", string(entry))
}
