package app

import (
	"strings"
	"testing"
	"time"

	"sicherkommunal/ent/findingchange"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/monitoring"
)

// TestFindingFlags: FINDING_OVERDUE from the day after the due date until
// the finding is closed; CRITICAL_FINDING_OPEN while a critical finding is
// not closed; an expired risk acceptance goes back to OPEN (with its
// history) and is flagged RISK_ACCEPTANCE_EXPIRED until someone decides
// anew. All resolve themselves; no message holds a host.
func TestFindingFlags(t *testing.T) {
	s := newTestServer(t)
	pa := s.participations(t, 1)[0]
	crit := s.seedFinding(t, pa, "1.3.6.1.4.1.25623.1.0.108440", "10.1.0.9", "443/tcp", types.SeverityCritical) // first seen 2026-11-02, due 2026-11-09
	high := s.seedFinding(t, pa, "1.3.6.1.4.1.25623.1.0.117274", "10.1.0.5", "443/tcp", types.SeverityHigh)     // due 2026-12-02
	open := func(kind flag.Kind, id string) bool { return s.openFlag(t, kind, id) != nil }

	s.Clock.Set(time.Date(2026, 12, 2, 12, 0, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobFindingsDue)
	s.runJob(t, monitoring.JobCriticalOpen)
	if !open(flag.KindFINDING_OVERDUE, crit) || open(flag.KindFINDING_OVERDUE, high) || !open(flag.KindCRITICAL_FINDING_OPEN, crit) || open(flag.KindCRITICAL_FINDING_OPEN, high) {
		t.Fatalf("on its due day: overdue %v/%v, critical %v/%v", open(flag.KindFINDING_OVERDUE, crit), open(flag.KindFINDING_OVERDUE, high),
			open(flag.KindCRITICAL_FINDING_OPEN, crit), open(flag.KindCRITICAL_FINDING_OPEN, high))
	}
	if f := s.openFlag(t, flag.KindFINDING_OVERDUE, crit); f.Severity != flag.SeverityCRITICAL || f.ParticipationID == nil || string(*f.ParticipationID) != pa {
		t.Fatalf("overdue flag %+v", f)
	}
	s.Clock.Set(time.Date(2026, 12, 3, 0, 0, 0, 0, berlinLoc))
	if run := s.runJob(t, monitoring.JobFindingsDue); run.Raised != 1 || !open(flag.KindFINDING_OVERDUE, high) {
		t.Fatalf("the day after the due date: %+v", run)
	}
	if again := s.runJob(t, monitoring.JobFindingsDue); again.Raised+again.Resolved != 0 {
		t.Fatalf("a second run changed flags: %+v", again)
	}
	for _, f := range s.DB.Client.Flag.Query().AllX(bg()) {
		if strings.Contains(f.Message, "10.1.0") {
			t.Errorf("a flag names a host: %s", f.Message)
		}
	}

	// The Kommune accepts the critical risk until 2026-12-31.
	own, _ := s.kommuneTokens(t, pa)
	s.must(t, own, changeFinding, map[string]any{"in": map[string]any{"id": crit, "status": "RISK_ACCEPTED", "reason": "Ablösung im Januar",
		"acceptedBy": "Bürgermeisterin", "acceptedUntil": "2026-12-31"}}, nil)
	s.runJob(t, monitoring.JobFindingsDue)
	s.runJob(t, monitoring.JobCriticalOpen)
	s.runJob(t, monitoring.JobAcceptances)
	if open(flag.KindFINDING_OVERDUE, crit) || open(flag.KindCRITICAL_FINDING_OPEN, crit) || open(flag.KindRISK_ACCEPTANCE_EXPIRED, crit) {
		t.Fatal("an accepted risk is still flagged")
	}
	s.Clock.Set(time.Date(2026, 12, 31, 23, 0, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobAcceptances)
	if f := s.DB.Client.Finding.GetX(bg(), pulid.ID(crit)); f.Status != types.FindingRiskAccepted {
		t.Fatalf("expired on its last day: %s", f.Status)
	}
	s.Clock.Set(time.Date(2027, 1, 1, 0, 30, 0, 0, berlinLoc))
	s.runJob(t, monitoring.JobAcceptances)
	f := s.DB.Client.Finding.GetX(bg(), pulid.ID(crit))
	if f.Status != types.FindingOpen || !open(flag.KindRISK_ACCEPTANCE_EXPIRED, crit) {
		t.Fatalf("after the last day: %s, flagged %v", f.Status, open(flag.KindRISK_ACCEPTANCE_EXPIRED, crit))
	}
	if n := s.DB.Client.FindingChange.Query().Where(findingchange.FindingID(pulid.ID(crit)), findingchange.ViaEQ(findingchange.ViaEXPIRY)).CountX(bg()); n != 1 {
		t.Fatalf("%d EXPIRY entries in the history", n)
	}
	s.runJob(t, monitoring.JobCriticalOpen)
	if !open(flag.KindCRITICAL_FINDING_OPEN, crit) {
		t.Fatal("the expired critical finding is not flagged as open")
	}
	// Deciding anew resolves the expiry flag; fixing resolves the rest.
	contractor := s.token(t, "CONTRACTOR", "")
	s.must(t, contractor, changeFinding, map[string]any{"in": map[string]any{"id": crit, "status": "IN_REMEDIATION"}}, nil)
	s.runJob(t, monitoring.JobAcceptances)
	if open(flag.KindRISK_ACCEPTANCE_EXPIRED, crit) {
		t.Fatal("a new decision did not resolve the expiry flag")
	}
	s.must(t, own, changeFinding, map[string]any{"in": map[string]any{"id": crit, "status": "FIXED"}}, nil)
	s.runJob(t, monitoring.JobFindingsDue)
	s.runJob(t, monitoring.JobCriticalOpen)
	if open(flag.KindFINDING_OVERDUE, crit) || open(flag.KindCRITICAL_FINDING_OPEN, crit) {
		t.Fatal("a fixed finding is still flagged")
	}
	var seen struct{ Flags struct{ TotalCount int } }
	s.must(t, contractor, `{ flags(where: {kindIn: [FINDING_OVERDUE, CRITICAL_FINDING_OPEN, RISK_ACCEPTANCE_EXPIRED]}) { totalCount } }`, nil, &seen)
	if seen.Flags.TotalCount == 0 {
		t.Fatal("the contractor sees no finding flags")
	}
}
