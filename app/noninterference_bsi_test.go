package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/graph"
)

// The BSI pair of the non-interference test: the BSI reads only the
// programme's anonymised picture, so two databases that differ only in the
// answers of a Kommune of a kind under 5 must answer the BSI byte for byte
// alike: every generated query, the picture with every field the BSI may
// select, node and nodes on the changed rows, the downloads and the
// calendar feeds. Two controls show the pair can fail: a Landkreis's
// answers (a published kind) change the BSI's picture, and ADMIN sees the
// kreisfreie Stadt's. TestBSISuppression checks the figures themselves
// against a computation from ADMIN's view of the raw answers.

// bsiKinds is the fixture: per kind of Kommune, the answers of each
// Kommune's BASELINE and, for the first few, FOLLOW_UP, in catalogue order
// (Backup-1…3, Drucker-1…2), cycled. In the BASELINE picture the
// Landkreise (6) and Einheitsgemeinden (5) are published, the kreisfreie
// Städte (3) and Verbandsgemeinden (2) are not; in the FOLLOW_UP picture
// and in the change only the 5 Landkreise with both are.
type bsiKind struct {
	kind               municipality.Kind
	baseline, followUp [][]string
}

var bsiKinds = []bsiKind{
	{municipality.KindKREISFREIE_STADT, [][]string{{"NO"}, {"NO", "YES"}, {"PARTIAL", "NOT_APPLICABLE"}}, [][]string{{"YES", "NO"}, {"NO"}, {"YES"}}},
	{municipality.KindLANDKREIS, [][]string{{"YES"}, {"YES", "NO"}, {"YES", "PARTIAL", "NO"}, {"NO", "YES"}, {"YES", "NOT_APPLICABLE"}, {"PARTIAL", "YES", "YES", "NO"}},
		[][]string{{"YES"}, {"YES"}, {"YES", "NO"}, {"YES", "YES", "NO"}, {"NO", "YES", "PARTIAL"}}},
	{municipality.KindEINHEITSGEMEINDE, [][]string{{"YES", "NO"}, {"NO"}, {"PARTIAL", "YES"}, {"YES"}, {"NO", "NO", "YES"}},
		[][]string{{"YES"}, {"YES", "NO"}, {"PARTIAL"}, {"NO", "YES"}}},
	{municipality.KindVERBANDSGEMEINDE, [][]string{{"YES"}, {"NO", "PARTIAL"}}, [][]string{{"YES"}}},
}

// bsiMarker is in every note and justification of the fixture and of the
// changes: free text of a Kommune, which no answer to the BSI may hold.
const bsiMarker = "Vermerk-vertraulich"

type bsiFixture struct {
	*testServer
	cat      testCatalog
	program  string
	bsi      string
	pas      map[municipality.Kind][]string // participations by kind, in fixture order
	baseline map[string]string              // participation → its BASELINE
	followUp map[string]string              // participation → its FOLLOW_UP
	feeds    []string                       // paths of calendar feeds
}

func newBSIFixture(t *testing.T, kinds []bsiKind) *bsiFixture {
	t.Helper()
	s := newTestServer(t)
	f := &bsiFixture{testServer: s, cat: s.seedCatalog(t, "1", 3), pas: map[municipality.Kind][]string{},
		baseline: map[string]string{}, followUp: map[string]string{}}
	ctx := bg()
	c := s.DB.Client
	program := c.Program.Query().OnlyIDX(ctx)
	for _, k := range kinds {
		for i, st := range k.baseline {
			m := c.Municipality.Query().Where(municipality.KindEQ(k.kind)).Order(municipality.ByArs()).Offset(i).FirstX(ctx)
			pa, err := s.App.program.Register(ctx, c, program, m.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			id := string(pa.ID)
			f.pas[k.kind] = append(f.pas[k.kind], id)
			f.baseline[id] = f.submitted(t, id, "BASELINE", m.Name, st)
			if i < len(k.followUp) {
				f.followUp[id] = f.submitted(t, id, "FOLLOW_UP", m.Name, k.followUp[i])
			}
		}
	}
	// A confirmed assessment is in the picture as a submitted one.
	for _, k := range []municipality.Kind{municipality.KindKREISFREIE_STADT, municipality.KindLANDKREIS} {
		if pas := f.pas[k]; len(pas) > 1 {
			s.must(t, s.Admin, `mutation($id: ID!) { confirmAssessment(id: $id) { id } }`, map[string]any{"id": f.baseline[pas[1]]}, nil)
		}
	}
	f.program = s.programID(t)
	f.bsi = s.token(t, "BSI", "")
	feed := `mutation($in: CreateCalendarFeedInput!) { createCalendarFeed(input: $in) { url } }`
	ins := []map[string]any{{"scope": "PROGRAM"}}
	if pas := f.pas[municipality.KindKREISFREIE_STADT]; len(pas) > 0 {
		mu := c.Participation.GetX(ctx, pulid.ID(pas[0])).MunicipalityID
		ins = append(ins, map[string]any{"scope": "MUNICIPALITY", "municipalityID": string(mu)})
	}
	for _, in := range ins {
		var d struct{ CreateCalendarFeed struct{ URL string } }
		s.must(t, s.Admin, feed, map[string]any{"in": in}, &d)
		f.feeds = append(f.feeds, strings.TrimPrefix(d.CreateCalendarFeed.URL, s.URL))
	}
	return f
}

// submitted gives a participation a submitted assessment of a kind with
// the answers (cycled over the questions), each with a note naming the
// Kommune; a NOT_APPLICABLE with a justification.
func (f *bsiFixture) submitted(t *testing.T, pa, kind, name string, status []string) string {
	t.Helper()
	var d struct{ CreateAssessment struct{ ID string } }
	f.must(t, f.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa, "catalogID": f.cat.ID, "kind": kind}}, &d)
	id := d.CreateAssessment.ID
	reqs := append(append([]string{}, f.cat.Backup...), f.cat.Drucker...)
	in := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		in[i] = map[string]any{"requirementID": r, "status": status[i%len(status)], "note": bsiMarker + " " + name}
		if status[i%len(status)] == "NOT_APPLICABLE" {
			in[i]["justification"] = bsiMarker + " entfällt in " + name
		}
	}
	f.must(t, f.Admin, saveAnswersMutation, saveVars(id, in), nil)
	f.must(t, f.Admin, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": id}, nil)
	return id
}

// rewriteAnswers changes, in s's database, every answer of a submitted
// assessment (status cycled, note and justification), each change with
// its history entry, as saveAnswers would have written it had the
// assessment been open. It returns the IDs of the answers and of the new
// history entries.
func rewriteAnswers(t *testing.T, s *testServer, assessmentID string, status ...types.AnswerStatus) []string {
	t.Helper()
	ctx := bg()
	c := s.DB.Client
	now := s.Clock.Now()
	var ids []string
	for i, a := range c.Answer.Query().Where(answer.AssessmentID(pulid.ID(assessmentID))).Order(answer.ByRequirementID()).AllX(ctx) {
		st := status[i%len(status)]
		note := bsiMarker + " geändert " + string(st)
		u := c.Answer.UpdateOne(a).SetStatus(st).SetNote(note).SetAnsweredBy("Zweitprüfung").SetAnsweredAt(now)
		var just *string
		if st == types.AnswerNotApplicable {
			j := bsiMarker + " entfällt nach Prüfung"
			just = &j
			u.SetJustification(j)
		} else {
			u.ClearJustification()
		}
		u.SaveX(ctx)
		ch := c.AnswerChange.Create().SetAnswerID(a.ID).SetFromStatus(a.Status).SetToStatus(st).
			SetNillableFromNote(a.Note).SetToNote(note).SetNillableFromJustification(a.Justification).SetNillableToJustification(just).
			SetVia(answerchange.ViaSAVE).SetActor("Zweitprüfung").SetActorRole(types.RoleAdmin).SetChangedAt(now).SaveX(ctx)
		ids = append(ids, string(a.ID), string(ch.ID))
	}
	if len(ids) == 0 {
		t.Fatalf("assessment %s has no answers", assessmentID)
	}
	return ids
}

// hideSuppressed changes, in the second database, only what the
// anonymised picture leaves out: every answer of a kreisfreie Stadt's
// BASELINE and FOLLOW_UP (3 kreisfreie Städte: under 5), and the FOLLOW_UP
// of an Einheitsgemeinde (published in the BASELINE picture, but only 4
// have a FOLLOW_UP: under 5 in that picture and in the change). It returns
// the IDs of what it changed or added, the changed assessments first.
func (f *bsiFixture) hideSuppressed(t *testing.T, s2 *testServer) []string {
	t.Helper()
	stadt := f.pas[municipality.KindKREISFREIE_STADT][0]
	gemeinde := f.pas[municipality.KindEINHEITSGEMEINDE][3]
	ids := []string{stadt, f.baseline[stadt], f.followUp[stadt], gemeinde, f.followUp[gemeinde]}
	ids = append(ids, rewriteAnswers(t, s2, f.baseline[stadt], types.AnswerYes, types.AnswerYes, types.AnswerNotApplicable, types.AnswerPartial, types.AnswerYes)...)
	ids = append(ids, rewriteAnswers(t, s2, f.followUp[stadt], types.AnswerNo)...)
	ids = append(ids, rewriteAnswers(t, s2, f.followUp[gemeinde], types.AnswerNo, types.AnswerNotApplicable)...)
	return ids
}

// nodeIDs lists first the given IDs, then rows of every type of the
// fixture: participations, their Kommunen, assessments, some answers and
// their history, the catalogue, steps, tokens, feeds, the programme.
func (f *bsiFixture) nodeIDs(t *testing.T, first []string) []string {
	t.Helper()
	ctx := bg()
	c := f.DB.Client
	seen := map[string]bool{}
	var ids []string
	add := func(xs ...pulid.ID) {
		for _, x := range xs {
			if !seen[string(x)] {
				seen[string(x)] = true
				ids = append(ids, string(x))
			}
		}
	}
	for _, x := range first {
		add(pulid.ID(x))
	}
	for _, k := range bsiKinds {
		for _, pa := range f.pas[k.kind] {
			p := c.Participation.GetX(ctx, pulid.ID(pa))
			add(p.ID, p.MunicipalityID, pulid.ID(f.baseline[pa]))
			if fu, ok := f.followUp[pa]; ok {
				add(pulid.ID(fu))
			}
		}
	}
	add(c.Program.Query().IDsX(ctx)...)
	add(c.Catalog.Query().IDsX(ctx)...)
	add(c.CatalogGroup.Query().IDsX(ctx)...)
	add(c.Requirement.Query().IDsX(ctx)...)
	lk := f.pas[municipality.KindLANDKREIS][0]
	for _, a := range c.Answer.Query().Where(answer.AssessmentID(pulid.ID(f.baseline[lk]))).AllX(ctx) {
		add(a.ID)
		add(a.QueryHistory().IDsX(ctx)...)
	}
	add(c.Step.Query().Limit(10).IDsX(ctx)...)
	add(c.APIToken.Query().IDsX(ctx)...)
	add(c.CalendarFeed.Query().IDsX(ctx)...)
	return ids
}

// hasValue reports whether a JSON value holds anything but nulls, empty
// lists and objects of them, and the objects of the exempt IDs (id and
// __typename only).
func hasValue(raw json.RawMessage, exempt ...string) bool {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil:
			return false
		case map[string]any:
			if id, ok := x["id"].(string); ok && slices.Contains(exempt, id) {
				own := true
				for k := range x {
					own = own && (k == "id" || k == "__typename")
				}
				if own {
					return false
				}
			}
			for _, c := range x {
				if walk(c) {
					return true
				}
			}
			return false
		case []any:
			for _, c := range x {
				if walk(c) {
					return true
				}
			}
			return false
		default:
			return true
		}
	}
	return walk(v)
}

// bsiCompareEach runs every selection alone, as token, against both
// servers and reports every difference and every answer that holds one of
// the secrets. It returns how many selections answered with each error
// code ("" for none), the selections answered without an error, and those
// whose data holds a value other than the exempt rows' id.
func bsiCompareEach(t *testing.T, a, b *testServer, token string, qs []niQuery, secrets, exempt []string) (codes map[string]int, unrefused, withValue []string) {
	t.Helper()
	codes = map[string]int{}
	reported := 0
	for _, q := range qs {
		doc := "{ q0: " + q.sel + " }"
		r1, r2 := a.post(t, token, doc, nil), b.post(t, token, doc, nil)
		if r1.Raw != r2.Raw && reported < 10 {
			reported++
			t.Errorf("answers differ for { %s }:\n  %s\n  %s", q.sel, clip(r1.Raw), clip(r2.Raw))
		}
		for _, sec := range secrets {
			if strings.Contains(r2.Raw, sec) && reported < 10 {
				reported++
				t.Errorf("the answer to { %s } holds %q: %s", q.sel, sec, clip(r2.Raw))
			}
		}
		code := ""
		if len(r1.Errors) > 0 {
			code = r1.Errors[0].Code()
		} else {
			unrefused = append(unrefused, q.sel)
		}
		codes[code]++
		if hasValue(r1.Data, exempt...) {
			withValue = append(withValue, q.sel)
		}
	}
	return codes, unrefused, withValue
}

// pictureSelection selects every field of an object type that role may
// select (every field when role is ""): scalars and enums, objects in
// full, node types by id. A field with an argument it cannot fill is an
// error: the selection is to cover every field of the picture.
func pictureSelection(t *testing.T, s *ast.Schema, typ string, role types.Role, leaves *int, depth int) string {
	t.Helper()
	def := s.Types[typ]
	if depth > 6 {
		t.Fatalf("the picture's types nest deeper than 6 at %s", typ)
	}
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || role != "" && !graph.Allows(role, typ, f.Name) {
			continue
		}
		for _, a := range f.Arguments {
			if a.Type.NonNull && a.DefaultValue == nil {
				t.Errorf("%s.%s has the required argument %s: the picture's selection cannot cover it", typ, f.Name, a.Name)
			}
		}
		ft := s.Types[f.Type.Name()]
		switch {
		case ft.Kind == ast.Scalar || ft.Kind == ast.Enum:
			parts = append(parts, f.Name)
			*leaves++
		case ft.Kind != ast.Object:
			parts = append(parts, f.Name+" { __typename }")
			*leaves++
		case ft.Fields.ForName("id") != nil && len(ft.Interfaces) > 0:
			parts = append(parts, f.Name+" { id }")
			*leaves++
		default:
			if sub := pictureSelection(t, s, ft.Name, role, leaves, depth+1); sub != "" {
				parts = append(parts, f.Name+" { "+sub+" }")
			}
		}
	}
	return strings.Join(parts, " ")
}

// pictureQueries are programSecurity for every kind of assessment with
// the selection, and for a programme that does not exist.
func pictureQueries(g *niGen, program, sel string) []string {
	var out []string
	for _, k := range g.s.Types["AssessmentKind"].EnumValues {
		out = append(out, fmt.Sprintf("{ programSecurity(programID: %s, kind: %s) { %s } }", gqlString(program), k.Name, sel))
	}
	return append(out, fmt.Sprintf("{ programSecurity(programID: %s, kind: BASELINE) { %s } }", gqlString(program[:2]+"01JD3K8Z6W8M2X1Q4R5T7V9B0C"), sel))
}

// bsiGet downloads a path as token ("" for none) and returns what the
// client learns: status, type, file name and content; a workbook as the
// text of its cells, sheet by sheet (its file also holds the time it was
// written).
func bsiGet(t *testing.T, s *testServer, token, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	typ := res.Header.Get("Content-Type")
	out := fmt.Sprintf("%d %s %s\n", res.StatusCode, typ, res.Header.Get("Content-Disposition"))
	if res.StatusCode != http.StatusOK || !strings.Contains(typ, "spreadsheetml") {
		return out + string(body)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: not a workbook: %v", path, err)
	}
	defer wb.Close()
	var b strings.Builder
	b.WriteString(out)
	for _, sh := range wb.GetSheetList() {
		rows, err := wb.GetRows(sh)
		if err != nil {
			t.Fatalf("GET %s: sheet %s: %v", path, sh, err)
		}
		fmt.Fprintf(&b, "== %s\n", sh)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return b.String()
}

// downloads are the paths the BSI might try: the anonymised picture, the
// picture per Kommune, an assessment as OSCAL, the reconciliation, the
// schema, and the calendar feeds (public by their secret).
func (f *bsiFixture) downloads(assessments ...string) (withToken, feeds []string) {
	pg := "programID=" + f.program
	withToken = []string{
		"/exports/security-anonymised.xlsx?" + pg,
		"/exports/security-anonymised.xlsx?" + pg + "&kind=BASELINE",
		"/exports/security-anonymised.xlsx?" + pg + "&kind=FOLLOW_UP",
		"/exports/security-anonymised.xlsx?programID=" + f.program[:2] + "01JD3K8Z6W8M2X1Q4R5T7V9B0C",
		"/exports/security.csv?" + pg, "/exports/security.xlsx?" + pg, "/exports/security.csv?" + pg + "&kind=BASELINE",
		"/exports/reconciliation.csv?" + pg, "/exports/reconciliation.xlsx?" + pg,
		"/schema.graphql",
	}
	for _, a := range append(assessments, "AS01JD3K8Z6W8M2X1Q4R5T7V9B0C") {
		withToken = append(withToken, "/exports/assessments/"+a+".oscal.json")
	}
	feeds = append(append(feeds, f.feeds...), "/calendar/0000000000000000000000000000000000000000000.ics")
	return withToken, feeds
}

// TestNonInterferenceBSI: the BSI against the answers of Kommunen of a
// kind under 5.
func TestNonInterferenceBSI(t *testing.T) {
	f := newBSIFixture(t, bsiKinds)
	s2 := cloneServer(t, f.testServer)
	changed := f.hideSuppressed(t, s2)
	ids := f.nodeIDs(t, changed)
	g := newNIGen(ids)
	secrets := []string{bsiMarker, "Zweitprüfung"}
	for _, k := range bsiKinds {
		for _, pa := range f.pas[k.kind] {
			m := f.DB.Client.Participation.GetX(bg(), pulid.ID(pa)).QueryMunicipality().OnlyX(bg())
			for _, sec := range []string{m.Name, deref(m.Ags), deref(m.Ars)} {
				if sec != "" {
					secrets = append(secrets, sec)
				}
			}
		}
	}

	// The one row the BSI reads is its own token, as every role does
	// (the privacy rule of tokens): node and nodes give its id and
	// __typename, which the asker already knows; no field of it.
	own := string(f.DB.Client.APIToken.Query().Where(apitoken.RoleEQ(types.RoleBSI)).OnlyIDX(bg()))
	f.fails(t, f.bsi, `query($id: ID!) { node(id: $id) { ... on ApiToken { name } } }`, map[string]any{"id": own}, "FORBIDDEN")
	exempt := []string{own}

	// (a) Every generated query answers the BSI alike, and with nothing
	// but a refusal: the BSI has no rights on any row.
	qs := g.queries(f.program)
	codes, unrefused, withValue := bsiCompareEach(t, f.testServer, s2, f.bsi, qs, secrets, exempt)
	for code, n := range codes {
		if code != "FORBIDDEN" && code != "NOT_FOUND" && code != "" {
			t.Errorf("%d generated selections answer the BSI with %q, not a refusal", n, code)
		}
	}
	for _, sel := range unrefused {
		if !strings.Contains(sel, own) {
			t.Errorf("the BSI is not refused { %s }", sel)
		}
	}
	for i, sel := range withValue {
		if i < 10 {
			t.Errorf("the BSI reads a value through { %s }", sel)
		}
	}
	t.Logf("generated: %d selections, each alone on both servers: %v", len(qs), codes)

	// (b) The picture with every field the BSI may select, for every kind
	// of assessment, answers alike and with data; with every field of the
	// type it is refused alike.
	schema := g.s
	var leaves, allLeaves int
	bsiSel := pictureSelection(t, schema, "ProgramSecurity", types.RoleBSI, &leaves, 0)
	allSel := pictureSelection(t, schema, "ProgramSecurity", "", &allLeaves, 0)
	if leaves < 30 || !strings.Contains(bsiSel, "fulfilled { min") {
		t.Fatalf("the BSI's picture selects %d fields: %s", leaves, bsiSel)
	}
	pictures := 0
	for _, doc := range pictureQueries(g, f.program, bsiSel) {
		r1, r2 := f.post(t, f.bsi, doc, nil), s2.post(t, f.bsi, doc, nil)
		if r1.Raw != r2.Raw {
			t.Errorf("the BSI's picture differs:\n  %s\n  %s\nquery: %s", r1.Raw, r2.Raw, doc)
		}
		if !strings.Contains(doc, "01JD3K8Z6W8M2X1Q4R5T7V9B0C") && (len(r1.Errors) > 0 || !strings.Contains(r1.Raw, `"anonymised":true`)) {
			t.Errorf("the BSI's picture: %s", clip(r1.Raw))
		}
		for _, sec := range append(secrets, ids...) {
			if strings.Contains(r2.Raw, sec) {
				t.Errorf("the BSI's picture holds %q", sec)
			}
		}
		pictures++
	}
	for _, doc := range pictureQueries(g, f.program, allSel) {
		r1, r2 := f.post(t, f.bsi, doc, nil), s2.post(t, f.bsi, doc, nil)
		if r1.Raw != r2.Raw || len(r1.Errors) == 0 || r1.Errors[0].Code() != "FORBIDDEN" || hasValue(r1.Data, exempt...) {
			t.Errorf("the whole picture as BSI:\n  %s\n  %s", clip(r1.Raw), clip(r2.Raw))
		}
		pictures++
	}

	// (c) node on every ID answers alike in both databases (the generated
	// queries) and alike for an ID that exists and one that does not.
	for _, id := range ids {
		if slices.Contains(exempt, id) {
			continue
		}
		q := `query($id: ID!) { node(id: $id) { id __typename } }`
		madeUp := id[:2] + "01JD3K8Z6W8M2X1Q4R5T7V9B0C"
		real, none := s2.post(t, f.bsi, q, map[string]any{"id": id}), s2.post(t, f.bsi, q, map[string]any{"id": madeUp})
		if len(real.Errors) == 0 || real.Raw != strings.ReplaceAll(none.Raw, madeUp, id) {
			t.Errorf("node(%s) tells the BSI it exists:\n  %s\n  %s", id, real.Raw, none.Raw)
		}
	}

	// (d) The downloads and the feeds.
	withToken, feeds := f.downloads(f.baseline[f.pas[municipality.KindKREISFREIE_STADT][0]], f.followUp[f.pas[municipality.KindKREISFREIE_STADT][0]])
	routes := map[string]int{}
	get := func(token string, paths []string) {
		for _, p := range paths {
			d1, d2 := bsiGet(t, f.testServer, token, p), bsiGet(t, s2, token, p)
			if d1 != d2 {
				t.Errorf("GET %s differs for the BSI:\n  %s\n  %s", p, clip(d1), clip(d2))
			}
			for _, sec := range secrets {
				if token != "" && strings.Contains(d2, sec) {
					t.Errorf("GET %s gives the BSI %q", p, sec)
				}
			}
			routes[strings.SplitN(d1, " ", 2)[0]]++
		}
	}
	get(f.bsi, withToken)
	get("", feeds) // a feed is read by its secret, which the BSI cannot create
	anonymised := bsiGet(t, f.testServer, f.bsi, withToken[1])
	t.Logf("picture: %d documents (%d fields the BSI may select, %d in all); node: %d IDs; downloads: %d by status %v; anonymised workbook for the BSI: %s",
		pictures, leaves, allLeaves, len(ids), len(withToken)+len(feeds), routes, strings.SplitN(anonymised, "\n", 2)[0])

	// Control: ADMIN sees the kreisfreie Stadt's change, in the picture
	// and through the generated queries.
	var adminLeaves int
	adminSel := pictureSelection(t, schema, "ProgramSecurity", types.RoleAdmin, &adminLeaves, 0)
	kinds := len(schema.Types["AssessmentKind"].EnumValues)
	for _, doc := range pictureQueries(g, f.program, adminSel)[:kinds] {
		r1, r2 := f.post(t, f.Admin, doc, nil), s2.post(t, f.Admin, doc, nil)
		if len(r1.Errors) > 0 || r1.Raw == r2.Raw {
			t.Errorf("ADMIN's picture does not show the change: %s", clip(r1.Raw))
		}
	}
	var sample []niQuery
	for i := 0; i < len(qs); i += 5 {
		sample = append(sample, qs[i])
	}
	_, differ := niCompare(t, f.testServer, s2, f.Admin, sample, 0)
	if differ == 0 {
		t.Errorf("no generated query answers ADMIN differently: the change is not what the queries reach")
	}

	// Control: a Landkreis's answers are in the published figures, so the
	// same comparison shows them to the BSI.
	s3 := cloneServer(t, f.testServer)
	rewriteAnswers(t, s3, f.baseline[f.pas[municipality.KindLANDKREIS][1]], types.AnswerNo)
	doc := pictureQueries(g, f.program, bsiSel)[0] // BASELINE
	if !strings.Contains(doc, "kind: BASELINE") {
		t.Fatalf("the first picture query is not the BASELINE's: %s", doc)
	}
	if r1, r3 := f.post(t, f.bsi, doc, nil), s3.post(t, f.bsi, doc, nil); len(r3.Errors) > 0 || r1.Raw == r3.Raw {
		t.Errorf("a Landkreis's answers do not change the BSI's picture: %s", clip(r3.Raw))
	}
	if strings.HasPrefix(anonymised, "200 ") && anonymised == bsiGet(t, s3, f.bsi, withToken[1]) {
		t.Errorf("a Landkreis's answers do not change the BSI's anonymised workbook")
	}
	t.Logf("controls: ADMIN's picture differs; %d of a sample of %d generated selections answer ADMIN differently; a Landkreis's change shows in the BSI's picture", differ, len(sample))
}

// TestBSISuppression: the BSI's picture over GraphQL, for both kinds of
// assessment, is what follows from the raw answers (read as ADMIN) by the
// rule: kinds with fewer than 5 Kommunen are left out of every figure and
// named as withheld; a figure from fewer than 5 is withheld; the whole is
// the sum of the published kinds, and every checklist's whole figures
// combine its published kinds' (no two figures differ by a group under 5).
// A CONTRACTOR and a Kommune get the same figures.
func TestBSISuppression(t *testing.T) {
	t.Run("fixture", func(t *testing.T) { checkSuppression(t, newBSIFixture(t, bsiKinds)) })
	// An Einheitsgemeinde answers every Drucker question NOT_APPLICABLE:
	// the Einheitsgemeinden's Drucker figures come from 4 Kommunen.
	t.Run("checklist of a published kind under 5", func(t *testing.T) {
		kinds := append([]bsiKind{}, bsiKinds...)
		eg := kinds[2]
		eg.baseline = append([][]string{}, eg.baseline...)
		eg.baseline[1] = []string{"NO", "YES", "PARTIAL", "NOT_APPLICABLE", "NOT_APPLICABLE"}
		kinds[2] = eg
		checkSuppression(t, newBSIFixture(t, kinds))
	})
}

const bsiChecklist = `number title priority kommunen fullyFulfilled withheld fulfilled { min q1 median q3 max }`

const bsiPictureQuery = `query($pg: ID!, $kind: AssessmentKind!) { programSecurity(programID: $pg, kind: $kind) {
  kind anonymised minimumGroup kommunen
  checklists { ` + bsiChecklist + ` }
  byKind { municipalityKind kommunen withheld checklists { ` + bsiChecklist + ` } }
  mostOftenNo { ref question checklist kommunen withheld }
  change { number title kommunen baselineMedian followUpMedian medianChange improved unchanged worse withheld } } }`

type bsiChecklistPicture struct {
	Number, Priority         int
	Title                    string
	Kommunen, FullyFulfilled *int
	Withheld                 *string
	Fulfilled                *struct{ Min, Q1, Median, Q3, Max string }
}

type bsiPicture struct {
	Kind         string
	Anonymised   bool
	MinimumGroup int
	Kommunen     int
	Checklists   []bsiChecklistPicture
	ByKind       []struct {
		MunicipalityKind string
		Kommunen         *int
		Withheld         *string
		Checklists       []bsiChecklistPicture
	}
}

// bsiKommune is one Kommune's submitted assessment of one kind, read as
// ADMIN.
type bsiKommune struct {
	pa, kind   string
	checklists map[int]bsiCounts
	no         map[string]bool // refs answered NO
}

type bsiCounts struct {
	title            string
	priority         int
	yes, applicable  int
	questionsWithRef map[string]string
}

func (c bsiCounts) share() *big.Rat {
	if c.applicable == 0 {
		return nil
	}
	return big.NewRat(int64(c.yes), int64(c.applicable))
}

// bsiRaw reads every submitted or confirmed assessment as ADMIN, by kind of
// assessment.
func bsiRaw(t *testing.T, f *bsiFixture) map[string][]bsiKommune {
	t.Helper()
	type page struct {
		Assessments struct {
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Node struct {
					Kind, Status  string
					Participation struct {
						ID           string
						Municipality struct{ Kind string }
					}
					Groups []struct {
						Group struct {
							Number, Priority int
							Title            string
						}
						Score   struct{ Yes, Applicable int }
						Answers []struct {
							Status      string
							Requirement struct{ Ref, Question string }
						}
					}
				}
			}
		}
	}
	var d page
	for after := (*string)(nil); ; {
		var p page
		f.must(t, f.Admin, `query($after: Cursor) { assessments(first: 10, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
		  kind status participation { id municipality { kind } }
		  groups { group { number priority title } score { yes applicable } answers { status requirement { ref question } } } } } } }`,
			map[string]any{"after": after}, &p)
		d.Assessments.Edges = append(d.Assessments.Edges, p.Assessments.Edges...)
		if !p.Assessments.PageInfo.HasNextPage {
			break
		}
		after = p.Assessments.PageInfo.EndCursor
	}
	out := map[string][]bsiKommune{}
	for _, e := range d.Assessments.Edges {
		n := e.Node
		if n.Status != "SUBMITTED" && n.Status != "CONFIRMED" {
			continue
		}
		k := bsiKommune{pa: n.Participation.ID, kind: n.Participation.Municipality.Kind, checklists: map[int]bsiCounts{}, no: map[string]bool{}}
		for _, g := range n.Groups {
			c := bsiCounts{title: g.Group.Title, priority: g.Group.Priority, yes: g.Score.Yes, applicable: g.Score.Applicable, questionsWithRef: map[string]string{}}
			for _, a := range g.Answers {
				c.questionsWithRef[a.Requirement.Ref] = a.Requirement.Question
				if a.Status == "NO" {
					k.no[a.Requirement.Ref] = true
				}
			}
			k.checklists[g.Group.Number] = c
		}
		out[n.Kind] = append(out[n.Kind], k)
	}
	for _, ks := range out {
		sort.Slice(ks, func(i, j int) bool { return ks[i].pa < ks[j].pa })
	}
	if len(out["BASELINE"]) == 0 {
		t.Fatalf("no submitted assessments")
	}
	return out
}

var bsiKindOrder = []string{"KREISFREIE_STADT", "LANDKREIS", "EINHEITSGEMEINDE", "VERBANDSGEMEINDE"}

// bsiPublished are the kinds with at least 5 of the Kommunen, in order.
func bsiPublished(ks []bsiKommune) []string {
	n := map[string]int{}
	for _, k := range ks {
		n[k.kind]++
	}
	var out []string
	for _, kind := range bsiKindOrder {
		if n[kind] >= 5 {
			out = append(out, kind)
		}
	}
	return out
}

func bsiOf(ks []bsiKommune, kinds ...string) []bsiKommune {
	var out []bsiKommune
	for _, k := range ks {
		for _, kind := range kinds {
			if k.kind == kind {
				out = append(out, k)
			}
		}
	}
	return out
}

// bsiPercent is 100·r rounded half away from zero to two places.
func bsiPercent(r *big.Rat) string {
	s := new(big.Rat).Mul(r, big.NewRat(100, 1)).FloatString(2)
	if s == "-0.00" {
		s = "0.00"
	}
	return s
}

// bsiQuantile interpolates linearly between the ranks around (n-1)·p/q of
// sorted values.
func bsiQuantile(x []*big.Rat, p, q int64) *big.Rat {
	pos := big.NewRat(int64(len(x)-1)*p, q)
	lo := new(big.Int).Quo(pos.Num(), pos.Denom())
	i := int(lo.Int64())
	frac := new(big.Rat).Sub(pos, new(big.Rat).SetInt(lo))
	v := new(big.Rat).Set(x[i])
	if frac.Sign() > 0 {
		v.Add(v, new(big.Rat).Mul(new(big.Rat).Sub(x[i+1], x[i]), frac))
	}
	return v
}

func bsiSorted(xs []*big.Rat) []*big.Rat {
	out := append([]*big.Rat{}, xs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Cmp(out[j]) < 0 })
	return out
}

func bsiMedian(xs []*big.Rat) string { return bsiPercent(bsiQuantile(bsiSorted(xs), 1, 2)) }

// bsiChecklists are the expected figures per checklist of the Kommunen
// (of a checklist only those for which counts, if counts is not nil).
func bsiChecklists(ks []bsiKommune, counts func(k bsiKommune, number int) bool) []any {
	numbers := map[int]bsiCounts{}
	for _, k := range ks {
		for n, c := range k.checklists {
			numbers[n] = c
		}
	}
	var order []int
	for n := range numbers {
		order = append(order, n)
	}
	sort.Ints(order)
	out := []any{}
	for _, n := range order {
		c := numbers[n]
		var shares []*big.Rat
		full := 0
		for _, k := range ks {
			if counts != nil && !counts(k, n) {
				continue
			}
			if s := k.checklists[n].share(); s != nil {
				shares = append(shares, s)
				if s.Cmp(big.NewRat(1, 1)) == 0 {
					full++
				}
			}
		}
		m := map[string]any{"number": n, "title": c.title, "priority": c.priority, "kommunen": nil, "fullyFulfilled": nil, "withheld": nil, "fulfilled": nil}
		if len(shares) < 5 {
			m["withheld"] = "withheld: computed from fewer than 5 Kommunen"
		} else {
			x := bsiSorted(shares)
			m["kommunen"], m["fullyFulfilled"] = len(shares), full
			m["fulfilled"] = map[string]any{"min": bsiPercent(x[0]), "q1": bsiPercent(bsiQuantile(x, 1, 4)), "median": bsiPercent(bsiQuantile(x, 1, 2)),
				"q3": bsiPercent(bsiQuantile(x, 3, 4)), "max": bsiPercent(x[len(x)-1])}
		}
		out = append(out, m)
	}
	return out
}

// bsiExpected is the anonymised picture of one kind of assessment as the
// JSON programSecurity answers with bsiPictureQuery.
func bsiExpected(raw map[string][]bsiKommune, kind string) any {
	const withheld = "withheld: computed from fewer than 5 Kommunen"
	all := raw[kind]
	published := bsiPublished(all)
	whole := bsiOf(all, published...)
	byKind := []any{}
	for _, k := range bsiKindOrder {
		m := map[string]any{"municipalityKind": k, "kommunen": nil, "withheld": withheld, "checklists": []any{}}
		for _, p := range published {
			if p == k {
				members := bsiOf(all, k)
				m["kommunen"], m["withheld"], m["checklists"] = len(members), nil, bsiChecklists(members, nil)
			}
		}
		byKind = append(byKind, m)
	}
	// A checklist's whole counts the kinds that publish their own figure
	// of it.
	publishes := map[string]map[int]bool{}
	for _, b := range byKind {
		m := b.(map[string]any)
		k := m["municipalityKind"].(string)
		publishes[k] = map[int]bool{}
		for _, c := range m["checklists"].([]any) {
			if c := c.(map[string]any); c["withheld"] == nil {
				publishes[k][c["number"].(int)] = true
			}
		}
	}
	// The questions most often NO: most first, then by checklist and ref.
	type gap struct {
		ref, question string
		checklist, n  int
	}
	gaps := map[string]*gap{}
	for _, k := range whole {
		for n, c := range k.checklists {
			for ref, q := range c.questionsWithRef {
				if k.no[ref] {
					if gaps[ref] == nil {
						gaps[ref] = &gap{ref: ref, question: q, checklist: n}
					}
					gaps[ref].n++
				}
			}
		}
	}
	var gs []*gap
	for _, g := range gaps {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.n != b.n {
			return a.n > b.n
		}
		if a.checklist != b.checklist {
			return a.checklist < b.checklist
		}
		return a.ref < b.ref
	})
	mostOftenNo := []any{}
	for i, g := range gs {
		if i == 10 {
			break
		}
		if g.n < 5 {
			break // not listed: the rest are fewer still
		}
		mostOftenNo = append(mostOftenNo, map[string]any{"ref": g.ref, "question": g.question, "checklist": g.checklist, "kommunen": g.n, "withheld": nil})
	}
	// The change, of the kinds with at least 5 Kommunen with both.
	follow := map[string]bsiKommune{}
	for _, k := range raw["FOLLOW_UP"] {
		follow[k.pa] = k
	}
	var both []bsiKommune
	for _, k := range raw["BASELINE"] {
		if _, ok := follow[k.pa]; ok {
			both = append(both, k)
		}
	}
	both = bsiOf(both, bsiPublished(both)...)
	type pair struct{ before, after *big.Rat }
	pairs := map[int][]pair{}
	titles := map[int]string{}
	for _, k := range both {
		for n, c := range k.checklists {
			b, a := c.share(), follow[k.pa].checklists[n].share()
			if b != nil && a != nil {
				pairs[n] = append(pairs[n], pair{b, a})
				titles[n] = c.title
			}
		}
	}
	var numbers []int
	for n := range pairs {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	change := []any{}
	for _, n := range numbers {
		ps := pairs[n]
		m := map[string]any{"number": n, "title": titles[n], "kommunen": nil, "baselineMedian": nil, "followUpMedian": nil, "medianChange": nil,
			"improved": nil, "unchanged": nil, "worse": nil, "withheld": nil}
		if len(ps) < 5 {
			m["withheld"] = withheld
		} else {
			var before, after, diff []*big.Rat
			counts := map[int]int{}
			for _, p := range ps {
				d := new(big.Rat).Sub(p.after, p.before)
				before, after, diff = append(before, p.before), append(after, p.after), append(diff, d)
				counts[d.Sign()]++
			}
			m["kommunen"], m["baselineMedian"], m["followUpMedian"], m["medianChange"] = len(ps), bsiMedian(before), bsiMedian(after), bsiMedian(diff)
			m["improved"], m["unchanged"], m["worse"] = counts[1], counts[0], counts[-1]
		}
		change = append(change, m)
	}
	return map[string]any{"programSecurity": map[string]any{"kind": kind, "anonymised": true, "minimumGroup": 5, "kommunen": len(whole),
		"checklists": bsiChecklists(whole, func(k bsiKommune, n int) bool { return publishes[k.kind][n] }), "byKind": byKind, "mostOftenNo": mostOftenNo, "change": change}}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	if raw, ok := v.(json.RawMessage); ok {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			t.Fatal(err)
		}
		v = x
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSuppression(t *testing.T, f *bsiFixture) {
	raw := bsiRaw(t, f)
	contractor := f.token(t, "CONTRACTOR", "")
	own, _ := f.kommuneTokens(t, f.pas[municipality.KindLANDKREIS][0])
	for _, kind := range []string{"BASELINE", "FOLLOW_UP"} {
		vars := map[string]any{"pg": f.program, "kind": kind}
		r := f.post(t, f.bsi, bsiPictureQuery, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("BSI: %s", r.Raw)
		}
		for _, tok := range []string{contractor, own} {
			if o := f.post(t, tok, bsiPictureQuery, vars); o.Raw != r.Raw {
				t.Errorf("%s: another anonymised viewer gets other figures:\n  %s\n  %s", kind, clip(r.Raw), clip(o.Raw))
			}
		}
		var d struct{ ProgramSecurity bsiPicture }
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		p := d.ProgramSecurity
		if !p.Anonymised || p.MinimumGroup != 5 {
			t.Fatalf("%s: %+v", kind, p)
		}
		// No kind with fewer than 5 Kommunen is a group of its own, and
		// none is left out that has 5.
		size := map[string]int{}
		for _, k := range raw[kind] {
			size[k.kind]++
		}
		sum := 0
		kinds := map[string]bool{}
		for _, k := range p.ByKind {
			kinds[k.MunicipalityKind] = true
			switch {
			case size[k.MunicipalityKind] < 5:
				if k.Kommunen != nil || k.Withheld == nil || len(k.Checklists) > 0 {
					t.Errorf("%s: %s (%d Kommunen) is shown: %+v", kind, k.MunicipalityKind, size[k.MunicipalityKind], k)
				}
			case k.Kommunen == nil || *k.Kommunen != size[k.MunicipalityKind] || k.Withheld != nil:
				t.Errorf("%s: %s (%d Kommunen): %+v", kind, k.MunicipalityKind, size[k.MunicipalityKind], k)
			default:
				sum += *k.Kommunen
			}
		}
		if len(kinds) != len(bsiKindOrder) {
			t.Errorf("%s: kinds %v", kind, kinds)
		}
		// The whole is the sum of its published kinds.
		if sum != p.Kommunen {
			t.Errorf("%s: the whole (%d Kommunen) is not the sum of the published kinds (%d)", kind, p.Kommunen, sum)
		}
		// Every checklist's whole combines its published kinds': the same
		// Kommunen, the same fully fulfilled, the lowest and highest share.
		for _, c := range p.Checklists {
			if c.Kommunen == nil {
				continue
			}
			n, full, lo, hi := 0, 0, "", ""
			for _, k := range p.ByKind {
				for _, kc := range k.Checklists {
					if kc.Number != c.Number {
						continue
					}
					if kc.Kommunen == nil {
						continue // withheld, so left out of the whole too (checked by the sum below)
					}
					n, full = n+*kc.Kommunen, full+*kc.FullyFulfilled
					if kc.Fulfilled != nil {
						if lo == "" || bsiLess(kc.Fulfilled.Min, lo) {
							lo = kc.Fulfilled.Min
						}
						if hi == "" || bsiLess(hi, kc.Fulfilled.Max) {
							hi = kc.Fulfilled.Max
						}
					}
				}
			}
			if n != *c.Kommunen || full != *c.FullyFulfilled || c.Fulfilled != nil && (c.Fulfilled.Min != lo || c.Fulfilled.Max != hi) {
				t.Errorf("%s: checklist %d: the whole (%d Kommunen, %d fully fulfilled, %+v) is not its published kinds' (%d, %d, %s…%s)",
					kind, c.Number, *c.Kommunen, *c.FullyFulfilled, c.Fulfilled, n, full, lo, hi)
			}
		}
		// And every figure is the one that follows from the raw answers.
		if got, want := canonical(t, r.Data), canonical(t, bsiExpected(raw, kind)); got != want {
			t.Errorf("%s: the BSI's picture is not what the answers give:\n got %s\nwant %s", kind, got, want)
		}
		t.Logf("%s: %d Kommunen in the picture; kinds %v", kind, p.Kommunen, size)
	}
}

// bsiLess compares two Decimal strings.
func bsiLess(a, b string) bool {
	x, _ := new(big.Rat).SetString(a)
	y, _ := new(big.Rat).SetString(b)
	return x != nil && y != nil && x.Cmp(y) < 0
}
