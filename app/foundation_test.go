package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/programme"
)

const createMunicipality = `mutation($in: CreateMunicipalityInput!) {
  createMunicipality(input: $in) { id ags name kind }
}`

const registerParticipation = `mutation($in: RegisterParticipationInput!) {
  registerParticipation(input: $in) { id status registeredOn municipality { id name } program { id } }
}`

// TestRegisterAndFindEndToEnd walks the foundation's main path over real
// HTTP with real tokens: create a municipality, register it, find it by
// filter and by node(id:), check its nine steps, and the error codes of a
// duplicate registration and an invalid AGS.
func TestRegisterAndFindEndToEnd(t *testing.T) {
	s := newTestServer(t)
	coord := s.token(t, "COORDINATOR", "")

	var m struct {
		CreateMunicipality struct{ ID, Ags, Name, Kind string }
	}
	s.must(t, coord, createMunicipality, map[string]any{"in": map[string]any{
		"ags": "15090999", "ars": "150900999999", "name": "Testhausen", "kind": "EINHEITSGEMEINDE",
		"contactEmail": "it@testhausen.example", "iban": "DE89370400440532013000",
	}}, &m)
	if !strings.HasPrefix(m.CreateMunicipality.ID, "MU") || m.CreateMunicipality.Ags != "15090999" {
		t.Fatalf("created %+v", m.CreateMunicipality)
	}
	pid := s.programID(t)

	var reg struct {
		RegisterParticipation struct {
			ID, Status, RegisteredOn string
			Municipality             struct{ ID, Name string }
		}
	}
	s.must(t, coord, registerParticipation, map[string]any{"in": map[string]any{
		"programID": pid, "municipalityID": m.CreateMunicipality.ID, "registeredOn": "2026-03-02",
	}}, &reg)
	pa := reg.RegisterParticipation
	if pa.Status != "REGISTERED" || pa.RegisteredOn != "2026-03-02" || pa.Municipality.Name != "Testhausen" {
		t.Fatalf("registered %+v", pa)
	}

	// Through participations(where: …).
	var found struct {
		Participations struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					ID    string
					Steps []struct{ Kind, DueOn string }
				}
			}
		}
	}
	s.must(t, coord, `query($ags: String!) {
	  participations(first: 10, where: {hasMunicipalityWith: {ags: $ags}, status: REGISTERED}) {
	    totalCount edges { node { id steps { kind dueOn } } }
	  }
	}`, map[string]any{"ags": "15090999"}, &found)
	if found.Participations.TotalCount != 1 || found.Participations.Edges[0].Node.ID != pa.ID {
		t.Fatalf("participations(where:) found %+v", found)
	}

	// The nine steps, in process order, with the template's due dates.
	steps := found.Participations.Edges[0].Node.Steps
	want := map[string]string{
		"KICKOFF": "2026-03-16", "ONSITE_ASSESSMENT": "2026-04-13", "POLICY_REVIEW": "2026-05-11",
		"TECHNICAL_SPOT_CHECK": "2026-05-11", "VULNERABILITY_SCAN": "2026-05-25", "MEASURE_PACKAGE": "2026-06-22",
		"MEASURES_IMPLEMENTED": "2026-12-07", "FINAL_ACCEPTANCE": "2026-12-17", "BILLING": "2026-12-31",
	}
	if len(steps) != 9 {
		t.Fatalf("want 9 steps, got %d", len(steps))
	}
	for i, st := range steps {
		if st.Kind != string(types.StepKinds[i]) {
			t.Errorf("step %d is %s, want %s", i, st.Kind, types.StepKinds[i])
		}
		if st.DueOn != want[st.Kind] {
			t.Errorf("%s due %s, want %s", st.Kind, st.DueOn, want[st.Kind])
		}
		if st.DueOn > "2026-12-31" {
			t.Errorf("%s due %s after the programme's end", st.Kind, st.DueOn)
		}
	}

	// Through node(id:).
	var node struct {
		Node struct {
			Typename     string `json:"__typename"`
			ID           string
			Municipality struct{ Ags string }
		}
	}
	s.must(t, coord, `query($id: ID!) { node(id: $id) { __typename id ... on Participation { municipality { ags } } } }`,
		map[string]any{"id": pa.ID}, &node)
	if node.Node.Typename != "Participation" || node.Node.Municipality.Ags != "15090999" {
		t.Fatalf("node(id:) = %+v", node.Node)
	}

	// A duplicate registration and an invalid AGS fail with codes.
	e := s.fails(t, coord, registerParticipation, map[string]any{"in": map[string]any{
		"programID": pid, "municipalityID": m.CreateMunicipality.ID, "registeredOn": "2026-03-03",
	}}, "CONFLICT")
	if e.Extensions["participationID"] != pa.ID {
		t.Errorf("conflict does not name the existing participation: %+v", e)
	}
	for _, ags := range []string{"1509099", "16090999", "15O90999", "150909990"} {
		e := s.fails(t, coord, createMunicipality, map[string]any{"in": map[string]any{
			"ags": ags, "name": "Falsch", "kind": "EINHEITSGEMEINDE",
		}}, "VALIDATION")
		if !strings.Contains(e.Message, "AGS") {
			t.Errorf("AGS %s: message %q does not name the AGS", ags, e.Message)
		}
	}
	// A duplicate AGS is a conflict without constraint names.
	s.fails(t, coord, createMunicipality, map[string]any{"in": map[string]any{
		"ags": "15090999", "name": "Doppelt", "kind": "EINHEITSGEMEINDE",
	}}, "CONFLICT")
	// Nothing half-done: still exactly one participation for the Kommune.
	n, err := s.DB.Client.Participation.Query().Count(bg())
	if err != nil || n != 1 {
		t.Fatalf("participations: %d, %v", n, err)
	}
}

// TestNodesResolveEveryType checks that node(id:) and nodes(ids:) resolve
// IDs of several types in one request, and that unknown IDs give NOT_FOUND.
func TestNodesResolveEveryType(t *testing.T) {
	s := newTestServer(t)
	ctx := bg()
	c := s.DB.Client
	mu := c.Municipality.Query().Where(municipality.Ags("15003000")).OnlyX(ctx)
	pa, err := s.App.program.Register(ctx, c, c.Program.Query().OnlyIDX(ctx), mu.ID, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	st := pa.QuerySteps().FirstX(ctx)
	co := c.Consultant.Create().SetName("Eva Test").SetEmail("eva@bechtle.example").SaveX(ctx)
	ids := []string{string(mu.ID), string(pa.ID), string(st.ID), string(co.ID), string(pa.ProgramID)}
	var d struct {
		Nodes []struct {
			Typename string `json:"__typename"`
			ID       string
		}
	}
	s.must(t, s.Admin, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids}, &d)
	wantTypes := []string{"Municipality", "Participation", "Step", "Consultant", "Program"}
	for i, n := range d.Nodes {
		if n.ID != ids[i] || n.Typename != wantTypes[i] {
			t.Errorf("nodes[%d] = %+v, want %s %s", i, n, wantTypes[i], ids[i])
		}
	}
	// Unknown prefix, unknown ULID of a known type, and garbage.
	for _, id := range []string{"ZZ01JD3K8Z6W8M2X1Q4R5T7V9B0C", "PA01JD3K8Z6W8M2X1Q4R5T7V9B0C", "1"} {
		r := s.post(t, s.Admin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" || !strings.Contains(string(r.Data), `"node":null`) {
			t.Errorf("node(%s): %s", id, r.Raw)
		}
	}
}

// TestAuthentication: no token, a wrong one and a revoked one get 401
// and nothing else; a created token works and knows its role.
func TestAuthentication(t *testing.T) {
	s := newTestServer(t)
	q := `{ municipalities(first: 1) { totalCount } }`
	for name, tok := range map[string]string{"missing": "", "unknown": auth.NewSecret(), "garbage": "x y z"} {
		r := s.post(t, tok, q, nil)
		if r.Status != http.StatusUnauthorized || r.Data != nil || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("%s token: %d %s", name, r.Status, r.Raw)
		}
	}
	tok := s.token(t, "MINISTRY", "")
	var v struct {
		Viewer struct{ Role string }
	}
	s.must(t, tok, `{ viewer { role } }`, nil, &v)
	if v.Viewer.Role != "MINISTRY" {
		t.Fatalf("viewer %+v", v)
	}
	var list struct {
		ApiTokens struct {
			Edges []struct {
				Node struct{ ID, Name, Role string }
			}
		}
	}
	s.must(t, s.Admin, `{ apiTokens(first: 10, where: {role: MINISTRY}) { edges { node { id name role } } } }`, nil, &list)
	if len(list.ApiTokens.Edges) != 1 {
		t.Fatalf("apiTokens %+v", list)
	}
	// Only admins manage tokens.
	s.fails(t, tok, `mutation { createApiToken(input: {name: "x", role: ADMIN}) { token } }`, nil, "FORBIDDEN")
	s.must(t, s.Admin, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`,
		map[string]any{"id": list.ApiTokens.Edges[0].Node.ID}, nil)
	if r := s.post(t, tok, `{ viewer { role } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d %s", r.Status, r.Raw)
	}
	// A municipality token needs its municipality.
	s.fails(t, s.Admin, `mutation { createApiToken(input: {name: "x", role: MUNICIPALITY}) { token } }`, nil, "VALIDATION")
	// The secret is stored hashed only.
	hashes := s.DB.Client.APIToken.Query().AllX(bg())
	for _, h := range hashes {
		if strings.HasPrefix(h.TokenHash, auth.SecretPrefix) || len(h.TokenHash) != 64 {
			t.Fatalf("token stored in clear: %q", h.TokenHash)
		}
	}
}

// TestParticipationsQueryCost guards against N+1: the same query costs the
// same few SQL statements for 5 and for 50 participations.
func TestParticipationsQueryCost(t *testing.T) {
	s := newTestServer(t)
	ctx := bg()
	c := s.DB.Client
	pid := c.Program.Query().OnlyIDX(ctx)
	munis := c.Municipality.Query().Order(municipality.ByArs()).Limit(50).AllX(ctx)
	const q = `{ participations(first: 50, orderBy: {field: CREATED_AT}) { edges { node { id municipality { name } steps { kind dueOn } openFlags { kind subjectKey } } } } }`
	// Every third participation has an open flag (and a resolved one,
	// which openFlags must not show).
	flagged := map[pulid.ID]string{}
	cost := func(n int) int64 {
		t.Helper()
		for i := c.Participation.Query().CountX(ctx); i < n; i++ {
			pa, err := s.App.program.Register(ctx, c, pid, munis[i].ID, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if i%3 == 0 {
				at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				c.Flag.Create().SetKind(flag.KindDEADLINE_AT_RISK).SetSeverity(flag.SeverityWARNING).
					SetSubjectKey("open/" + string(pa.ID)).SetParticipationID(pa.ID).SetMessage("test").SetRaisedAt(at).ExecX(ctx)
				c.Flag.Create().SetKind(flag.KindDEADLINE_AT_RISK).SetSeverity(flag.SeverityWARNING).
					SetSubjectKey("old/" + string(pa.ID)).SetParticipationID(pa.ID).SetMessage("test").SetRaisedAt(at).SetResolvedAt(at).ExecX(ctx)
				flagged[pa.ID] = "open/" + string(pa.ID)
			}
		}
		s.must(t, s.Admin, q, nil, nil) // warm: token last-used time written
		s.Counter.Reset()
		var d struct {
			Participations struct {
				Edges []struct {
					Node struct {
						ID           pulid.ID
						Municipality struct{ Name string }
						Steps        []struct{ Kind string }
						OpenFlags    []struct{ Kind, SubjectKey string }
					}
				}
			}
		}
		s.must(t, s.Admin, q, nil, &d)
		if len(d.Participations.Edges) != n || len(d.Participations.Edges[n-1].Node.Steps) != 9 {
			t.Fatalf("want %d participations with 9 steps, got %+v", n, d)
		}
		for _, e := range d.Participations.Edges {
			want := flagged[e.Node.ID]
			if got := e.Node.OpenFlags; (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0].SubjectKey != want)) {
				t.Fatalf("%s: openFlags %+v, want %q", e.Node.ID, got, want)
			}
		}
		return s.Counter.Count()
	}
	five, fifty := cost(5), cost(50)
	t.Logf("SQL statements per request (including the token lookup): 5 participations: %d, 50 participations: %d", five, fifty)
	if five != fifty || fifty > 5 {
		t.Fatalf("statements: %d for 5, %d for 50; want equal and at most 5", five, fifty)
	}
}

// TestSeed: the programme's real figures and the 133 Kommunen.
func TestSeed(t *testing.T) {
	s := newTestServer(t)
	var d struct {
		Programs struct {
			Edges []struct {
				Node struct {
					Name, Stage1Amount, TotalCap, Stage2OpensOn, EndsOn, TimeZone string
					Stage2ApprovedOn                                              *string
					StepTemplate                                                  []struct{ Kind string }
				}
			}
		}
		Municipalities struct{ TotalCount int }
		Kreisfrei      struct{ TotalCount int }
		Landkreise     struct{ TotalCount int }
		Einheit        struct{ TotalCount int }
		Verband        struct{ TotalCount int }
	}
	s.must(t, s.Admin, `{
	  programs(first: 5) { edges { node { name stage1Amount totalCap stage2OpensOn stage2ApprovedOn endsOn timeZone stepTemplate { kind } } } }
	  municipalities { totalCount }
	  kreisfrei: municipalities(where: {kind: KREISFREIE_STADT}) { totalCount }
	  landkreise: municipalities(where: {kind: LANDKREIS}) { totalCount }
	  einheit: municipalities(where: {kind: EINHEITSGEMEINDE}) { totalCount }
	  verband: municipalities(where: {kind: VERBANDSGEMEINDE}) { totalCount }
	}`, nil, &d)
	if len(d.Programs.Edges) != 1 {
		t.Fatalf("programmes: %+v", d.Programs)
	}
	p := d.Programs.Edges[0].Node
	if p.Name != "SicherKOMMUNAL" || p.Stage1Amount != "16100.00" || p.TotalCap != "30000.00" ||
		p.Stage2OpensOn != "2026-01-01" || p.Stage2ApprovedOn != nil || p.EndsOn != "2026-12-31" ||
		p.TimeZone != "Europe/Berlin" || len(p.StepTemplate) != 9 {
		t.Fatalf("programme figures: %+v", p)
	}
	if d.Municipalities.TotalCount != 133 || d.Kreisfrei.TotalCount != 3 || d.Landkreise.TotalCount != 11 ||
		d.Einheit.TotalCount != 101 || d.Verband.TotalCount != 18 {
		t.Fatalf("municipalities: %+v", d)
	}
	// Seeding again (a restart) adds nothing.
	if err := programme.Seed(bg(), s.DB.Client, s.DB.Dialect); err != nil {
		t.Fatal(err)
	}
	if n := s.DB.Client.Municipality.Query().CountX(bg()); n != 133 {
		t.Fatalf("after second seed: %d municipalities", n)
	}
}

// TestStepAndProgramRules: due dates never after the programme's end, a
// programme cannot be shortened below its steps, withdrawal and completion.
func TestStepAndProgramRules(t *testing.T) {
	s := newTestServer(t)
	coord := s.token(t, "COORDINATOR", "")
	pid := s.programID(t)
	var mu struct {
		Municipalities struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.must(t, coord, `{ municipalities(where: {ags: "15003000"}) { edges { node { id } } } }`, nil, &mu)
	var reg struct {
		RegisterParticipation struct{ ID string }
	}
	s.must(t, coord, registerParticipation, map[string]any{"in": map[string]any{
		"programID": pid, "municipalityID": mu.Municipalities.Edges[0].Node.ID, "registeredOn": "2026-11-02",
	}}, &reg)
	var steps struct {
		Node struct {
			Steps []struct{ ID, Kind, DueOn string }
		}
	}
	s.must(t, coord, `query($id: ID!) { node(id: $id) { ... on Participation { steps { id kind dueOn } } } }`,
		map[string]any{"id": reg.RegisterParticipation.ID}, &steps)
	kickoff := steps.Node.Steps[0]
	if kickoff.Kind != "KICKOFF" || kickoff.DueOn != "2026-11-16" {
		t.Fatalf("kickoff %+v", kickoff)
	}
	// Offsets beyond the end are clamped to it.
	if st := steps.Node.Steps[5]; st.Kind != "MEASURE_PACKAGE" || st.DueOn != "2026-12-31" {
		t.Fatalf("measure package %+v", st)
	}
	const updateStep = `mutation($id: ID!, $in: UpdateStepInput!) { updateStep(id: $id, input: $in) { dueOn note } }`
	e := s.fails(t, coord, updateStep, map[string]any{"id": kickoff.ID, "in": map[string]any{"dueOn": "2027-01-04"}}, "VALIDATION")
	if e.Extensions["endsOn"] != "2026-12-31" {
		t.Errorf("error lacks the programme's end: %+v", e)
	}
	var up struct {
		UpdateStep struct {
			DueOn string
			Note  *string
		}
	}
	s.must(t, coord, updateStep, map[string]any{"id": kickoff.ID, "in": map[string]any{"dueOn": "2026-12-01", "note": "verschoben"}}, &up)
	if up.UpdateStep.DueOn != "2026-12-01" || up.UpdateStep.Note == nil || *up.UpdateStep.Note != "verschoben" {
		t.Fatalf("updateStep %+v", up)
	}
	// The programme cannot end before its steps are due.
	s.fails(t, s.Admin, `mutation($id: ID!) { updateProgram(id: $id, input: {endsOn: "2026-12-20"}) { id } }`,
		map[string]any{"id": pid}, "VALIDATION")
	s.fails(t, s.Admin, `mutation($id: ID!) { updateProgram(id: $id, input: {totalCap: "100.00"}) { id } }`,
		map[string]any{"id": pid}, "VALIDATION")
	s.fails(t, s.Admin, `mutation($id: ID!) { updateProgram(id: $id, input: {totalCap: 30000}) { id } }`,
		map[string]any{"id": pid}, "INVALID_AMOUNT")

	// Completing: not in the future, not twice.
	const complete = `mutation($in: CompleteStepInput!) { completeStep(input: $in) { completedAt } }`
	s.fails(t, coord, complete, map[string]any{"in": map[string]any{"id": kickoff.ID, "completedAt": "2026-12-24T10:00:00+01:00"}}, "VALIDATION")
	var done struct {
		CompleteStep struct{ CompletedAt string }
	}
	s.must(t, coord, complete, map[string]any{"in": map[string]any{"id": kickoff.ID}}, &done)
	if done.CompleteStep.CompletedAt != "2026-11-26T09:00:00Z" {
		t.Fatalf("completedAt from the clock: %+v", done)
	}
	s.fails(t, coord, complete, map[string]any{"in": map[string]any{"id": kickoff.ID}}, "CONFLICT")

	// Withdrawal needs a reason and happens once; a municipality token may not do it.
	const withdraw = `mutation($id: ID!, $r: String!) { withdrawParticipation(id: $id, reason: $r) { status withdrawalReason } }`
	muniTok := s.token(t, "MUNICIPALITY", mu.Municipalities.Edges[0].Node.ID)
	s.fails(t, muniTok, withdraw, map[string]any{"id": reg.RegisterParticipation.ID, "r": "keine Zeit"}, "FORBIDDEN")
	s.fails(t, coord, withdraw, map[string]any{"id": reg.RegisterParticipation.ID, "r": "  "}, "VALIDATION")
	var w struct {
		WithdrawParticipation struct{ Status string }
	}
	s.must(t, coord, withdraw, map[string]any{"id": reg.RegisterParticipation.ID, "r": "Personalmangel"}, &w)
	if w.WithdrawParticipation.Status != "WITHDRAWN" {
		t.Fatalf("withdraw %+v", w)
	}
	s.fails(t, coord, withdraw, map[string]any{"id": reg.RegisterParticipation.ID, "r": "nochmal"}, "CONFLICT")
	s.fails(t, coord, complete, map[string]any{"in": map[string]any{"id": steps.Node.Steps[1].ID}}, "CONFLICT")
}

// TestMunicipalityValidation covers the schema's validators over GraphQL.
func TestMunicipalityValidation(t *testing.T) {
	s := newTestServer(t)
	cases := []struct {
		name string
		in   map[string]any
		code string
	}{
		{"bad email", map[string]any{"ags": "15090998", "name": "A", "kind": "EINHEITSGEMEINDE", "contactEmail": "nicht-email"}, "VALIDATION"},
		{"bad iban", map[string]any{"ags": "15090998", "name": "A", "kind": "EINHEITSGEMEINDE", "iban": "DE89370400440532013001"}, "VALIDATION"},
		{"no ags", map[string]any{"name": "A", "kind": "EINHEITSGEMEINDE"}, "VALIDATION"},
		{"verband without ars", map[string]any{"name": "VG", "kind": "VERBANDSGEMEINDE"}, "VALIDATION"},
		{"verband with 12-digit ars", map[string]any{"ars": "150900999999", "name": "VG", "kind": "VERBANDSGEMEINDE"}, "VALIDATION"},
		{"foreign ars", map[string]any{"ars": "160905999", "name": "VG", "kind": "VERBANDSGEMEINDE"}, "VALIDATION"},
		{"empty name", map[string]any{"ags": "15090998", "name": "", "kind": "EINHEITSGEMEINDE"}, "VALIDATION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.fails(t, s.Admin, createMunicipality, map[string]any{"in": c.in}, c.code)
		})
	}
	var ok struct {
		CreateMunicipality struct{ ID string }
	}
	s.must(t, s.Admin, createMunicipality, map[string]any{"in": map[string]any{"ars": "150909999", "name": "Verbandsgemeinde Test", "kind": "VERBANDSGEMEINDE"}}, &ok)
	// Updating away the only key is refused.
	s.fails(t, s.Admin, `mutation($id: ID!) { updateMunicipality(id: $id, input: {clearArs: true}) { id } }`,
		map[string]any{"id": ok.CreateMunicipality.ID}, "VALIDATION")
}

// TestHTTPSurface: GET queries, no mutations over GET, health, readiness
// and metrics.
func TestHTTPSurface(t *testing.T) {
	s := newTestServer(t)
	get := func(path string, token string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(res))
		return res, b.String()
	}
	res, body := get("/query?query="+urlQuery(`query Q { viewer { role } }`), s.Admin)
	if res.StatusCode != 200 || !strings.Contains(body, `"role":"ADMIN"`) {
		t.Fatalf("GET query: %d %s", res.StatusCode, body)
	}
	res, body = get("/query?query="+urlQuery(`mutation { revokeApiToken(id: "TK01JD3K8Z6W8M2X1Q4R5T7V9B0C") { id } }`), s.Admin)
	if res.StatusCode == 200 && !strings.Contains(body, "errors") {
		t.Fatalf("GET mutation ran: %d %s", res.StatusCode, body)
	}
	if res, body = get("/healthz", ""); res.StatusCode != 200 {
		t.Fatalf("healthz %d %s", res.StatusCode, body)
	}
	if res, body = get("/readyz", ""); res.StatusCode != 200 {
		t.Fatalf("readyz %d %s", res.StatusCode, body)
	}
	if res, body = get("/", ""); res.StatusCode != 200 || !strings.Contains(body, "graphiql") {
		t.Fatalf("graphiql %d", res.StatusCode)
	}
	s.must(t, s.Admin, `query ListPrograms { programs { totalCount } }`, nil, nil)
	res, body = get("/metrics", s.Admin)
	for _, want := range []string{
		`sk_graphql_operations_total{operation="programs",outcome="ok",type="query"} 1`,
		`sk_graphql_operation_duration_seconds_count{operation="programs",type="query"} 1`,
		`go_sql_open_connections{db_name="main"}`,
		`sk_ledger_batch_postings_bucket{le="1"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s in\n%s", want, grepLines(body, "sk_"))
		}
	}
	// Readiness fails when the database is gone.
	s.DB.SQL.Close()
	if res, _ = get("/readyz", ""); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with closed database: %d", res.StatusCode)
	}
}

// TestRequestErrors: a document that does not parse or validate, or
// variables that do not coerce, are request errors: with application/json
// the answer is 200, with application/graphql-response+json 400, and in
// both there are errors and no "data" entry. A field error is different:
// 200 and "data" present.
func TestRequestErrors(t *testing.T) {
	s := newTestServer(t)
	do := func(accept, body string) (int, string, map[string]json.RawMessage) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.Admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v: %s", body, err, raw)
		}
		return res.StatusCode, res.Header.Get("Content-Type"), m
	}
	for _, body := range []string{
		`{"query": "{ programs { totalCount "}`, // does not parse
		`{"query": "{ nosuchfield }"}`,          // does not validate
		`{"query": "query($n: Int!) { programs(first: $n) { totalCount } }", "variables": {"n": "x"}}`, // does not coerce
	} {
		for accept, want := range map[string]int{"application/json": 200, "application/graphql-response+json": 400} {
			status, ct, m := do(accept, body)
			_, hasData := m["data"]
			if status != want || !strings.HasPrefix(ct, accept) || hasData || len(m["errors"]) < 3 {
				t.Errorf("%s with Accept %s: %d %s, data present %v, errors %s; want %d, no data", body, accept, status, ct, hasData, m["errors"], want)
			}
		}
	}
	status, _, m := do("application/graphql-response+json", `{"query": "{ node(id: \"PAnope\") { id } }"}`)
	if _, hasData := m["data"]; status != 200 || !hasData {
		t.Errorf("a field error: %d, %v; want 200 with data", status, m)
	}
}
