package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
)

// testCatalog is a small catalogue stored directly: Backup (group 1 of the
// processing order) with backup questions, Drucker (group 4) with two.
type testCatalog struct {
	ID      string
	Backup  []string // requirement IDs, in question order
	Drucker []string
}

func (s *testServer) seedCatalog(t testing.TB, version string, backup int) testCatalog {
	t.Helper()
	ctx := bg()
	c := s.DB.Client
	cat := c.Catalog.Create().SetName("Testkatalog").SetVersion(version).SetDigest(strings.Repeat("0", 63) + version[:1]).SaveX(ctx)
	out := testCatalog{ID: string(cat.ID)}
	for _, g := range []struct {
		number, priority, n int
		title               string
		ids                 *[]string
	}{{3, 1, backup, "Backup", &out.Backup}, {6, 4, 2, "Drucker und Multifunktionsgeräte", &out.Drucker}} {
		grp := c.CatalogGroup.Create().SetCatalogID(cat.ID).SetNumber(g.number).SetPriority(g.priority).SetTitle(g.title).SaveX(ctx)
		for i := 1; i <= g.n; i++ {
			r := c.Requirement.Create().SetCatalogID(cat.ID).SetGroupID(grp.ID).SetNumber(i).
				SetRef(fmt.Sprintf("%s-%d", strings.Fields(g.title)[0], i)).SetQuestion(fmt.Sprintf("Frage %d von %s?", i, g.title)).SaveX(ctx)
			*g.ids = append(*g.ids, string(r.ID))
		}
	}
	return out
}

// kommuneTokens returns a MUNICIPALITY token of the participation's
// Kommune and one of another Kommune.
func (s *testServer) kommuneTokens(t testing.TB, pa string) (own, other string) {
	t.Helper()
	p := s.DB.Client.Participation.GetX(bg(), pulid.ID(pa))
	o := s.DB.Client.Municipality.Query().Where(municipality.IDNEQ(p.MunicipalityID)).FirstX(bg())
	return s.token(t, "MUNICIPALITY", string(p.MunicipalityID)), s.token(t, "MUNICIPALITY", string(o.ID))
}

const assessmentFields = `id kind status submittedAt confirmedAt returnReason
  score { priorityOneComplete overall { total open yes partial no notApplicable applicable complete fulfilled { numerator denominator percent } } }
  groups { group { number priority } score { total yes no complete fulfilled { numerator denominator percent } } answers { id status note justification answeredBy requirement { ref } } }`

type gqlScore struct {
	Total, Open, Yes, Partial, No, NotApplicable, Applicable int
	Complete                                                 bool
	Fulfilled                                                struct {
		Numerator, Denominator int
		Percent                *string
	}
}

type gqlAssessment struct {
	ID, Kind, Status string
	SubmittedAt      *string
	ConfirmedAt      *string
	ReturnReason     *string
	Score            struct {
		PriorityOneComplete bool
		Overall             gqlScore
	}
	Groups []struct {
		Group   struct{ Number, Priority int }
		Score   gqlScore
		Answers []struct {
			ID, Status          string
			Note, Justification *string
			AnsweredBy          *string
			Requirement         struct{ Ref string }
		}
	}
}

func answers(reqs []string, status ...string) []map[string]any {
	out := make([]map[string]any, len(reqs))
	for i, r := range reqs {
		out[i] = map[string]any{"requirementID": r, "status": status[i%len(status)]}
	}
	return out
}

func (s *testServer) saveAnswers(t testing.TB, token, id string, in []map[string]any) gqlAssessment {
	t.Helper()
	var d struct{ SaveAnswers gqlAssessment }
	s.must(t, token, `mutation($in: SaveAnswersInput!) { saveAnswers(input: $in) { `+assessmentFields+` } }`,
		map[string]any{"in": map[string]any{"assessmentID": id, "answers": in}}, &d)
	return d.SaveAnswers
}

func (s *testServer) assessment(t testing.TB, token, id string) *gqlAssessment {
	t.Helper()
	var d struct{ Node *gqlAssessment }
	s.must(t, token, `query($id: ID!) { node(id: $id) { ... on Assessment { `+assessmentFields+` } } }`, map[string]any{"id": id}, &d)
	return d.Node
}

// TestAssessmentLifecycle: an assessment starts with every question OPEN,
// is answered a checklist at a time (bad answers change nothing), keeps
// every change, scores exactly, is submitted only when complete, and is
// confirmed or returned by its own Kommune only.
func TestAssessmentLifecycle(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 3)
	pa := s.participations(t, 1)[0]
	contractor := s.token(t, "CONTRACTOR", "")
	own, other := s.kommuneTokens(t, pa)

	create := `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { ` + assessmentFields + ` } }`
	in := func(kind string) map[string]any {
		return map[string]any{"in": map[string]any{"participationID": pa, "catalogID": cat.ID, "kind": kind}}
	}
	s.fails(t, contractor, create, in("FOLLOW_UP"), "CONFLICT") // no baseline yet
	s.fails(t, own, create, in("BASELINE"), "FORBIDDEN")
	var d struct{ CreateAssessment gqlAssessment }
	s.must(t, contractor, create, in("BASELINE"), &d)
	a := d.CreateAssessment
	if a.Status != "IN_PROGRESS" || a.Score.Overall.Total != 5 || a.Score.Overall.Open != 5 || a.Score.Overall.Fulfilled.Percent != nil {
		t.Fatalf("new assessment: %+v", a)
	}
	if len(a.Groups) != 2 || a.Groups[0].Group.Number != 3 || len(a.Groups[0].Answers) != 3 || a.Groups[0].Answers[0].Requirement.Ref != "Backup-1" {
		t.Fatalf("groups: %+v", a.Groups)
	}
	s.fails(t, contractor, create, in("BASELINE"), "CONFLICT") // one of each kind

	// Bad answers change nothing.
	changes := func() int { return s.DB.Client.AnswerChange.Query().CountX(bg()) }
	na := []map[string]any{{"requirementID": cat.Backup[0], "status": "NOT_APPLICABLE"}}
	s.fails(t, contractor, saveAnswersMutation, saveVars(a.ID, append(answers(cat.Backup[1:], "YES"), na...)), "VALIDATION")
	s.fails(t, contractor, saveAnswersMutation, saveVars(a.ID, answers([]string{cat.Backup[0], cat.Backup[0]}, "YES")), "VALIDATION")
	s.fails(t, contractor, saveAnswersMutation, saveVars(a.ID, answers([]string{cat.ID}, "YES")), "VALIDATION")
	if n := changes(); n != 0 {
		t.Fatalf("refused saves left %d changes", n)
	}
	if got := s.assessment(t, contractor, a.ID); got.Score.Overall.Open != 5 {
		t.Fatalf("refused saves changed answers: %+v", got.Score)
	}

	// The Backup checklist: YES, PARTIAL, NO.
	got := s.saveAnswers(t, contractor, a.ID, answers(cat.Backup, "YES", "PARTIAL", "NO"))
	b := got.Groups[0].Score
	if b.Yes != 1 || b.No != 1 || b.Fulfilled.Numerator != 1 || b.Fulfilled.Denominator != 3 || *b.Fulfilled.Percent != "33.33" || b.Complete {
		t.Fatalf("backup score: %+v", b)
	}
	if n := changes(); n != 3 {
		t.Fatalf("changes after the first save: %d", n)
	}
	s.saveAnswers(t, contractor, a.ID, answers(cat.Backup, "YES", "PARTIAL", "NO")) // unchanged: nothing written
	if n := changes(); n != 3 {
		t.Fatalf("an unchanged save wrote changes: %d", n)
	}
	// Every change of an answer is kept: from, to, who.
	fix := []map[string]any{{"requirementID": cat.Backup[2], "status": "YES", "note": "Sicherung seit Mai täglich"}}
	s.saveAnswers(t, contractor, a.ID, fix)
	var h struct {
		Node struct {
			Answers struct {
				Edges []struct {
					Node struct {
						Changes []struct {
							FromStatus, ToStatus, Actor, Via string
							ToNote                           *string
						}
					}
				}
			}
		}
	}
	s.must(t, own, `query($id: ID!) { node(id: $id) { ... on Assessment { answers(first: 5, where: {hasRequirementWith: {ref: "Backup-3"}}) { edges { node { changes { fromStatus toStatus actor via toNote } } } } } } }`,
		map[string]any{"id": a.ID}, &h)
	ch := h.Node.Answers.Edges[0].Node.Changes
	if len(ch) != 2 || ch[0].FromStatus != "OPEN" || ch[0].ToStatus != "NO" || ch[1].FromStatus != "NO" || ch[1].ToStatus != "YES" ||
		ch[1].Actor != "test CONTRACTOR" || ch[1].Via != "SAVE" || ch[1].ToNote == nil {
		t.Fatalf("history: %+v", ch)
	}
	if n := s.DB.Client.AuditEvent.Query().Where(auditevent.EntityType(ent.TypeAnswer), auditevent.ActionEQ(auditevent.ActionUPDATE)).CountX(bg()); n != 4 {
		t.Errorf("audit events of answer updates: %d, want 4", n)
	}
	// The history is append-only.
	if _, err := s.DB.Client.AnswerChange.Delete().Exec(bg()); err == nil {
		t.Error("an answer change was deleted")
	}

	// Submitting needs every question answered; the on-site step needs a
	// submitted baseline.
	submit := `mutation($id: ID!) { submitAssessment(id: $id) { status submittedAt } }`
	s.fails(t, contractor, submit, map[string]any{"id": a.ID}, "VALIDATION")
	onsite := s.DB.Client.Step.Query().Where(step.ParticipationID(pulid.ID(pa)), step.KindEQ(types.StepOnsiteAssessment)).OnlyX(bg())
	complete := `mutation($id: ID!) { completeStep(input: {id: $id}) { completedAt } }`
	s.fails(t, contractor, complete, map[string]any{"id": onsite.ID}, "ASSESSMENT_REQUIRED")
	na[0]["justification"] = "Kein Drucker im Haus"
	s.saveAnswers(t, contractor, a.ID, []map[string]any{na[0]}) // Backup-1 NOT_APPLICABLE
	got = s.saveAnswers(t, contractor, a.ID, answers(cat.Drucker, "YES"))
	if o := got.Score.Overall; o.Open != 0 || o.Yes != 3 || o.Partial != 1 || o.NotApplicable != 1 || o.Applicable != 4 || *o.Fulfilled.Percent != "75.00" {
		t.Fatalf("overall: %+v", o)
	}
	if got.Score.PriorityOneComplete || !got.Groups[1].Score.Complete {
		t.Fatalf("completeness: %+v", got.Score)
	}
	s.must(t, contractor, submit, map[string]any{"id": a.ID}, nil)
	s.fails(t, contractor, saveAnswersMutation, saveVars(a.ID, answers(cat.Drucker, "NO")), "CONFLICT")
	s.must(t, contractor, complete, map[string]any{"id": onsite.ID}, nil)

	// Only its own Kommune sees, confirms or returns it.
	s.fails(t, other, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": a.ID}, "NOT_FOUND")
	ret := `mutation($id: ID!, $r: String!) { returnAssessment(id: $id, reason: $r) { status returnReason } }`
	confirm := `mutation($id: ID!) { confirmAssessment(id: $id) { status confirmedAt } }`
	s.fails(t, other, confirm, map[string]any{"id": a.ID}, "NOT_FOUND")
	s.fails(t, contractor, confirm, map[string]any{"id": a.ID}, "FORBIDDEN")
	s.fails(t, own, ret, map[string]any{"id": a.ID, "r": ""}, "VALIDATION")
	s.must(t, own, ret, map[string]any{"id": a.ID, "r": "Backup-2 ist inzwischen umgesetzt"}, nil)
	s.fails(t, own, confirm, map[string]any{"id": a.ID}, "CONFLICT")
	s.must(t, contractor, `mutation($id: ID!) { reopenAssessment(id: $id) { status } }`, map[string]any{"id": a.ID}, nil)
	s.saveAnswers(t, contractor, a.ID, answers(cat.Backup[1:2], "YES"))
	s.must(t, contractor, submit, map[string]any{"id": a.ID}, nil)
	s.must(t, own, confirm, map[string]any{"id": a.ID}, nil)
	if got := s.assessment(t, own, a.ID); got.Status != "CONFIRMED" || got.ConfirmedAt == nil || got.ReturnReason != nil || !got.Score.PriorityOneComplete {
		t.Fatalf("confirmed: %+v", got)
	}
	// A FOLLOW_UP is possible now.
	s.must(t, contractor, create, in("FOLLOW_UP"), nil)
}

const saveAnswersMutation = `mutation($in: SaveAnswersInput!) { saveAnswers(input: $in) { id } }`

func saveVars(id string, in []map[string]any) map[string]any {
	return map[string]any{"in": map[string]any{"assessmentID": id, "answers": in}}
}

// TestConsultantConductsOwnAssessments: a CONTRACTOR token of one
// consultant conducts only that consultant's assessments.
func TestConsultantConductsOwnAssessments(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 2)
	pas := s.participations(t, 2)
	ctx := bg()
	c1 := s.DB.Client.Consultant.Create().SetName("Berater Eins").SetEmail("eins@bechtle.example").SaveX(ctx)
	c2 := s.DB.Client.Consultant.Create().SetName("Beraterin Zwei").SetEmail("zwei@bechtle.example").SaveX(ctx)
	tok := func(id pulid.ID) string {
		var d struct{ CreateApiToken struct{ Token string } }
		s.must(t, s.Admin, `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"name": "consultant", "role": "CONTRACTOR", "consultantID": id}}, &d)
		return d.CreateApiToken.Token
	}
	t1, t2 := tok(c1.ID), tok(c2.ID)
	create := `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id consultant { name } } }`
	var d struct {
		CreateAssessment struct {
			ID         string
			Consultant struct{ Name string }
		}
	}
	s.must(t, t1, create, map[string]any{"in": map[string]any{"participationID": pas[0], "catalogID": cat.ID, "kind": "BASELINE"}}, &d)
	if d.CreateAssessment.Consultant.Name != "Berater Eins" {
		t.Fatalf("consultant: %+v", d)
	}
	s.fails(t, t2, create, map[string]any{"in": map[string]any{"participationID": pas[1], "catalogID": cat.ID, "kind": "BASELINE", "consultantID": c1.ID}}, "FORBIDDEN")
	s.fails(t, t2, saveAnswersMutation, saveVars(d.CreateAssessment.ID, answers(cat.Backup, "YES")), "FORBIDDEN")
	s.saveAnswers(t, t1, d.CreateAssessment.ID, answers(cat.Backup, "YES"))
}

// TestSaveAnswersStatements: saving a checklist costs the same number of
// SQL statements for 5 answers as for 25.
func TestSaveAnswersStatements(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 50)
	pa := s.participations(t, 1)[0]
	contractor := s.token(t, "CONTRACTOR", "")
	var d struct{ CreateAssessment struct{ ID string } }
	s.must(t, contractor, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa, "catalogID": cat.ID, "kind": "BASELINE"}}, &d)
	cost := func(reqs []string) int64 {
		s.Counter.Reset()
		s.must(t, contractor, saveAnswersMutation, saveVars(d.CreateAssessment.ID, answers(reqs, "NO", "YES", "PARTIAL")), nil)
		return s.Counter.Count()
	}
	five, twentyFive := cost(cat.Backup[:5]), cost(cat.Backup[5:30])
	if five != twentyFive || five > 12 {
		t.Fatalf("statements: 5 answers %d, 25 answers %d", five, twentyFive)
	}
	t.Logf("saveAnswers: %d statements for 5 and for 25 answers", five)
	if n := s.DB.Client.AnswerChange.Query().Where(answerchange.ToStatusEQ(types.AnswerNo)).CountX(bg()); n != 11 { // every third of 5 and of 25
		t.Fatalf("changes to NO: %d", n)
	}
}

// TestMeasuresAddressGaps: a NO answer of a group-1 checklist shows as an
// unaddressed gap until a measure names it; a measure names only gaps of
// its own participation.
func TestMeasuresAddressGaps(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 3)
	pas := s.participations(t, 2)
	contractor := s.token(t, "CONTRACTOR", "")
	own, _ := s.kommuneTokens(t, pas[0])
	ids := make([]string, 2)
	for i, pa := range pas {
		var d struct{ CreateAssessment struct{ ID string } }
		s.must(t, contractor, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"participationID": pa, "catalogID": cat.ID, "kind": "BASELINE"}}, &d)
		ids[i] = d.CreateAssessment.ID
	}
	a := s.saveAnswers(t, contractor, ids[0], append(answers(cat.Backup, "NO", "YES", "PARTIAL"), answers(cat.Drucker, "NO")...))
	b := s.saveAnswers(t, contractor, ids[1], answers(cat.Backup, "NO"))
	gapsQ := `query($id: ID!) { node(id: $id) { ... on Participation { unaddressedGaps { id requirement { ref } } } } }`
	gaps := func() []string {
		var d struct {
			Node struct {
				UnaddressedGaps []struct {
					ID          string
					Requirement struct{ Ref string }
				}
			}
		}
		s.must(t, own, gapsQ, map[string]any{"id": pas[0]}, &d)
		var refs []string
		for _, g := range d.Node.UnaddressedGaps {
			refs = append(refs, g.Requirement.Ref)
		}
		return refs
	}
	if g := gaps(); strings.Join(g, ",") != "Backup-1" { // Drucker is group 4; PARTIAL is not a NO
		t.Fatalf("gaps: %v", g)
	}
	answerID := func(a gqlAssessment, ref string) string {
		for _, g := range a.Groups {
			for _, x := range g.Answers {
				if x.Requirement.Ref == ref {
					return x.ID
				}
			}
		}
		t.Fatalf("no answer %s", ref)
		return ""
	}
	measure := `mutation($in: CreateMeasureInput!) { createMeasure(input: $in) { id } }`
	mIn := func(answer string) map[string]any {
		return map[string]any{"in": map[string]any{"participationID": pas[0], "kind": "TECHNICAL", "title": "Backup-Konzept",
			"stage": "STAGE_2", "plannedCost": "1200.00", "addressIDs": []string{answer}}}
	}
	s.fails(t, contractor, measure, mIn(answerID(b, "Backup-1")), "VALIDATION") // another participation's gap
	s.fails(t, contractor, measure, mIn(answerID(a, "Backup-2")), "VALIDATION") // a YES is no gap
	s.must(t, contractor, measure, mIn(answerID(a, "Backup-1")), nil)
	if g := gaps(); len(g) != 0 {
		t.Fatalf("gaps after the measure: %v", g)
	}
}

// submittedBaseline registers a Kommune of a kind (the n-th of that kind
// by ARS) and gives it a submitted BASELINE with the answers, in catalogue
// order (Backup…, Drucker…).
func (s *testServer) submittedBaseline(t testing.TB, cat testCatalog, kind municipality.Kind, n int, status ...string) string {
	t.Helper()
	ctx := bg()
	c := s.DB.Client
	m := c.Municipality.Query().Where(municipality.KindEQ(kind)).Order(municipality.ByArs()).Offset(n).FirstX(ctx)
	pa, err := s.App.program.Register(ctx, c, c.Program.Query().OnlyIDX(ctx), m.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ CreateAssessment struct{ ID string } }
	s.must(t, s.Admin, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": pa.ID, "catalogID": cat.ID, "kind": "BASELINE"}}, &d)
	s.saveAnswers(t, s.Admin, d.CreateAssessment.ID, answers(append(append([]string{}, cat.Backup...), cat.Drucker...), status...))
	s.must(t, s.Admin, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": d.CreateAssessment.ID}, nil)
	return string(pa.ID)
}

const pictureQuery = `query($pg: ID!) { programSecurity(programID: $pg, kind: BASELINE) {
  kind anonymised minimumGroup kommunen
  checklists { number title priority kommunen fullyFulfilled withheld fulfilled { min q1 median q3 max } }
  byKind { municipalityKind kommunen withheld checklists { number kommunen fulfilled { median } } }
  mostOftenNo { ref checklist kommunen withheld }
  change { number kommunen withheld } } }`

type gqlPicture struct {
	ProgramSecurity struct {
		Anonymised bool
		Kommunen   int
		Checklists []struct {
			Number         int
			Kommunen       *int
			FullyFulfilled *int
			Withheld       *string
			Fulfilled      *struct{ Min, Q1, Median, Q3, Max string }
		}
		ByKind []struct {
			MunicipalityKind string
			Kommunen         *int
			Withheld         *string
		}
		MostOftenNo []struct {
			Ref      string
			Kommunen *int
			Withheld *string
		}
		PerKommune []struct {
			Participation struct{ ID string }
			Checklists    []struct {
				Number int
				Score  struct{ Yes, No int }
			}
		}
		Own *struct {
			Participation struct{ ID string }
		}
	}
}

// TestProgramSecurity: the picture per checklist and kind of Kommune; for
// the BSI (and anyone but MID, KITU and ADMIN) anonymised: the 3
// kreisfreie Städte and every kind under 5 Kommunen are left out and
// named as withheld, the whole is the sum of the published kinds, and no
// name, ID or free text of a Kommune appears. MID and KITU see every
// Kommune; a Kommune its own figures beside the programme's.
func TestProgramSecurity(t *testing.T) {
	s := newTestServer(t)
	cat := s.seedCatalog(t, "1", 3)
	var pas []string
	for i := range 3 {
		pas = append(pas, s.submittedBaseline(t, cat, municipality.KindKREISFREIE_STADT, i, "NO"))
	}
	landkreise := [][]string{{"YES"}, {"YES", "NO"}, {"YES", "PARTIAL", "NO"}, {"NO", "YES"}, {"YES"}, {"PARTIAL", "YES", "YES", "NO"}}
	for i, st := range landkreise {
		pas = append(pas, s.submittedBaseline(t, cat, municipality.KindLANDKREIS, i, st...))
	}
	for i := range 2 {
		pas = append(pas, s.submittedBaseline(t, cat, municipality.KindEINHEITSGEMEINDE, i, "YES"))
	}
	program := s.programID(t)
	bsi := s.token(t, "BSI", "")
	vars := map[string]any{"pg": program}

	r := s.post(t, bsi, pictureQuery, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("BSI: %s", r.Raw)
	}
	var p gqlPicture
	if err := json.Unmarshal(r.Data, &p); err != nil {
		t.Fatal(err)
	}
	ps := p.ProgramSecurity
	if !ps.Anonymised || ps.Kommunen != 6 {
		t.Fatalf("BSI picture: %s", r.Raw)
	}
	sum := 0
	for _, k := range ps.ByKind {
		switch {
		case k.MunicipalityKind == "LANDKREIS":
			if k.Kommunen == nil || *k.Kommunen != 6 || k.Withheld != nil {
				t.Errorf("Landkreise: %+v", k)
			}
			sum += *k.Kommunen
		case k.Kommunen != nil || k.Withheld == nil:
			t.Errorf("%s is shown: %+v", k.MunicipalityKind, k)
		}
	}
	if sum != ps.Kommunen {
		t.Errorf("the whole (%d) is not the sum of the published kinds (%d)", ps.Kommunen, sum)
	}
	backup := ps.Checklists[0]
	if backup.Number != 3 || *backup.Kommunen != 6 || *backup.FullyFulfilled != 2 || backup.Fulfilled.Max != "100.00" || backup.Fulfilled.Min != "33.33" {
		t.Errorf("Backup: %+v %+v", backup, backup.Fulfilled)
	}
	for _, g := range ps.MostOftenNo {
		if g.Kommunen != nil && *g.Kommunen < 5 || g.Kommunen == nil && g.Withheld == nil {
			t.Errorf("gap figure from fewer than 5: %+v", g)
		}
	}
	for _, pa := range pas {
		m := s.DB.Client.Participation.GetX(bg(), pulid.ID(pa)).QueryMunicipality().OnlyX(bg())
		for _, leak := range []string{pa, string(m.ID), m.Name, deref(m.Ags)} {
			if leak != "" && strings.Contains(r.Raw, leak) {
				t.Errorf("the BSI's picture names a Kommune (%q)", leak)
			}
		}
	}
	// The BSI reads nothing else.
	s.fails(t, bsi, `query($pg: ID!) { programSecurity(programID: $pg, kind: BASELINE) { perKommune { participation { id } } } }`, vars, "FORBIDDEN")
	s.fails(t, bsi, `{ participations { totalCount } }`, nil, "FORBIDDEN")
	s.fails(t, bsi, `{ assessments { totalCount } }`, nil, "FORBIDDEN")
	// node answers an existing and a made-up ID alike.
	real := s.post(t, bsi, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": pas[0]})
	madeUp := s.post(t, bsi, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "PA01JD3K8Z6W8M2X1Q4R5T7V9B0C"})
	if real.Raw != madeUp.Raw || len(real.Errors) == 0 {
		t.Errorf("node tells the BSI which IDs exist: %s / %s", real.Raw, madeUp.Raw)
	}

	// MID sees every Kommune, in a constant number of statements.
	ministry := s.token(t, "MINISTRY", "")
	full := `query($pg: ID!) { programSecurity(programID: $pg, kind: BASELINE) { anonymised kommunen
	  perKommune { participation { id } checklists { number score { yes no } } } } }`
	var m gqlPicture
	s.must(t, ministry, full, vars, &m) // the token's first use is written once
	s.Counter.Reset()
	s.must(t, ministry, full, vars, &m)
	statements := s.Counter.Count()
	if m.ProgramSecurity.Anonymised || m.ProgramSecurity.Kommunen != 11 || len(m.ProgramSecurity.PerKommune) != 11 {
		t.Fatalf("MID picture: %+v", m.ProgramSecurity)
	}
	// The token, the programme, the counts, the questions most often NO,
	// the participations of perKommune.
	if statements > 5 {
		t.Errorf("the picture cost %d statements", statements)
	}
	t.Logf("programSecurity with perKommune: %d statements for 11 Kommunen", statements)

	// A Kommune: its own figures, the programme's anonymised ones.
	own, _ := s.kommuneTokens(t, pas[3])
	var o gqlPicture
	s.must(t, own, `query($pg: ID!) { programSecurity(programID: $pg, kind: BASELINE) { anonymised kommunen own { participation { id } } } }`, vars, &o)
	if !o.ProgramSecurity.Anonymised || o.ProgramSecurity.Own == nil || o.ProgramSecurity.Own.Participation.ID != pas[3] {
		t.Errorf("own picture: %+v", o.ProgramSecurity)
	}
	s.fails(t, own, full, vars, "FORBIDDEN")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
