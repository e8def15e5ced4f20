package oscal_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/oscal"
	"sicherkommunal/oscal/oscaltest"
)

func seqUUID() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

func at(day, hour int) *time.Time {
	t := time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
	return &t
}

// results is a confirmed baseline with an answer of every status.
func results() oscal.AssessmentResults {
	return oscal.AssessmentResults{
		Catalog: oscal.CatalogRef{ID: "CA01JD3K8Z6W8M2X1Q4R5T7V9B0C", Name: "SicherKOMMUNAL Demonstrationskatalog (keine BSI-Texte)",
			Version: "2026.1", Href: "/oscal/catalogs/CA01JD3K8Z6W8M2X1Q4R5T7V9B0C.json"},
		Assessment: oscal.Assessment{ID: "AS01JD3K8Z6W8M2X1Q4R5T7V9B0D", Kind: types.AssessmentBaseline, Status: types.AssessmentConfirmed,
			Started: *at(2, 8), SubmittedAt: at(3, 16), ConfirmedAt: at(5, 9), Consultant: "Erika Beispiel"},
		Kommune: oscal.Kommune{Name: "Lutherstadt Eisleben", AGS: "15087130"},
		Answers: []oscal.Answer{
			{Ref: "Backup-1", Status: types.AnswerYes, Note: "Konzept vom 3.2.2026", AnsweredBy: "Erika Beispiel", AnsweredAt: at(2, 10)},
			{Ref: "Backup-2", Status: types.AnswerPartial, Note: "Nur ein Teil\nder Server", AnsweredBy: "Max Muster (IT)", AnsweredAt: at(2, 11)},
			{Ref: "Backup-3", Status: types.AnswerNo, AnsweredBy: "Erika Beispiel", AnsweredAt: at(2, 12)},
			{Ref: "Web-4", Status: types.AnswerNotApplicable, Justification: "Kein eigener Webauftritt: betreibt der Landkreis.", AnsweredBy: "Erika Beispiel", AnsweredAt: at(2, 13)},
			{Ref: "OPS.1.1.4 A1", Status: types.AnswerOpen},
		},
		Generated: *at(6, 7),
	}
}

func TestWriteAssessmentResultsValidatesAgainstTheOfficialSchema(t *testing.T) {
	minimal := results()
	minimal.Answers = nil
	minimal.Assessment = oscal.Assessment{ID: "AS1", Kind: types.AssessmentFollowUp, Status: types.AssessmentInProgress, Started: *at(2, 8)}
	minimal.Kommune = oscal.Kommune{Name: "Verbandsgemeinde Saale-Wipper"}
	minimal.Catalog = oscal.CatalogRef{Name: "K", Version: "1"}
	submitted := results()
	submitted.Assessment.Status, submitted.Assessment.ConfirmedAt = types.AssessmentSubmitted, nil
	for name, ar := range map[string]oscal.AssessmentResults{"confirmed": results(), "minimal": minimal, "submitted": submitted} {
		t.Run(name, func(t *testing.T) {
			doc, err := oscal.WriteAssessmentResults(ar, seqUUID())
			if err != nil {
				t.Fatal(err)
			}
			oscaltest.MustValidate(t, oscaltest.AssessmentResultsSchema, doc)
		})
	}
}

// TestAssessmentResultsSchemaCatchesMistakes makes sure the validation is
// real: the official schema refuses what a writer could get wrong.
func TestAssessmentResultsSchemaCatchesMistakes(t *testing.T) {
	doc, err := oscal.WriteAssessmentResults(results(), seqUUID())
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"unknown state":        {`"state": "not-satisfied"`, `"state": "partial"`},
		"unknown target type":  {`"type": "statement-id"`, `"type": "control-id"`},
		"target not a token":   {`"target-id": "backup-1_smt"`, `"target-id": "Backup 1"`},
		"no reviewed controls": {`"reviewed-controls"`, `"reviewed-kontrols"`},
		"party type":           {`"type": "organization"`, `"type": "kommune"`},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(string(doc), edit[0], edit[1], 1)
			if bad == string(doc) {
				t.Fatalf("the edit %q does not apply", edit[0])
			}
			if err := oscaltest.Validate(t, oscaltest.AssessmentResultsSchema, []byte(bad)); err == nil {
				t.Error("the schema accepts the broken document")
			}
		})
	}
}

type (
	finding struct {
		Title       string
		Description string
		Props       []oscal.Property
		Origins     []struct {
			Actors []struct {
				Type      string
				ActorUUID string `json:"actor-uuid"`
			}
		}
		Target struct {
			Type     string
			TargetID string `json:"target-id"`
			Status   struct{ State, Reason, Remarks string }
			Impl     *struct{ State string } `json:"implementation-status"`
		}
		Related []struct {
			ObservationUUID string `json:"observation-uuid"`
		} `json:"related-observations"`
	}
	document struct {
		AR struct {
			UUID     string
			Metadata oscal.Metadata
			ImportAP struct{ Href string } `json:"import-ap"`
			Results  []struct {
				Title, Description, Start, End string
				Props                          []oscal.Property
				Reviewed                       struct {
					Selections []struct {
						IncludeAll *struct{} `json:"include-all"`
						Include    []struct {
							ControlID    string   `json:"control-id"`
							StatementIDs []string `json:"statement-ids"`
						} `json:"include-controls"`
					} `json:"control-selections"`
				} `json:"reviewed-controls"`
				Observations []struct {
					UUID, Description, Collected string
					Methods                      []string
				}
				Findings []finding
			}
			BackMatter oscal.BackMatter `json:"back-matter"`
		} `json:"assessment-results"`
	}
)

func decode(t *testing.T, ar oscal.AssessmentResults) document {
	t.Helper()
	data, err := oscal.WriteAssessmentResults(ar, seqUUID())
	if err != nil {
		t.Fatal(err)
	}
	var d document
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFindings: each answer is a finding on its statement, in the state
// the mapping says, with the exact answer as a prop.
func TestFindings(t *testing.T) {
	d := decode(t, results())
	res := d.AR.Results[0]
	type want struct{ target, state, reason, impl, answer, title, description, remarks string }
	wants := []want{
		{"backup-1_smt", "satisfied", "pass", "implemented", "YES", "Backup-1: ja", "Konzept vom 3.2.2026", ""},
		{"backup-2_smt", "not-satisfied", "fail", "partial", "PARTIAL", "Backup-2: teilweise", "Nur ein Teil\nder Server", ""},
		{"backup-3_smt", "not-satisfied", "fail", "", "NO", "Backup-3: nein", "Antwort: nein.", ""},
		{"web-4_smt", "satisfied", "other", "not-applicable", "NOT_APPLICABLE", "Web-4: entbehrlich", "Antwort: entbehrlich.", "Kein eigener Webauftritt: betreibt der Landkreis."},
		{"ops.1.1.4-a1_smt", "not-satisfied", "other", "", "OPEN", "OPS.1.1.4 A1: offen, noch nicht beantwortet", "Antwort: offen, noch nicht beantwortet.", ""},
	}
	if len(res.Findings) != len(wants) {
		t.Fatalf("%d findings", len(res.Findings))
	}
	for i, w := range wants {
		f := res.Findings[i]
		impl := ""
		if f.Target.Impl != nil {
			impl = f.Target.Impl.State
		}
		got := want{f.Target.TargetID, f.Target.Status.State, f.Target.Status.Reason, impl, "", f.Title, f.Description, f.Target.Status.Remarks}
		for _, p := range f.Props {
			if p.Name == "answer" && p.NS == oscal.NS {
				got.answer = p.Value
			}
		}
		if got != w || f.Target.Type != "statement-id" {
			t.Errorf("finding %d: %+v (%s), want %+v", i, got, f.Target.Type, w)
		}
	}
	// Four answers have a time: four interviews, each its finding's.
	if len(res.Observations) != 4 {
		t.Fatalf("%d observations", len(res.Observations))
	}
	for i, o := range res.Observations {
		if res.Findings[i].Related[0].ObservationUUID != o.UUID || o.Methods[0] != "INTERVIEW" || o.Collected != fmt.Sprintf("2026-03-02T%d:00:00Z", 10+i) {
			t.Errorf("observation %d: %+v", i, o)
		}
	}
	if res.Findings[4].Related != nil || res.Findings[4].Origins != nil {
		t.Error("the open answer has an observation or an origin")
	}
	// Erika answered three times and conducts the assessment: one party.
	parties := map[string]string{}
	for _, p := range d.AR.Metadata.Parties {
		parties[p.UUID] = p.Name
	}
	if len(parties) != 3 {
		t.Errorf("parties %v", parties)
	}
	if a := res.Findings[0].Origins[0].Actors[0]; parties[a.ActorUUID] != "Erika Beispiel" || a.Type != "party" {
		t.Errorf("origin %+v", a)
	}
	if a := res.Findings[1].Origins[0].Actors[0]; parties[a.ActorUUID] != "Max Muster (IT)" {
		t.Errorf("origin %+v", a)
	}
	sel := res.Reviewed.Selections[0].Include
	if len(sel) != 5 || sel[1].ControlID != "backup-2" || sel[1].StatementIDs[0] != "backup-2_smt" {
		t.Errorf("reviewed controls %+v", sel)
	}
}

func TestAssessmentResultsDocument(t *testing.T) {
	d := decode(t, results())
	md := d.AR.Metadata
	if md.Title != "WiBA-IST-Erhebung Lutherstadt Eisleben" || md.Version != "CONFIRMED" || md.LastModified != "2026-03-06T07:00:00Z" || md.OSCALVersion != "1.0.6" {
		t.Errorf("metadata %+v", md)
	}
	kommune := md.Parties[0]
	if kommune.Type != "organization" || kommune.Name != "Lutherstadt Eisleben" || kommune.ExternalIDs[0].ID != "15087130" ||
		kommune.ExternalIDs[0].Scheme != oscal.NS+"/ags" {
		t.Errorf("Kommune %+v", kommune)
	}
	props := map[string]string{}
	for _, p := range md.Props {
		props[p.Name] = p.Value
	}
	if props["assessment-id"] != "AS01JD3K8Z6W8M2X1Q4R5T7V9B0D" || props["assessment-kind"] != "BASELINE" || props["assessment-status"] != "CONFIRMED" {
		t.Errorf("props %v", props)
	}
	res := d.AR.Results[0]
	if res.Title != "IST-Erhebung" || res.Start != "2026-03-02T08:00:00Z" || res.End != "2026-03-05T09:00:00Z" {
		t.Errorf("result %+v", res)
	}
	r := d.AR.BackMatter.Resources[0]
	if d.AR.ImportAP.Href != "#"+r.UUID || r.RLinks[0].Href != "/oscal/catalogs/CA01JD3K8Z6W8M2X1Q4R5T7V9B0C.json" ||
		!strings.Contains(r.Title, "Version 2026.1") {
		t.Errorf("import-ap %s, resource %+v", d.AR.ImportAP.Href, r)
	}
	followUp := results()
	followUp.Assessment.Kind = types.AssessmentFollowUp
	followUp.Answers = nil
	res = decode(t, followUp).AR.Results[0]
	if res.Title != "Nacherhebung nach den Maßnahmen" || res.Reviewed.Selections[0].IncludeAll == nil || res.Findings != nil {
		t.Errorf("a follow-up without answers: %+v", res)
	}
	// The same input, the same document.
	a, _ := oscal.WriteAssessmentResults(results(), seqUUID())
	b, _ := oscal.WriteAssessmentResults(results(), seqUUID())
	if string(a) != string(b) {
		t.Error("the document is not deterministic")
	}
	if uuids := regexp.MustCompile(`"(uuid|actor-uuid|observation-uuid)": "([^"]+)"`).FindAllStringSubmatch(string(a), -1); len(uuids) < 10 {
		t.Errorf("%d UUIDs", len(uuids))
	}
}

func TestWriteAssessmentResultsRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(ar *oscal.AssessmentResults)
		want string
	}{
		{"unknown kind", func(ar *oscal.AssessmentResults) { ar.Assessment.Kind = "AUDIT" }, `assessment kind "AUDIT"`},
		{"unknown status", func(ar *oscal.AssessmentResults) { ar.Assessment.Status = "DONE" }, `assessment status "DONE"`},
		{"unknown answer", func(ar *oscal.AssessmentResults) { ar.Answers[1].Status = "MAYBE" }, `answer to Backup-2: status "MAYBE"`},
		{"no ref", func(ar *oscal.AssessmentResults) { ar.Answers[2].Ref = " " }, "answer 3 has no reference"},
		{"ref twice", func(ar *oscal.AssessmentResults) { ar.Answers[2].Ref = "backup 1" }, "the question Backup-1 is answered twice"},
		{"no export time", func(ar *oscal.AssessmentResults) { ar.Generated = time.Time{} }, "the export time"},
		{"answered in 1899", func(ar *oscal.AssessmentResults) {
			*ar.Answers[0].AnsweredAt = time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "the answer to Backup-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ar := results()
			tc.edit(&ar)
			_, err := oscal.WriteAssessmentResults(ar, seqUUID())
			if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want VALIDATION with %q", err, tc.want)
			}
		})
	}
}
