package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ledger"
	"sicherkommunal/programme"
)

// model is an independent, in-memory statement of the ledger's rules.
type model struct {
	stage1Cap, totalCap decimal.Decimal
	approved            bool
	approvedOn          time.Time
	paid                map[pulid.ID]*[2]decimal.Decimal
	withdrawn           map[pulid.ID]bool
	entries             map[pulid.ID]*mEntry
	keys                map[string]mKey
}

type mEntry struct {
	pa     pulid.ID
	stage  int
	amount decimal.Decimal
	left   decimal.Decimal // for disbursements: what can still be reversed
	rev    bool
}

type mKey struct {
	payload string
	entry   pulid.ID
}

var (
	end       = types.Date(2026, 12, 31)
	start     = types.Date(2025, 12, 2)
	opensOn   = types.Date(2026, 1, 1)
	stageName = [2]types.FundingStage{types.Stage1, types.Stage2}
)

// post predicts the code of a disbursement ("" = booked) or the entry a
// replay returns.
func (m *model) post(pa pulid.ID, stage int, amount decimal.Decimal, vd time.Time, key, payload string) (code string, replay pulid.ID) {
	if !amount.IsPositive() {
		return "INVALID_AMOUNT", ""
	}
	if k, ok := m.keys[key]; ok {
		if k.payload != payload {
			return "IDEMPOTENCY_CONFLICT", ""
		}
		return "", k.entry
	}
	p := m.paid[pa]
	limit := m.stage1Cap
	if stage == 1 {
		limit = m.totalCap
	}
	switch {
	case amount.GreaterThan(limit):
		return "INVALID_AMOUNT", ""
	case m.withdrawn[pa]:
		return "PARTICIPATION_WITHDRAWN", ""
	case vd.After(end):
		return "AFTER_PROGRAM_END", ""
	case vd.Before(start):
		return "VALIDATION", ""
	case stage == 1 && vd.Before(opensOn):
		return "STAGE2_NOT_OPEN", ""
	case stage == 1 && !m.approved:
		return "STAGE2_NOT_APPROVED", ""
	case stage == 1 && vd.Before(m.approvedOn):
		return "STAGE2_NOT_APPROVED", ""
	case stage == 1 && !p[0].IsPositive():
		return "NOT_STAGE1_PARTICIPANT", ""
	case stage == 0 && p[0].Add(amount).GreaterThan(m.stage1Cap):
		return "CAP_EXCEEDED", ""
	case p[0].Add(p[1]).Add(amount).GreaterThan(m.totalCap):
		return "CAP_EXCEEDED", ""
	}
	return "", ""
}

func (m *model) reverse(e *mEntry, amount *decimal.Decimal, key, payload string) (code string, replay pulid.ID) {
	if amount != nil && !amount.IsPositive() {
		return "INVALID_AMOUNT", ""
	}
	if k, ok := m.keys[key]; ok {
		if k.payload != payload {
			return "IDEMPOTENCY_CONFLICT", ""
		}
		return "", k.entry
	}
	switch {
	case e.rev:
		return "VALIDATION", ""
	case !e.left.IsPositive():
		return "ALREADY_REVERSED", ""
	case amount != nil && amount.GreaterThan(e.left):
		return "REVERSAL_EXCEEDS_ORIGINAL", ""
	}
	return "", ""
}

// TestLedgerMatchesModel runs random sequences of posts, reversals,
// approvals and clock moves against the ledger and the model. The seed is
// logged; SK_LEDGER_SEED replays one.
func TestLedgerMatchesModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SK_LEDGER_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay: SK_LEDGER_SEED=%d go test -run TestLedgerMatchesModel ./ledger)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	now := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, svc, pas := fixture(t, 5, clock)
	ctx := auth.SystemContext(context.Background())
	prog := &programme.Service{Now: clock}
	p := db.Client.Program.Query().OnlyX(ctx)
	m := &model{stage1Cap: p.Stage1Amount, totalCap: p.TotalCap, paid: map[pulid.ID]*[2]decimal.Decimal{},
		withdrawn: map[pulid.ID]bool{}, entries: map[pulid.ID]*mEntry{}, keys: map[string]mKey{}}
	for _, pa := range pas {
		m.paid[pa] = &[2]decimal.Decimal{}
	}
	var ids []pulid.ID
	outcomes := map[string]int{}
	amounts := []int64{1, 99, 50000, 123456, 500000, 1000000, 1610000, 1610001, 2000000, 0, -100}
	const steps = 600
	var i int
	// check compares an outcome with the model's.
	check := func(op, want string, replay pulid.ID, e *ent.LedgerEntry, err error) {
		t.Helper()
		got := apperr.CodeOf(err)
		if err != nil && got == "" {
			t.Fatalf("step %d %s: unexpected error %v; seed %d", i, op, err, seed)
		}
		var gotID pulid.ID
		if e != nil {
			gotID = e.ID
		}
		outcomes[op[:strings.IndexByte(op+" ", ' ')]+":"+got]++
		if got != want || (replay != "" && gotID != replay) {
			t.Fatalf("step %d %s: got %q (%s), model wants %q (%s); seed %d", i, op, got, gotID, want, replay, seed)
		}
	}
	for i = 0; i < steps; i++ {
		var (
			want   string
			replay pulid.ID
			err    error
			e      *ent.LedgerEntry
			op     string
		)
		switch r := rng.IntN(20); {
		case r < 14: // post, alone or in a batch written together
			n := 1
			if rng.IntN(4) == 0 {
				n = 2 + rng.IntN(6)
			}
			var (
				ds       []ledger.Disbursement
				payloads []string
			)
			for j := range n {
				if j > 0 && rng.IntN(6) == 0 { // the same request twice
					k := rng.IntN(j)
					ds, payloads = append(ds, ds[k]), append(payloads, payloads[k])
					continue
				}
				pa := pas[rng.IntN(len(pas))]
				stage := rng.IntN(2)
				amount := decimal.New(amounts[rng.IntN(len(amounts))]+int64(rng.IntN(100)), -2)
				vd := types.Date(2026, 1, 1).AddDate(0, 0, rng.IntN(400)-40)
				key := newKey(rng, i*8+j)
				ds = append(ds, ledger.Disbursement{ParticipationID: pa, Stage: stageName[stage],
					Amount: amount, ValueDate: vd, Reference: "R" + key, IdempotencyKey: key})
				payloads = append(payloads, fmt.Sprint(pa, stage, amount.StringFixed(2), vd.Format(time.DateOnly)))
			}
			var (
				entries []*ent.LedgerEntry
				errs    []error
			)
			if n == 1 {
				e, err := svc.PostDisbursement(ctx, ds[0])
				entries, errs = []*ent.LedgerEntry{e}, []error{err}
			} else {
				ctxs := make([]context.Context, n)
				for j := range ctxs {
					ctxs[j] = ctx
				}
				entries, errs = svc.PostTogether(ctxs, ds)
			}
			for j, d := range ds {
				stage := 0
				if d.Stage == types.Stage2 {
					stage = 1
				}
				op := fmt.Sprintf("post %s %s (%d of a batch of %d)", payloads[j], d.IdempotencyKey, j+1, n)
				want, replay := m.post(d.ParticipationID, stage, d.Amount, d.ValueDate, d.IdempotencyKey, payloads[j])
				e, err := entries[j], errs[j]
				check(op, want, replay, e, err)
				if err == nil && want == "" && replay == "" {
					m.paid[d.ParticipationID][stage] = m.paid[d.ParticipationID][stage].Add(d.Amount)
					m.entries[e.ID] = &mEntry{pa: d.ParticipationID, stage: stage, amount: d.Amount, left: d.Amount}
					m.keys[d.IdempotencyKey] = mKey{payloads[j], e.ID}
					ids = append(ids, e.ID)
				}
			}
			continue
		case r < 17 && len(ids) > 0: // reverse
			id := ids[rng.IntN(len(ids))]
			orig := m.entries[id]
			var amount *decimal.Decimal
			if rng.IntN(3) > 0 {
				a := decimal.New(int64(rng.IntN(600000))-1000, -2)
				amount = &a
			}
			key := newKey(rng, i)
			payload := fmt.Sprint("rev", id, amount)
			op = "reverse " + payload + " " + key
			want, replay = m.reverse(orig, amount, key, payload)
			var apiAmount *decimal.Decimal
			if amount != nil {
				a := *amount
				apiAmount = &a
			}
			e, err = svc.ReverseDisbursement(ctx, ledger.Reversal{EntryID: id, Amount: apiAmount, Reason: "test", IdempotencyKey: key})
			if err == nil && want == "" && replay == "" {
				a := orig.left
				if amount != nil {
					a = *amount
				}
				orig.left = orig.left.Sub(a)
				m.paid[orig.pa][orig.stage] = m.paid[orig.pa][orig.stage].Sub(a)
				m.entries[e.ID] = &mEntry{pa: orig.pa, stage: orig.stage, amount: a, rev: true}
				m.keys[key] = mKey{payload, e.ID}
				ids = append(ids, e.ID)
			}
		case r == 17: // approve stage 2
			op = "approve"
			want = ""
			if m.approved {
				want = "CONFLICT"
			}
			_, err = svc.ApproveStage2(ctx, p.ID, types.DateOf(now, time.UTC), "LA 1")
			if err == nil {
				m.approved, m.approvedOn = true, types.DateOf(now, time.UTC)
			}
		case r == 18 && rng.IntN(8) == 0: // withdraw
			pa := pas[rng.IntN(len(pas))]
			op = "withdraw " + string(pa)
			want = ""
			if m.withdrawn[pa] {
				want = "CONFLICT"
			}
			_, err = prog.Withdraw(ctx, db.Client, pa, "test")
			if err == nil {
				m.withdrawn[pa] = true
			}
		default: // the clock moves
			now = now.Add(time.Duration(rng.IntN(72)) * time.Hour)
			continue
		}
		check(op, want, replay, e, err)
	}
	t.Logf("outcomes: %v", outcomes)
	for pa, paid := range m.paid {
		got := db.Client.Participation.GetX(ctx, pa).QueryFunding().OnlyX(ctx)
		if !got.Stage1Paid.Equal(paid[0]) || !got.Stage2Paid.Equal(paid[1]) {
			t.Fatalf("%s: ledger %s/%s, model %s/%s; seed %d", pa, got.Stage1Paid, got.Stage2Paid, paid[0], paid[1], seed)
		}
	}
	if mism, err := ledger.Verify(ctx, db.Client); err != nil || len(mism) != 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}

// newKey mostly returns a fresh idempotency key (k<i>) and sometimes
// reuses one.
func newKey(rng *rand.Rand, i int) string {
	if rng.IntN(10) == 0 {
		return fmt.Sprintf("k%d", rng.IntN(i+1))
	}
	return fmt.Sprintf("k%d", i)
}
