package ledger

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// The programme of the decision tests: the real figures, from 2025-12-02
// to 2026-12-31, stage 2 open from 2026-01-01.
var (
	testStart   = types.Date(2025, 12, 2)
	testEnd     = types.Date(2026, 12, 31)
	testOpensOn = types.Date(2026, 1, 1)
)

func eur(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(y int, m time.Month, d int) time.Time { return types.Date(y, m, d) }

// acct is an account of participation pa in programme PGmain with nothing
// paid, stage 2 not approved; the options change it.
func acct(pa pulid.ID, opts ...func(*account)) account {
	a := account{participationID: pa, programID: "PGmain", status: participation.StatusREGISTERED,
		stage1Paid: decimal.Zero, stage2Paid: decimal.Zero, stage1Cap: eur("16100.00"), totalCap: eur("30000.00"),
		startsOn: testStart, endsOn: testEnd, stage2OpensOn: testOpensOn}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func paid(s1, s2 string) func(*account) {
	return func(a *account) { a.stage1Paid, a.stage2Paid = eur(s1), eur(s2) }
}

func caps(s1, total string) func(*account) {
	return func(a *account) { a.stage1Cap, a.totalCap = eur(s1), eur(total) }
}

func status(s participation.Status) func(*account) { return func(a *account) { a.status = s } }

func approved(on time.Time) func(*account) { return func(a *account) { a.stage2ApprovedOn = &on } }

func inProgram(id pulid.ID) func(*account) { return func(a *account) { a.programID = id } }

// refusal is what a test expects of a refused payment: its code and some
// of its details.
type refusal struct {
	code    string
	details map[string]any
}

func checkRefusal(t *testing.T, err error, want *refusal) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != want.code {
		t.Fatalf("got %v, want %s", err, want.code)
	}
	for k, v := range want.details {
		if ae.Details[k] != v {
			t.Errorf("%s: detail %s = %v, want %v (all: %v)", want.code, k, ae.Details[k], v, ae.Details)
		}
	}
}

func TestCheckDisbursement(t *testing.T) {
	const pa = "PAa"
	s1, s2 := types.Stage1, types.Stage2
	mar := date(2026, 3, 2)
	approvedFeb := approved(date(2026, 2, 1))
	for _, tc := range []struct {
		name   string
		acc    account
		stage  types.FundingStage
		amount string
		on     time.Time
		want   *refusal
	}{
		{"stage 1 at the cap", acct(pa), s1, "16100.00", mar, nil},
		{"stage 1 one cent above its cap on its own", acct(pa), s1, "16100.01", mar,
			&refusal{CodeInvalidAmount, map[string]any{"remaining": "16100.00"}}},
		{"stage 1 to the rest", acct(pa, paid("10000.00", "0")), s1, "6100.00", mar, nil},
		{"stage 1 one cent above the rest", acct(pa, paid("10000.00", "0")), s1, "6100.01", mar,
			&refusal{CodeCapExceeded, map[string]any{"remaining": "6100.00", "stage1Paid": "10000.00", "totalPaid": "10000.00"}}},
		{"stage 1 full", acct(pa, paid("16100.00", "0")), s1, "0.01", mar,
			&refusal{CodeCapExceeded, map[string]any{"remaining": "0.00"}}},
		{"stage 1 bounded by the total rest", acct(pa, caps("16100.00", "20000.00"), paid("10000.00", "8000.00"), approvedFeb), s1, "2000.01", mar,
			&refusal{CodeCapExceeded, map[string]any{"remaining": "2000.00", "totalPaid": "18000.00"}}},
		{"stage 1 at the total rest", acct(pa, caps("16100.00", "20000.00"), paid("10000.00", "8000.00")), s1, "2000.00", mar, nil},
		{"stage 2 at the total cap", acct(pa, paid("16100.00", "0"), approvedFeb), s2, "13900.00", mar, nil},
		{"stage 2 one cent above the total cap", acct(pa, paid("16100.00", "0"), approvedFeb), s2, "13900.01", mar,
			&refusal{CodeCapExceeded, map[string]any{"remaining": "13900.00", "stage1Paid": "16100.00", "totalPaid": "16100.00"}}},
		{"stage 2 above the total cap on its own", acct(pa, paid("1.00", "0"), approvedFeb), s2, "30000.01", mar,
			&refusal{CodeInvalidAmount, map[string]any{"remaining": "29999.00"}}},
		{"withdrawn", acct(pa, status(participation.StatusWITHDRAWN)), s1, "1.00", mar,
			&refusal{code: CodeParticipationWithdrawn}},
		{"withdrawn and above the cap: the amount first", acct(pa, status(participation.StatusWITHDRAWN)), s1, "16100.01", mar,
			&refusal{code: CodeInvalidAmount}},
		{"on the programme's last day", acct(pa), s1, "1.00", testEnd, nil},
		{"after the programme's end", acct(pa), s1, "1.00", date(2027, 1, 1),
			&refusal{CodeAfterProgramEnd, map[string]any{"endsOn": "2026-12-31"}}},
		{"after the end and withdrawn: withdrawn first", acct(pa, status(participation.StatusWITHDRAWN)), s1, "1.00", date(2027, 1, 1),
			&refusal{code: CodeParticipationWithdrawn}},
		{"on the programme's first day", acct(pa), s1, "1.00", testStart, nil},
		{"before the programme's start", acct(pa), s1, "1.00", date(2025, 12, 1), &refusal{code: apperr.Validation}},
		{"stage 2 before it opens", acct(pa, paid("100.00", "0"), approvedFeb), s2, "1.00", date(2025, 12, 31),
			&refusal{CodeStage2NotOpen, map[string]any{"stage2OpensOn": "2026-01-01"}}},
		{"stage 2 before approval", acct(pa, paid("100.00", "0")), s2, "1.00", mar, &refusal{code: CodeStage2NotApproved}},
		{"stage 2 before the approval's date", acct(pa, paid("100.00", "0"), approvedFeb), s2, "1.00", date(2026, 1, 31),
			&refusal{CodeStage2NotApproved, map[string]any{"stage2ApprovedOn": "2026-02-01"}}},
		{"stage 2 on the approval's date", acct(pa, paid("100.00", "0"), approvedFeb), s2, "1.00", date(2026, 2, 1), nil},
		{"stage 2 without a stage-1 payment", acct(pa, approvedFeb), s2, "1.00", mar, &refusal{code: CodeNotStage1Participant}},
		{"stage 2 after a reversed stage-1 payment", acct(pa, paid("0.00", "0"), approvedFeb), s2, "1.00", mar,
			&refusal{code: CodeNotStage1Participant}},
		{"stage 2 not approved and no stage 1: approval first", acct(pa), s2, "1.00", mar, &refusal{code: CodeStage2NotApproved}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acc := tc.acc
			checkRefusal(t, checkDisbursement(&acc, tc.stage, eur(tc.amount), tc.on), tc.want)
			if acc != tc.acc {
				t.Errorf("the account changed: %+v", acc)
			}
		})
	}
}

func TestNextStatus(t *testing.T) {
	const (
		reg = participation.StatusREGISTERED
		st1 = participation.StatusSTAGE1
		st2 = participation.StatusSTAGE2
		acc = participation.StatusACCEPTED
		set = participation.StatusSETTLED
		wd  = participation.StatusWITHDRAWN
	)
	for _, tc := range []struct {
		from           participation.Status
		stage1, stage2 participation.Status // after a payment of stage 1, of stage 2
	}{
		{reg, st1, st2},
		{st1, st1, st2},
		{st2, st2, st2},
		{acc, acc, acc},
		{set, set, set},
		{wd, wd, wd},
	} {
		if got := nextStatus(tc.from, types.Stage1); got != tc.stage1 {
			t.Errorf("%s after stage 1: %s, want %s", tc.from, got, tc.stage1)
		}
		if got := nextStatus(tc.from, types.Stage2); got != tc.stage2 {
			t.Errorf("%s after stage 2: %s, want %s", tc.from, got, tc.stage2)
		}
	}
}

// want is the expected outcome of one ask: a refusal (code, or an error
// in the chain for gone and denied), a replay, or a posting with the
// account's totals after it and the status it moves to.
type want struct {
	code    string
	details map[string]any
	is      error
	replay  pulid.ID
	paid    [2]string // stage 1, stage 2 after the posting
	to      participation.Status
}

func posted(s1, s2 string, to participation.Status) want {
	return want{paid: [2]string{s1, s2}, to: to}
}

func refused(code string, details ...any) want {
	w := want{code: code, details: map[string]any{}}
	for i := 0; i+1 < len(details); i += 2 {
		w.details[details[i].(string)] = details[i+1]
	}
	return w
}

func TestDecide(t *testing.T) {
	const (
		a, b = pulid.ID("PAa"), pulid.ID("PAb")
		reg  = participation.StatusREGISTERED
		st1  = participation.StatusSTAGE1
		st2  = participation.StatusSTAGE2
	)
	mar := date(2026, 3, 2)
	approvedFeb := approved(date(2026, 2, 1))
	// p is a payment of stage 1 on 2026-03-02 under key k.
	p := func(pa pulid.ID, amount, k string) Disbursement {
		return Disbursement{ParticipationID: pa, Stage: types.Stage1, Amount: eur(amount),
			ValueDate: mar, Reference: "KZ-" + k, IdempotencyKey: k}
	}
	stage2 := func(d Disbursement) Disbursement { d.Stage = types.Stage2; return d }
	on := func(d Disbursement, t time.Time) Disbursement { d.ValueDate = t; return d }
	// committed is a key booked in an earlier batch for d.
	committed := func(d Disbursement, program, id pulid.ID) map[bookedKey]keyHit {
		return map[bookedKey]keyHit{{program, d.IdempotencyKey}: {id, d.payloadHash()}}
	}
	denied := privacy.Denyf("no booking for this viewer")
	accs := func(as ...account) map[pulid.ID]account {
		m := map[pulid.ID]account{}
		for _, x := range as {
			m[x.participationID] = x
		}
		return m
	}

	for _, tc := range []struct {
		name   string
		accs   map[pulid.ID]account
		booked map[bookedKey]keyHit
		asks   []ask
		want   []want
	}{
		{"one payment moves the participation to STAGE1",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "100.00", "k1")}},
			[]want{posted("100.00", "0.00", st1)}},
		{"the second sees the first's totals and status",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "10000.00", "k1")}, {d: p(a, "6100.00", "k2")}},
			[]want{posted("10000.00", "0.00", st1), posted("16100.00", "0.00", st1)}},
		{"the second one cent over what the first left",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "10000.00", "k1")}, {d: p(a, "6100.01", "k2")}},
			[]want{posted("10000.00", "0.00", st1), refused(CodeCapExceeded, "remaining", "6100.00", "stage1Paid", "10000.00")}},
		{"at the cap, then one cent",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "16100.00", "k1")}, {d: p(a, "0.01", "k2")}},
			[]want{posted("16100.00", "0.00", st1), refused(CodeCapExceeded, "remaining", "0.00", "totalPaid", "16100.00")}},
		{"a refusal leaves the totals to the next",
			accs(acct(a, paid("16000.00", "0"), status(st1))), nil,
			[]ask{{d: p(a, "100.01", "k1")}, {d: p(a, "100.00", "k2")}},
			[]want{refused(CodeCapExceeded, "remaining", "100.00"), posted("16100.00", "0.00", st1)}},
		{"two accounts interleaved",
			accs(acct(a), acct(b, paid("16000.00", "0"), status(st1))), nil,
			[]ask{{d: p(a, "100.00", "k1")}, {d: p(b, "100.00", "k2")}, {d: p(a, "200.00", "k3")}, {d: p(b, "0.01", "k4")}},
			[]want{posted("100.00", "0.00", st1), posted("16100.00", "0.00", st1), posted("300.00", "0.00", st1),
				refused(CodeCapExceeded, "remaining", "0.00")}},
		{"stage 2 at the total cap after stage 1 in the same batch",
			accs(acct(a, approvedFeb)), nil,
			[]ask{{d: p(a, "16100.00", "k1")}, {d: stage2(p(a, "13900.00", "k2"))}, {d: stage2(p(a, "0.01", "k3"))}},
			[]want{posted("16100.00", "0.00", st1), posted("16100.00", "13900.00", st2),
				refused(CodeCapExceeded, "remaining", "0.00", "totalPaid", "30000.00")}},
		{"stage 2 before stage 1 in the same batch",
			accs(acct(a, approvedFeb)), nil,
			[]ask{{d: stage2(p(a, "1.00", "k1"))}, {d: p(a, "1.00", "k2")}},
			[]want{refused(CodeNotStage1Participant), posted("1.00", "0.00", st1)}},
		{"stage 2 before approval",
			accs(acct(a, paid("100.00", "0"), status(st1))), nil,
			[]ask{{d: stage2(p(a, "1.00", "k1"))}},
			[]want{refused(CodeStage2NotApproved)}},
		{"stage 2 before it opens",
			accs(acct(a, paid("100.00", "0"), status(st1), approvedFeb)), nil,
			[]ask{{d: on(stage2(p(a, "1.00", "k1")), date(2025, 12, 31))}},
			[]want{refused(CodeStage2NotOpen, "stage2OpensOn", "2026-01-01")}},
		{"after the programme's end",
			accs(acct(a)), nil,
			[]ask{{d: on(p(a, "1.00", "k1"), date(2027, 1, 1))}, {d: on(p(a, "1.00", "k2"), testEnd)}},
			[]want{refused(CodeAfterProgramEnd, "endsOn", "2026-12-31"), posted("1.00", "0.00", st1)}},
		{"withdrawn",
			accs(acct(a, status(participation.StatusWITHDRAWN))), nil,
			[]ask{{d: p(a, "1.00", "k1")}},
			[]want{refused(CodeParticipationWithdrawn)}},
		{"unknown participation",
			accs(acct(a)), nil,
			[]ask{{d: p(b, "1.00", "k1"), gone: context.Canceled}, {d: p(a, "1.00", "k1")}},
			[]want{refused(apperr.NotFound), posted("1.00", "0.00", st1)}},
		{"replay of a committed booking",
			accs(acct(a, paid("16100.00", "0"), status(st1))), committed(p(a, "100.00", "k1"), "PGmain", "LEold"),
			[]ask{{d: p(a, "100.00", "k1")}},
			[]want{{replay: "LEold"}}},
		{"a committed key with another payload",
			accs(acct(a)), committed(p(a, "100.00", "k1"), "PGmain", "LEold"),
			[]ask{{d: p(a, "100.01", "k1")}},
			[]want{refused(CodeIdempotencyConflict, "entryID", "LEold")}},
		{"a key of another programme",
			accs(acct(a, inProgram("PGother"))), committed(p(a, "100.00", "k1"), "PGmain", "LEold"),
			[]ask{{d: p(a, "100.00", "k1")}},
			[]want{posted("100.00", "0.00", st1)}},
		{"the same request twice in a batch",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "100.00", "k1"), id: "LEnew"}, {d: p(a, "100.00", "k1"), id: "LEsecond"}},
			[]want{posted("100.00", "0.00", st1), {replay: "LEnew"}}},
		{"a key twice in a batch with another payload",
			accs(acct(a), acct(b)), nil,
			[]ask{{d: p(a, "100.00", "k1"), id: "LEnew"}, {d: p(b, "100.00", "k1")}},
			[]want{posted("100.00", "0.00", st1), refused(CodeIdempotencyConflict, "entryID", "LEnew")}},
		{"a refused request does not take its key",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "16100.01", "k1")}, {d: p(a, "100.00", "k1")}},
			[]want{refused(CodeInvalidAmount), posted("100.00", "0.00", st1)}},
		{"a client that gave up books nothing",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "10000.00", "k1"), gone: context.DeadlineExceeded}, {d: p(a, "16100.00", "k2")}},
			[]want{{is: context.DeadlineExceeded}, posted("16100.00", "0.00", st1)}},
		{"a denied request books nothing",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "10000.00", "k1"), denied: denied}, {d: p(a, "16100.00", "k2")}},
			[]want{{is: privacy.Deny}, posted("16100.00", "0.00", st1)}},
		{"a denied request that replays: the key first",
			accs(acct(a)), committed(p(a, "100.00", "k1"), "PGmain", "LEold"),
			[]ask{{d: p(a, "100.00", "k1"), denied: denied}},
			[]want{{replay: "LEold"}}},
		{"a denied request above the cap: the denial first",
			accs(acct(a)), nil,
			[]ask{{d: p(a, "16100.01", "k1"), denied: denied}},
			[]want{{is: privacy.Deny}}},
		{"gone before the key check",
			accs(acct(a)), committed(p(a, "100.00", "k1"), "PGmain", "LEold"),
			[]ask{{d: p(a, "100.00", "k1"), gone: context.Canceled}},
			[]want{{is: context.Canceled}}},
		{"an approved stage 2 moves REGISTERED over STAGE1",
			accs(acct(a, paid("100.00", "0"), approvedFeb)), nil,
			[]ask{{d: stage2(p(a, "1.00", "k1"))}, {d: p(a, "1.00", "k2")}},
			[]want{posted("100.00", "1.00", st2), posted("101.00", "1.00", st2)}},
		{"an accepted participation keeps its status",
			accs(acct(a, paid("100.00", "0"), status(participation.StatusACCEPTED))), nil,
			[]ask{{d: p(a, "1.00", "k1")}},
			[]want{posted("101.00", "0.00", participation.StatusACCEPTED)}},
		{"no asks", accs(acct(a)), nil, nil, nil},
		{"no accounts",
			nil, nil,
			[]ask{{d: p(a, "1.00", "k1")}},
			[]want{refused(apperr.NotFound)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.asks {
				if tc.asks[i].id == "" {
					tc.asks[i].id = pulid.ID(fmt.Sprintf("LE%d", i))
				}
			}
			accsBefore, bookedBefore := maps.Clone(tc.accs), maps.Clone(tc.booked)
			outs := decide(tc.accs, tc.booked, tc.asks)
			if len(outs) != len(tc.want) {
				t.Fatalf("%d outcomes for %d asks", len(outs), len(tc.want))
			}
			statusOf := map[pulid.ID]participation.Status{}
			for pid, acc := range tc.accs {
				statusOf[pid] = acc.status
			}
			for i, w := range tc.want {
				o, in := outs[i], tc.asks[i]
				set := 0
				for _, b := range []bool{o.err != nil, o.replayOf != "", o.post != nil} {
					if b {
						set++
					}
				}
				if set != 1 {
					t.Fatalf("ask %d: outcome %+v sets %d of err, replayOf, post", i, o, set)
				}
				switch {
				case w.code != "":
					checkRefusal(t, o.err, &refusal{w.code, w.details})
				case w.is != nil:
					if !errors.Is(o.err, w.is) {
						t.Errorf("ask %d: %v, want %v", i, o.err, w.is)
					}
				case w.replay != "":
					if o.replayOf != w.replay {
						t.Errorf("ask %d: outcome %+v, want a replay of %s", i, o, w.replay)
					}
				default:
					if o.post == nil {
						t.Fatalf("ask %d: %v, want a posting", i, o.err)
					}
					acc := tc.accs[in.d.ParticipationID]
					wantPost := posting{id: in.id, programID: acc.programID, payloadHash: in.d.payloadHash(),
						stage1Paid: eur(w.paid[0]), stage2Paid: eur(w.paid[1]), from: statusOf[acc.participationID], to: w.to}
					got := *o.post
					if got.id != wantPost.id || got.programID != wantPost.programID || got.payloadHash != wantPost.payloadHash ||
						!got.stage1Paid.Equal(wantPost.stage1Paid) || !got.stage2Paid.Equal(wantPost.stage2Paid) ||
						got.from != wantPost.from || got.to != wantPost.to {
						t.Errorf("ask %d: posting %+v, want %+v", i, got, wantPost)
					}
					statusOf[acc.participationID] = w.to
				}
			}
			// The inputs are the caller's: decide changes neither.
			if !maps.Equal(tc.accs, accsBefore) || !maps.Equal(tc.booked, bookedBefore) {
				t.Errorf("decide changed its inputs: %v %v", tc.accs, tc.booked)
			}
		})
	}
}
