package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"sicherkommunal/assessment"
	"sicherkommunal/auth"
	"sicherkommunal/catalog"
	"sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/cataloggroup"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/store"
)

// demoCatalogue is the demonstration catalogue as stored: its ID and its
// questions with their checklists' processing-order group.
type demoCatalogue struct {
	id        pulid.ID
	questions []demoQuestion
}

type demoQuestion struct {
	id       pulid.ID
	priority int
}

// demoCatalog stores the demonstration catalogue (the team's own
// questions, no BSI text) unless it is stored: catalog.Service.Import
// returns the stored one for the same content.
func demoCatalog(ctx context.Context, c *ent.Client, now time.Time) (*demoCatalogue, error) {
	cat, err := (&catalog.Service{Now: func() time.Time { return now }}).Import(ctx, c, catalog.Demo())
	if err != nil {
		return nil, err
	}
	groups, err := c.CatalogGroup.Query().Where(cataloggroup.CatalogID(cat.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	priority := map[pulid.ID]int{}
	for _, g := range groups {
		priority[g.ID] = g.Priority
	}
	reqs, err := c.Requirement.Query().Where(requirement.CatalogID(cat.ID)).Order(requirement.ByGroupID(), requirement.ByNumber()).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &demoCatalogue{id: cat.ID}
	for _, r := range reqs {
		out.questions = append(out.questions, demoQuestion{id: r.ID, priority: priority[r.GroupID]})
	}
	return out, nil
}

// demoAssessments gives the i-th demo participation the WiBA assessments
// its steps imply, conducted by its consultant and confirmed by the
// Kommune through the assessment rules, each on its day:
//   - ONSITE_ASSESSMENT done: a BASELINE submitted that day; the Kommune
//     confirms it a few days later, except every sixth (still waiting, so
//     some wait longer than 14 days) and every thirteenth (returned with
//     a reason);
//   - not done yet, in stage 1 or 2: a BASELINE in progress, partly
//     answered;
//   - MEASURES_IMPLEMENTED done: a FOLLOW_UP, better than the baseline,
//     submitted and confirmed.
//
// How well a Kommune does comes from a generator of its own: a maturity
// between 35 % and 80 %, higher in the foundation (group 1), lower in
// group 4; about one question in twenty does not apply. The first
// measure of a Kommune with a baseline addresses three of its gaps.
func demoAssessments(ctx context.Context, c *ent.Client, d store.Dialect, cat *demoCatalogue, pa *ent.Participation,
	co *ent.Consultant, status participation.Status, i int, now time.Time) error {
	if status == participation.StatusWITHDRAWN || status == participation.StatusREGISTERED {
		return nil
	}
	steps, err := c.Step.Query().Where(step.ParticipationID(pa.ID),
		step.KindIn(types.StepOnsiteAssessment, types.StepMeasuresImplemented)).All(ctx)
	if err != nil {
		return err
	}
	done := map[types.StepKind]*time.Time{}
	for _, st := range steps {
		done[st.Kind] = st.CompletedAt
	}
	m, err := c.Participation.QueryMunicipality(pa).Only(ctx)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2028, uint64(i)))
	at := now
	svc := &assessment.Service{Dialect: d, Now: func() time.Time { return at }}
	consultant := auth.NewContext(ctx, &auth.Viewer{Name: co.Name, Role: types.RoleContractor, ConsultantID: &co.ID})
	kommune := auth.NewContext(ctx, &auth.Viewer{Name: "Informationssicherheit " + m.Name, Role: types.RoleMunicipality, MunicipalityID: &m.ID})

	onsite := done[types.StepOnsiteAssessment]
	baseline := demoAnswers(cat, rng, 0.35+0.45*rng.Float64())
	if onsite == nil {
		// On site now: the first checklists are answered.
		at = now.Add(-2 * time.Hour)
		a, err := svc.Create(consultant, c, assessment.CreateInput{ParticipationID: pa.ID, CatalogID: cat.id, Kind: types.AssessmentBaseline, ConsultantID: &co.ID})
		if err != nil {
			return err
		}
		_, err = svc.SaveAnswers(consultant, c, a.ID, baseline[:len(baseline)/3], assessment.ViaSave)
		return err
	}
	a, err := demoSubmitted(consultant, c, svc, &at, cat, pa, co, types.AssessmentBaseline, baseline, onsite.Add(-26*time.Hour), *onsite)
	if err != nil {
		return err
	}
	if err := demoAddressGaps(ctx, c, pa, a); err != nil {
		return err
	}
	switch answer := onsite.AddDate(0, 0, 2+rng.IntN(8)); {
	case i%13 == 5 && answer.Before(now):
		at = answer
		a, err = svc.Move(kommune, c, a.ID, assessment.Return, "Backup: die Sicherung im Rechenzentrum des Landkreises fehlt in den Antworten; bitte ergänzen.")
	case i%6 != 3 && answer.Before(now):
		at = answer
		a, err = svc.Move(kommune, c, a.ID, assessment.Confirm, "")
	}
	if err != nil || done[types.StepMeasuresImplemented] == nil || !assessment.Submitted(a.Status) {
		return err
	}
	// The follow-up after the measures, never before the baseline.
	day := *done[types.StepMeasuresImplemented]
	if day.Before(onsite.Add(2 * time.Hour)) {
		day = onsite.Add(2 * time.Hour)
	}
	if day.After(now) {
		day = now
	}
	from := day.Add(-26 * time.Hour)
	if from.Before(onsite.Add(time.Hour)) {
		from = onsite.Add(time.Hour)
	}
	f, err := demoSubmitted(consultant, c, svc, &at, cat, pa, co, types.AssessmentFollowUp, demoImproved(baseline, rng), from, day)
	if err != nil {
		return err
	}
	if confirm := day.AddDate(0, 0, 3); confirm.Before(now) || day.Before(now.Add(-time.Minute)) {
		at = confirm
		if at.After(now) {
			at = now
		}
		_, err = svc.Move(kommune, c, f.ID, assessment.Confirm, "")
	}
	return err
}

// demoSubmitted creates an assessment at from, answers it a checklist's
// worth at a time until day and submits it on day.
func demoSubmitted(ctx context.Context, c *ent.Client, svc *assessment.Service, at *time.Time, cat *demoCatalogue,
	pa *ent.Participation, co *ent.Consultant, kind types.AssessmentKind, answers []assessment.AnswerInput, from, day time.Time) (*ent.Assessment, error) {
	*at = from
	a, err := svc.Create(ctx, c, assessment.CreateInput{ParticipationID: pa.ID, CatalogID: cat.id, Kind: kind, ConsultantID: &co.ID})
	if err != nil {
		return nil, err
	}
	const size = 25
	saves := (len(answers) + size - 1) / size
	for n := 0; n < saves; n++ {
		*at = from.Add(day.Sub(from) * time.Duration(n+1) / time.Duration(saves+1))
		part := answers[n*size : min((n+1)*size, len(answers))]
		if _, err := svc.SaveAnswers(ctx, c, a.ID, part, assessment.ViaSave); err != nil {
			return nil, err
		}
	}
	*at = day
	if a, err = svc.Move(ctx, c, a.ID, assessment.Submit, ""); err != nil {
		return nil, fmt.Errorf("submit %s: %w", kind, err)
	}
	return a, nil
}

// demoAnswers answers every question of the catalogue for a Kommune of
// the given maturity (the chance of a YES).
func demoAnswers(cat *demoCatalogue, rng *rand.Rand, maturity float64) []assessment.AnswerInput {
	out := make([]assessment.AnswerInput, len(cat.questions))
	for k, q := range cat.questions {
		yes := maturity + []float64{0, 0.12, 0.04, -0.04, -0.12}[q.priority]
		a := assessment.AnswerInput{RequirementID: q.id}
		switch r := rng.Float64(); {
		case r < 0.05:
			a.Status, a.Justification = types.AnswerNotApplicable, "In der Verwaltung nicht im Einsatz."
		case r < 0.05+0.95*yes:
			a.Status = types.AnswerYes
		case rng.IntN(2) == 0:
			a.Status, a.Note = types.AnswerPartial, "Teilweise umgesetzt; Dokumentation fehlt."
		default:
			a.Status = types.AnswerNo
		}
		out[k] = a
	}
	return out
}

// demoImproved is the follow-up of a baseline: most gaps closed, now and
// then a YES that no longer holds.
func demoImproved(baseline []assessment.AnswerInput, rng *rand.Rand) []assessment.AnswerInput {
	out := make([]assessment.AnswerInput, len(baseline))
	for k, a := range baseline {
		r := rng.Float64()
		switch {
		case a.Status == types.AnswerNo && r < 0.55, a.Status == types.AnswerPartial && r < 0.65:
			a.Status, a.Note = types.AnswerYes, "Mit dem Maßnahmenpaket umgesetzt."
		case a.Status == types.AnswerNo && r < 0.8:
			a.Status, a.Note = types.AnswerPartial, "Begonnen, noch nicht abgeschlossen."
		case a.Status == types.AnswerYes && r < 0.03:
			a.Status, a.Note = types.AnswerPartial, "Nach dem Personalwechsel nicht mehr vollständig."
		}
		out[k] = a
	}
	return out
}

// demoAddressGaps lets the participation's first measure address up to
// three of the baseline's NO answers.
func demoAddressGaps(ctx context.Context, c *ent.Client, pa *ent.Participation, a *ent.Assessment) error {
	me, err := c.Measure.Query().Where(measure.ParticipationID(pa.ID)).Order(measure.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	gaps, err := c.Assessment.QueryAnswers(a).Where(answer.StatusEQ(types.AnswerNo)).Order(answer.ByID()).Limit(3).IDs(ctx)
	if err != nil || len(gaps) == 0 {
		return err
	}
	return c.Measure.UpdateOne(me).AddAddressIDs(gaps...).Exec(ctx)
}
