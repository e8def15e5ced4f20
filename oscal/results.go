package oscal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// AssessmentResults is what WriteAssessmentResults writes: one WiBA
// assessment of a Kommune against one catalogue.
type AssessmentResults struct {
	Catalog    CatalogRef
	Assessment Assessment
	Kommune    Kommune
	// Answers are the answers to the catalogue's questions, in the order
	// of the catalogue; one per reference.
	Answers []Answer
	// Generated is the time of the export: the document's last-modified.
	Generated time.Time
}

// CatalogRef names the catalogue the assessment was answered against.
type CatalogRef struct {
	// ID is the stored catalogue's ID.
	ID            string
	Name, Version string
	// Href, if set, locates the catalogue's OSCAL document.
	Href string
}

// Assessment is the assessment itself.
type Assessment struct {
	ID     string
	Kind   types.AssessmentKind
	Status types.AssessmentStatus
	// Started is when the assessment was created.
	Started                  time.Time
	SubmittedAt, ConfirmedAt *time.Time
	// Consultant is the name of the consultant who conducts it, if any.
	Consultant string
}

// Kommune is the assessed Kommune.
type Kommune struct {
	Name string
	// AGS is its Amtlicher Gemeindeschlüssel (may be empty: a
	// Verbandsgemeinde has none).
	AGS string
}

// Answer is the answer to one question.
type Answer struct {
	// Ref is the question's reference in the catalogue ("Backup-3").
	Ref                 string
	Status              types.AnswerStatus
	Note, Justification string
	// AnsweredBy and AnsweredAt say who answered last, and when.
	AnsweredBy string
	AnsweredAt *time.Time
}

// The programme's scheme of party identifiers: the AGS of a Kommune.
const agsScheme = NS + "/ags"

// How an answer becomes a finding's target status: the state (OSCAL has
// satisfied and not-satisfied only), its reason, the implementation
// status (if one fits) and the German label of titles and descriptions.
//
//	YES             satisfied      pass   implemented
//	PARTIAL         not-satisfied  fail   partial
//	NO              not-satisfied  fail   -
//	NOT_APPLICABLE  satisfied      other  not-applicable (justified: the
//	                                      requirement is dispensable, as
//	                                      WiBA's "entbehrlich")
//	OPEN            not-satisfied  other  - (not yet shown to be met)
//
// Every finding also carries the exact answer as the prop "answer" (NS).
var answerStates = map[types.AnswerStatus]struct{ state, reason, implementation, label string }{
	types.AnswerYes:           {"satisfied", "pass", "implemented", "ja"},
	types.AnswerPartial:       {"not-satisfied", "fail", "partial", "teilweise"},
	types.AnswerNo:            {"not-satisfied", "fail", "", "nein"},
	types.AnswerNotApplicable: {"satisfied", "other", "not-applicable", "entbehrlich"},
	types.AnswerOpen:          {"not-satisfied", "other", "", "offen, noch nicht beantwortet"},
}

var kindTitles = map[types.AssessmentKind]string{
	types.AssessmentBaseline: "IST-Erhebung",
	types.AssessmentFollowUp: "Nacherhebung nach den Maßnahmen",
}

// The assessment-results model, as far as it is written.
type (
	arDocument struct {
		AssessmentResults arRoot `json:"assessment-results"`
	}
	arRoot struct {
		UUID       string      `json:"uuid"`
		Metadata   Metadata    `json:"metadata"`
		ImportAP   arImportAP  `json:"import-ap"`
		Results    []arResult  `json:"results"`
		BackMatter *BackMatter `json:"back-matter,omitempty"`
	}
	arImportAP struct {
		Href    string `json:"href"`
		Remarks string `json:"remarks,omitempty"`
	}
	arResult struct {
		UUID             string             `json:"uuid"`
		Title            string             `json:"title"`
		Description      string             `json:"description"`
		Start            string             `json:"start"`
		End              string             `json:"end,omitempty"`
		Props            []Property         `json:"props,omitempty"`
		ReviewedControls arReviewedControls `json:"reviewed-controls"`
		Observations     []arObservation    `json:"observations,omitempty"`
		Findings         []arFinding        `json:"findings,omitempty"`
	}
	arReviewedControls struct {
		ControlSelections []arControlSelection `json:"control-selections"`
	}
	arControlSelection struct {
		IncludeAll      *struct{}         `json:"include-all,omitempty"`
		IncludeControls []arSelectControl `json:"include-controls,omitempty"`
	}
	arSelectControl struct {
		ControlID    string   `json:"control-id"`
		StatementIDs []string `json:"statement-ids,omitempty"`
	}
	arOrigin struct {
		Actors []arActor `json:"actors"`
	}
	arActor struct {
		Type      string `json:"type"`
		ActorUUID string `json:"actor-uuid"`
		RoleID    string `json:"role-id,omitempty"`
	}
	arObservation struct {
		UUID        string     `json:"uuid"`
		Title       string     `json:"title,omitempty"`
		Description string     `json:"description"`
		Props       []Property `json:"props,omitempty"`
		Methods     []string   `json:"methods"`
		Types       []string   `json:"types,omitempty"`
		Origins     []arOrigin `json:"origins,omitempty"`
		Collected   string     `json:"collected"`
	}
	arFinding struct {
		UUID                string                 `json:"uuid"`
		Title               string                 `json:"title"`
		Description         string                 `json:"description"`
		Props               []Property             `json:"props,omitempty"`
		Origins             []arOrigin             `json:"origins,omitempty"`
		Target              arTarget               `json:"target"`
		RelatedObservations []arRelatedObservation `json:"related-observations,omitempty"`
	}
	arRelatedObservation struct {
		ObservationUUID string `json:"observation-uuid"`
	}
	arTarget struct {
		Type                 string                  `json:"type"`
		TargetID             string                  `json:"target-id"`
		Status               arTargetStatus          `json:"status"`
		ImplementationStatus *arImplementationStatus `json:"implementation-status,omitempty"`
	}
	arTargetStatus struct {
		State   string `json:"state"`
		Reason  string `json:"reason,omitempty"`
		Remarks string `json:"remarks,omitempty"`
	}
	arImplementationStatus struct {
		State string `json:"state"`
	}
)

// WriteAssessmentResults writes one assessment as OSCAL 1.0.6 assessment
// results (JSON), valid against the official schema; uuid gives the
// document's UUIDs (NewUUID in production, a deterministic one in tests).
//
// The document: metadata with the Kommune (an organisation, its AGS as an
// external ID in the scheme NS+"/ags"), the consultant and whoever
// answered (persons), and the assessment's ID, kind and status as props;
// metadata.version is the status at export (a CONFIRMED export is the
// final one). There is no assessment plan: import-ap points at the back
// matter's resource that names the catalogue (its ID, name, version and,
// if given, Href). One result: the assessment, from Started to its
// confirmation (or submission), reviewing the controls of the answers.
// Each answer is a finding whose target is the statement of its control
// (type statement-id, StatementID(ref)), its state as answerStates says,
// the justification as the status's remarks, the note as the
// description; an answer with a time is also an observation (an
// interview, collected then, by whoever answered).
//
// Errors (VALIDATION): an unknown kind, status or answer status, an
// empty or repeated reference, times outside the years 1900–2999, no
// Generated time.
func WriteAssessmentResults(ar AssessmentResults, uuid func() string) ([]byte, error) {
	if err := checkResults(ar); err != nil {
		return nil, err
	}
	a := ar.Assessment
	doc := arRoot{UUID: uuid()}
	md := Metadata{
		Title:        fmt.Sprintf("WiBA-%s %s", kindTitles[a.Kind], String(ar.Kommune.Name)),
		LastModified: Time(ar.Generated),
		Version:      string(a.Status),
		OSCALVersion: Version,
		Props: []Property{
			Prop("assessment-id", String(a.ID)),
			Prop("assessment-kind", string(a.Kind)),
			Prop("assessment-status", string(a.Status)),
		},
		Roles: []Role{
			{ID: "kommune", Title: "Erhobene Kommune"},
			{ID: "assessor", Title: "Beraterin oder Berater des Auftragnehmers"},
			{ID: "respondent", Title: "Antwortende Person"},
		},
	}
	if md.Props[0].Value == "" {
		md.Props = md.Props[1:]
	}
	kommune := Party{UUID: uuid(), Type: "organization", Name: String(ar.Kommune.Name)}
	if ags := String(ar.Kommune.AGS); ags != "" {
		kommune.ExternalIDs = []ExternalID{{Scheme: agsScheme, ID: ags}}
	}
	md.Parties = []Party{kommune}
	md.ResponsibleParties = []ResponsibleParty{{RoleID: "kommune", PartyUUIDs: []string{kommune.UUID}}}
	people := map[string]string{} // name → party UUID
	person := func(name string) string {
		name = String(name)
		if name == "" {
			return ""
		}
		if id, ok := people[name]; ok {
			return id
		}
		id := uuid()
		people[name] = id
		md.Parties = append(md.Parties, Party{UUID: id, Type: "person", Name: name})
		return id
	}
	if id := person(a.Consultant); id != "" {
		md.ResponsibleParties = append(md.ResponsibleParties, ResponsibleParty{RoleID: "assessor", PartyUUIDs: []string{id}})
	}

	catRes := Resource{
		UUID:        uuid(),
		Title:       fmt.Sprintf("%s, Version %s", ar.Catalog.Name, ar.Catalog.Version),
		Description: "Der Katalog, gegen den erhoben wurde.",
		Props:       []Property{Prop("type", "catalog")},
	}
	if id := String(ar.Catalog.ID); id != "" {
		catRes.Props = append(catRes.Props, Prop("catalog-id", id))
	}
	if v := String(ar.Catalog.Version); v != "" {
		catRes.Props = append(catRes.Props, Prop("catalog-version", v))
	}
	if h := String(ar.Catalog.Href); h != "" {
		catRes.RLinks = []RLink{{Href: h, MediaType: "application/oscal.catalog+json"}}
	}
	doc.ImportAP = arImportAP{Href: "#" + catRes.UUID,
		Remarks: "Die Erhebung folgt keinem eigenen Assessment-Plan, sondern dem Katalog dieser Ressource."}
	doc.BackMatter = &BackMatter{Resources: []Resource{catRes}}

	res := arResult{
		UUID:  uuid(),
		Title: kindTitles[a.Kind],
		Description: fmt.Sprintf("WiBA-%s der Kommune %s gegen den Katalog %s, Version %s.",
			kindTitles[a.Kind], String(ar.Kommune.Name), String(ar.Catalog.Name), String(ar.Catalog.Version)),
		Start: Time(a.Started),
	}
	if a.SubmittedAt != nil {
		res.Props = append(res.Props, Prop("submitted-at", Time(*a.SubmittedAt)))
	}
	if a.ConfirmedAt != nil {
		res.Props = append(res.Props, Prop("confirmed-at", Time(*a.ConfirmedAt)))
	}
	switch {
	case a.ConfirmedAt != nil:
		res.End = Time(*a.ConfirmedAt)
	case a.SubmittedAt != nil:
		res.End = Time(*a.SubmittedAt)
	}
	if len(ar.Answers) == 0 {
		res.ReviewedControls.ControlSelections = []arControlSelection{{IncludeAll: &struct{}{}}}
	} else {
		sel := arControlSelection{}
		for _, an := range ar.Answers {
			sel.IncludeControls = append(sel.IncludeControls, arSelectControl{ControlID: ControlID(an.Ref), StatementIDs: []string{StatementID(an.Ref)}})
		}
		res.ReviewedControls.ControlSelections = []arControlSelection{sel}
	}
	for _, an := range ar.Answers {
		st := answerStates[an.Status]
		ref := strings.TrimSpace(an.Ref)
		description := strings.TrimSpace(an.Note)
		if description == "" {
			description = "Antwort: " + st.label + "."
		}
		var origins []arOrigin
		if id := person(an.AnsweredBy); id != "" {
			origins = []arOrigin{{Actors: []arActor{{Type: "party", ActorUUID: id, RoleID: "respondent"}}}}
		}
		f := arFinding{
			UUID:        uuid(),
			Title:       fmt.Sprintf("%s: %s", ref, st.label),
			Description: description,
			Props:       []Property{Prop("answer", string(an.Status))},
			Origins:     origins,
			Target: arTarget{
				Type:     "statement-id",
				TargetID: StatementID(an.Ref),
				Status:   arTargetStatus{State: st.state, Reason: st.reason, Remarks: strings.TrimSpace(an.Justification)},
			},
		}
		if st.implementation != "" {
			f.Target.ImplementationStatus = &arImplementationStatus{State: st.implementation}
		}
		if an.AnsweredAt != nil {
			o := arObservation{
				UUID:        uuid(),
				Title:       "Antwort zu " + ref,
				Description: description,
				Props:       []Property{Prop("answer", string(an.Status))},
				Methods:     []string{"INTERVIEW"},
				Types:       []string{"control-objective"},
				Origins:     origins,
				Collected:   Time(*an.AnsweredAt),
			}
			res.Observations = append(res.Observations, o)
			f.RelatedObservations = []arRelatedObservation{{ObservationUUID: o.UUID}}
		}
		res.Findings = append(res.Findings, f)
	}
	doc.Metadata = md
	doc.Results = []arResult{res}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(arDocument{AssessmentResults: doc}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkResults refuses what the document could not say.
func checkResults(ar AssessmentResults) error {
	a := ar.Assessment
	if _, ok := kindTitles[a.Kind]; !ok {
		return apperr.New(apperr.Validation, "assessment kind %q is not one of BASELINE, FOLLOW_UP", a.Kind)
	}
	if !valid(a.Status, types.AssessmentStatus("").Values()) {
		return apperr.New(apperr.Validation, "assessment status %q is not one of %s", a.Status, strings.Join(types.AssessmentStatus("").Values(), ", "))
	}
	times := map[string]*time.Time{"the export time": &ar.Generated, "the assessment's start": &a.Started,
		"the submission": a.SubmittedAt, "the confirmation": a.ConfirmedAt}
	for _, an := range ar.Answers {
		if an.AnsweredAt != nil {
			times["the answer to "+an.Ref] = an.AnsweredAt
		}
	}
	for what, t := range times {
		if t != nil && (t.UTC().Year() < 1900 || t.UTC().Year() > 2999) {
			return apperr.New(apperr.Validation, "%s (%s) is not in the years 1900 to 2999", what, t.UTC().Format(time.RFC3339))
		}
	}
	seen := map[string]string{} // control ID → reference
	for i, an := range ar.Answers {
		ref := strings.TrimSpace(an.Ref)
		if ref == "" {
			return apperr.New(apperr.Validation, "answer %d has no reference", i+1)
		}
		if _, ok := answerStates[an.Status]; !ok {
			return apperr.New(apperr.Validation, "answer to %s: status %q is not one of %s", ref, an.Status, strings.Join(types.AnswerStatus("").Values(), ", "))
		}
		if other, dup := seen[ControlID(ref)]; dup {
			return apperr.New(apperr.Validation, "answer to %s: the question %s is answered twice (control %s)", ref, other, ControlID(ref))
		}
		seen[ControlID(ref)] = ref
	}
	return nil
}

func valid[T ~string](v T, values []string) bool {
	for _, x := range values {
		if string(v) == x {
			return true
		}
	}
	return false
}
