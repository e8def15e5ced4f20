package finding

import (
	"context"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/finding"
	"sicherkommunal/ent/findingchange"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Service records tests and findings. Now is the clock, Zone the
// programme's time zone (today's date).
type Service struct {
	Dialect store.Dialect
	Now     func() time.Time
	Zone    *time.Location
}

func (s *Service) today() (time.Time, error) {
	if s.Zone == nil {
		return time.Time{}, apperr.New(apperr.Internal, "finding.Service has no time zone")
	}
	return types.DateOf(s.Now(), s.Zone), nil
}

// get reads a finding the viewer may see.
func get(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Finding, error) {
	f, err := c.Finding.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "finding %s not found", id)
	}
	return f, err
}

// actor names who acts, for a finding's history.
func actor(ctx context.Context) (string, types.Role) {
	v := auth.FromContext(ctx)
	if v == nil {
		return "unknown", types.RoleAdmin
	}
	if v.OnBehalfOf != nil {
		v = v.OnBehalfOf
	}
	return v.Name, v.Role
}

// ChangeStatus moves a finding by hand (Next: the moves, who may make
// them, reasons and risk acceptance), with an entry in its history. A
// risk acceptance keeps who accepted it and until when; every other
// status clears both.
func (s *Service) ChangeStatus(ctx context.Context, c *ent.Client, id pulid.ID, ch Change) (*ent.Finding, error) {
	f, err := get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	today, err := s.today()
	if err != nil {
		return nil, err
	}
	name, role := actor(ctx)
	if err := Next(f.Status, ch, role, today); err != nil {
		return nil, err
	}
	// Set or cleared, never both (PostgreSQL refuses two assignments to
	// one column).
	u := c.Finding.UpdateOne(f).SetStatus(ch.To)
	reason := strings.TrimSpace(ch.Reason)
	if reason != "" {
		u.SetStatusReason(reason)
	} else {
		u.ClearStatusReason()
	}
	if ch.To == StatusRiskAccepted {
		u.SetAcceptedBy(strings.TrimSpace(ch.AcceptedBy)).SetAcceptedUntil(types.NormalizeDate(*ch.AcceptedUntil))
	} else {
		u.ClearAcceptedBy().ClearAcceptedUntil()
	}
	updated, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	from := f.Status
	hc := c.FindingChange.Create().SetFindingID(f.ID).SetFromStatus(from).SetToStatus(ch.To).
		SetVia(findingchange.ViaMANUAL).SetActor(name).SetActorRole(role).SetChangedAt(s.Now())
	if reason != "" {
		hc.SetReason(reason)
	}
	if err := hc.Exec(ctx); err != nil {
		return nil, err
	}
	return updated, nil
}

// Link sets what a finding is linked to: the measures that remedy it (of
// its participation) and the WiBA requirements it shows to be unmet (of
// the catalogue of one of its participation's assessments). A nil list
// leaves that link as it is; an empty one removes every link.
func (s *Service) Link(ctx context.Context, c *ent.Client, id pulid.ID, measures, requirements []pulid.ID) (*ent.Finding, error) {
	f, err := get(ctx, c, id)
	if err != nil {
		return nil, err
	}
	u := c.Finding.UpdateOne(f)
	if measures != nil {
		measures = dedupe(measures)
		n, err := c.Measure.Query().Where(measure.IDIn(measures...), measure.ParticipationID(f.ParticipationID)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n != len(measures) {
			return nil, apperr.New(apperr.Validation, "measureIDs: a finding is remedied only by measures of its participation")
		}
		u.ClearMeasures().AddMeasureIDs(measures...)
	}
	if requirements != nil {
		requirements = dedupe(requirements)
		catalogs, err := c.Assessment.Query().Where(assessment.ParticipationID(f.ParticipationID)).
			Select(assessment.FieldCatalogID).Strings(ctx)
		if err != nil {
			return nil, err
		}
		ids := make([]pulid.ID, len(catalogs))
		for i, x := range catalogs {
			ids[i] = pulid.ID(x)
		}
		n, err := c.Requirement.Query().Where(requirement.IDIn(requirements...), requirement.CatalogIDIn(ids...)).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n != len(requirements) {
			return nil, apperr.New(apperr.Validation, "requirementIDs: a finding names questions of the catalogue its participation is assessed against")
		}
		u.ClearRequirements().AddRequirementIDs(requirements...)
	}
	return u.Save(ctx)
}

// dedupe is ids without repetitions, in their order.
func dedupe(ids []pulid.ID) []pulid.ID {
	seen := make(map[pulid.ID]bool, len(ids))
	out := make([]pulid.ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Unaddressed are the participation's CRITICAL and HIGH findings that are
// not closed (Closed) and that no measure remedies.
func Unaddressed(ctx context.Context, c *ent.Client, participationID pulid.ID) ([]*ent.Finding, error) {
	closed := []types.FindingStatus{}
	for _, st := range Statuses() {
		if Closed(st) {
			closed = append(closed, st)
		}
	}
	return c.Finding.Query().Where(finding.ParticipationID(participationID),
		finding.SeverityIn(types.SeverityCritical, types.SeverityHigh), finding.StatusNotIn(closed...),
		finding.Not(finding.HasMeasures())).
		Order(finding.BySeverity(), finding.ByDueOn(), finding.ByID()).All(ctx)
}

// DaysOf are the remediation days of a programme: its own, or
// types.DefaultRemediationDays when it has none.
func DaysOf(p *ent.Program) types.RemediationDays {
	if p.RemediationDays == (types.RemediationDays{}) {
		return types.DefaultRemediationDays
	}
	return p.RemediationDays
}

// Score is a score in tenths as a number (75 is 7.5), nil for none.
func Score(tenths *int) *float64 {
	if tenths == nil {
		return nil
	}
	f := float64(*tenths) / 10
	return &f
}

// Disagrees reports whether a finding's reported score differs from the
// one computed from its vector (both known).
func Disagrees(f *ent.Finding) bool {
	return f.CvssScoreTenths != nil && f.ReportedScoreTenths != nil && *f.CvssScoreTenths != *f.ReportedScoreTenths
}

// ExpireAcceptances moves every risk acceptance whose last day lies before
// today (Expired) back to OPEN, in two statements whatever their number,
// each with a history entry via EXPIRY. It keeps accepted_until, so that
// the flag RISK_ACCEPTANCE_EXPIRED shows the finding until someone decides
// anew. It returns how many expired.
func ExpireAcceptances(ctx context.Context, c *ent.Client, d store.Dialect, today, now time.Time) (int, error) {
	day, arg := d.Date(today)
	history := d.Rebind(`INSERT INTO finding_changes (id, finding_id, from_status, to_status, reason, via, actor, actor_role, changed_at)
SELECT ` + d.NewID("FX") + `, id, 'RISK_ACCEPTED', 'OPEN', 'the risk acceptance ended on ' || ` + d.DateText("accepted_until") + `,
  'EXPIRY', 'system', 'ADMIN', ?
FROM findings WHERE status = 'RISK_ACCEPTED' AND accepted_until < ` + day)
	if _, err := c.ExecContext(ctx, history, now, arg); err != nil {
		return 0, err
	}
	res, err := c.ExecContext(ctx, d.Rebind(`UPDATE findings SET status = 'OPEN', updated_at = ?
WHERE status = 'RISK_ACCEPTED' AND accepted_until < `+day), now, arg)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ClosedSQL is the SQL list of the statuses Closed reports, for queries:
// status IN ClosedSQL.
const ClosedSQL = "('FIXED', 'VERIFIED', 'FALSE_POSITIVE', 'RISK_ACCEPTED')"
