// Package assessment holds the WiBA assessments of the participations: an
// assessment against one catalogue, its answers (each with its history),
// the assessment's life from IN_PROGRESS to CONFIRMED, and its score.
//
// Who may do what: the contractor conducts (creates, answers, submits,
// reopens) the assessments it is assigned to — a CONTRACTOR token of one
// consultant only that consultant's; the Kommune confirms or returns its
// own; ADMIN everything. Reading follows the row matrix (ent privacy).
//
// Errors: NOT_FOUND for what the viewer cannot see, FORBIDDEN for an
// assessment of another consultant, CONFLICT for a step the status does not
// allow, VALIDATION for bad input (naming the answer or row).
package assessment

import (
	"context"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/catalog"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Service conducts assessments.
type Service struct {
	Dialect store.Dialect
	Now     func() time.Time
}

// CreateInput is a new assessment.
type CreateInput struct {
	ParticipationID pulid.ID
	CatalogID       pulid.ID
	Kind            types.AssessmentKind
	// ConsultantID conducts it; a consultant's own token may leave it out.
	ConsultantID *pulid.ID
	// AppointmentID is the on-site appointment, one of the participation's.
	AppointmentID *pulid.ID
}

// Create starts an assessment with every question of its catalogue OPEN.
// A participation has one of each kind; a FOLLOW_UP needs a submitted
// BASELINE.
func (s *Service) Create(ctx context.Context, c *ent.Client, in CreateInput) (*ent.Assessment, error) {
	v := auth.FromContext(ctx)
	if in.ConsultantID == nil && v != nil && v.ConsultantID != nil {
		in.ConsultantID = v.ConsultantID
	}
	if err := mayConduct(v, in.ConsultantID); err != nil {
		return nil, err
	}
	if _, err := c.Participation.Get(ctx, in.ParticipationID); ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "participation %s not found", in.ParticipationID)
	} else if err != nil {
		return nil, err
	}
	if err := checkCatalogAndPeople(ctx, c, in); err != nil {
		return nil, err
	}
	if err := checkKind(ctx, c, in); err != nil {
		return nil, err
	}
	reqs, err := c.Requirement.Query().Where(requirement.CatalogID(in.CatalogID)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	a, err := c.Assessment.Create().SetParticipationID(in.ParticipationID).SetCatalogID(in.CatalogID).
		SetKind(in.Kind).SetNillableConsultantID(in.ConsultantID).SetNillableAppointmentID(in.AppointmentID).Save(ctx)
	if err != nil {
		return nil, err
	}
	// The OPEN answers: one statement, and one for their audit events.
	buf := &auth.AuditBuffer{}
	bctx := buf.Context(ctx)
	builders := make([]*ent.AnswerCreate, len(reqs))
	for i, r := range reqs {
		builders[i] = c.Answer.Create().SetAssessmentID(a.ID).SetRequirementID(r)
	}
	for from := 0; from < len(builders); from += answerBatch {
		to := min(from+answerBatch, len(builders))
		if err := c.Answer.CreateBulk(builders[from:to]...).Exec(bctx); err != nil {
			return nil, err
		}
	}
	if err := buf.Flush(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// answerBatch bounds the rows of one INSERT (SQLite's default limit of
// bound parameters is 32,766; an answer row has ten columns).
const answerBatch = 1000

func checkCatalogAndPeople(ctx context.Context, c *ent.Client, in CreateInput) error {
	n, err := c.Catalog.Query().Where(catalog.ID(in.CatalogID)).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(apperr.NotFound, "catalogue %s not found", in.CatalogID)
	}
	if in.ConsultantID != nil {
		if _, err := c.Consultant.Get(ctx, *in.ConsultantID); ent.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "consultant %s not found", *in.ConsultantID)
		} else if err != nil {
			return err
		}
	}
	if in.AppointmentID != nil {
		n, err := c.Appointment.Query().Where(appointment.ID(*in.AppointmentID),
			appointment.HasParticipationsWith(participation.ID(in.ParticipationID))).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Validation, "appointment %s is not one of this participation's", *in.AppointmentID)
		}
	}
	return nil
}

func checkKind(ctx context.Context, c *ent.Client, in CreateInput) error {
	others, err := c.Assessment.Query().Where(assessment.ParticipationID(in.ParticipationID)).All(ctx)
	if err != nil {
		return err
	}
	var baseline *ent.Assessment
	for _, o := range others {
		if o.Kind == in.Kind {
			return apperr.New(apperr.Conflict, "the participation has a %s assessment already (%s)", in.Kind, o.ID)
		}
		if o.Kind == types.AssessmentBaseline {
			baseline = o
		}
	}
	if in.Kind == types.AssessmentFollowUp && (baseline == nil || !Submitted(baseline.Status)) {
		return apperr.New(apperr.Conflict, "a FOLLOW_UP needs a submitted BASELINE first")
	}
	return nil
}

// mayConduct lets ADMIN and the contractor conduct an assessment; a token
// of one consultant only that consultant's.
func mayConduct(v *auth.Viewer, consultant *pulid.ID) error {
	switch {
	case v.Is(types.RoleAdmin):
		return nil
	case v.Is(types.RoleContractor):
		if v.ConsultantID != nil && (consultant == nil || *consultant != *v.ConsultantID) {
			return apperr.New(apperr.Forbidden, "the assessment is conducted by another consultant")
		}
		return nil
	}
	return apperr.New(apperr.Forbidden, "only the contractor conducts assessments")
}

// get reads an assessment the viewer may see.
func get(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Assessment, error) {
	a, err := c.Assessment.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "assessment %s not found", id)
	}
	return a, err
}

// Move takes an action on an assessment: Submit and Reopen by whoever
// conducts it, Confirm and Return by the Kommune (or ADMIN). Submitting
// needs every question answered; returning needs a reason.
func (s *Service) Move(ctx context.Context, c *ent.Client, id pulid.ID, act Action, reason string) (*ent.Assessment, error) {
	a, err := get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx)
	switch act {
	case Submit, Reopen:
		err = mayConduct(v, a.ConsultantID)
	default:
		if !v.Is(types.RoleAdmin, types.RoleMunicipality) {
			err = apperr.New(apperr.Forbidden, "only the Kommune confirms or returns its assessment")
		}
	}
	if err != nil {
		return nil, err
	}
	to, err := Next(a.Status, act)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	u := c.Assessment.UpdateOne(a).SetStatus(to)
	switch act {
	case Submit:
		if err := s.checkAnswered(ctx, c, a.ID); err != nil {
			return nil, err
		}
		u.SetSubmittedAt(now).ClearReturnedAt().ClearReturnReason()
	case Confirm:
		u.SetConfirmedAt(now)
	case Return:
		if reason == "" {
			return nil, apperr.New(apperr.Validation, "returning an assessment needs a reason")
		}
		u.SetReturnedAt(now).SetReturnReason(reason)
	}
	return u.Save(ctx)
}

func (s *Service) checkAnswered(ctx context.Context, c *ent.Client, id pulid.ID) error {
	sc, err := Scores(ctx, c, s.Dialect, []pulid.ID{id})
	if err != nil {
		return err
	}
	if open := sc[id].Overall().Open; open > 0 {
		return apperr.New(apperr.Validation, "%d questions are still OPEN; answer every question before submitting", open).
			With("open", open)
	}
	return nil
}
