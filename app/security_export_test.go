package app

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/assessment"
	entassessment "sicherkommunal/ent/assessment"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
	"sicherkommunal/oscal/oscaltest"
)

// securityFixture is a programme with a picture: six Landkreise with a
// submitted BASELINE (one confirmed), five of them with a FOLLOW_UP
// submitted late in the evening (one confirmed, one with a question
// NOT_APPLICABLE); a kreisfreie Stadt named like a formula with a
// submitted BASELINE, one whose BASELINE was returned and an
// Einheitsgemeinde whose BASELINE is in progress (neither of which is in
// any picture); and a token per role.
type securityFixture struct {
	*testServer
	cat        testCatalog
	program    string
	landkreise []string // participations
	formula    string   // the participation of the Kommune named like a formula
	returned   string   // its BASELINE was returned
	draft      string   // its BASELINE is in progress
	tokens     map[string]string
}

// formulaName is a Kommune's name a spreadsheet would run.
const formulaName = "=cmd|' /C calc'!A0"

func newSecurityFixture(t *testing.T) *securityFixture {
	t.Helper()
	s := newTestServer(t)
	f := &securityFixture{testServer: s, cat: s.seedCatalog(t, "1", 3), program: s.programID(t), tokens: map[string]string{"ADMIN": s.Admin}}
	for _, role := range []string{"MINISTRY", "COORDINATOR", "CONTRACTOR", "BSI"} {
		f.tokens[role] = s.token(t, role, "")
	}
	for i, st := range [][]string{{"YES"}, {"YES", "NO"}, {"YES", "PARTIAL", "NO"}, {"NO", "YES"}, {"YES"}, {"PARTIAL", "YES", "YES", "NO"}} {
		f.landkreise = append(f.landkreise, s.submittedBaseline(t, f.cat, municipality.KindLANDKREIS, i, st...))
	}
	f.formula = s.submittedBaseline(t, f.cat, municipality.KindKREISFREIE_STADT, 0, "NO", "YES")
	f.returned = s.submittedBaseline(t, f.cat, municipality.KindKREISFREIE_STADT, 1, "YES")
	m := s.DB.Client.Participation.GetX(bg(), pulid.ID(f.formula)).MunicipalityID
	s.must(t, f.tokens["COORDINATOR"], `mutation($id: ID!, $name: String!) { updateMunicipality(id: $id, input: {name: $name}) { name } }`,
		map[string]any{"id": string(m), "name": formulaName}, nil)
	own, _ := s.kommuneTokens(t, f.returned)
	s.must(t, own, `mutation($id: ID!) { returnAssessment(id: $id, reason: "Backup-1 stimmt nicht") { status } }`,
		map[string]any{"id": f.assessmentID(t, f.returned, types.AssessmentBaseline)}, nil)
	own, _ = s.kommuneTokens(t, f.landkreise[5])
	s.must(t, own, `mutation($id: ID!) { confirmAssessment(id: $id) { status } }`,
		map[string]any{"id": f.assessmentID(t, f.landkreise[5], types.AssessmentBaseline)}, nil)

	// The draft: a BASELINE with some answers, not submitted, conducted
	// by a consultant.
	mu := s.DB.Client.Municipality.Query().Where(municipality.KindEQ(municipality.KindEINHEITSGEMEINDE)).Order(municipality.ByArs()).FirstX(bg())
	pa, err := s.App.program.Register(bg(), s.DB.Client, pulid.ID(f.program), mu.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	f.draft = string(pa.ID)
	var d struct{ CreateAssessment struct{ ID string } }
	consultant := s.DB.Client.Consultant.Create().SetName("Erika Beispiel").SetEmail("erika@bechtle.example").SaveX(bg())
	s.must(t, s.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": f.draft, "catalogID": f.cat.ID, "kind": "BASELINE", "consultantID": consultant.ID}}, &d)
	s.saveAnswers(t, s.Admin, d.CreateAssessment.ID, answers(f.cat.Backup[:2], "YES", "NO"))

	// The follow-ups, submitted at 23:30 UTC: the next day in the
	// programme's time zone.
	s.Clock.Set(time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC))
	all := append(append([]string{}, f.cat.Backup...), f.cat.Drucker...)
	for i, pa := range f.landkreise[:5] {
		in := answers(all, [][]string{{"YES"}, {"YES"}, {"YES", "YES", "NO"}, {"NO"}, {"YES", "PARTIAL"}}[i]...)
		if i == 1 {
			in[len(in)-1] = map[string]any{"requirementID": f.cat.Drucker[1], "status": "NOT_APPLICABLE", "justification": "Kein Drucker im Haus"}
		}
		f.submittedFollowUp(t, pa, in)
	}
	own, _ = s.kommuneTokens(t, f.landkreise[0])
	s.must(t, own, `mutation($id: ID!) { confirmAssessment(id: $id) { status } }`,
		map[string]any{"id": f.assessmentID(t, f.landkreise[0], types.AssessmentFollowUp)}, nil)
	f.tokens["MUNICIPALITY"] = own
	return f
}

// submittedFollowUp gives a participation with a submitted BASELINE a
// submitted FOLLOW_UP with the answers.
func (f *securityFixture) submittedFollowUp(t *testing.T, pa string, in []map[string]any) {
	t.Helper()
	var d struct{ CreateAssessment struct{ ID string } }
	f.must(t, f.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa, "catalogID": f.cat.ID, "kind": "FOLLOW_UP"}}, &d)
	f.saveAnswers(t, f.Admin, d.CreateAssessment.ID, in)
	f.must(t, f.Admin, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": d.CreateAssessment.ID}, nil)
}

func (f *securityFixture) assessmentID(t *testing.T, pa string, kind types.AssessmentKind) string {
	t.Helper()
	return string(f.DB.Client.Assessment.Query().Where(entassessment.ParticipationID(pulid.ID(pa)), entassessment.KindEQ(kind)).OnlyIDX(bg()))
}

// TestSecurityExportsFollowTheMatrix: the per-Kommune downloads are for
// the roles that may select programSecurity's perKommune, the anonymised
// one for every role that may query programSecurity (the BSI among them),
// the OSCAL download for the roles that may query assessments (not the
// BSI); refusals are the JSON error with its code and status; a missing
// programID or an unknown kind is VALIDATION, an unknown programme
// NOT_FOUND, no token UNAUTHENTICATED.
func TestSecurityExportsFollowTheMatrix(t *testing.T) {
	f := newSecurityFixture(t)
	pg := "?programID=" + f.program
	oscalPath := "/exports/assessments/" + f.assessmentID(t, f.landkreise[0], types.AssessmentBaseline) + ".oscal.json"
	want := map[string]map[string]int{
		"/exports/security.csv" + pg:             {"ADMIN": 200, "MINISTRY": 200, "COORDINATOR": 200, "CONTRACTOR": 403, "MUNICIPALITY": 403, "BSI": 403},
		"/exports/security.xlsx" + pg:            {"ADMIN": 200, "MINISTRY": 200, "COORDINATOR": 200, "CONTRACTOR": 403, "MUNICIPALITY": 403, "BSI": 403},
		"/exports/security-anonymised.xlsx" + pg: {"ADMIN": 200, "MINISTRY": 200, "COORDINATOR": 200, "CONTRACTOR": 200, "MUNICIPALITY": 200, "BSI": 200},
		oscalPath:                                {"ADMIN": 200, "MINISTRY": 200, "COORDINATOR": 200, "CONTRACTOR": 200, "MUNICIPALITY": 200, "BSI": 403},
	}
	for path, roles := range want {
		for role, status := range roles {
			res, body := f.download(t, f.tokens[role], path)
			if res.StatusCode != status {
				t.Errorf("%s %s: %d, want %d: %s", role, path, res.StatusCode, status, body)
				continue
			}
			if status == 403 {
				if code := errorCode(t, string(body)); code != "FORBIDDEN" {
					t.Errorf("%s %s: code %s", role, path, code)
				}
			} else if res.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s %s: headers %v", role, path, res.Header)
			}
		}
	}
	mid := f.tokens["MINISTRY"]
	for _, c := range []struct {
		path, code string
		status     int
	}{
		{"/exports/security.csv", "VALIDATION", 400},
		{"/exports/security.xlsx?kind=BASELINE", "VALIDATION", 400},
		{"/exports/security-anonymised.xlsx?kind=BASELINE", "VALIDATION", 400},
		{"/exports/security.csv" + pg + "&kind=ZWISCHENSTAND", "VALIDATION", 400},
		{"/exports/security-anonymised.xlsx" + pg + "&kind=baseline", "VALIDATION", 400},
		{"/exports/security.xlsx?programID=PG01JUNKNOWN000000000000000", "NOT_FOUND", 404},
		{"/exports/security-anonymised.xlsx?programID=PG01JUNKNOWN000000000000000", "NOT_FOUND", 404},
		{"/exports/assessments/AS01JUNKNOWN000000000000000.oscal.json", "NOT_FOUND", 404},
		{strings.TrimSuffix(oscalPath, ".oscal.json") + ".json", "NOT_FOUND", 404},
	} {
		res, body := f.download(t, mid, c.path)
		if res.StatusCode != c.status || errorCode(t, string(body)) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.path, res.StatusCode, body, c.status, c.code)
		}
	}
	for _, path := range []string{"/exports/security.csv" + pg, "/exports/security-anonymised.xlsx" + pg, oscalPath} {
		req, _ := http.NewRequest(http.MethodGet, f.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(res)
		res.Body.Close()
		if res.StatusCode != 401 || !strings.Contains(body, "UNAUTHENTICATED") {
			t.Errorf("%s without a token: %d %s", path, res.StatusCode, body)
		}
	}
}

// perKommuneQuery is what the per-Kommune downloads show, by GraphQL.
const perKommuneQuery = `query($pg: ID!, $kind: AssessmentKind!) { programSecurity(programID: $pg, kind: $kind) {
  perKommune { participation { id municipality { name ags kind } }
    checklists { number title priority score { yes partial no notApplicable open complete fulfilled { percent } } } } } }`

type gqlPerKommune struct {
	ProgramSecurity struct {
		PerKommune []struct {
			Participation struct {
				ID           string
				Municipality struct {
					Name, Kind string
					Ags        *string
				}
			}
			Checklists []struct {
				Number, Priority int
				Title            string
				Score            gqlScore
			}
		}
	}
}

// expectedKommuneRows are the rows of the per-Kommune download as the
// GraphQL API gives them to MID, for kinds, in the download's order; the
// cells as the CSV writes them (the Kommune's name unescaped, complete
// true or false). The status and the submission day come from the
// assessments (the day in Europe/Berlin).
func (f *securityFixture) expectedKommuneRows(t *testing.T, kinds ...string) [][]string {
	t.Helper()
	mid := f.tokens["MINISTRY"]
	var as struct {
		Assessments struct {
			Edges []struct {
				Node struct {
					Kind, Status  string
					SubmittedAt   *time.Time
					Participation struct{ ID string }
				}
			}
		}
	}
	f.must(t, mid, `{ assessments(first: 100) { edges { node { kind status submittedAt participation { id } } } } }`, nil, &as)
	type key struct{ pa, kind string }
	status, day := map[key]string{}, map[key]string{}
	berlin := clock.MustLoadZone("Europe/Berlin")
	for _, e := range as.Assessments.Edges {
		k := key{e.Node.Participation.ID, e.Node.Kind}
		status[k] = e.Node.Status
		if e.Node.SubmittedAt != nil {
			day[k] = e.Node.SubmittedAt.In(berlin).Format(time.DateOnly)
		}
	}
	var out [][]string
	for _, kind := range kinds {
		var p gqlPerKommune
		f.must(t, mid, perKommuneQuery, map[string]any{"pg": f.program, "kind": kind}, &p)
		for _, k := range p.ProgramSecurity.PerKommune {
			m := k.Participation.Municipality
			for _, c := range k.Checklists {
				sc, pct := c.Score, ""
				if sc.Fulfilled.Percent != nil {
					pct = *sc.Fulfilled.Percent
				}
				key := key{k.Participation.ID, kind}
				out = append(out, []string{k.Participation.ID, m.Name, deref(m.Ags), m.Kind, kind,
					strconv.Itoa(c.Number), c.Title, strconv.Itoa(c.Priority),
					strconv.Itoa(sc.Yes), strconv.Itoa(sc.Partial), strconv.Itoa(sc.No), strconv.Itoa(sc.NotApplicable), strconv.Itoa(sc.Open),
					pct, strconv.FormatBool(sc.Complete), status[key], day[key]})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b []string) int {
		if n := strings.Compare(a[0], b[0]); n != 0 {
			return n
		}
		if n := strings.Compare(a[4], b[4]); n != 0 {
			return n
		}
		x, _ := strconv.Atoi(a[5])
		y, _ := strconv.Atoi(b[5])
		return x - y
	})
	return out
}

// TestSecurityExportPerKommune: the CSV (read with encoding/csv) and the
// XLSX (read with excelize) have the numbers the programSecurity query
// gives MID in perKommune, for each kind and for both; only submitted
// and confirmed assessments; the submission day in the programme's time
// zone; the Kommune named like a formula with a quote in front in the
// CSV and as a text cell in the XLSX; counts, shares and days as numbers;
// the same few statements whatever the number of Kommunen.
func TestSecurityExportPerKommune(t *testing.T) {
	f := newSecurityFixture(t)
	coord := f.tokens["COORDINATOR"]
	header := "participation_id,municipality,ags,municipality_kind,assessment_kind,checklist,checklist_title,priority," +
		"yes,partial,no,not_applicable,open,fulfilled_percent,complete,status,submitted_on"
	for _, kinds := range [][]string{{"BASELINE"}, {"FOLLOW_UP"}, {"BASELINE", "FOLLOW_UP"}} {
		want := f.expectedKommuneRows(t, kinds...)
		q := "?programID=" + f.program
		if len(kinds) == 1 {
			q += "&kind=" + kinds[0]
		}
		res, body := f.download(t, coord, "/exports/security.csv"+q)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("csv %v: %d %q %s", kinds, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(recs[0], ","); got != header {
			t.Fatalf("csv header %s", got)
		}
		csvWant := make([][]string, len(want))
		for i, r := range want {
			csvWant[i] = slices.Clone(r)
			if r[0] == f.formula {
				csvWant[i][1] = "'" + formulaName
			}
		}
		if fmt.Sprint(recs[1:]) != fmt.Sprint(csvWant) {
			t.Errorf("csv %v:\n got %q\nwant %q", kinds, recs[1:], csvWant)
		}

		res, body = f.download(t, coord, "/exports/security.xlsx"+q)
		if res.StatusCode != 200 {
			t.Fatalf("xlsx %v: %d %s", kinds, res.StatusCode, body)
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(assessment.SheetKommunen)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], ","); got != header {
			t.Fatalf("xlsx header %s", got)
		}
		xlsxWant := make([][]string, len(want))
		for i, r := range want {
			xlsxWant[i] = slices.Clone(r)
			xlsxWant[i][14] = strings.ToUpper(r[14]) // a boolean cell
		}
		if fmt.Sprint(pad(rows[1:], len(header))) != fmt.Sprint(pad(xlsxWant, len(header))) {
			t.Errorf("xlsx %v:\n got %q\nwant %q", kinds, rows[1:], xlsxWant)
		}
		// The formula name is text; counts, shares, complete and the day
		// are not.
		for i, r := range rows[1:] {
			// Columns from 1: municipality, yes, fulfilled_percent,
			// complete, submitted_on.
			for col, text := range map[int]bool{2: true, 9: false, 14: false, 15: false, 17: false} {
				if r[col-1] == "" {
					continue // no share: an empty cell
				}
				cell, _ := excelize.CoordinatesToCellName(col, i+2)
				typ, _ := x.GetCellType(assessment.SheetKommunen, cell)
				formula, _ := x.GetCellFormula(assessment.SheetKommunen, cell)
				isText := typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString
				if formula != "" || isText != text {
					t.Errorf("xlsx %s (%q): type %v, formula %q", cell, r[col-1], typ, formula)
				}
			}
		}
		x.Close()
		if len(kinds) == 2 {
			// Only submitted and confirmed assessments: not the draft nor
			// the returned one; both kinds, a confirmed one of each.
			seen := map[string]bool{}
			for _, r := range want {
				seen[r[0]] = true
				seen[r[4]+" "+r[15]] = true
				seen["day "+r[16]] = true
			}
			for _, pa := range []string{f.draft, f.returned} {
				if seen[pa] {
					t.Errorf("%s is in the download", pa)
				}
			}
			for _, s := range []string{f.formula, "BASELINE CONFIRMED", "FOLLOW_UP CONFIRMED", "FOLLOW_UP SUBMITTED", "day 2026-11-26", "day 2026-11-27"} {
				if !seen[s] {
					t.Errorf("no %s in the download: %q", s, want)
				}
			}
			if len(want) != 2*(6+1)+2*5 {
				t.Errorf("%d rows", len(want))
			}
		}
	}

	// The statements: the token, the programme, the rows.
	q := "/exports/security.csv?programID=" + f.program
	f.download(t, f.tokens["MINISTRY"], q) // the token's first use is written once
	f.Counter.Reset()
	res, body := f.download(t, f.tokens["MINISTRY"], q)
	if n := f.Counter.Count(); res.StatusCode != 200 || n > 3 {
		t.Errorf("the download cost %d statements: %d %s", n, res.StatusCode, body)
	}
}

// pad gives every row n cells (excelize leaves out empty cells at the end).
func pad(rows [][]string, n int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append(slices.Clone(r), make([]string, max(0, n-len(r)))...)
	}
	return out
}

// pictureFullQuery is every field of the anonymised picture.
const pictureFullQuery = `query($pg: ID!, $kind: AssessmentKind!) { programSecurity(programID: $pg, kind: $kind) {
  kind anonymised minimumGroup kommunen
  checklists { ...figures }
  byKind { municipalityKind kommunen withheld checklists { ...figures } }
  mostOftenNo { ref question checklist kommunen withheld }
  change { number title kommunen baselineMedian followUpMedian medianChange improved unchanged worse withheld } } }
fragment figures on ChecklistPicture { number title priority kommunen fulfilled { min q1 median q3 max } fullyFulfilled withheld }`

type gqlFigures struct {
	Number, Priority int
	Title            string
	Kommunen         *int
	Fulfilled        *struct{ Min, Q1, Median, Q3, Max string }
	FullyFulfilled   *int
	Withheld         *string
}

func (g gqlFigures) cells() []string {
	out := []string{strconv.Itoa(g.Number), g.Title, strconv.Itoa(g.Priority), optInt(g.Kommunen)}
	if d := g.Fulfilled; d != nil {
		out = append(out, d.Min, d.Q1, d.Median, d.Q3, d.Max)
	} else {
		out = append(out, "", "", "", "", "")
	}
	return append(out, optInt(g.FullyFulfilled), deref(g.Withheld))
}

func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// expectedPicture are the sheets of the anonymised download as the BSI's
// GraphQL answer gives them, with their headers.
func (f *securityFixture) expectedPicture(t *testing.T, kind string) (map[string][][]string, string) {
	t.Helper()
	r := f.post(t, f.tokens["BSI"], pictureFullQuery, map[string]any{"pg": f.program, "kind": kind})
	if len(r.Errors) > 0 {
		t.Fatalf("BSI picture: %s", r.Raw)
	}
	var d struct {
		ProgramSecurity struct {
			Kind                   string
			Anonymised             bool
			MinimumGroup, Kommunen int
			Checklists             []gqlFigures
			ByKind                 []struct {
				MunicipalityKind string
				Kommunen         *int
				Withheld         *string
				Checklists       []gqlFigures
			}
			MostOftenNo []struct {
				Ref, Question string
				Checklist     int
				Kommunen      *int
				Withheld      *string
			}
			Change []struct {
				Number                                       int
				Title                                        string
				Kommunen                                     *int
				BaselineMedian, FollowUpMedian, MedianChange *string
				Improved, Unchanged, Worse                   *int
				Withheld                                     *string
			}
		}
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	p := d.ProgramSecurity
	figures := []string{"number", "title", "priority", "kommunen", "min", "q1", "median", "q3", "max", "fully_fulfilled", "withheld"}
	out := map[string][][]string{
		assessment.SheetSummary: {{"kind", p.Kind}, {"anonymised", strings.ToUpper(strconv.FormatBool(p.Anonymised))},
			{"minimum_group", strconv.Itoa(p.MinimumGroup)}, {"kommunen", strconv.Itoa(p.Kommunen)}},
		assessment.SheetChecklists:  {figures},
		assessment.SheetByKind:      {append([]string{"municipality_kind", "kind_kommunen", "kind_withheld"}, figures...)},
		assessment.SheetMostOftenNo: {{"ref", "question", "checklist", "kommunen", "withheld"}},
		assessment.SheetChange: {{"number", "title", "kommunen", "baseline_median", "follow_up_median", "median_change",
			"improved", "unchanged", "worse", "withheld"}},
	}
	for _, c := range p.Checklists {
		out[assessment.SheetChecklists] = append(out[assessment.SheetChecklists], c.cells())
	}
	for _, k := range p.ByKind {
		kc := []string{k.MunicipalityKind, optInt(k.Kommunen), deref(k.Withheld)}
		if len(k.Checklists) == 0 {
			out[assessment.SheetByKind] = append(out[assessment.SheetByKind], kc)
		}
		for _, c := range k.Checklists {
			out[assessment.SheetByKind] = append(out[assessment.SheetByKind], append(slices.Clone(kc), c.cells()...))
		}
	}
	for _, g := range p.MostOftenNo {
		out[assessment.SheetMostOftenNo] = append(out[assessment.SheetMostOftenNo],
			[]string{g.Ref, g.Question, strconv.Itoa(g.Checklist), optInt(g.Kommunen), deref(g.Withheld)})
	}
	for _, c := range p.Change {
		out[assessment.SheetChange] = append(out[assessment.SheetChange], []string{strconv.Itoa(c.Number), c.Title, optInt(c.Kommunen),
			deref(c.BaselineMedian), deref(c.FollowUpMedian), deref(c.MedianChange),
			optInt(c.Improved), optInt(c.Unchanged), optInt(c.Worse), deref(c.Withheld)})
	}
	return out, r.Raw
}

// TestSecurityExportAnonymised: the anonymised workbook has exactly the
// figures the BSI's programSecurity answer has, sheet by sheet, for each
// kind (BASELINE when none is given), with shares and counts as numbers;
// no cell names a Kommune, its AGS or an ID of the programme's
// participations, Kommunen or assessments.
func TestSecurityExportAnonymised(t *testing.T) {
	f := newSecurityFixture(t)
	bsi := f.tokens["BSI"]
	sheets := []string{assessment.SheetSummary, assessment.SheetChecklists, assessment.SheetByKind, assessment.SheetMostOftenNo, assessment.SheetChange}
	var leaks []string
	for _, p := range f.DB.Client.Participation.Query().Where(participation.ProgramID(pulid.ID(f.program))).WithMunicipality().WithAssessments().AllX(bg()) {
		m := p.Edges.Municipality
		leaks = append(leaks, string(p.ID), string(m.ID), m.Name, deref(m.Ags), deref(m.Ars))
		for _, a := range p.Edges.Assessments {
			leaks = append(leaks, string(a.ID))
		}
	}
	for _, c := range []struct{ query, kind string }{{"", "BASELINE"}, {"&kind=BASELINE", "BASELINE"}, {"&kind=FOLLOW_UP", "FOLLOW_UP"}} {
		want, raw := f.expectedPicture(t, c.kind)
		if !strings.Contains(raw, `"anonymised":true`) || !strings.Contains(raw, `"withheld":"withheld`) {
			t.Fatalf("the BSI's picture is not anonymised or withholds nothing: %s", raw)
		}
		res, body := f.download(t, bsi, "/exports/security-anonymised.xlsx?programID="+f.program+c.query)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("%s: %d %s", c.kind, res.StatusCode, body)
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := x.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(sheets) {
			t.Errorf("sheets %q", got)
		}
		for _, sheet := range sheets {
			rows, err := x.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			n := len(want[sheet][0])
			if fmt.Sprint(pad(rows, n)) != fmt.Sprint(pad(want[sheet], n)) {
				t.Errorf("%s %s:\n got %q\nwant %q", c.kind, sheet, rows, want[sheet])
			}
			for i, r := range rows {
				for j, v := range r {
					for _, leak := range leaks {
						if leak != "" && strings.Contains(v, leak) {
							t.Errorf("%s %s row %d column %d names a Kommune (%q): %q", c.kind, sheet, i+1, j+1, leak, v)
						}
					}
				}
			}
		}
		// Shares and counts are numbers.
		for _, cell := range []string{"D2", "E2", "I2", "J2"} {
			if typ, _ := x.GetCellType(assessment.SheetChecklists, cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("%s %s is text", assessment.SheetChecklists, cell)
			}
		}
		x.Close()
	}
}

// TestAssessmentOSCALExport: an assessment as OSCAL assessment results,
// valid against the official schema, with the Kommune, the catalogue and
// every answer (who answered and when); a Kommune gets its own, and for
// another Kommune's the same NOT_FOUND as for a made-up ID; an
// assessment in progress is exported too.
func TestAssessmentOSCALExport(t *testing.T) {
	f := newSecurityFixture(t)
	id := f.assessmentID(t, f.landkreise[0], types.AssessmentBaseline)
	own := f.tokens["MUNICIPALITY"]
	_, other := f.kommuneTokens(t, f.landkreise[0])
	m := f.DB.Client.Participation.GetX(bg(), pulid.ID(f.landkreise[0])).QueryMunicipality().OnlyX(bg())

	res, body := f.download(t, own, "/exports/assessments/"+id+".oscal.json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), id+".oscal.json") {
		t.Fatalf("own: %d %v %s", res.StatusCode, res.Header, body)
	}
	oscaltest.MustValidate(t, oscaltest.AssessmentResultsSchema, body)
	var doc struct {
		AR struct {
			Metadata struct {
				Title   string
				Version string
				Parties []struct {
					Type, Name  string
					ExternalIDs []struct{ Scheme, ID string } `json:"external-ids"`
				}
				Props []struct{ Name, Value string }
			}
			Results []struct {
				Findings []struct {
					Target struct {
						TargetID string `json:"target-id"`
						Status   struct{ State string }
					}
					Origins []any
				}
				Observations []struct{ Collected string }
			}
			BackMatter struct {
				Resources []struct{ Title string }
			} `json:"back-matter"`
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	ar := doc.AR
	kommune := ar.Metadata.Parties[0]
	if kommune.Type != "organization" || kommune.Name != m.Name || len(kommune.ExternalIDs) != 1 || kommune.ExternalIDs[0].ID != deref(m.Ags) {
		t.Errorf("Kommune: %+v, want %s %s", kommune, m.Name, deref(m.Ags))
	}
	if ar.Metadata.Version != "SUBMITTED" || !strings.Contains(fmt.Sprint(ar.Metadata.Props), id) {
		t.Errorf("metadata: %+v", ar.Metadata)
	}
	if len(ar.BackMatter.Resources) != 1 || ar.BackMatter.Resources[0].Title != "Testkatalog, Version 1" {
		t.Errorf("catalogue: %+v", ar.BackMatter)
	}
	// Every question, each answered by the admin token's holder at 09:00.
	var targets []string
	for _, fi := range ar.Results[0].Findings {
		targets = append(targets, fi.Target.TargetID+" "+fi.Target.Status.State)
		if len(fi.Origins) != 1 {
			t.Errorf("finding %s: who answered is missing", fi.Target.TargetID)
		}
	}
	if got := strings.Join(targets, ","); got != "backup-1_smt satisfied,backup-2_smt satisfied,backup-3_smt satisfied,drucker-1_smt satisfied,drucker-2_smt satisfied" {
		t.Errorf("findings: %s", got)
	}
	if obs := ar.Results[0].Observations; len(obs) != 5 || obs[0].Collected != "2026-11-26T09:00:00Z" {
		t.Errorf("observations: %+v", obs)
	}
	if !strings.Contains(fmt.Sprint(ar.Metadata.Parties), "admin (SK_ADMIN_TOKEN)") {
		t.Errorf("parties: %+v", ar.Metadata.Parties)
	}

	// Another Kommune's assessment is answered as a made-up one.
	res, body = f.download(t, other, "/exports/assessments/"+id+".oscal.json")
	const madeUp = "AS01JD3K8Z6W8M2X1Q4R5T7V9B0C"
	res2, body2 := f.download(t, other, "/exports/assessments/"+madeUp+".oscal.json")
	if res.StatusCode != 404 || errorCode(t, string(body)) != "NOT_FOUND" ||
		res2.StatusCode != 404 || strings.ReplaceAll(string(body), id, madeUp) != string(body2) {
		t.Errorf("another Kommune's: %d %s; made up: %d %s", res.StatusCode, body, res2.StatusCode, body2)
	}
	if strings.Contains(string(body), m.Name) {
		t.Errorf("the refusal names the Kommune: %s", body)
	}

	// An assessment in progress with its consultant, and a follow-up with
	// a NOT_APPLICABLE answer, validate too; the same few statements for
	// any number of answers.
	draft := f.assessmentID(t, f.draft, types.AssessmentBaseline)
	contractor := f.tokens["CONTRACTOR"]
	f.download(t, contractor, "/exports/assessments/"+draft+".oscal.json") // the token's first use is written once
	for _, a := range []string{draft, f.assessmentID(t, f.landkreise[1], types.AssessmentFollowUp)} {
		f.Counter.Reset()
		res, body = f.download(t, contractor, "/exports/assessments/"+a+".oscal.json")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", a, res.StatusCode, body)
		}
		if n := f.Counter.Count(); n > 9 { // the token and assessment.Results
			t.Errorf("%s cost %d statements", a, n)
		}
		oscaltest.MustValidate(t, oscaltest.AssessmentResultsSchema, body)
		if a == draft && (!strings.Contains(string(body), `"name": "Erika Beispiel"`) || !strings.Contains(string(body), `"version": "IN_PROGRESS"`)) {
			t.Errorf("the draft's consultant or status is missing: %s", body)
		}
	}
	if !strings.Contains(string(body), "Kein Drucker im Haus") || !strings.Contains(string(body), `"state": "not-applicable"`) {
		t.Errorf("the NOT_APPLICABLE answer is missing: %s", body)
	}
}
