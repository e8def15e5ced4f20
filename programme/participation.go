package programme

import (
	"context"
	"slices"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/assessment"
	"sicherkommunal/ent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/ledger"
)

// Service holds the programme rules. Now is the clock.
type Service struct {
	Now func() time.Time
}

// DueDates computes the due date of each step for a registration on
// registeredOn: the template's fixed date or registeredOn + offset, never
// before registration and never after the programme's end.
func DueDates(p *ent.Program, registeredOn time.Time) map[types.StepKind]time.Time {
	end := types.NormalizeDate(p.EndsOn)
	reg := types.NormalizeDate(registeredOn)
	out := make(map[types.StepKind]time.Time, len(p.StepTemplate))
	for _, it := range p.StepTemplate {
		due := reg.AddDate(0, 0, it.OffsetDays)
		if it.DueOn != nil {
			due = types.NormalizeDate(*it.DueOn)
		}
		if due.After(end) {
			due = end
		}
		if due.Before(reg) {
			due = reg
		}
		out[it.Kind] = due
	}
	return out
}

// Register registers a municipality for a programme and creates its nine
// steps from the programme's step template, in the client's transaction.
// Errors: NOT_FOUND (programme or municipality), VALIDATION (date outside
// the programme period), CONFLICT (already registered).
func (s *Service) Register(ctx context.Context, c *ent.Client, programID, municipalityID pulid.ID, registeredOn time.Time) (*ent.Participation, error) {
	p, err := c.Program.Get(ctx, programID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", programID)
	} else if err != nil {
		return nil, err
	}
	if ok, err := c.Municipality.Query().Where(municipality.ID(municipalityID)).Exist(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, apperr.New(apperr.NotFound, "municipality %s not found", municipalityID)
	}
	reg := types.NormalizeDate(registeredOn)
	if reg.Before(types.NormalizeDate(p.StartsOn)) || reg.After(types.NormalizeDate(p.EndsOn)) {
		return nil, apperr.New(apperr.Validation, "registeredOn %s is outside the programme period %s to %s",
			reg.Format(time.DateOnly), p.StartsOn.Format(time.DateOnly), p.EndsOn.Format(time.DateOnly))
	}
	existing, err := c.Participation.Query().
		Where(participation.ProgramID(programID), participation.MunicipalityID(municipalityID)).
		Only(ctx)
	if err == nil {
		return nil, apperr.New(apperr.Conflict, "the municipality is already registered for this programme").
			With("participationID", string(existing.ID))
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	pa, err := c.Participation.Create().
		SetProgramID(programID).SetMunicipalityID(municipalityID).SetRegisteredOn(reg).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.Conflict, "the municipality is already registered for this programme")
	} else if err != nil {
		return nil, err
	}
	if err := ledger.OpenAccount(ctx, c, pa, p, s.Now()); err != nil {
		return nil, err
	}
	due := DueDates(p, reg)
	builders := make([]*ent.StepCreate, 0, len(types.StepKinds))
	for _, k := range types.StepKinds {
		d, ok := due[k]
		if !ok {
			return nil, apperr.New(apperr.Validation, "the programme's step template has no %s step", k)
		}
		builders = append(builders, c.Step.Create().SetParticipationID(pa.ID).SetKind(k).SetDueOn(d))
	}
	if err := c.Step.CreateBulk(builders...).Exec(ctx); err != nil {
		return nil, err
	}
	return pa, nil
}

// Withdraw ends a participation. Errors: NOT_FOUND, VALIDATION (no
// reason), CONFLICT (already withdrawn or settled).
func (s *Service) Withdraw(ctx context.Context, c *ent.Client, id pulid.ID, reason string) (*ent.Participation, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.New(apperr.Validation, "a withdrawal needs a reason")
	}
	pa, err := c.Participation.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "participation %s not found", id)
	} else if err != nil {
		return nil, err
	}
	switch pa.Status {
	case participation.StatusWITHDRAWN:
		return nil, apperr.New(apperr.Conflict, "the participation was already withdrawn")
	case participation.StatusSETTLED:
		return nil, apperr.New(apperr.Conflict, "a settled participation cannot be withdrawn")
	}
	return c.Participation.UpdateOne(pa).
		SetStatus(participation.StatusWITHDRAWN).SetWithdrawnAt(s.Now()).SetWithdrawalReason(reason).
		Save(ctx)
}

// UpdateStep changes a step's due date and note. Errors: NOT_FOUND,
// VALIDATION (due date after the programme's end, enforced by the schema).
func (s *Service) UpdateStep(ctx context.Context, c *ent.Client, id pulid.ID, dueOn *time.Time, note *string, clearNote bool) (*ent.Step, error) {
	st, err := c.Step.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "step %s not found", id)
	} else if err != nil {
		return nil, err
	}
	u := c.Step.UpdateOne(st)
	if dueOn != nil {
		u.SetDueOn(types.NormalizeDate(*dueOn))
	}
	if clearNote {
		u.ClearNote()
	} else if note != nil {
		u.SetNote(*note)
	}
	return u.Save(ctx)
}

// CompleteStep records that a step was done. Completing FINAL_ACCEPTANCE
// marks the participation ACCEPTED. Errors: NOT_FOUND, VALIDATION (a
// completion time in the future), CONFLICT (already completed, or the
// participation was withdrawn).
func (s *Service) CompleteStep(ctx context.Context, c *ent.Client, id pulid.ID, completedAt *time.Time, note *string) (*ent.Step, error) {
	st, err := c.Step.Query().Where(step.ID(id)).WithParticipation().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "step %s not found", id)
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	at := now
	if completedAt != nil {
		at = *completedAt
	}
	if at.After(now.Add(5 * time.Minute)) {
		return nil, apperr.New(apperr.Validation, "completedAt %s is in the future", at.UTC().Format(time.RFC3339))
	}
	if st.CompletedAt != nil {
		return nil, apperr.New(apperr.Conflict, "the step was already completed at %s", st.CompletedAt.UTC().Format(time.RFC3339))
	}
	pa := st.Edges.Participation
	if pa.Status == participation.StatusWITHDRAWN {
		return nil, apperr.New(apperr.Conflict, "the participation was withdrawn")
	}
	if st.Kind == types.StepOnsiteAssessment {
		if err := assessment.CheckBaselineSubmitted(ctx, c, pa.ID); err != nil {
			return nil, err
		}
	}
	u := c.Step.UpdateOne(st).SetCompletedAt(at)
	if note != nil {
		u.SetNote(*note)
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	if st.Kind == types.StepFinalAcceptance && pa.Status != participation.StatusSETTLED {
		if err := c.Participation.UpdateOne(pa).SetStatus(participation.StatusACCEPTED).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SortSteps returns the steps in process order (KICKOFF … BILLING).
func SortSteps(steps []*ent.Step) []*ent.Step {
	out := slices.Clone(steps)
	slices.SortFunc(out, func(a, b *ent.Step) int {
		return slices.Index(types.StepKinds, a.Kind) - slices.Index(types.StepKinds, b.Kind)
	})
	return out
}
