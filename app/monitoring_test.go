package app

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/jobrun"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/monitoring"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// runJob runs a job now through the scheduler and returns its run.
func (s *testServer) runJob(t testing.TB, job string) *ent.JobRun {
	t.Helper()
	run, err := s.App.monitoring.RunTick(bg(), job, nil, "test")
	if err != nil {
		t.Fatalf("%s: %v", job, err)
	}
	return run
}

// openFlag returns the open flag of kind for subject, or nil.
func (s *testServer) openFlag(t testing.TB, kind flag.Kind, subject string) *ent.Flag {
	t.Helper()
	f, err := s.DB.Client.Flag.Query().Where(flag.KindEQ(kind), flag.SubjectKey(subject), flag.ResolvedAtIsNil()).Only(bg())
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOverdueStepsByTheClock: a step due on D is overdue from 00:00
// Europe/Berlin on D+1, also across both DST changes; running twice
// changes nothing; completing the step resolves the flag on the next run.
func TestOverdueStepsByTheClock(t *testing.T) {
	s := newTestServer(t)
	ctx := bg()
	pa := s.participations(t, 1)[0]
	kickoff := s.DB.Client.Step.Query().Where(step.ParticipationID(pulid.ID(pa)), step.KindEQ(types.StepKickoff)).OnlyX(ctx)
	cases := []struct {
		due           string
		before, after time.Time
	}{
		{"2026-12-10", time.Date(2026, 12, 10, 23, 59, 0, 0, berlinLoc), time.Date(2026, 12, 11, 0, 0, 0, 0, berlinLoc)},
		{"2026-03-28", time.Date(2026, 3, 28, 23, 59, 0, 0, berlinLoc), time.Date(2026, 3, 29, 0, 0, 0, 0, berlinLoc)},   // spring forward that night
		{"2026-10-24", time.Date(2026, 10, 24, 23, 59, 0, 0, berlinLoc), time.Date(2026, 10, 25, 0, 0, 0, 0, berlinLoc)}, // fall back that night
	}
	for _, c := range cases {
		s.must(t, s.Admin, `mutation($id: ID!, $due: Date!) { updateStep(id: $id, input: {dueOn: $due}) { id } }`,
			map[string]any{"id": string(kickoff.ID), "due": c.due}, nil)
		s.Clock.Set(c.before)
		s.runJob(t, monitoring.JobOverdueSteps)
		if f := s.openFlag(t, flag.KindSTEP_OVERDUE, string(kickoff.ID)); f != nil {
			t.Fatalf("due %s: overdue already at %s", c.due, c.before)
		}
		s.Clock.Set(c.after)
		run := s.runJob(t, monitoring.JobOverdueSteps)
		f := s.openFlag(t, flag.KindSTEP_OVERDUE, string(kickoff.ID))
		if f == nil || run.Raised == 0 {
			t.Fatalf("due %s: not overdue at %s (run %+v)", c.due, c.after, run)
		}
		if f.ParticipationID == nil || string(*f.ParticipationID) != pa || f.StepID == nil || *f.StepID != kickoff.ID {
			t.Fatalf("flag subject %+v", f)
		}
		// Running again changes nothing.
		before := s.DB.Client.Flag.Query().CountX(ctx)
		again := s.runJob(t, monitoring.JobOverdueSteps)
		if again.Raised != 0 || again.Resolved != 0 || s.DB.Client.Flag.Query().CountX(ctx) != before {
			t.Fatalf("second run changed things: %+v", again)
		}
		// Moving the due date resolves it (before the next case sets it anew).
		s.must(t, s.Admin, `mutation($id: ID!) { updateStep(id: $id, input: {dueOn: "2026-12-31"}) { id } }`,
			map[string]any{"id": string(kickoff.ID)}, nil)
		if run := s.runJob(t, monitoring.JobOverdueSteps); run.Resolved == 0 {
			t.Fatalf("moving the due date did not resolve the flag: %+v", run)
		}
	}
	// Completing resolves.
	s.must(t, s.Admin, `mutation($id: ID!) { updateStep(id: $id, input: {dueOn: "2026-12-01"}) { id } }`,
		map[string]any{"id": string(kickoff.ID)}, nil)
	s.Clock.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobOverdueSteps)
	if s.openFlag(t, flag.KindSTEP_OVERDUE, string(kickoff.ID)) == nil {
		t.Fatal("not overdue")
	}
	s.must(t, s.Admin, `mutation($id: ID!) { completeStep(input: {id: $id}) { id } }`, map[string]any{"id": string(kickoff.ID)}, nil)
	s.runJob(t, monitoring.JobOverdueSteps)
	if s.openFlag(t, flag.KindSTEP_OVERDUE, string(kickoff.ID)) != nil {
		t.Fatal("completing the step did not resolve the flag")
	}
	resolved := s.DB.Client.Flag.Query().Where(flag.SubjectKey(string(kickoff.ID)), flag.ResolvedAtNotNil()).CountX(ctx)
	if resolved != 4 {
		t.Fatalf("want 4 resolved flags in the step's history, got %d", resolved)
	}
}

// TestDeadlineWatch: participations not accepted with at most 30 days
// left are flagged; accepted ones are not.
func TestDeadlineWatch(t *testing.T) {
	s := newTestServer(t)
	pas := s.participations(t, 2)
	s.Clock.Set(time.Date(2026, 11, 30, 12, 0, 0, 0, berlinLoc)) // 31 days before the end
	if run := s.runJob(t, monitoring.JobDeadlineWatch); run.Raised != 0 {
		t.Fatalf("flagged with 31 days left: %+v", run)
	}
	s.Clock.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, berlinLoc)) // 30 days
	if run := s.runJob(t, monitoring.JobDeadlineWatch); run.Raised != 2 {
		t.Fatalf("want 2 at risk with 30 days left: %+v", run)
	}
	// Final acceptance of the first clears its flag.
	st := s.DB.Client.Step.Query().Where(step.ParticipationID(pulid.ID(pas[0])), step.KindEQ(types.StepFinalAcceptance)).OnlyX(bg())
	s.must(t, s.Admin, `mutation($id: ID!) { completeStep(input: {id: $id}) { id } }`, map[string]any{"id": string(st.ID)}, nil)
	if run := s.runJob(t, monitoring.JobDeadlineWatch); run.Resolved != 1 {
		t.Fatalf("acceptance did not resolve: %+v", run)
	}
	if f := s.openFlag(t, flag.KindDEADLINE_AT_RISK, pas[1]); f == nil || f.Severity != flag.SeverityWARNING {
		t.Fatalf("second flag %+v", f)
	}
	// After the end the risk is critical: the flag is replaced.
	s.Clock.Set(time.Date(2027, 1, 4, 9, 0, 0, 0, berlinLoc))
	if run := s.runJob(t, monitoring.JobDeadlineWatch); run.Resolved != 1 || run.Raised != 1 {
		t.Fatalf("escalation: %+v", run)
	}
	if f := s.openFlag(t, flag.KindDEADLINE_AT_RISK, pas[1]); f == nil || f.Severity != flag.SeverityCRITICAL {
		t.Fatalf("after the end %+v", f)
	}
}

// TestBudgetOverrun: planned measures of 31,000.00 for one participation
// raise BUDGET_OVERRUN; lowering them resolves it.
func TestBudgetOverrun(t *testing.T) {
	s := newTestServer(t)
	pa := s.participations(t, 1)[0]
	coord := s.token(t, "COORDINATOR", "")
	create := `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id } }`
	measure := func(title, stage, cost string) string {
		var d struct{ CreateMeasure struct{ ID string } }
		s.must(t, coord, create, map[string]any{"in": map[string]any{
			"participationID": pa, "kind": "TECHNICAL", "title": title, "stage": stage, "plannedCost": cost}}, &d)
		return d.CreateMeasure.ID
	}
	measure("IST-Erhebung und Schwachstellenscan", "STAGE_1", "16000.00")
	big := measure("Netzsegmentierung und Firewall-Erneuerung", "STAGE_2", "15000.00")
	run := s.runJob(t, monitoring.JobBudgetOverruns)
	f := s.openFlag(t, flag.KindBUDGET_OVERRUN, pa+"/TOTAL")
	if f == nil || run.Raised != 1 {
		t.Fatalf("31,000.00 planned: no BUDGET_OVERRUN (run %+v)", run)
	}
	if f.Message != "Planned measures cost 31000.00 EUR in total, more than the cap of 30000.00 EUR" {
		t.Fatalf("message %q", f.Message)
	}
	if again := s.runJob(t, monitoring.JobBudgetOverruns); again.Raised != 0 || again.Resolved != 0 {
		t.Fatalf("second run changed things: %+v", again)
	}
	s.must(t, coord, `mutation($id: ID!) { updateMeasure(id: $id, input: {plannedCost: "13000.00"}) { id } }`, map[string]any{"id": big}, nil)
	if run := s.runJob(t, monitoring.JobBudgetOverruns); run.Resolved != 1 || s.openFlag(t, flag.KindBUDGET_OVERRUN, pa+"/TOTAL") != nil {
		t.Fatalf("lowering did not resolve: %+v", run)
	}
	// Stage 1 on its own above its cap.
	measure("Zusatzworkshop", "STAGE_1", "200.00")
	s.runJob(t, monitoring.JobBudgetOverruns)
	if s.openFlag(t, flag.KindBUDGET_OVERRUN, pa+"/STAGE_1") == nil {
		t.Fatal("16,200.00 planned for stage 1 not flagged")
	}
}

// TestLedgerAuditFindsTampering: a funding row changed directly in the
// database raises a critical LEDGER_MISMATCH; repairing it resolves it.
func TestLedgerAuditFindsTampering(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pa := s.participations(t, 1)[0]
	s.must(t, mid, postDisbursement, payment(pa, "STAGE_1", "5000.00", "2026-02-01", "t1"), nil)
	if run := s.runJob(t, monitoring.JobLedgerAudit); run.Raised != 0 {
		t.Fatalf("clean ledger flagged: %+v", run)
	}
	ctx := bg()
	q := "UPDATE funding_accounts SET stage1_paid = stage1_paid + 1 WHERE participation_id = ?"
	if s.DB.Dialect == "postgres" {
		q = "UPDATE funding_accounts SET stage1_paid = stage1_paid + 1 WHERE participation_id = $1"
	}
	if _, err := s.DB.SQL.ExecContext(ctx, q, pa); err != nil {
		t.Fatal(err)
	}
	s.runJob(t, monitoring.JobLedgerAudit)
	f := s.openFlag(t, flag.KindLEDGER_MISMATCH, pa)
	if f == nil || f.Severity != flag.SeverityCRITICAL {
		t.Fatalf("tampering not flagged: %+v", f)
	}
	if _, err := s.DB.SQL.ExecContext(ctx, strings.ReplaceAll(q, "+ 1", "- 1"), pa); err != nil {
		t.Fatal(err)
	}
	if run := s.runJob(t, monitoring.JobLedgerAudit); run.Resolved != 1 {
		t.Fatalf("repair did not resolve: %+v", run)
	}
}

// TestSchedulerReplicas: three schedulers on one database, driven through
// the same ticks at once, produce exactly one JobRun per job per tick and
// never two open flags for one subject.
func TestSchedulerReplicas(t *testing.T) {
	dbURL := storetest.URL(t)
	s := newTestServerOn(t, dbURL)
	s.participations(t, 6)
	var runners []*monitoring.Runner
	for i := 0; i < 3; i++ {
		db, err := store.Open(bg(), dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		runners = append(runners, &monitoring.Runner{Client: db.Client, Dialect: db.Dialect, Now: s.Clock.Now, Log: s.App.log, Location: berlinLoc})
	}
	ticks := []time.Time{
		time.Date(2026, 12, 1, 6, 0, 0, 0, berlinLoc), time.Date(2026, 12, 1, 6, 15, 0, 0, berlinLoc), time.Date(2026, 12, 2, 6, 0, 0, 0, berlinLoc),
	}
	ctx := bg()
	for _, tick := range ticks {
		s.Clock.Set(tick)
		var wg sync.WaitGroup
		for _, r := range runners {
			for _, job := range monitoring.Jobs() {
				wg.Add(1)
				go func(r *monitoring.Runner, job string) {
					defer wg.Done()
					tk := tick.UTC()
					if _, err := r.RunTick(ctx, job, &tk, "schedule"); err != nil && !errors.Is(err, monitoring.ErrSkipped) {
						t.Errorf("%s: %v", job, err)
					}
				}(r, job)
			}
		}
		wg.Wait()
	}
	c := s.DB.Client
	for _, job := range monitoring.Jobs() {
		for _, tick := range ticks {
			if n := c.JobRun.Query().Where(jobrun.Job(job), jobrun.Tick(tick.UTC())).CountX(ctx); n != 1 {
				t.Errorf("%s at %s: %d runs", job, tick, n)
			}
		}
	}
	var dup []struct {
		Kind       string `json:"kind"`
		SubjectKey string `json:"subject_key"`
		Count      int    `json:"count"`
	}
	c.Flag.Query().Where(flag.ResolvedAtIsNil()).GroupBy(flag.FieldKind, flag.FieldSubjectKey).Aggregate(ent.Count()).ScanX(ctx, &dup)
	open := 0
	for _, d := range dup {
		open += d.Count
		if d.Count > 1 {
			t.Errorf("%d open flags for %s %s", d.Count, d.Kind, d.SubjectKey)
		}
	}
	if open == 0 {
		t.Fatal("the jobs raised nothing; the test proves nothing")
	}
	t.Logf("%d open flags, %d job runs", open, c.JobRun.Query().CountX(ctx))
}

// TestMonitoringAPI: flags, openFlags, acknowledgeFlag, jobRuns, runJob
// and programDashboard over GraphQL, with roles.
func TestMonitoringAPI(t *testing.T) {
	s := newTestServer(t)
	pa := s.participations(t, 3)[0]
	coord := s.token(t, "COORDINATOR", "")
	contractor := s.token(t, "CONTRACTOR", "")
	s.Clock.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, berlinLoc))
	var run struct {
		RunJob struct {
			Job              string
			Raised, Resolved int
		}
	}
	s.must(t, coord, `mutation { runJob(name: "deadline-watch") { job raised resolved } }`, nil, &run)
	if run.RunJob.Raised != 3 {
		t.Fatalf("runJob %+v", run)
	}
	s.fails(t, coord, `mutation { runJob(name: "nope") { id } }`, nil, "NOT_FOUND")
	s.fails(t, contractor, `mutation { runJob(name: "deadline-watch") { id } }`, nil, "FORBIDDEN")
	s.must(t, coord, `mutation { runJob(name: "overdue-steps") { id } }`, nil, nil)

	var d struct {
		Flags struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID, Kind string } }
		}
		Node struct {
			OpenFlags []struct{ Kind string }
		}
		JobRuns          struct{ TotalCount int }
		ProgramDashboard struct {
			OpenFlagsTotal int
			OpenFlags      []struct {
				Kind  string
				Count int
			}
			Steps          struct{ Total, Completed, Open, Overdue int }
			Participations []struct {
				Status string
				Count  int
			}
		}
	}
	s.must(t, coord, `query($pa: ID!, $pg: ID!) {
	  flags(open: true, where: {kind: DEADLINE_AT_RISK}) { totalCount edges { node { id kind } } }
	  node(id: $pa) { ... on Participation { openFlags { kind } } }
	  jobRuns { totalCount }
	  programDashboard(programID: $pg) { openFlagsTotal openFlags { kind count } steps { total completed open overdue } participations { status count } }
	}`, map[string]any{"pa": pa, "pg": s.programID(t)}, &d)
	if d.Flags.TotalCount != 3 || len(d.Node.OpenFlags) == 0 || d.JobRuns.TotalCount != 2 {
		t.Fatalf("monitoring reads: %+v", d)
	}
	db := d.ProgramDashboard
	if db.Steps.Total != 27 || db.Steps.Overdue == 0 || db.Steps.Total != db.Steps.Completed+db.Steps.Open+db.Steps.Overdue ||
		db.OpenFlagsTotal < 3 || len(db.Participations) != 1 || db.Participations[0].Count != 3 {
		t.Fatalf("dashboard %+v", db)
	}
	var ack struct {
		AcknowledgeFlag struct {
			AcknowledgedAt *string
			AcknowledgedBy *string
			ResolvedAt     *string
		}
	}
	s.must(t, coord, `mutation($id: ID!) { acknowledgeFlag(id: $id) { acknowledgedAt acknowledgedBy resolvedAt } }`,
		map[string]any{"id": d.Flags.Edges[0].Node.ID}, &ack)
	if ack.AcknowledgeFlag.AcknowledgedAt == nil || ack.AcknowledgeFlag.ResolvedAt != nil {
		t.Fatalf("acknowledge %+v", ack)
	}
	// A contractor sees schedule flags, no money flags.
	var cf struct{ Flags struct{ TotalCount int } }
	s.must(t, contractor, `{ flags(open: true) { totalCount } }`, nil, &cf)
	if cf.Flags.TotalCount == 0 {
		t.Fatal("contractor sees no schedule flags")
	}
}

var berlinLoc = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return l
}()

// TestUnmatchedPayments: a bank debit that no ledger entry explains is
// flagged after three banking days; matching it by hand resolves the flag.
func TestUnmatchedPayments(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pa := s.participations(t, 1)[0]
	var p struct{ PostDisbursement struct{ ID string } }
	s.must(t, mid, postDisbursement, payment(pa, "STAGE_1", "700.00", "2026-11-19", "u1"), &p)
	csv := "statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency;reversal;end_to_end_id;counterparty_name;counterparty_iban;remittance\n" +
		"CSV-U;1;2026-11-20;2026-11-20;DBIT;700.00;EUR;false;;Gemeinde ohne Zeichen;;Zahlung ohne Kassenzeichen\n"
	s.must(t, mid, importStatement, map[string]any{"in": map[string]any{"format": "CSV", "content": csv}}, nil)
	bt := s.DB.Client.BankTransaction.Query().OnlyX(bg())
	// Friday 2026-11-20 + 3 banking days = Wednesday 2026-11-25: not yet on the 25th, flagged on the 26th.
	s.Clock.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, berlinLoc))
	if run := s.runJob(t, monitoring.JobUnmatched); run.Raised != 0 {
		t.Fatalf("flagged too early: %+v", run)
	}
	s.Clock.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobUnmatched)
	if f := s.openFlag(t, flag.KindPAYMENT_UNMATCHED, string(bt.ID)); f == nil {
		t.Fatalf("unmatched debit (%s) not flagged", bt.Status)
	}
	s.must(t, mid, `mutation($bt: ID!, $e: ID!) { matchBankTransaction(bankTransactionID: $bt, entryID: $e) { status } }`,
		map[string]any{"bt": string(bt.ID), "e": p.PostDisbursement.ID}, nil)
	if run := s.runJob(t, monitoring.JobUnmatched); run.Resolved != 1 {
		t.Fatalf("matching did not resolve: %+v", run)
	}
}
