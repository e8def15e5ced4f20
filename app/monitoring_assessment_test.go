package app

import (
	"testing"
	"time"

	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/monitoring"
)

// TestAssessmentFlags: ASSESSMENT_MISSING from the day the on-site
// assessment is due (or once it is done) until a BASELINE is submitted,
// again when the Kommune returns it; ASSESSMENT_UNCONFIRMED once a
// submitted assessment has waited more than 14 days, until the Kommune
// confirms it. Both resolve themselves, and the contractor sees them.
func TestAssessmentFlags(t *testing.T) {
	s := newTestServer(t)
	ctx := bg()
	cat := s.seedCatalog(t, "1", 2)
	pa := s.participations(t, 1)[0]
	onsite := s.DB.Client.Step.Query().Where(step.ParticipationID(pulid.ID(pa)), step.KindEQ(types.StepOnsiteAssessment)).OnlyX(ctx)
	s.must(t, s.Admin, `mutation($id: ID!) { updateStep(id: $id, input: {dueOn: "2026-12-10"}) { id } }`, map[string]any{"id": string(onsite.ID)}, nil)
	missing := func() bool { return s.openFlag(t, flag.KindASSESSMENT_MISSING, string(onsite.ID)) != nil }

	s.Clock.Set(time.Date(2026, 12, 9, 23, 59, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobAssessments)
	if missing() {
		t.Fatal("flagged before the on-site assessment is due")
	}
	s.Clock.Set(time.Date(2026, 12, 10, 0, 0, 0, 0, berlinLoc))
	if run := s.runJob(t, monitoring.JobAssessments); run.Raised != 1 || !missing() {
		t.Fatalf("not flagged on the day it is due: %+v", run)
	}
	if again := s.runJob(t, monitoring.JobAssessments); again.Raised != 0 || again.Resolved != 0 {
		t.Fatalf("a second run changed flags: %+v", again)
	}
	contractor := s.token(t, "CONTRACTOR", "")
	var seen struct{ Flags struct{ TotalCount int } }
	s.must(t, contractor, `{ flags(where: {kind: ASSESSMENT_MISSING}) { totalCount } }`, nil, &seen)
	if seen.Flags.TotalCount != 1 {
		t.Fatalf("the contractor sees %d ASSESSMENT_MISSING flags", seen.Flags.TotalCount)
	}

	// An assessment in progress is not enough; a submitted one is.
	var d struct{ CreateAssessment struct{ ID string } }
	s.must(t, contractor, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa, "catalogID": cat.ID, "kind": "BASELINE"}}, &d)
	id := d.CreateAssessment.ID
	s.saveAnswers(t, contractor, id, answers(append(append([]string{}, cat.Backup...), cat.Drucker...), "YES", "NO"))
	s.runJob(t, monitoring.JobAssessments)
	if !missing() {
		t.Fatal("an assessment in progress resolved the flag")
	}
	submittedAt := time.Date(2026, 12, 10, 15, 0, 0, 0, berlinLoc)
	s.Clock.Set(submittedAt)
	s.must(t, contractor, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	if run := s.runJob(t, monitoring.JobAssessments); run.Resolved != 1 || missing() {
		t.Fatalf("submitting did not resolve the flag: %+v", run)
	}

	// Unconfirmed after 14 days.
	unconfirmed := func() bool { return s.openFlag(t, flag.KindASSESSMENT_UNCONFIRMED, id) != nil }
	s.Clock.Set(submittedAt.AddDate(0, 0, 14).Add(-time.Minute))
	s.runJob(t, monitoring.JobUnconfirmed)
	if unconfirmed() {
		t.Fatal("flagged before 14 days")
	}
	s.Clock.Set(submittedAt.AddDate(0, 0, 14).Add(time.Minute))
	if run := s.runJob(t, monitoring.JobUnconfirmed); run.Raised != 1 || !unconfirmed() {
		t.Fatalf("not flagged after 14 days: %+v", run)
	}
	f := s.openFlag(t, flag.KindASSESSMENT_UNCONFIRMED, id)
	if f.ParticipationID == nil || string(*f.ParticipationID) != pa {
		t.Fatalf("flag subject %+v", f)
	}

	// Returned: unconfirmed no longer, but the baseline is missing again.
	own, _ := s.kommuneTokens(t, pa)
	s.must(t, own, `mutation($id: ID!) { returnAssessment(id: $id, reason: "Backup-2 stimmt nicht") { id } }`, map[string]any{"id": id}, nil)
	s.runJob(t, monitoring.JobUnconfirmed)
	s.runJob(t, monitoring.JobAssessments)
	if unconfirmed() || !missing() {
		t.Fatalf("after the return: unconfirmed %v, missing %v", unconfirmed(), missing())
	}
	s.must(t, contractor, `mutation($id: ID!) { reopenAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	s.must(t, contractor, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	s.runJob(t, monitoring.JobAssessments)
	if missing() {
		t.Fatal("submitted again, still missing")
	}
	// Submitted again now: it waits 14 days anew; then the Kommune confirms.
	s.Clock.Set(s.Clock.Now().AddDate(0, 0, 15))
	s.runJob(t, monitoring.JobUnconfirmed)
	if !unconfirmed() {
		t.Fatal("not flagged 15 days after the second submission")
	}
	s.must(t, own, `mutation($id: ID!) { confirmAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	if run := s.runJob(t, monitoring.JobUnconfirmed); run.Resolved != 1 || unconfirmed() {
		t.Fatalf("confirming did not resolve the flag: %+v", run)
	}

	// The BSI sees no flag at all.
	bsi := s.token(t, "BSI", "")
	s.fails(t, bsi, `{ flags { totalCount } }`, nil, "FORBIDDEN")
}
