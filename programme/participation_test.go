package programme

import (
	"context"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/fundingaccount"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// fixture is a fresh, seeded store (the SicherKOMMUNAL programme and the
// 133 Kommunen) and a Service on a clock the test sets.
type fixture struct {
	db    *store.DB
	c     *ent.Client
	sys   context.Context
	now   time.Time
	svc   *Service
	prog  *ent.Program
	munis []*ent.Municipality
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	f.db = storetest.Open(t, store.Options{})
	f.c = f.db.Client
	f.sys = auth.SystemContext(context.Background())
	if err := Seed(f.sys, f.c, f.db.Dialect); err != nil {
		t.Fatal(err)
	}
	f.svc = &Service{Now: func() time.Time { return f.now }}
	f.prog = f.c.Program.Query().OnlyX(f.sys)
	f.munis = f.c.Municipality.Query().Order(municipality.ByID()).Limit(6).AllX(f.sys)
	return f
}

// register registers munis[i] on 2026-01-05.
func (f *fixture) register(t *testing.T, i int) *ent.Participation {
	t.Helper()
	pa, err := f.svc.Register(f.sys, f.c, f.prog.ID, f.munis[i].ID, day("2026-01-05"))
	if err != nil {
		t.Fatal(err)
	}
	return pa
}

func (f *fixture) step(t *testing.T, pa *ent.Participation, k types.StepKind) *ent.Step {
	t.Helper()
	return f.c.Step.Query().Where(step.ParticipationID(pa.ID), step.KindEQ(k)).OnlyX(f.sys)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

const unknownID = pulid.ID("XX01JD3K8Z6W8M2X1Q4R5T7V9B0C")

func TestRegister(t *testing.T) {
	f := newFixture(t)
	// Registered as a local time late in the day: the calendar day counts.
	pa, err := f.svc.Register(f.sys, f.c, f.prog.ID, f.munis[0].ID, time.Date(2026, 1, 5, 23, 30, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	if pa.Status != participation.StatusREGISTERED || types.NormalizeDate(pa.RegisteredOn).Format(time.DateOnly) != "2026-01-05" ||
		pa.ProgramID != f.prog.ID || pa.MunicipalityID != f.munis[0].ID {
		t.Errorf("participation %+v", pa)
	}
	// Nine steps, due as DueDates says, none completed.
	steps := f.c.Step.Query().Where(step.ParticipationID(pa.ID)).AllX(f.sys)
	due := DueDates(f.prog, day("2026-01-05"))
	if len(steps) != len(types.StepKinds) {
		t.Fatalf("%d steps", len(steps))
	}
	for _, s := range steps {
		if got, want := types.NormalizeDate(s.DueOn), due[s.Kind]; !got.Equal(want) {
			t.Errorf("%s due %s, want %s", s.Kind, got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
		if s.CompletedAt != nil {
			t.Errorf("%s completed", s.Kind)
		}
	}
	// A funding account with the programme's caps and nothing paid.
	acc := f.c.FundingAccount.Query().Where(fundingaccount.HasParticipationWith(participation.ID(pa.ID))).OnlyX(f.sys)
	if !acc.Stage1Cap.Equal(f.prog.Stage1Amount) || !acc.TotalCap.Equal(f.prog.TotalCap) || !acc.Stage1Paid.IsZero() || !acc.Stage2Paid.IsZero() {
		t.Errorf("funding account %+v", acc)
	}

	// The period's first and last day are inside it.
	for i, d := range []string{"2025-12-02", "2026-12-31"} {
		if _, err := f.svc.Register(f.sys, f.c, f.prog.ID, f.munis[i+1].ID, day(d)); err != nil {
			t.Errorf("registration on %s: %v", d, err)
		}
	}
	for _, c := range []struct {
		what       string
		prog, muni pulid.ID
		on         string
		code       string
	}{
		{"the day before the start", f.prog.ID, f.munis[3].ID, "2025-12-01", apperr.Validation},
		{"the day after the end", f.prog.ID, f.munis[3].ID, "2027-01-01", apperr.Validation},
		{"an unknown programme", unknownID, f.munis[3].ID, "2026-01-05", apperr.NotFound},
		{"an unknown municipality", f.prog.ID, unknownID, "2026-01-05", apperr.NotFound},
		{"an unknown programme before an unknown municipality", unknownID, unknownID, "2026-01-05", apperr.NotFound},
		{"twice", f.prog.ID, f.munis[0].ID, "2026-02-01", apperr.Conflict},
	} {
		_, err := f.svc.Register(f.sys, f.c, c.prog, c.muni, day(c.on))
		wantCode(t, c.what, err, c.code)
	}
	// The conflict names the existing participation.
	_, err = f.svc.Register(f.sys, f.c, f.prog.ID, f.munis[0].ID, day("2026-02-01"))
	if e, ok := err.(*apperr.Error); !ok || e.Details["participationID"] != string(pa.ID) {
		t.Errorf("conflict: %#v", err)
	}
	if n := f.c.Participation.Query().CountX(f.sys); n != 3 {
		t.Errorf("%d participations after the refusals, want 3", n)
	}
	if n := f.c.Step.Query().CountX(f.sys); n != 3*len(types.StepKinds) {
		t.Errorf("%d steps after the refusals", n)
	}
}

func TestWithdraw(t *testing.T) {
	f := newFixture(t)
	pa := f.register(t, 0)
	wantCode(t, "no reason", must(f.svc.Withdraw(f.sys, f.c, pa.ID, "  \t\n")), apperr.Validation)
	// The reason is checked first: an unknown ID without one is VALIDATION.
	wantCode(t, "unknown without a reason", must(f.svc.Withdraw(f.sys, f.c, unknownID, "")), apperr.Validation)
	wantCode(t, "unknown", must(f.svc.Withdraw(f.sys, f.c, unknownID, "Grund")), apperr.NotFound)

	f.now = f.now.Add(time.Hour)
	out, err := f.svc.Withdraw(f.sys, f.c, pa.ID, "  Personalmangel im IT-Bereich \n")
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != participation.StatusWITHDRAWN || out.WithdrawnAt == nil || !out.WithdrawnAt.Equal(f.now) ||
		out.WithdrawalReason == nil || *out.WithdrawalReason != "Personalmangel im IT-Bereich" {
		t.Errorf("withdrawn: %+v", out)
	}
	f.now = f.now.Add(time.Hour)
	wantCode(t, "twice", must(f.svc.Withdraw(f.sys, f.c, pa.ID, "noch einmal")), apperr.Conflict)
	if again := f.c.Participation.GetX(f.sys, pa.ID); !again.WithdrawnAt.Equal(f.now.Add(-time.Hour)) || *again.WithdrawalReason != "Personalmangel im IT-Bereich" {
		t.Errorf("the second withdrawal changed the first: %+v", again)
	}

	// A settled participation cannot be withdrawn; the other states can.
	for i, st := range []participation.Status{participation.StatusSETTLED, participation.StatusSTAGE1, participation.StatusSTAGE2, participation.StatusACCEPTED} {
		pa := f.register(t, i+1)
		f.c.Participation.UpdateOne(pa).SetStatus(st).ExecX(f.sys)
		_, err := f.svc.Withdraw(f.sys, f.c, pa.ID, "Grund")
		if st == participation.StatusSETTLED {
			wantCode(t, "settled", err, apperr.Conflict)
		} else if err != nil {
			t.Errorf("%s: %v", st, err)
		}
	}
}

// must drops the value of a call whose error is all a test looks at.
func must[T any](_ T, err error) error { return err }

func TestUpdateStep(t *testing.T) {
	f := newFixture(t)
	pa := f.register(t, 0)
	s := f.step(t, pa, types.StepKickoff)
	wantCode(t, "unknown", must(f.svc.UpdateStep(f.sys, f.c, unknownID, nil, nil, false)), apperr.NotFound)

	// A due date is stored as its calendar day.
	due := time.Date(2026, 2, 10, 23, 45, 0, 0, berlin)
	note := "Termin mit dem Bürgermeister abgestimmt"
	out, err := f.svc.UpdateStep(f.sys, f.c, s.ID, &due, &note, false)
	if err != nil {
		t.Fatal(err)
	}
	if types.NormalizeDate(out.DueOn).Format(time.DateOnly) != "2026-02-10" || out.Note == nil || *out.Note != note {
		t.Errorf("updated: due %v note %v", out.DueOn, out.Note)
	}
	// Nothing given changes nothing.
	out, err = f.svc.UpdateStep(f.sys, f.c, s.ID, nil, nil, false)
	if err != nil || types.NormalizeDate(out.DueOn).Format(time.DateOnly) != "2026-02-10" || out.Note == nil || *out.Note != note {
		t.Errorf("empty update: %v %+v", err, out)
	}
	// clearNote wins over a note.
	other := "anderes"
	out, err = f.svc.UpdateStep(f.sys, f.c, s.ID, nil, &other, true)
	if err != nil || out.Note != nil {
		t.Errorf("cleared: %v %v", err, out.Note)
	}
	// The programme's last day is allowed, the day after is not.
	last, after := day("2026-12-31"), day("2027-01-01")
	if _, err := f.svc.UpdateStep(f.sys, f.c, s.ID, &last, nil, false); err != nil {
		t.Errorf("due on the last day: %v", err)
	}
	wantCode(t, "due after the end", must(f.svc.UpdateStep(f.sys, f.c, s.ID, &after, nil, false)), apperr.Validation)
	if got := f.c.Step.GetX(f.sys, s.ID); types.NormalizeDate(got.DueOn).Format(time.DateOnly) != "2026-12-31" {
		t.Errorf("the refused update was stored: %v", got.DueOn)
	}
	// A completed step can still be rescheduled (the rules say nothing
	// against it) and keeps its completion.
	done, err := f.svc.CompleteStep(f.sys, f.c, f.step(t, pa, types.StepVulnerabilityScan).ID, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := f.svc.UpdateStep(f.sys, f.c, done.ID, &last, nil, false); err != nil || out.CompletedAt == nil {
		t.Errorf("update of a completed step: %v %+v", err, out)
	}
}

func TestCompleteStep(t *testing.T) {
	f := newFixture(t)
	pa := f.register(t, 0)
	wantCode(t, "unknown", must(f.svc.CompleteStep(f.sys, f.c, unknownID, nil, nil)), apperr.NotFound)

	// Without a time: now. With a note: the note.
	kick := f.step(t, pa, types.StepKickoff)
	note := "Kick-off im Rathaus"
	out, err := f.svc.CompleteStep(f.sys, f.c, kick.ID, nil, &note)
	if err != nil {
		t.Fatal(err)
	}
	if out.CompletedAt == nil || !out.CompletedAt.Equal(f.now) || out.Note == nil || *out.Note != note {
		t.Errorf("completed: %v %v", out.CompletedAt, out.Note)
	}
	wantCode(t, "twice", must(f.svc.CompleteStep(f.sys, f.c, kick.ID, nil, nil)), apperr.Conflict)
	if got := f.c.Step.GetX(f.sys, kick.ID); !got.CompletedAt.Equal(f.now) {
		t.Errorf("the second completion changed the first: %v", got.CompletedAt)
	}

	// A time in the past is kept; up to five minutes ahead is clock skew,
	// later is the future. Without a note the note stays.
	past := f.now.Add(-72 * time.Hour)
	skew := f.now.Add(5 * time.Minute)
	future := f.now.Add(5*time.Minute + time.Second)
	for _, c := range []struct {
		kind types.StepKind
		at   time.Time
		code string
	}{
		{types.StepMeasurePackage, past, ""},
		{types.StepPolicyReview, skew, ""},
		{types.StepTechnicalSpotCheck, future, apperr.Validation},
	} {
		s := f.step(t, pa, c.kind)
		out, err := f.svc.CompleteStep(f.sys, f.c, s.ID, &c.at, nil)
		wantCode(t, string(c.kind), err, c.code)
		if c.code == "" && (err != nil || !out.CompletedAt.Equal(c.at) || out.Note != nil) {
			t.Errorf("%s: %v %+v", c.kind, err, out)
		}
		if c.code != "" && f.c.Step.GetX(f.sys, s.ID).CompletedAt != nil {
			t.Errorf("%s: the refused completion was stored", c.kind)
		}
	}
	if st := f.c.Participation.GetX(f.sys, pa.ID).Status; st != participation.StatusREGISTERED {
		t.Errorf("other steps moved the participation to %s", st)
	}

	// Final acceptance accepts the participation …
	if _, err := f.svc.CompleteStep(f.sys, f.c, f.step(t, pa, types.StepFinalAcceptance).ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if st := f.c.Participation.GetX(f.sys, pa.ID).Status; st != participation.StatusACCEPTED {
		t.Errorf("after final acceptance: %s", st)
	}
	// … but never moves a settled one back.
	settled := f.register(t, 1)
	f.c.Participation.UpdateOne(settled).SetStatus(participation.StatusSETTLED).ExecX(f.sys)
	if _, err := f.svc.CompleteStep(f.sys, f.c, f.step(t, settled, types.StepFinalAcceptance).ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if st := f.c.Participation.GetX(f.sys, settled.ID).Status; st != participation.StatusSETTLED {
		t.Errorf("settled participation after final acceptance: %s", st)
	}

	// A withdrawn participation's steps are closed.
	gone := f.register(t, 2)
	if _, err := f.svc.Withdraw(f.sys, f.c, gone.ID, "Grund"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []types.StepKind{types.StepKickoff, types.StepFinalAcceptance} {
		s := f.step(t, gone, k)
		wantCode(t, "withdrawn "+string(k), must(f.svc.CompleteStep(f.sys, f.c, s.ID, nil, nil)), apperr.Conflict)
		if f.c.Step.GetX(f.sys, s.ID).CompletedAt != nil {
			t.Errorf("%s of a withdrawn participation completed", k)
		}
	}
	if st := f.c.Participation.GetX(f.sys, gone.ID).Status; st != participation.StatusWITHDRAWN {
		t.Errorf("withdrawn participation is %s", st)
	}
}

// TestServiceRespectsTheViewer: the rules run with the caller's rights; a
// role the privacy policies refuse gets no participation.
func TestServiceRespectsTheViewer(t *testing.T) {
	f := newFixture(t)
	ministry := auth.NewContext(context.Background(), &auth.Viewer{Name: "mid", Role: types.RoleMinistry})
	if _, err := f.svc.Register(ministry, f.c, f.prog.ID, f.munis[0].ID, day("2026-01-05")); err == nil {
		t.Error("the ministry registered a participation")
	}
	if n := f.c.Participation.Query().CountX(f.sys); n != 0 {
		t.Errorf("%d participations", n)
	}
}
