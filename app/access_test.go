package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"sicherkommunal/catalog"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
)

// accessFixture: two Kommunen A and B with participations, payments, a
// measure each, a shared kickoff appointment, flags, and a token per role
// (the MUNICIPALITY token is A's).
type accessFixture struct {
	*testServer
	tokens      map[string]string
	paA, paB    string
	muA, muB    string
	agsB        string
	stepB, entB string
	apShared    string
	measureB    string
	// findingA and findingB: a HIGH finding of each (seedFinding).
	findingA, findingB string
}

var roles = []string{"ADMIN", "MINISTRY", "COORDINATOR", "CONTRACTOR", "MUNICIPALITY", "BSI"}

func newAccessFixture(t *testing.T) *accessFixture {
	t.Helper()
	s := newTestServer(t)
	f := &accessFixture{testServer: s, tokens: map[string]string{"ADMIN": s.Admin}}
	pas := s.participations(t, 2)
	f.paA, f.paB = pas[0], pas[1]
	c := s.DB.Client
	a := c.Participation.GetX(bg(), pulid.ID(f.paA))
	b := c.Participation.GetX(bg(), pulid.ID(f.paB))
	f.muA, f.muB = string(a.MunicipalityID), string(b.MunicipalityID)
	mb := c.Municipality.GetX(bg(), b.MunicipalityID)
	f.agsB = *mb.Ags
	f.stepB = string(c.Step.Query().Where(step.ParticipationID(b.ID)).FirstIDX(bg()))
	for _, r := range roles[1:] {
		mu := ""
		if r == "MUNICIPALITY" {
			mu = f.muA
		}
		f.tokens[r] = s.token(t, r, mu)
	}
	var e struct{ PostDisbursement struct{ ID string } }
	s.must(t, s.Admin, postDisbursement, payment(f.paA, "STAGE_1", "100.00", "2026-02-01", "acc-a"), nil)
	s.must(t, s.Admin, postDisbursement, payment(f.paB, "STAGE_1", "200.00", "2026-02-01", "acc-b"), &e)
	f.entB = e.PostDisbursement.ID
	var m struct{ CreateMeasure struct{ ID string } }
	for _, pa := range []string{f.paA, f.paB} {
		s.must(t, s.Admin, `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"participationID": pa, "kind": "TRAINING", "title": "Schulung", "stage": "STAGE_1", "plannedCost": "1000.00"}}, &m)
	}
	f.measureB = m.CreateMeasure.ID
	co := c.Consultant.Create().SetName("Kai Berater").SetEmail("kai@bechtle.example").SaveX(bg())
	var ap struct{ ScheduleAppointment struct{ ID string } }
	s.must(t, s.Admin, `mutation($in: ScheduleAppointmentInput!) { scheduleAppointment(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"kind": "KICKOFF_EVENT", "title": "Auftakt Nord", "startsAt": "2026-12-08T10:00:00+01:00", "endsAt": "2026-12-08T12:00:00+01:00",
		"participationIDs": []string{f.paA, f.paB}, "consultantIDs": []string{string(co.ID)}}}, &ap)
	f.apShared = ap.ScheduleAppointment.ID
	cat := s.seedCatalog(t, "1", 2)
	for _, pa := range []string{f.paA, f.paB} {
		s.must(t, s.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"participationID": pa, "catalogID": cat.ID, "kind": "BASELINE"}}, nil)
	}
	f.findingA = s.seedFinding(t, f.paA, "1.3.6.1.4.1.25623.1.0.117274", "10.1.0.5", "443/tcp", types.SeverityHigh)
	f.findingB = s.seedFinding(t, f.paB, "1.3.6.1.4.1.25623.1.0.117274", "10.2.0.5", "443/tcp", types.SeverityHigh)
	s.Clock.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, berlinLoc))
	s.runJob(t, "overdue-steps")
	s.runJob(t, "deadline-watch")
	return f
}

// count runs a query and returns data.<field>.totalCount, or the error code.
func (f *accessFixture) count(t *testing.T, role, query string, vars map[string]any) (int, string) {
	t.Helper()
	r := f.post(t, f.tokens[role], query, vars)
	if len(r.Errors) > 0 {
		return 0, r.Errors[0].Code()
	}
	var d map[string]struct{ TotalCount int }
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("%s: %v %s", query, err, r.Raw)
	}
	for _, v := range d {
		return v.TotalCount, ""
	}
	return 0, ""
}

// TestRoleMatrix: every role against every list query of the schema,
// over real HTTP with real tokens, asserting what it sees or that it is
// refused. A list query added to the schema without a row here fails.
func TestRoleMatrix(t *testing.T) {
	f := newAccessFixture(t)
	// Expected totalCount per role, or a code.
	type want map[string]any
	const all = "ALL" // more than one Kommune's worth: the whole table
	matrix := map[string]want{
		"participations":       {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": 2, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"municipalities":       {"ADMIN": 133, "MINISTRY": 133, "COORDINATOR": 133, "CONTRACTOR": 133, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"programs":             {"ADMIN": 1, "MINISTRY": 1, "COORDINATOR": 1, "CONTRACTOR": 1, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"steps":                {"ADMIN": 18, "MINISTRY": 18, "COORDINATOR": 18, "CONTRACTOR": 18, "MUNICIPALITY": 9, "BSI": "FORBIDDEN"},
		"measures":             {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": 2, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"appointments":         {"ADMIN": 1, "MINISTRY": 1, "COORDINATOR": 1, "CONTRACTOR": 1, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"consultants":          {"ADMIN": 1, "MINISTRY": 1, "COORDINATOR": 1, "CONTRACTOR": 1, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"ledgerEntries":        {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"flags":                {"ADMIN": all, "MINISTRY": all, "COORDINATOR": all, "CONTRACTOR": all, "MUNICIPALITY": "OWN", "BSI": "FORBIDDEN"},
		"jobRuns":              {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": "FORBIDDEN", "BSI": "FORBIDDEN"},
		"apiTokens":            {"ADMIN": 6, "MINISTRY": "FORBIDDEN", "COORDINATOR": "FORBIDDEN", "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": "FORBIDDEN", "BSI": "FORBIDDEN"},
		"auditEvents":          {"ADMIN": all, "MINISTRY": all, "COORDINATOR": "FORBIDDEN", "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": "FORBIDDEN", "BSI": "FORBIDDEN"},
		"calendarFeeds":        {"ADMIN": 0, "MINISTRY": 0, "COORDINATOR": 0, "CONTRACTOR": 0, "MUNICIPALITY": 0, "BSI": "FORBIDDEN"},
		"bankTransactions":     {"ADMIN": 0, "MINISTRY": 0, "COORDINATOR": "FORBIDDEN", "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": "FORBIDDEN", "BSI": "FORBIDDEN"},
		"bankStatementImports": {"ADMIN": 0, "MINISTRY": 0, "COORDINATOR": 0, "CONTRACTOR": "FORBIDDEN", "MUNICIPALITY": "FORBIDDEN", "BSI": "FORBIDDEN"},
		"catalogs":             {"ADMIN": 1, "MINISTRY": 1, "COORDINATOR": 1, "CONTRACTOR": 1, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"assessments":          {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": 2, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"securityTests":        {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": 2, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
		"findings":             {"ADMIN": 2, "MINISTRY": 2, "COORDINATOR": 2, "CONTRACTOR": 2, "MUNICIPALITY": 1, "BSI": "FORBIDDEN"},
	}
	// Every connection of the Query type has a row.
	var schema struct {
		Schema struct {
			QueryType struct {
				Fields []struct {
					Name string
					Type struct {
						Name, Kind string
						OfType     *struct{ Name string }
					}
				}
			}
		} `json:"__schema"`
	}
	f.must(t, f.Admin, `{ __schema { queryType { fields { name type { name kind ofType { name } } } } } }`, nil, &schema)
	for _, fd := range schema.Schema.QueryType.Fields {
		if fd.Type.OfType != nil && strings.HasSuffix(fd.Type.OfType.Name, "Connection") {
			if _, ok := matrix[fd.Name]; !ok {
				t.Errorf("list query %s has no row in the role matrix", fd.Name)
			}
		}
	}
	for field, row := range matrix {
		var allCount int
		for _, role := range roles {
			n, code := f.count(t, role, fmt.Sprintf("{ %s { totalCount } }", field), nil)
			switch w := row[role].(type) {
			case int:
				if code != "" || n != w {
					t.Errorf("%s as %s: %d %s, want %d", field, role, n, code, w)
				}
			case string:
				switch w {
				case all:
					if code != "" || n == 0 {
						t.Errorf("%s as %s: %d %s, want everything", field, role, n, code)
					}
					allCount = max(allCount, n)
				case "OWN":
					if code != "" || n == 0 || n >= allCount {
						t.Errorf("%s as %s: %d %s, want only its own (fewer than %d)", field, role, n, code, allCount)
					}
				default:
					if code != w {
						t.Errorf("%s as %s: %d %s, want %s", field, role, n, code, w)
					}
				}
			}
		}
	}
	// The contractor sees no money flags, and no money through edges.
	r := f.post(t, f.tokens["CONTRACTOR"], `query($id: ID!) { node(id: $id) { ... on Participation { funding { totalPaid } } } }`, map[string]any{"id": f.paA})
	if len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" || strings.Contains(r.Raw, "100.00") {
		t.Errorf("contractor reads funding: %s", r.Raw)
	}
	r = f.post(t, f.tokens["CONTRACTOR"], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": f.entB})
	if len(r.Errors) == 0 || strings.Contains(r.Raw, `"id":"`+f.entB) {
		t.Errorf("contractor reads a ledger entry: %s", r.Raw)
	}
}

// TestMunicipalityIsolation probes another Kommune's data through every
// path: connections, where filters, node, nodes, nested edges and a
// shared kickoff event. Asking for another's object gives the same answer
// as asking for one that does not exist.
func TestMunicipalityIsolation(t *testing.T) {
	f := newAccessFixture(t)
	a := f.tokens["MUNICIPALITY"]
	// node: another's object and a missing one answer alike.
	missing := "PA01JD3K8Z6W8M2X1Q4R5T7V9B0C"
	for _, id := range []string{f.paB, f.muB, f.stepB, f.entB, f.measureB} {
		other := f.post(t, a, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		none := f.post(t, a, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing[:2] + id[2:4] + missing[4:]})
		if len(other.Errors) != 1 || other.Errors[0].Code() != "NOT_FOUND" || strings.Contains(other.Raw, `"id":"`+id) {
			t.Errorf("node(%s) as A: %s", id, other.Raw)
		}
		if len(none.Errors) != 1 || none.Errors[0].Code() != other.Errors[0].Code() || none.Errors[0].Message != strings.ReplaceAll(other.Errors[0].Message, id, missing[:2]+id[2:4]+missing[4:]) {
			t.Errorf("another's %s and a missing one answer differently:\n%s\n%s", id, other.Raw, none.Raw)
		}
	}
	// nodes: own object found, another's null.
	var ns struct{ Nodes []*struct{ ID string } }
	r := f.post(t, a, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{f.paA, f.paB}})
	_ = json.Unmarshal(r.Data, &ns)
	if len(ns.Nodes) != 2 || ns.Nodes[0] == nil || ns.Nodes[0].ID != f.paA || ns.Nodes[1] != nil {
		t.Errorf("nodes as A: %s", r.Raw)
	}
	// where filters on another's keys find nothing.
	for _, q := range []string{
		`{ participations(where: {hasMunicipalityWith: {ags: "` + f.agsB + `"}}) { totalCount } }`,
		`{ municipalities(where: {ags: "` + f.agsB + `"}) { totalCount } }`,
		`{ steps(where: {participationID: "` + f.paB + `"}) { totalCount } }`,
		`{ ledgerEntries(where: {participationID: "` + f.paB + `"}) { totalCount } }`,
		`{ measures(where: {participationID: "` + f.paB + `"}) { totalCount } }`,
		`{ flags(where: {participationID: "` + f.paB + `"}) { totalCount } }`,
	} {
		if n, code := f.count(t, "MUNICIPALITY", q, nil); n != 0 || code != "" {
			t.Errorf("%s as A: %d %s", q, n, code)
		}
	}
	// Nested edges: the programme's participations, the shared kickoff.
	var d struct {
		Programs struct {
			Edges []struct {
				Node struct{ Participations struct{ TotalCount int } }
			}
		}
		Node struct {
			Participations []struct {
				ID           string
				Municipality struct{ Name string }
			}
		}
	}
	f.must(t, a, `query($ap: ID!) {
	  programs { edges { node { participations { totalCount } } } }
	  node(id: $ap) { ... on Appointment { participations { id municipality { name } } } }
	}`, map[string]any{"ap": f.apShared}, &d)
	if d.Programs.Edges[0].Node.Participations.TotalCount != 1 {
		t.Errorf("programme.participations as A: %+v", d.Programs)
	}
	if len(d.Node.Participations) != 1 || d.Node.Participations[0].ID != f.paA {
		t.Errorf("shared kickoff shows other Kommunen to A: %+v", d.Node)
	}
	nameB := f.DB.Client.Municipality.Query().Where(municipality.ID(pulid.ID(f.muB))).OnlyX(bg()).Name
	raw := f.post(t, a, `{ appointments { edges { node { title participations { municipality { name } } } } } }`, nil).Raw
	if strings.Contains(raw, nameB) {
		t.Errorf("A sees B's name %q: %s", nameB, raw)
	}
	// Mutations: a Kommune may not complete steps, and may not create a
	// feed for another Kommune (which it cannot see).
	f.fails(t, a, `mutation($id: ID!) { completeStep(input: {id: $id}) { id } }`, map[string]any{"id": f.stepB}, "FORBIDDEN")
	f.fails(t, a, `mutation($id: ID!) { createCalendarFeed(input: {scope: MUNICIPALITY, municipalityID: $id}) { url } }`, map[string]any{"id": f.muB}, "FORBIDDEN")
	f.fails(t, a, `mutation($id: ID!) { createCalendarFeed(input: {scope: MUNICIPALITY, municipalityID: $id}) { url } }`, map[string]any{"id": "MU01JD3K8Z6W8M2X1Q4R5T7V9B0C"}, "FORBIDDEN")
}

// TestEveryMutationIsAudited walks the schema's mutations: each one, run
// as the admin, leaves an AuditEvent naming the mutation and the actor in
// its transaction. A mutation added without a case here fails the test.
func TestEveryMutationIsAudited(t *testing.T) {
	s := newTestServer(t)
	adminName := "admin (SK_ADMIN_TOKEN)"
	ids := map[string]string{}
	get := func(path string) func(map[string]any) {
		return func(d map[string]any) {
			parts := strings.Split(path, ".")
			var v any = d
			for _, p := range parts[1:] {
				v = v.(map[string]any)[p]
			}
			ids[parts[0]] = v.(string)
		}
	}
	var pa string
	steps := func() []string {
		var out []string
		for _, st := range s.DB.Client.Step.Query().Where(step.ParticipationID(pulid.ID(pa))).Order(step.ByKind()).AllX(bg()) {
			out = append(out, string(st.ID))
		}
		return out
	}
	program := s.programID(t)
	cat := s.seedCatalog(t, "1", 2)
	csv := "statement_id;line_ref;booking_date;value_date;credit_debit;amount;currency;reversal;end_to_end_id;counterparty_name;counterparty_iban;remittance\n" +
		"CSV-A;1;2026-03-03;2026-03-03;DBIT;300.00;EUR;false;;Testhausen;;REFERENZ\n"
	type call struct {
		name  string
		query string
		vars  func() map[string]any
		after func(map[string]any)
	}
	calls := []call{
		{"createMunicipality", `mutation { createMunicipality(input: {ags: "15090999", name: "Testhausen", kind: EINHEITSGEMEINDE}) { id } }`, nil, get("mu.createMunicipality.id")},
		{"updateMunicipality", `mutation($id: ID!) { updateMunicipality(id: $id, input: {contactEmail: "it@testhausen.example"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["mu"]} }, nil},
		{"createProgram", `mutation { createProgram(input: {name: "WiBA bundesweit", stage1Amount: "10000.00", totalCap: "20000.00", startsOn: "2026-01-01", stage2OpensOn: "2026-06-01", endsOn: "2027-12-31",
		  stepTemplate: [{kind: KICKOFF, offsetDays: 7}, {kind: ONSITE_ASSESSMENT, offsetDays: 30}, {kind: POLICY_REVIEW, offsetDays: 60}, {kind: TECHNICAL_SPOT_CHECK, offsetDays: 60},
		  {kind: VULNERABILITY_SCAN, offsetDays: 70}, {kind: MEASURE_PACKAGE, offsetDays: 90}, {kind: MEASURES_IMPLEMENTED, offsetDays: 300}, {kind: FINAL_ACCEPTANCE, offsetDays: 330}, {kind: BILLING, offsetDays: 360}]}) { id } }`, nil, get("pg.createProgram.id")},
		{"updateProgram", `mutation($id: ID!) { updateProgram(id: $id, input: {budget: "1000000.00"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["pg"]} }, nil},
		{"registerParticipation", registerParticipation, func() map[string]any {
			return map[string]any{"in": map[string]any{"programID": program, "municipalityID": ids["mu"], "registeredOn": "2026-03-02"}}
		}, func(d map[string]any) { get("pa.registerParticipation.id")(d); pa = ids["pa"] }},
		{"createConsultant", `mutation { createConsultant(input: {name: "Eva", email: "eva@bechtle.example"}) { id } }`, nil, get("co.createConsultant.id")},
		{"updateConsultant", `mutation($id: ID!) { updateConsultant(id: $id, input: {name: "Eva Müller"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["co"]} }, nil},
		{"createMeasure", `mutation($pa: ID!) { createMeasure(input: {participationID: $pa, kind: WORKSHOP, title: "WS", stage: STAGE_1, plannedCost: "500.00"}) { id } }`, func() map[string]any { return map[string]any{"pa": pa} }, get("me.createMeasure.id")},
		{"updateMeasure", `mutation($id: ID!) { updateMeasure(id: $id, input: {plannedCost: "600.00"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["me"]} }, nil},
		{"updateStep", `mutation($id: ID!) { updateStep(id: $id, input: {note: "Termin steht"}) { id } }`, func() map[string]any { return map[string]any{"id": steps()[0]} }, nil},
		{"completeStep", `mutation($id: ID!) { completeStep(input: {id: $id}) { id } }`, func() map[string]any { return map[string]any{"id": steps()[1]} }, nil},
		{"createApiToken", `mutation { createApiToken(input: {name: "Skript", role: COORDINATOR}) { apiToken { id } } }`, nil, get("tk.createApiToken.apiToken.id")},
		{"revokeApiToken", `mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["tk"]} }, nil},
		{"approveStage2", `mutation($id: ID!) { approveStage2(input: {programID: $id, approvedOn: "2026-02-10", decisionReference: "LA 1"}) { id } }`, func() map[string]any { return map[string]any{"id": program} }, nil},
		{"postDisbursement", postDisbursement, func() map[string]any { return payment(pa, "STAGE_1", "300.00", "2026-03-03", "REFERENZ") }, get("le.postDisbursement.id")},
		{"reverseDisbursement", reverseDisbursement, func() map[string]any {
			return map[string]any{"in": map[string]any{"entryID": ids["le"], "amount": "1.00", "reason": "Korrektur", "idempotencyKey": "rev"}}
		}, nil},
		{"runJob", `mutation { runJob(name: "overdue-steps") { id } }`, nil, nil},
		{"acknowledgeFlag", `mutation($id: ID!) { acknowledgeFlag(id: $id) { id } }`, func() map[string]any {
			return map[string]any{"id": string(s.DB.Client.Flag.Query().FirstIDX(bg()))}
		}, nil},
		{"scheduleAppointment", `mutation($pa: ID!, $co: ID!) { scheduleAppointment(input: {kind: ONSITE_VISIT, title: "Vor-Ort", startsAt: "2026-12-08T09:00:00+01:00", endsAt: "2026-12-08T12:00:00+01:00", participationIDs: [$pa], consultantIDs: [$co]}) { id } }`,
			func() map[string]any { return map[string]any{"pa": pa, "co": ids["co"]} }, get("ap.scheduleAppointment.id")},
		{"rescheduleAppointment", `mutation($id: ID!) { rescheduleAppointment(input: {id: $id, startsAt: "2026-12-09T09:00:00+01:00", endsAt: "2026-12-09T12:00:00+01:00"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["ap"]} }, nil},
		{"confirmAppointment", `mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["ap"]} }, nil},
		{"cancelAppointment", `mutation($id: ID!) { cancelAppointment(input: {id: $id, reason: "krank"}) { id } }`, func() map[string]any { return map[string]any{"id": ids["ap"]} }, nil},
		{"completeAppointment", `mutation($pa: ID!) { scheduleAppointment(input: {kind: WORKSHOP, title: "WS", startsAt: "2026-11-24T09:00:00+01:00", endsAt: "2026-11-24T12:00:00+01:00", participationIDs: [$pa]}) { id } }`,
			func() map[string]any { return map[string]any{"pa": pa} }, get("ap2.scheduleAppointment.id")},
		{"completeAppointment", `mutation($id: ID!) { completeAppointment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["ap2"]} }, nil},
		{"createCalendarFeed", `mutation($pg: ID!) { createCalendarFeed(input: {scope: PROGRAM, programID: $pg}) { feed { id } } }`, func() map[string]any { return map[string]any{"pg": program} }, get("cf.createCalendarFeed.feed.id")},
		{"revokeCalendarFeed", `mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["cf"]} }, nil},
		{"importBankStatement", `mutation($c: String!) { importBankStatement(input: {format: CSV, content: $c}) { id } }`, func() map[string]any { return map[string]any{"c": csv} }, nil},
		{"importBankStatementFile", `mutation($f: Upload!) { importBankStatementFile(format: CSV, file: $f) { id } }`, func() map[string]any {
			return map[string]any{"f": testUpload{"statement.csv", []byte(strings.ReplaceAll(csv, "CSV-A", "CSV-B"))}}
		}, nil},
		{"unmatchBankTransaction", `mutation($id: ID!) { unmatchBankTransaction(id: $id) { id } }`, func() map[string]any {
			return map[string]any{"id": string(s.DB.Client.BankTransaction.Query().FirstIDX(bg()))}
		}, nil},
		{"matchBankTransaction", `mutation($id: ID!, $e: ID!) { matchBankTransaction(bankTransactionID: $id, entryID: $e) { id } }`, func() map[string]any {
			return map[string]any{"id": string(s.DB.Client.BankTransaction.Query().FirstIDX(bg())), "e": ids["le"]}
		}, nil},
		{"importCatalog", `mutation($f: Upload!) { importCatalog(input: {format: WIBA_XLSX, file: $f, name: "Audit", version: "1"}) { id } }`, func() map[string]any {
			return map[string]any{"f": testUpload{"wiba.xlsx", xlsxOf(t, sheetRows(catalog.Demo(), nil))}}
		}, nil},
		{"createAssessment", `mutation($pa: ID!, $ca: ID!) { createAssessment(input: {participationID: $pa, catalogID: $ca, kind: BASELINE}) { id } }`,
			func() map[string]any { return map[string]any{"pa": pa, "ca": cat.ID} }, get("as.createAssessment.id")},
		{"saveAnswers", saveAnswersMutation, func() map[string]any { return saveVars(ids["as"], answers(append(cat.Backup, cat.Drucker...), "YES")) }, nil},
		{"importAssessment", `mutation($id: ID!, $f: Upload!) { importAssessment(input: {assessmentID: $id, file: $f}) { id } }`, func() map[string]any {
			return map[string]any{"id": ids["as"], "f": testUpload{"wiba.xlsx", xlsxOf(t, [][]string{catalog.SheetColumns, {"Backup", "1", "", "", "", "nein", ""}})}}
		}, nil},
		{"submitAssessment", `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["as"]} }, nil},
		{"returnAssessment", `mutation($id: ID!) { returnAssessment(id: $id, reason: "unvollständig") { id } }`, func() map[string]any { return map[string]any{"id": ids["as"]} }, nil},
		{"reopenAssessment", `mutation($id: ID!) { reopenAssessment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["as"]} }, nil},
		{"submitAssessment", `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["as"]} }, nil},
		{"confirmAssessment", `mutation($id: ID!) { confirmAssessment(id: $id) { id } }`, func() map[string]any { return map[string]any{"id": ids["as"]} }, nil},
		{"importScanReport", `mutation($f: Upload!, $pa: ID!) { importScanReport(input: {participationID: $pa, kind: VULNERABILITY_SCAN, format: GREENBONE_XML, file: $f, performedOn: "2026-11-02"}) { id } }`, func() map[string]any {
			return map[string]any{"pa": pa, "f": testUpload{"scan.xml", scanFile(t, "greenbone-scan1.xml")}}
		}, nil},
		{"changeFindingStatus", `mutation($id: ID!) { changeFindingStatus(input: {id: $id, status: CONFIRMED}) { id } }`, func() map[string]any {
			ids["fi"] = s.seedFinding(t, pa, "1.3.6.1.4.1.25623.1.0.10330", "10.9.0.1", "general/tcp", types.SeverityMedium)
			return map[string]any{"id": ids["fi"]}
		}, nil},
		{"linkFinding", `mutation($id: ID!, $me: ID!) { linkFinding(input: {findingID: $id, measureIDs: [$me]}) { id } }`, func() map[string]any {
			return map[string]any{"id": ids["fi"], "me": ids["me"]}
		}, nil},
		{"withdrawParticipation", `mutation($id: ID!) { withdrawParticipation(id: $id, reason: "Ende") { id } }`, func() map[string]any { return map[string]any{"id": pa} }, nil},
	}
	covered := map[string]bool{}
	for _, c := range calls {
		var vars map[string]any
		if c.vars != nil {
			vars = c.vars()
		}
		var d map[string]any
		s.must(t, s.Admin, c.query, vars, &d)
		if c.after != nil {
			c.after(d)
		}
		covered[c.name] = true
	}
	var schema struct {
		Schema struct {
			MutationType struct{ Fields []struct{ Name string } }
		} `json:"__schema"`
	}
	s.must(t, s.Admin, `{ __schema { mutationType { fields { name } } } }`, nil, &schema)
	for _, fd := range schema.Schema.MutationType.Fields {
		if !covered[fd.Name] {
			t.Errorf("mutation %s has no case in this test: add one, so that its audit event is checked", fd.Name)
			continue
		}
		evs := s.DB.Client.AuditEvent.Query().Where(auditevent.Operation(fd.Name)).AllX(bg())
		if len(evs) == 0 {
			t.Errorf("mutation %s left no AuditEvent", fd.Name)
			continue
		}
		for _, e := range evs {
			if e.Actor != adminName || e.ActorRole == nil || *e.ActorRole != types.RoleAdmin {
				t.Errorf("mutation %s: audit event names %q (%v), not the admin", fd.Name, e.Actor, e.ActorRole)
			}
		}
	}
	// The trail is append-only.
	if err := s.DB.Client.AuditEvent.Update().Exec(bg()); err == nil {
		t.Error("audit events can be changed")
	}
	var trail struct{ AuditEvents struct{ TotalCount int } }
	s.must(t, s.Admin, `{ auditEvents(where: {operation: "registerParticipation"}) { totalCount } }`, nil, &trail)
	if trail.AuditEvents.TotalCount != 10 { // the participation and its nine steps (funding accounts are derived)
		t.Errorf("registerParticipation left %d audit events, want 10", trail.AuditEvents.TotalCount)
	}
}

// TestMutationRoleMatrix: every role against every mutation of the schema.
// A role that may not do something gets FORBIDDEN before anything is read
// or written; a role that may gets past the role check (here: NOT_FOUND or
// VALIDATION for made-up IDs). A mutation without a row fails the test.
func TestMutationRoleMatrix(t *testing.T) {
	f := newAccessFixture(t)
	id := func(prefix string) string { return prefix + "01JD3K8Z6W8M2X1Q4R5T7V9B0C" }
	const (
		A  = "ADMIN"
		Mi = "MINISTRY"
		Co = "COORDINATOR"
		Ct = "CONTRACTOR"
		Mu = "MUNICIPALITY"
	)
	type row struct {
		doc     string
		vars    map[string]any
		allowed []string
	}
	matrix := map[string]row{
		"createMunicipality":      {`mutation { createMunicipality(input: {name: "", kind: EINHEITSGEMEINDE}) { id } }`, nil, []string{A, Co}},
		"updateMunicipality":      {`mutation($id: ID!) { updateMunicipality(id: $id, input: {name: "X"}) { id } }`, map[string]any{"id": id("MU")}, []string{A, Co}},
		"createProgram":           {`mutation { createProgram(input: {name: "", stage1Amount: "1.00", totalCap: "1.00", startsOn: "2026-01-01", stage2OpensOn: "2026-01-01", endsOn: "2026-01-02", stepTemplate: []}) { id } }`, nil, []string{A, Mi}},
		"updateProgram":           {`mutation($id: ID!) { updateProgram(id: $id, input: {name: "X"}) { id } }`, map[string]any{"id": id("PG")}, []string{A, Mi}},
		"registerParticipation":   {registerParticipation, map[string]any{"in": map[string]any{"programID": id("PG"), "municipalityID": id("MU"), "registeredOn": "2026-03-02"}}, []string{A, Co}},
		"withdrawParticipation":   {`mutation($id: ID!) { withdrawParticipation(id: $id, reason: "x") { id } }`, map[string]any{"id": id("PA")}, []string{A, Co}},
		"createConsultant":        {`mutation { createConsultant(input: {name: "", email: "x"}) { id } }`, nil, []string{A, Co, Ct}},
		"updateConsultant":        {`mutation($id: ID!) { updateConsultant(id: $id, input: {name: "X"}) { id } }`, map[string]any{"id": id("CO")}, []string{A, Co, Ct}},
		"createMeasure":           {`mutation($pa: ID!) { createMeasure(input: {participationID: $pa, kind: WORKSHOP, title: "", stage: STAGE_1, plannedCost: "1.00"}) { id } }`, map[string]any{"pa": id("PA")}, []string{A, Co, Ct}},
		"updateMeasure":           {`mutation($id: ID!) { updateMeasure(id: $id, input: {title: "X"}) { id } }`, map[string]any{"id": id("ME")}, []string{A, Co, Ct}},
		"updateStep":              {`mutation($id: ID!) { updateStep(id: $id, input: {note: "x"}) { id } }`, map[string]any{"id": id("ST")}, []string{A, Co}},
		"completeStep":            {`mutation($id: ID!) { completeStep(input: {id: $id}) { id } }`, map[string]any{"id": id("ST")}, []string{A, Co, Ct}},
		"createApiToken":          {`mutation { createApiToken(input: {name: "", role: ADMIN}) { token } }`, nil, []string{A}},
		"revokeApiToken":          {`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, map[string]any{"id": id("TK")}, []string{A}},
		"approveStage2":           {`mutation($id: ID!) { approveStage2(input: {programID: $id, approvedOn: "2026-02-01", decisionReference: "x"}) { id } }`, map[string]any{"id": id("PG")}, []string{A, Mi}},
		"postDisbursement":        {postDisbursement, payment(id("PA"), "STAGE_1", "1.00", "2026-02-01", "m1"), []string{A, Mi}},
		"reverseDisbursement":     {reverseDisbursement, map[string]any{"in": map[string]any{"entryID": id("LE"), "reason": "x", "idempotencyKey": "m2"}}, []string{A, Mi}},
		"acknowledgeFlag":         {`mutation($id: ID!) { acknowledgeFlag(id: $id) { id } }`, map[string]any{"id": id("FL")}, []string{A, Mi, Co}},
		"runJob":                  {`mutation { runJob(name: "no-such-job") { id } }`, nil, []string{A, Co}},
		"scheduleAppointment":     {`mutation($pa: ID!) { scheduleAppointment(input: {kind: WORKSHOP, title: "x", startsAt: "2026-12-08T09:00:00+01:00", endsAt: "2026-12-08T10:00:00+01:00", participationIDs: [$pa]}) { id } }`, map[string]any{"pa": id("PA")}, []string{A, Co, Ct}},
		"rescheduleAppointment":   {`mutation($id: ID!) { rescheduleAppointment(input: {id: $id, startsAt: "2026-12-08T09:00:00+01:00", endsAt: "2026-12-08T10:00:00+01:00"}) { id } }`, map[string]any{"id": id("AP")}, []string{A, Co, Ct}},
		"cancelAppointment":       {`mutation($id: ID!) { cancelAppointment(input: {id: $id, reason: "x"}) { id } }`, map[string]any{"id": id("AP")}, []string{A, Co, Ct}},
		"confirmAppointment":      {`mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, map[string]any{"id": id("AP")}, []string{A, Co, Ct, Mu}},
		"completeAppointment":     {`mutation($id: ID!) { completeAppointment(id: $id) { id } }`, map[string]any{"id": id("AP")}, []string{A, Co, Ct}},
		"createCalendarFeed":      {`mutation($id: ID!) { createCalendarFeed(input: {scope: PROGRAM, programID: $id}) { url } }`, map[string]any{"id": id("PG")}, []string{A, Co, Ct}},
		"revokeCalendarFeed":      {`mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }`, map[string]any{"id": id("CF")}, []string{A, Co, Ct, Mu}},
		"importBankStatement":     {`mutation { importBankStatement(input: {format: CSV, content: "x"}) { id } }`, nil, []string{A, Mi}},
		"importBankStatementFile": {`mutation($f: Upload!) { importBankStatementFile(format: CSV, file: $f) { id } }`, map[string]any{"f": testUpload{"x.csv", []byte("x")}}, []string{A, Mi}},
		"matchBankTransaction":    {`mutation($id: ID!, $e: ID!) { matchBankTransaction(bankTransactionID: $id, entryID: $e) { id } }`, map[string]any{"id": id("BT"), "e": id("LE")}, []string{A, Mi}},
		"unmatchBankTransaction":  {`mutation($id: ID!) { unmatchBankTransaction(id: $id) { id } }`, map[string]any{"id": id("BT")}, []string{A, Mi}},
		"createAssessment":        {`mutation($pa: ID!, $ca: ID!) { createAssessment(input: {participationID: $pa, catalogID: $ca, kind: BASELINE}) { id } }`, map[string]any{"pa": id("PA"), "ca": id("CA")}, []string{A, Ct}},
		"saveAnswers":             {`mutation($id: ID!) { saveAnswers(input: {assessmentID: $id, answers: []}) { id } }`, map[string]any{"id": id("AS")}, []string{A, Ct}},
		"importCatalog":           {`mutation($f: Upload!) { importCatalog(input: {format: OSCAL_JSON, file: $f}) { id } }`, map[string]any{"f": testUpload{"x.json", []byte("{}")}}, []string{A}},
		"importAssessment":        {`mutation($id: ID!, $f: Upload!) { importAssessment(input: {assessmentID: $id, file: $f}) { id } }`, map[string]any{"id": id("AS"), "f": testUpload{"x.xlsx", []byte("x")}}, []string{A, Ct}},
		"submitAssessment":        {`mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": id("AS")}, []string{A, Ct}},
		"reopenAssessment":        {`mutation($id: ID!) { reopenAssessment(id: $id) { id } }`, map[string]any{"id": id("AS")}, []string{A, Ct}},
		"confirmAssessment":       {`mutation($id: ID!) { confirmAssessment(id: $id) { id } }`, map[string]any{"id": id("AS")}, []string{A, Mu}},
		"returnAssessment":        {`mutation($id: ID!) { returnAssessment(id: $id, reason: "x") { id } }`, map[string]any{"id": id("AS")}, []string{A, Mu}},
		"changeFindingStatus":     {`mutation($id: ID!) { changeFindingStatus(input: {id: $id, status: CONFIRMED}) { id } }`, map[string]any{"id": id("FI")}, []string{A, Ct, Mu}},
		"linkFinding":             {`mutation($id: ID!) { linkFinding(input: {findingID: $id}) { id } }`, map[string]any{"id": id("FI")}, []string{A, Ct}},
		"importScanReport":        {`mutation($f: Upload!, $pa: ID!) { importScanReport(input: {participationID: $pa, kind: VULNERABILITY_SCAN, format: GREENBONE_XML, file: $f, performedOn: "2026-11-02"}) { id } }`, map[string]any{"f": testUpload{"x.xml", []byte("x")}, "pa": id("PA")}, []string{A, Ct}},
	}
	var schema struct {
		Schema struct {
			MutationType struct{ Fields []struct{ Name string } }
		} `json:"__schema"`
	}
	f.must(t, f.Admin, `{ __schema { mutationType { fields { name } } } }`, nil, &schema)
	for _, fd := range schema.Schema.MutationType.Fields {
		r, ok := matrix[fd.Name]
		if !ok {
			t.Errorf("mutation %s has no row in the role matrix", fd.Name)
			continue
		}
		for _, role := range roles {
			res := f.post(t, f.tokens[role], r.doc, r.vars)
			code := ""
			if len(res.Errors) > 0 {
				code = res.Errors[0].Code()
			}
			allowed := false
			for _, a := range r.allowed {
				allowed = allowed || a == role
			}
			switch {
			case allowed && (code == "FORBIDDEN" || code == "UNAUTHENTICATED"):
				t.Errorf("%s as %s: refused (%s), but the role may", fd.Name, role, res.Raw)
			case !allowed && code != "FORBIDDEN":
				t.Errorf("%s as %s: %q, want FORBIDDEN: %s", fd.Name, role, code, res.Raw)
			}
		}
	}
}
