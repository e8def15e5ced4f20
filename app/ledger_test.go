package app

import (
	"strings"
	"testing"
	"time"

	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ledger"
)

const postDisbursement = `mutation($in: PostDisbursementInput!) {
  postDisbursement(input: $in) { id stage kind amount valueDate reference createdBy participation { id status } }
}`

const reverseDisbursement = `mutation($in: ReverseDisbursementInput!) {
  reverseDisbursement(input: $in) { id kind amount reverses { id } }
}`

const fundingQuery = `query($id: ID!) { node(id: $id) { ... on Participation { status funding { stage1Paid stage2Paid totalPaid stage1Remaining totalRemaining } } } }`

type funding struct {
	Stage1Paid, Stage2Paid, TotalPaid, Stage1Remaining, TotalRemaining string
}

// participations registers n seeded Kommunen and returns their IDs.
func (s *testServer) participations(t testing.TB, n int) []string {
	t.Helper()
	ctx := bg()
	c := s.DB.Client
	pid := c.Program.Query().OnlyIDX(ctx)
	munis := c.Municipality.Query().Order(municipality.ByArs()).Limit(n).AllX(ctx)
	out := make([]string, n)
	for i, m := range munis {
		pa, err := s.App.program.Register(ctx, c, pid, m.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(pa.ID)
	}
	return out
}

func (s *testServer) funding(t testing.TB, token, participationID string) funding {
	t.Helper()
	var d struct {
		Node struct{ Funding funding }
	}
	s.must(t, token, fundingQuery, map[string]any{"id": participationID}, &d)
	return d.Node.Funding
}

func payment(pa, stage, amount, valueDate, key string) map[string]any {
	return map[string]any{"in": map[string]any{
		"participationID": pa, "stage": stage, "amount": amount, "valueDate": valueDate,
		"reference": "KZ-" + key, "idempotencyKey": key,
	}}
}

func (s *testServer) approveStage2(t testing.TB, token string) {
	t.Helper()
	s.must(t, token, `mutation($in: ApproveStage2Input!) { approveStage2(input: $in) { stage2ApprovedOn } }`,
		map[string]any{"in": map[string]any{"programID": s.programID(t), "approvedOn": "2026-02-10", "decisionReference": "LA-FIN 2026/7"}}, nil)
}

// TestLedgerRules: one check per rule of the ledger, through GraphQL over
// HTTP, asserting extensions.code and the figures a user needs.
func TestLedgerRules(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pas := s.participations(t, 4)
	a, b, w, none := pas[0], pas[1], pas[2], pas[3]

	t.Run("INVALID_AMOUNT", func(t *testing.T) {
		for _, amount := range []any{"0", "0.00", "-5.00", "1.001", "1e3", "", "NaN", 100, 100.5, "16100.01", "30000.01"} {
			if str, ok := amount.(string); ok {
				s.fails(t, mid, postDisbursement, payment(a, "STAGE_1", str, "2026-02-01", "inv"), "INVALID_AMOUNT")
			} else {
				in := payment(a, "STAGE_1", "", "2026-02-01", "inv")
				in["in"].(map[string]any)["amount"] = amount
				s.fails(t, mid, postDisbursement, in, "INVALID_AMOUNT")
			}
		}
		if f := s.funding(t, mid, a); f.TotalPaid != "0.00" {
			t.Fatalf("something was booked: %+v", f)
		}
	})

	t.Run("STAGE2_NOT_APPROVED", func(t *testing.T) {
		s.must(t, mid, postDisbursement, payment(b, "STAGE_1", "16100.00", "2026-02-01", "b1"), nil)
		s.fails(t, mid, postDisbursement, payment(b, "STAGE_2", "1000.00", "2026-03-01", "b2"), "STAGE2_NOT_APPROVED")
	})

	t.Run("CAP_EXCEEDED", func(t *testing.T) {
		var e struct {
			PostDisbursement struct {
				ID, Amount, Stage, Kind, CreatedBy string
				Participation                      struct{ Status string }
			}
		}
		s.must(t, mid, postDisbursement, payment(a, "STAGE_1", "16000.00", "2026-02-01", "a1"), &e)
		if e.PostDisbursement.Amount != "16000.00" || e.PostDisbursement.Kind != "DISBURSEMENT" ||
			e.PostDisbursement.Participation.Status != "STAGE1" || !strings.HasPrefix(e.PostDisbursement.CreatedBy, "test MINISTRY") {
			t.Fatalf("entry %+v", e)
		}
		err := s.fails(t, mid, postDisbursement, payment(a, "STAGE_1", "100.01", "2026-02-02", "a2"), "CAP_EXCEEDED")
		if err.Extensions["remaining"] != "100.00" {
			t.Fatalf("remaining: %+v", err)
		}
		s.must(t, mid, postDisbursement, payment(a, "STAGE_1", "100.00", "2026-02-02", "a3"), nil)
		s.fails(t, mid, postDisbursement, payment(a, "STAGE_1", "0.01", "2026-02-03", "a4"), "CAP_EXCEEDED")
		s.approveStage2(t, mid)
		s.must(t, mid, postDisbursement, payment(a, "STAGE_2", "13000.00", "2026-03-02", "a5"), nil)
		err = s.fails(t, mid, postDisbursement, payment(a, "STAGE_2", "900.01", "2026-03-03", "a6"), "CAP_EXCEEDED")
		if err.Extensions["remaining"] != "900.00" {
			t.Fatalf("remaining: %+v", err)
		}
		s.must(t, mid, postDisbursement, payment(a, "STAGE_2", "900.00", "2026-03-03", "a7"), nil)
		if f := s.funding(t, mid, a); f != (funding{"16100.00", "13900.00", "30000.00", "0.00", "0.00"}) {
			t.Fatalf("funding %+v", f)
		}
	})

	t.Run("STAGE2 before the approval date", func(t *testing.T) {
		err := s.fails(t, mid, postDisbursement, payment(b, "STAGE_2", "100.00", "2026-02-09", "b-early"), "STAGE2_NOT_APPROVED")
		if err.Extensions["stage2ApprovedOn"] != "2026-02-10" {
			t.Fatalf("%+v", err)
		}
	})

	t.Run("STAGE2_NOT_OPEN", func(t *testing.T) {
		err := s.fails(t, mid, postDisbursement, payment(b, "STAGE_2", "100.00", "2025-12-31", "b3"), "STAGE2_NOT_OPEN")
		if err.Extensions["stage2OpensOn"] != "2026-01-01" {
			t.Fatalf("%+v", err)
		}
	})

	t.Run("NOT_STAGE1_PARTICIPANT", func(t *testing.T) {
		s.fails(t, mid, postDisbursement, payment(none, "STAGE_2", "100.00", "2026-03-01", "n1"), "NOT_STAGE1_PARTICIPANT")
	})

	t.Run("AFTER_PROGRAM_END", func(t *testing.T) {
		s.fails(t, mid, postDisbursement, payment(b, "STAGE_2", "100.00", "2027-01-01", "b4"), "AFTER_PROGRAM_END")
		s.must(t, mid, postDisbursement, payment(b, "STAGE_2", "100.00", "2026-12-31", "b5"), nil)
	})

	t.Run("PARTICIPATION_WITHDRAWN", func(t *testing.T) {
		s.must(t, mid, postDisbursement, payment(w, "STAGE_1", "100.00", "2026-02-20", "w0"), nil)
		s.must(t, s.Admin, `mutation($id: ID!) { withdrawParticipation(id: $id, reason: "Rückzug") { status } }`, map[string]any{"id": w}, nil)
		s.fails(t, mid, postDisbursement, payment(w, "STAGE_1", "100.00", "2026-03-01", "w1"), "PARTICIPATION_WITHDRAWN")
	})

	t.Run("IDEMPOTENCY", func(t *testing.T) {
		var first, again struct{ PostDisbursement struct{ ID string } }
		s.must(t, mid, postDisbursement, payment(none, "STAGE_1", "5000.00", "2026-03-01", "idem"), &first)
		s.must(t, mid, postDisbursement, payment(none, "STAGE_1", "5000.00", "2026-03-01", "idem"), &again)
		if first.PostDisbursement.ID != again.PostDisbursement.ID {
			t.Fatalf("replay booked a new entry: %s vs %s", first.PostDisbursement.ID, again.PostDisbursement.ID)
		}
		if f := s.funding(t, mid, none); f.Stage1Paid != "5000.00" {
			t.Fatalf("replay booked twice: %+v", f)
		}
		err := s.fails(t, mid, postDisbursement, payment(none, "STAGE_1", "5000.01", "2026-03-01", "idem"), "IDEMPOTENCY_CONFLICT")
		if err.Extensions["entryID"] != first.PostDisbursement.ID {
			t.Fatalf("%+v", err)
		}
		// The same key on another participation is a conflict too (unique per programme).
		s.fails(t, mid, postDisbursement, payment(b, "STAGE_1", "5000.00", "2026-03-01", "idem"), "IDEMPOTENCY_CONFLICT")
	})

	t.Run("REVERSALS", func(t *testing.T) {
		var p struct{ PostDisbursement struct{ ID string } }
		s.must(t, mid, postDisbursement, payment(none, "STAGE_1", "1000.00", "2026-03-02", "r0"), &p)
		orig := p.PostDisbursement.ID
		rev := func(amount any, key string) map[string]any {
			in := map[string]any{"entryID": orig, "reason": "Doppelzahlung", "idempotencyKey": key}
			if amount != nil {
				in["amount"] = amount
			}
			return map[string]any{"in": in}
		}
		var r struct {
			ReverseDisbursement struct {
				ID, Kind, Amount string
				Reverses         struct{ ID string }
			}
		}
		s.must(t, mid, reverseDisbursement, rev("400.00", "r1"), &r)
		if r.ReverseDisbursement.Kind != "REVERSAL" || r.ReverseDisbursement.Amount != "400.00" || r.ReverseDisbursement.Reverses.ID != orig {
			t.Fatalf("reversal %+v", r)
		}
		err := s.fails(t, mid, reverseDisbursement, rev("600.01", "r2"), "REVERSAL_EXCEEDS_ORIGINAL")
		if err.Extensions["remaining"] != "600.00" {
			t.Fatalf("%+v", err)
		}
		s.must(t, mid, reverseDisbursement, rev(nil, "r3"), &r) // the rest
		if r.ReverseDisbursement.Amount != "600.00" {
			t.Fatalf("rest reversal %+v", r)
		}
		s.fails(t, mid, reverseDisbursement, rev("0.01", "r4"), "ALREADY_REVERSED")
		s.fails(t, mid, reverseDisbursement, rev("-1.00", "r5"), "INVALID_AMOUNT")
		// Reversing a reversal is refused.
		in := rev(nil, "r6")
		in["in"].(map[string]any)["entryID"] = r.ReverseDisbursement.ID
		s.fails(t, mid, reverseDisbursement, in, "VALIDATION")
		if f := s.funding(t, mid, none); f.Stage1Paid != "5000.00" {
			t.Fatalf("after reversals %+v", f)
		}
	})

	t.Run("NOT_STAGE1_PARTICIPANT after full reversal", func(t *testing.T) {
		// b has 16,100.00 stage 1 and 100.00 stage 2; reverse stage 1 entirely.
		var list struct {
			LedgerEntries struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		s.must(t, mid, `query($pa: ID!) { ledgerEntries(where: {participationID: $pa, stage: STAGE_1, kind: DISBURSEMENT}) { edges { node { id } } } }`,
			map[string]any{"pa": b}, &list)
		if len(list.LedgerEntries.Edges) != 1 {
			t.Fatalf("entries %+v", list)
		}
		s.must(t, mid, reverseDisbursement, map[string]any{"in": map[string]any{
			"entryID": list.LedgerEntries.Edges[0].Node.ID, "reason": "Rückforderung", "idempotencyKey": "b-rev"}}, nil)
		s.fails(t, mid, postDisbursement, payment(b, "STAGE_2", "10.00", "2026-04-01", "b6"), "NOT_STAGE1_PARTICIPANT")
	})

	t.Run("roles", func(t *testing.T) {
		contractor := s.token(t, "CONTRACTOR", "")
		coord := s.token(t, "COORDINATOR", "")
		s.fails(t, contractor, postDisbursement, payment(b, "STAGE_1", "1.00", "2026-04-01", "x1"), "FORBIDDEN")
		s.fails(t, coord, postDisbursement, payment(b, "STAGE_1", "1.00", "2026-04-01", "x2"), "FORBIDDEN")
		s.fails(t, coord, `mutation { approveStage2(input: {programID: "x", approvedOn: "2026-02-01", decisionReference: "y"}) { id } }`, nil, "FORBIDDEN")
		s.fails(t, contractor, `{ ledgerEntries { totalCount } }`, nil, "FORBIDDEN")
		s.must(t, coord, `{ ledgerEntries { totalCount } }`, nil, nil)
	})

	t.Run("programFunding", func(t *testing.T) {
		var d struct {
			ProgramFunding struct {
				Participants, Funded              int
				Stage1Paid, Stage2Paid, TotalPaid string
				BudgetRemaining                   *string
			}
		}
		s.must(t, mid, `query($id: ID!) { programFunding(programID: $id) { participants funded stage1Paid stage2Paid totalPaid budgetRemaining } }`,
			map[string]any{"id": s.programID(t)}, &d)
		f := d.ProgramFunding
		// a: 16,100 + 13,900; b: 0 + 100; none: 5,000; w (withdrawn after a payment): 100 + 0.
		if f.Participants != 3 || f.Funded != 4 || f.Stage1Paid != "21200.00" || f.Stage2Paid != "14000.00" ||
			f.TotalPaid != "35200.00" || f.BudgetRemaining != nil {
			t.Fatalf("programFunding %+v", f)
		}
	})

	mism, err := ledger.Verify(bg(), s.DB.Client)
	if err != nil || len(mism) != 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}

// TestProgramCapChangesReachPostings: lowering a programme's caps applies
// to the next posting at once; caps below what was paid are refused.
func TestProgramCapChangesReachPostings(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pas := s.participations(t, 2)
	s.must(t, mid, postDisbursement, payment(pas[0], "STAGE_1", "9000.00", "2026-02-01", "c1"), nil)
	const update = `mutation($id: ID!, $s1: Decimal!, $total: Decimal!) { updateProgram(id: $id, input: {stage1Amount: $s1, totalCap: $total}) { id } }`
	pid := s.programID(t)
	s.fails(t, mid, update, map[string]any{"id": pid, "s1": "8000.00", "total": "20000.00"}, "VALIDATION")
	s.must(t, mid, update, map[string]any{"id": pid, "s1": "10000.00", "total": "20000.00"}, nil)
	err := s.fails(t, mid, postDisbursement, payment(pas[0], "STAGE_1", "1000.01", "2026-02-02", "c2"), "CAP_EXCEEDED")
	if err.Extensions["remaining"] != "1000.00" {
		t.Fatalf("%+v", err)
	}
	s.fails(t, mid, postDisbursement, payment(pas[1], "STAGE_1", "10000.01", "2026-02-02", "c3"), "INVALID_AMOUNT")
	if f := s.funding(t, mid, pas[1]); f.Stage1Remaining != "10000.00" || f.TotalRemaining != "20000.00" {
		t.Fatalf("funding after the change %+v", f)
	}
}

// TestLedgerMutationsStandAlone: ledger mutations commit on their own, so a
// document mixing them with other mutations is refused before anything runs.
func TestLedgerMutationsStandAlone(t *testing.T) {
	s := newTestServer(t)
	pa := s.participations(t, 1)[0]
	s.fails(t, s.Admin, `mutation($in: PostDisbursementInput!) {
	  postDisbursement(input: $in) { id }
	  createConsultant(input: {name: "X", email: "x@bechtle.example"}) { id }
	}`, payment(pa, "STAGE_1", "1.00", "2026-02-01", "mix"), "VALIDATION")
	if n := s.DB.Client.LedgerEntry.Query().CountX(bg()); n != 0 {
		t.Fatalf("%d entries booked", n)
	}
}

// TestLedgerIsAppendOnly: the ORM and the database both refuse to change
// or delete entries, and CHECK constraints refuse totals beyond the caps.
func TestLedgerIsAppendOnly(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pa := s.participations(t, 1)[0]
	var p struct{ PostDisbursement struct{ ID string } }
	s.must(t, mid, postDisbursement, payment(pa, "STAGE_1", "100.00", "2026-02-01", "k1"), &p)
	ctx := bg()
	c := s.DB.Client
	if err := c.LedgerEntry.UpdateOneID(ledgerID(p.PostDisbursement.ID)).Exec(ctx); err == nil {
		t.Fatal("ORM update of an entry succeeded")
	}
	if err := c.LedgerEntry.DeleteOneID(ledgerID(p.PostDisbursement.ID)).Exec(ctx); err == nil {
		t.Fatal("ORM delete of an entry succeeded")
	}
	for _, q := range []string{
		"UPDATE ledger_entries SET amount = 1",
		"DELETE FROM ledger_entries",
		"UPDATE funding_accounts SET stage1_paid = 1610001",
		"UPDATE funding_accounts SET stage1_paid = -1",
		"UPDATE funding_accounts SET stage2_paid = 2990001",
	} {
		if _, err := s.DB.SQL.ExecContext(ctx, q); err == nil {
			t.Errorf("database accepted %q", q)
		}
	}
	if n := c.LedgerEntry.Query().CountX(ctx); n != 1 {
		t.Fatalf("entries: %d", n)
	}
}

func ledgerID(s string) pulid.ID { return pulid.ID(s) }
