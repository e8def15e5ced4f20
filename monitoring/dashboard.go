package monitoring

import (
	"context"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/step"
)

// FlagCount is the number of open flags of a kind.
type FlagCount struct {
	Kind  flag.Kind
	Count int
}

// StepCounts counts a programme's steps by state.
type StepCounts struct{ Total, Completed, Open, Overdue int }

// StatusCount is the number of participations in a status.
type StatusCount struct {
	Status participation.Status
	Count  int
}

// Dashboard is what KITU looks at every morning.
type Dashboard struct {
	Program        *ent.Program
	OpenFlagsTotal int
	OpenFlags      []FlagCount
	Steps          StepCounts
	Participations []StatusCount
}

// ProgramDashboard counts open flags by kind, steps by state and
// participations by status, in a few grouped queries.
// Errors: NOT_FOUND.
func (r *Runner) ProgramDashboard(ctx context.Context, c *ent.Client, programID pulid.ID) (*Dashboard, error) {
	p, err := c.Program.Get(ctx, programID)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", programID)
	} else if err != nil {
		return nil, err
	}
	d := &Dashboard{Program: p}
	inProgram := participation.ProgramID(programID)
	var flags []struct {
		Kind  flag.Kind `json:"kind"`
		Count int       `json:"count"`
	}
	if err := c.Flag.Query().Where(flag.ResolvedAtIsNil(),
		flag.Or(flag.ProgramID(programID), flag.HasParticipationWith(inProgram))).
		GroupBy(flag.FieldKind).Aggregate(ent.Count()).Scan(ctx, &flags); err != nil {
		return nil, err
	}
	for _, f := range flags {
		d.OpenFlags = append(d.OpenFlags, FlagCount{Kind: f.Kind, Count: f.Count})
		d.OpenFlagsTotal += f.Count
	}
	today := r.today(r.Now())
	steps := c.Step.Query().Where(step.HasParticipationWith(inProgram))
	if d.Steps.Total, err = steps.Clone().Count(ctx); err != nil {
		return nil, err
	}
	if d.Steps.Completed, err = steps.Clone().Where(step.CompletedAtNotNil()).Count(ctx); err != nil {
		return nil, err
	}
	// Overdue as the overdue-steps job sees it: not for withdrawn or settled participations.
	if d.Steps.Overdue, err = steps.Clone().Where(step.CompletedAtIsNil(), step.DueOnLT(today),
		step.HasParticipationWith(participation.StatusNotIn(participation.StatusWITHDRAWN, participation.StatusSETTLED))).Count(ctx); err != nil {
		return nil, err
	}
	d.Steps.Open = d.Steps.Total - d.Steps.Completed - d.Steps.Overdue
	var statuses []struct {
		Status participation.Status `json:"status"`
		Count  int                  `json:"count"`
	}
	if err := c.Participation.Query().Where(inProgram).GroupBy(participation.FieldStatus).
		Aggregate(ent.Count()).Scan(ctx, &statuses); err != nil {
		return nil, err
	}
	for _, s := range statuses {
		d.Participations = append(d.Participations, StatusCount{Status: s.Status, Count: s.Count})
	}
	return d, nil
}

// Acknowledge marks a flag as seen by who. Errors: NOT_FOUND.
func (r *Runner) Acknowledge(ctx context.Context, c *ent.Client, id pulid.ID, who string) (*ent.Flag, error) {
	f, err := c.Flag.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "flag %s not found", id)
	} else if err != nil {
		return nil, err
	}
	if f.AcknowledgedAt != nil {
		return f, nil
	}
	return c.Flag.UpdateOne(f).SetAcknowledgedAt(r.Now()).SetAcknowledgedBy(who).Save(ctx)
}
