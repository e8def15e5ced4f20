package app

import (
	"strings"
	"testing"
	"time"

	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/securitytest"
	"sicherkommunal/graph"
)

// seedFinding stores a manual test of the participation with one finding,
// directly (as the system), and returns the finding's ID.
func (s *testServer) seedFinding(t testing.TB, pa, rule, host, port string, severity types.Severity) string {
	t.Helper()
	ctx := bg()
	c := s.DB.Client
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	test := c.SecurityTest.Create().SetParticipationID(pulid.ID(pa)).SetKind(types.TestVulnerabilityScan).
		SetFormat(securitytest.FormatMANUAL).SetPerformedOn(day).SetTool("Handprüfung").SetScope("Netz " + host).SaveX(ctx)
	f := c.Finding.Create().SetParticipationID(pulid.ID(pa)).SetFirstTestID(test.ID).SetRuleID(rule).
		SetHost(host).SetPort(port).SetTitle("Veraltete TLS-Version").SetDescription("Der Dienst auf " + host + " bietet TLS 1.0 an.").
		SetSolution("TLS 1.0 und 1.1 abschalten").SetSeverity(severity).SetCvssVector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N").
		SetCvssScoreTenths(75).SetCves([]string{"CVE-2011-3389"}).SetCwes([]string{"CWE-326"}).
		SetFirstSeenOn(day).SetLastSeenOn(day).SetNillableDueOn(types.DefaultRemediationDays.DueOn(severity, day)).SaveX(ctx)
	return string(f.ID)
}

// TestFindingDetailsMatrix: the details of findings and tests (systems,
// ports, descriptions, solutions, vectors, CVEs, scopes, history) are read
// by ADMIN, the contractor and the Kommune only; MID reads exactly the
// fields KITU reads (so the COORDINATOR pair of the non-interference test
// covers MINISTRY too); the BSI reads none.
func TestFindingDetailsMatrix(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	details := map[string][]string{
		"Finding":       {"host", "hostname", "port", "ruleID", "description", "solution", "cvssVector", "cvssScore", "reportedScore", "scoreDisagrees", "cves", "cwes", "statusReason", "acceptedBy", "requirements", "history"},
		"SecurityTest":  {"scope", "reportName", "reportSha256", "reportSize"},
		"FindingChange": {"id", "reason", "actor", "fromStatus", "toStatus"},
	}
	for typ, fields := range details {
		def := s.Types[typ]
		if def == nil {
			t.Fatalf("no type %s", typ)
		}
		for _, f := range fields {
			if def.Fields.ForName(f) == nil {
				t.Errorf("%s has no field %s", typ, f)
				continue
			}
			for _, r := range []types.Role{types.RoleMinistry, types.RoleCoordinator, types.RoleBSI} {
				if graph.Allows(r, typ, f) {
					t.Errorf("%s reads %s.%s", r, typ, f)
				}
			}
			for _, r := range []types.Role{types.RoleAdmin, types.RoleContractor, types.RoleMunicipality} {
				if !graph.Allows(r, typ, f) {
					t.Errorf("%s may not read %s.%s", r, typ, f)
				}
			}
		}
		for _, f := range def.Fields {
			if graph.Allows(types.RoleMinistry, typ, f.Name) != graph.Allows(types.RoleCoordinator, typ, f.Name) {
				t.Errorf("%s.%s: MINISTRY and COORDINATOR differ", typ, f.Name)
			}
		}
	}
	for _, f := range []string{"title", "severity", "status", "dueOn", "firstSeenOn", "lastSeenOn"} {
		if !graph.Allows(types.RoleMinistry, "Finding", f) || !graph.Allows(types.RoleCoordinator, "Finding", f) {
			t.Errorf("MID or KITU may not read Finding.%s", f)
		}
	}
}

const changeFinding = `mutation($in: ChangeFindingStatusInput!) { changeFindingStatus(input: $in) { id status statusReason acceptedBy acceptedUntil history { fromStatus toStatus reason actor } } }`

type gqlFinding struct {
	ID, Status    string
	StatusReason  *string
	AcceptedBy    *string
	AcceptedUntil *string
	History       []struct {
		FromStatus *string
		ToStatus   string
		Reason     *string
		Actor      string
	}
}

// TestFindingStatus: a finding moves by hand as finding.Next allows, each
// move kept in its history; a Kommune works on its own findings and
// accepts risks, never another's; MID reads the status but not the
// details; a refused move changes nothing.
func TestFindingStatus(t *testing.T) {
	s := newTestServer(t)
	pas := s.participations(t, 2)
	id := s.seedFinding(t, pas[0], "1.3.6.1.4.1.25623.1.0.108440", "10.1.0.9", "443/tcp", types.SeverityCritical)
	other := s.seedFinding(t, pas[1], "1.3.6.1.4.1.25623.1.0.108440", "10.2.0.9", "443/tcp", types.SeverityCritical)
	contractor := s.token(t, "CONTRACTOR", "")
	own, _ := s.kommuneTokens(t, pas[0])
	move := func(token string, in map[string]any) gqlFinding {
		t.Helper()
		var d struct{ ChangeFindingStatus gqlFinding }
		s.must(t, token, changeFinding, map[string]any{"in": in}, &d)
		return d.ChangeFindingStatus
	}
	s.fails(t, own, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "CONFIRMED"}}, "FORBIDDEN")
	s.fails(t, contractor, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "VERIFIED", "retest": true}}, "CONFLICT")
	s.fails(t, contractor, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "FALSE_POSITIVE"}}, "VALIDATION")
	s.fails(t, own, changeFinding, map[string]any{"in": map[string]any{"id": other, "status": "IN_REMEDIATION"}}, "NOT_FOUND")
	if n := s.DB.Client.FindingChange.Query().CountX(bg()); n != 0 {
		t.Fatalf("refused moves left %d history entries", n)
	}
	move(contractor, map[string]any{"id": id, "status": "CONFIRMED"})
	move(own, map[string]any{"id": id, "status": "IN_REMEDIATION"})
	s.fails(t, own, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "RISK_ACCEPTED", "reason": "Altgerät bis zur Ablösung",
		"acceptedBy": "Bürgermeisterin", "acceptedUntil": "2026-11-01"}}, "VALIDATION") // in the past
	got := move(own, map[string]any{"id": id, "status": "RISK_ACCEPTED", "reason": "Altgerät bis zur Ablösung",
		"acceptedBy": "Bürgermeisterin", "acceptedUntil": "2027-03-31"})
	if got.Status != "RISK_ACCEPTED" || deref(got.AcceptedBy) != "Bürgermeisterin" || deref(got.AcceptedUntil) != "2027-03-31" || deref(got.StatusReason) != "Altgerät bis zur Ablösung" {
		t.Fatalf("accepted: %+v", got)
	}
	got = move(contractor, map[string]any{"id": id, "status": "IN_REMEDIATION"})
	got = move(own, map[string]any{"id": id, "status": "FIXED"})
	s.fails(t, own, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "VERIFIED", "retest": true}}, "FORBIDDEN")
	got = move(contractor, map[string]any{"id": id, "status": "VERIFIED", "retest": true})
	if got.AcceptedBy != nil || got.AcceptedUntil != nil {
		t.Fatalf("the acceptance outlived it: %+v", got)
	}
	var path []string
	for _, h := range got.History {
		path = append(path, deref(h.FromStatus)+"→"+h.ToStatus)
	}
	if want := "OPEN→CONFIRMED CONFIRMED→IN_REMEDIATION IN_REMEDIATION→RISK_ACCEPTED RISK_ACCEPTED→IN_REMEDIATION IN_REMEDIATION→FIXED FIXED→VERIFIED"; strings.Join(path, " ") != want {
		t.Fatalf("history %v, want %s", path, want)
	}
	s.fails(t, contractor, changeFinding, map[string]any{"in": map[string]any{"id": id, "status": "OPEN"}}, "CONFLICT") // VERIFIED is final by hand

	// MID reads titles, severities and statuses, not the details.
	ministry := s.token(t, "MINISTRY", "")
	var d struct {
		Findings struct {
			Edges []struct {
				Node struct{ Title, Severity, Status string }
			}
		}
	}
	s.must(t, ministry, `{ findings(where: {severity: CRITICAL}, orderBy: {field: STATUS, direction: ASC}) { edges { node { title severity status } } } }`, nil, &d)
	if len(d.Findings.Edges) != 2 {
		t.Fatalf("MID sees %d findings", len(d.Findings.Edges))
	}
	s.fails(t, ministry, `{ findings { edges { node { host } } } }`, nil, "FORBIDDEN")
	s.fails(t, ministry, `{ findings(where: {hostContains: "10."}) { totalCount } }`, nil, "FORBIDDEN")
	s.fails(t, s.token(t, "BSI", ""), `{ findings { totalCount } }`, nil, "FORBIDDEN")
}

// TestLinkFinding: a finding names the measures that remedy it (of its
// participation) and the WiBA questions it shows unmet (of its
// participation's catalogue); a CRITICAL or HIGH finding no measure
// remedies is in the participation's view until one does.
func TestLinkFinding(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 2)
	pas := s.participations(t, 2)
	id := s.seedFinding(t, pas[0], "1.3.6.1.4.1.25623.1.0.117274", "10.1.0.5", "443/tcp", types.SeverityHigh)
	low := s.seedFinding(t, pas[0], "1.3.6.1.4.1.25623.1.0.10330", "10.1.0.5", "general/tcp", types.SeverityLow)
	s.must(t, s.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pas[0], "catalogID": cat.ID, "kind": "BASELINE"}}, nil)
	measure := func(pa string) string {
		var m struct{ CreateMeasure struct{ ID string } }
		s.must(t, s.Admin, `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"participationID": pa, "kind": "TECHNICAL", "title": "TLS härten", "stage": "STAGE_2", "plannedCost": "900.00"}}, &m)
		return m.CreateMeasure.ID
	}
	mine, theirs := measure(pas[0]), measure(pas[1])
	unaddressed := func() []string {
		var d struct {
			Node struct{ UnaddressedFindings []struct{ ID string } }
		}
		s.must(t, s.Admin, `query($id: ID!) { node(id: $id) { ... on Participation { unaddressedFindings { id } } } }`, map[string]any{"id": pas[0]}, &d)
		var out []string
		for _, f := range d.Node.UnaddressedFindings {
			out = append(out, f.ID)
		}
		return out
	}
	if got := unaddressed(); len(got) != 1 || got[0] != id {
		t.Fatalf("unaddressed %v, want the HIGH finding %s only (not %s)", got, id, low)
	}
	contractor := s.token(t, "CONTRACTOR", "")
	link := `mutation($in: LinkFindingInput!) { linkFinding(input: $in) { id measures { id } requirements { ref } } }`
	s.fails(t, contractor, link, map[string]any{"in": map[string]any{"findingID": id, "measureIDs": []string{theirs}}}, "VALIDATION")
	s.fails(t, contractor, link, map[string]any{"in": map[string]any{"findingID": id, "requirementIDs": []string{cat.ID}}}, "VALIDATION")
	s.fails(t, s.token(t, "COORDINATOR", ""), link, map[string]any{"in": map[string]any{"findingID": id, "measureIDs": []string{mine}}}, "FORBIDDEN")
	var d struct {
		LinkFinding struct {
			Measures     []struct{ ID string }
			Requirements []struct{ Ref string }
		}
	}
	s.must(t, contractor, link, map[string]any{"in": map[string]any{"findingID": id, "measureIDs": []string{mine, mine}, "requirementIDs": []string{cat.Backup[1]}}}, &d)
	if len(d.LinkFinding.Measures) != 1 || d.LinkFinding.Measures[0].ID != mine || len(d.LinkFinding.Requirements) != 1 || d.LinkFinding.Requirements[0].Ref != "Backup-2" {
		t.Fatalf("linked: %+v", d.LinkFinding)
	}
	if got := unaddressed(); len(got) != 0 {
		t.Fatalf("a remedied finding is still unaddressed: %v", got)
	}
	// The measure side keeps the same rule.
	s.fails(t, s.Admin, `mutation($id: ID!, $f: ID!) { updateMeasure(id: $id, input: {addRemedyIDs: [$f]}) { id } }`, map[string]any{"id": theirs, "f": id}, "VALIDATION")
	// [] removes the links.
	s.must(t, contractor, link, map[string]any{"in": map[string]any{"findingID": id, "measureIDs": []string{}}}, &d)
	if len(d.LinkFinding.Measures) != 0 || len(d.LinkFinding.Requirements) != 1 {
		t.Fatalf("after removing the measures: %+v", d.LinkFinding)
	}
}
