package schema

import (
	"context"
	"time"

	"entgo.io/ent"

	"sicherkommunal/apperr"
	gen "sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/finding"
	"sicherkommunal/ent/hook"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/internal/clock"
)

// stepDueWithinProgram refuses a step due date after its programme's end.
func stepDueWithinProgram() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.StepFunc(func(ctx context.Context, m *gen.StepMutation) (ent.Value, error) {
			due, ok := m.DueOn()
			if !ok {
				return next.Mutate(ctx, m)
			}
			var pids []pulid.ID
			if pid, ok := m.ParticipationID(); ok {
				pids = append(pids, pid)
			} else {
				ids, err := m.IDs(ctx)
				if err != nil {
					return nil, err
				}
				var rows []struct {
					ParticipationID pulid.ID `json:"participation_id"`
				}
				if err := m.Client().Step.Query().Where(step.IDIn(ids...)).
					Select(step.FieldParticipationID).Scan(ctx, &rows); err != nil {
					return nil, err
				}
				for _, r := range rows {
					pids = append(pids, r.ParticipationID)
				}
			}
			if len(pids) > 0 {
				var rows []struct {
					EndsOn time.Time `json:"ends_on"`
				}
				if err := m.Client().Program.Query().
					Where(program.HasParticipationsWith(participation.IDIn(pids...))).
					Select(program.FieldEndsOn).Scan(ctx, &rows); err != nil {
					return nil, err
				}
				for _, r := range rows {
					end := r.EndsOn
					if types.NormalizeDate(due).After(types.NormalizeDate(end)) {
						return nil, apperr.New(apperr.Validation, "due date %s is after the programme's end %s",
							due.Format(time.DateOnly), end.Format(time.DateOnly)).With("endsOn", end.Format(time.DateOnly))
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)
}

// measurePositiveCost refuses negative planned costs.
func measurePositiveCost() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MeasureFunc(func(ctx context.Context, m *gen.MeasureMutation) (ent.Value, error) {
			if c, ok := m.PlannedCost(); ok && c.IsNegative() {
				return nil, apperr.New(apperr.Validation, "planned cost %s must not be negative", c.StringFixed(2))
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne)
}

// measureAddressesGaps lets a measure address only gaps of its own
// participation: NO or PARTIAL answers of its assessments.
func measureAddressesGaps() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MeasureFunc(func(ctx context.Context, m *gen.MeasureMutation) (ent.Value, error) {
			ids := m.AddressesIDs()
			if len(ids) == 0 {
				return next.Mutate(ctx, m)
			}
			pid, ok := m.ParticipationID()
			if !ok {
				old, err := m.OldParticipationID(ctx)
				if err != nil {
					return nil, err
				}
				pid = old
			}
			n, err := m.Client().Answer.Query().Where(answer.IDIn(ids...),
				answer.StatusIn(types.AnswerNo, types.AnswerPartial),
				answer.HasAssessmentWith(assessment.ParticipationID(pid))).Count(ctx)
			if err != nil {
				return nil, err
			}
			if n != len(ids) {
				return nil, apperr.New(apperr.Validation, "a measure addresses only gaps of its participation: NO or PARTIAL answers of its assessments")
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdateOne)
}

// measureRemediesFindings lets a measure remedy only findings of its own
// participation.
func measureRemediesFindings() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MeasureFunc(func(ctx context.Context, m *gen.MeasureMutation) (ent.Value, error) {
			ids := m.RemediesIDs()
			if len(ids) == 0 {
				return next.Mutate(ctx, m)
			}
			pid, ok := m.ParticipationID()
			if !ok {
				old, err := m.OldParticipationID(ctx)
				if err != nil {
					return nil, err
				}
				pid = old
			}
			n, err := m.Client().Finding.Query().Where(finding.IDIn(ids...), finding.ParticipationID(pid)).Count(ctx)
			if err != nil {
				return nil, err
			}
			if n != len(ids) {
				return nil, apperr.New(apperr.Validation, "a measure remedies only findings of its participation")
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdateOne)
}

// municipalityKeys requires an AGS for every kind but Verbandsgemeinden,
// which are identified by their 9-digit ARS.
func municipalityKeys() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.MunicipalityFunc(func(ctx context.Context, m *gen.MunicipalityMutation) (ent.Value, error) {
			kind, kindSet := m.Kind()
			ags, agsSet := m.Ags()
			ars, arsSet := m.Ars()
			agsCleared, arsCleared := m.AgsCleared(), m.ArsCleared()
			if m.Op().Is(ent.OpUpdateOne) {
				old, err := m.Client().Municipality.Get(ctx, mustID(m.ID()))
				if err != nil {
					return nil, err
				}
				if !kindSet {
					kind = old.Kind
				}
				if !agsSet && !agsCleared && old.Ags != nil {
					ags, agsSet = *old.Ags, true
				}
				if !arsSet && !arsCleared && old.Ars != nil {
					ars, arsSet = *old.Ars, true
				}
			} else if !m.Op().Is(ent.OpCreate) {
				return next.Mutate(ctx, m)
			}
			if kind == "VERBANDSGEMEINDE" {
				if !agsSet && (!arsSet || len(ars) != 9) {
					return nil, apperr.New(apperr.Validation, "a Verbandsgemeinde needs its 9-digit ARS (Regionalschlüssel)")
				}
			} else if !agsSet || ags == "" {
				return nil, apperr.New(apperr.Validation, "an AGS (8-digit Amtlicher Gemeindeschlüssel) is required for a %s", kind)
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdateOne)
}

func mustID(id pulid.ID, _ bool) pulid.ID { return id }

// programFigures keeps a programme's figures consistent: positive amounts,
// total cap at least the stage-1 amount, a valid period and step template,
// and no step due after a shortened end. The copies of the caps in the
// funding accounts follow a change through the ledger's hook
// (ledger/accounts.go capsHook, added by ledger.Install).
func programFigures() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.ProgramFunc(func(ctx context.Context, m *gen.ProgramMutation) (ent.Value, error) {
			var p gen.Program
			if m.Op().Is(ent.OpUpdateOne) {
				id, _ := m.ID()
				old, err := m.Client().Program.Get(ctx, id)
				if err != nil {
					return nil, err
				}
				p = *old
			} else if !m.Op().Is(ent.OpCreate) {
				return next.Mutate(ctx, m)
			}
			if v, ok := m.Stage1Amount(); ok {
				p.Stage1Amount = v
			}
			if v, ok := m.TotalCap(); ok {
				p.TotalCap = v
			}
			if v, ok := m.StartsOn(); ok {
				p.StartsOn = v
			}
			if v, ok := m.EndsOn(); ok {
				p.EndsOn = v
			}
			if v, ok := m.Stage2OpensOn(); ok {
				p.Stage2OpensOn = v
			}
			if v, ok := m.TimeZone(); ok {
				p.TimeZone = v
			}
			if v, ok := m.StepTemplate(); ok {
				p.StepTemplate = v
			}
			if v, ok := m.Budget(); ok {
				p.Budget = v
			}
			if err := validateProgram(&p); err != nil {
				return nil, err
			}
			if end, ok := m.EndsOn(); ok && m.Op().Is(ent.OpUpdateOne) {
				id, _ := m.ID()
				late, err := m.Client().Step.Query().Where(
					step.DueOnGT(types.NormalizeDate(end)),
					step.HasParticipationWith(participation.ProgramID(id)),
				).Count(ctx)
				if err != nil {
					return nil, err
				}
				if late > 0 {
					return nil, apperr.New(apperr.Validation,
						"%d steps are due after %s; move them before shortening the programme", late, end.Format(time.DateOnly)).
						With("stepsAfterEnd", late)
				}
			}
			return next.Mutate(ctx, m)
		})
	}, ent.OpCreate|ent.OpUpdateOne)
}

func validateProgram(p *gen.Program) error {
	bad := func(format string, args ...any) error { return apperr.New(apperr.Validation, format, args...) }
	if !p.Stage1Amount.IsPositive() {
		return bad("stage1Amount must be positive")
	}
	if p.TotalCap.LessThan(p.Stage1Amount) {
		return bad("totalCap %s must be at least stage1Amount %s", p.TotalCap.StringFixed(2), p.Stage1Amount.StringFixed(2))
	}
	if p.Budget != nil && !p.Budget.IsPositive() {
		return bad("budget must be positive when set")
	}
	start, end := types.NormalizeDate(p.StartsOn), types.NormalizeDate(p.EndsOn)
	if !end.After(start) {
		return bad("endsOn %s must be after startsOn %s", end.Format(time.DateOnly), start.Format(time.DateOnly))
	}
	if o := types.NormalizeDate(p.Stage2OpensOn); o.Before(start) || o.After(end) {
		return bad("stage2OpensOn %s must lie within the programme period", o.Format(time.DateOnly))
	}
	if _, err := clock.LoadZone(p.TimeZone); err != nil {
		return bad("unknown time zone %q", p.TimeZone)
	}
	return validateTemplate(p.StepTemplate, end)
}

func validateTemplate(items []types.StepTemplateItem, end time.Time) error {
	seen := map[types.StepKind]bool{}
	for _, it := range items {
		if !it.Kind.Valid() {
			return apperr.New(apperr.Validation, "step template: unknown step kind %q", it.Kind)
		}
		if seen[it.Kind] {
			return apperr.New(apperr.Validation, "step template: %s appears twice", it.Kind)
		}
		seen[it.Kind] = true
		if it.OffsetDays < 0 || it.OffsetDays > 3660 {
			return apperr.New(apperr.Validation, "step template: offsetDays of %s must be between 0 and 3660", it.Kind)
		}
		if it.DueOn != nil && types.NormalizeDate(*it.DueOn).After(end) {
			return apperr.New(apperr.Validation, "step template: %s is due %s, after the programme's end %s",
				it.Kind, it.DueOn.Format(time.DateOnly), end.Format(time.DateOnly))
		}
	}
	if len(seen) != len(types.StepKinds) {
		return apperr.New(apperr.Validation, "step template: needs each of the %d steps exactly once, has %d",
			len(types.StepKinds), len(seen))
	}
	return nil
}

// appendOnly refuses every update and delete of ledger entries (a
// correction is a reversal) and audit events.
func appendOnly() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			return nil, apperr.New(apperr.Validation, "%s records are append-only", m.Type())
		})
	}, ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne)
}
