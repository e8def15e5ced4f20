// Package calendar holds the rules of appointments (Termine) and serves
// them as iCal feeds that calendar apps subscribe to.
//
// Rules, each enforced in the caller's transaction:
//   - endsAt is after startsAt;
//   - no day of an appointment is a weekend or a Sachsen-Anhalt public
//     holiday unless explicitly allowed;
//   - an appointment lies within the period of its participations'
//     programmes;
//   - a consultant or a participation is never in two overlapping
//     appointments that are not cancelled;
//   - every change increments sequence and sets updated_at (the feeds'
//     SEQUENCE and LAST-MODIFIED).
//
// Days, periods and feed times are those of the programme's time zone
// (Service.Zone); the holidays are Sachsen-Anhalt's whatever the zone.
package calendar

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/consultant"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/predicate"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
	"sicherkommunal/programme"
	"sicherkommunal/store"
)

// Error codes of this package (besides apperr's).
const (
	// NonWorkingDay: a day of the appointment is a weekend or a public holiday.
	NonWorkingDay = "NON_WORKING_DAY"
	// OutsideProgramPeriod: the appointment is not within its programme's period.
	OutsideProgramPeriod = "OUTSIDE_PROGRAM_PERIOD"
	// AppointmentConflict: a consultant or participation is already booked.
	AppointmentConflict = "APPOINTMENT_CONFLICT"
)

// errNoZone is the wiring error of a Service without a Zone.
var errNoZone = errors.New("calendar: no time zone: Service.Zone must be set (programme.InstallationZone)")

// Service holds the appointment rules and serves the feeds.
type Service struct {
	// Client reads feeds outside of GraphQL requests.
	Client *ent.Client
	// Dialect is dialect.SQLite or dialect.Postgres; on PostgreSQL the
	// participations and consultants of a change are locked (FOR UPDATE) so
	// that concurrent changes cannot both pass the conflict check. SQLite
	// transactions are BEGIN IMMEDIATE and serialize anyway.
	Dialect store.Dialect
	// Now is the clock.
	Now func() time.Time
	// Program completes steps when their appointment is completed.
	Program *programme.Service
	// Zone is the programme's time zone, from programme.InstallationZone;
	// every date, working-day rule and feed time is in it. It must be
	// set: Schedule, Reschedule, Complete, FeedState and RenderFeed fail
	// without it.
	Zone *time.Location
	Log  *slog.Logger

	publicURL atomic.Pointer[string]
}

// zone returns the service's zone, or errNoZone.
func (s *Service) zone() (*time.Location, error) {
	if s.Zone == nil {
		return nil, errNoZone
	}
	return s.Zone, nil
}

// SetPublicURL sets the base of feed URLs (scheme, host, optional path),
// for example https://sicherkommunal.example.
func (s *Service) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	s.publicURL.Store(&u)
}

// FeedURL returns the absolute URL of the feed with this secret.
func (s *Service) FeedURL(secret string) string {
	base := ""
	if p := s.publicURL.Load(); p != nil {
		base = *p
	}
	return base + "/calendar/" + secret + ".ics"
}

// ScheduleInput is a new appointment.
type ScheduleInput struct {
	Kind               appointment.Kind
	Title              string
	Description        *string
	StartsAt, EndsAt   time.Time
	Location           *string
	ParticipationIDs   []pulid.ID
	ConsultantIDs      []pulid.ID
	StepID             *pulid.ID
	AllowNonWorkingDay bool
}

// Schedule creates a TENTATIVE appointment with sequence 0. Errors:
// VALIDATION, NOT_FOUND (participation, consultant, step), CONFLICT (a
// withdrawn participation), NON_WORKING_DAY, OUTSIDE_PROGRAM_PERIOD,
// APPOINTMENT_CONFLICT.
func (s *Service) Schedule(ctx context.Context, c *ent.Client, in ScheduleInput) (*ent.Appointment, error) {
	loc, err := s.zone()
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		return nil, apperr.New(apperr.Validation, "an appointment needs a title").With("field", "title")
	}
	pids, cids := dedupe(in.ParticipationIDs), dedupe(in.ConsultantIDs)
	if len(pids) == 0 {
		return nil, apperr.New(apperr.Validation, "an appointment needs at least one participation").With("field", "participationIDs")
	}
	start, end := in.StartsAt.UTC(), in.EndsAt.UTC()
	if err := checkTimes(start, end, in.AllowNonWorkingDay, loc); err != nil {
		return nil, err
	}
	parts, err := s.lockParticipations(ctx, c, participation.IDIn(pids...))
	if err != nil {
		return nil, err
	}
	for _, id := range pids {
		if !slices.ContainsFunc(parts, func(p *ent.Participation) bool { return p.ID == id }) {
			return nil, apperr.New(apperr.NotFound, "participation %s not found", id).With("participationID", string(id))
		}
	}
	for _, p := range parts {
		if p.Status == participation.StatusWITHDRAWN {
			return nil, apperr.New(apperr.Conflict, "participation %s was withdrawn", p.ID).With("participationID", string(p.ID))
		}
	}
	if err := s.lockConsultants(ctx, c, cids); err != nil {
		return nil, err
	}
	if err := checkProgramPeriod(ctx, c, parts, start, end, loc); err != nil {
		return nil, err
	}
	if in.StepID != nil {
		st, err := c.Step.Query().Where(step.ID(*in.StepID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "step %s not found", *in.StepID)
		} else if err != nil {
			return nil, err
		}
		if !slices.Contains(pids, st.ParticipationID) {
			return nil, apperr.New(apperr.Validation, "step %s belongs to another participation", st.ID).With("field", "stepID")
		}
	}
	if err := checkConflicts(ctx, c, "", start, end, pids, cids, loc); err != nil {
		return nil, err
	}
	now := s.Now()
	return c.Appointment.Create().
		SetKind(in.Kind).SetTitle(title).SetNillableDescription(in.Description).
		SetStartsAt(start).SetEndsAt(end).SetNillableLocation(in.Location).
		SetStatus(appointment.StatusTENTATIVE).SetSequence(0).SetNillableStepID(in.StepID).
		AddParticipationIDs(pids...).AddConsultantIDs(cids...).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
}

// Reschedule moves an appointment. It becomes TENTATIVE again: the
// Kommunen confirm the new time. Errors: NOT_FOUND, VALIDATION, CONFLICT
// (cancelled or completed), NON_WORKING_DAY, OUTSIDE_PROGRAM_PERIOD,
// APPOINTMENT_CONFLICT.
func (s *Service) Reschedule(ctx context.Context, c *ent.Client, id pulid.ID, startsAt, endsAt time.Time, allowNonWorkingDay bool) (*ent.Appointment, error) {
	loc, err := s.zone()
	if err != nil {
		return nil, err
	}
	start, end := startsAt.UTC(), endsAt.UTC()
	if err := checkTimes(start, end, allowNonWorkingDay, loc); err != nil {
		return nil, err
	}
	a, err := getAppointment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := mayChange(a, "rescheduled"); err != nil {
		return nil, err
	}
	parts, err := s.lockParticipations(ctx, c, participation.HasAppointmentsWith(appointment.ID(id)))
	if err != nil {
		return nil, err
	}
	cids, err := c.Consultant.Query().Where(consultant.HasAppointmentsWith(appointment.ID(id))).IDs(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.lockConsultants(ctx, c, cids); err != nil {
		return nil, err
	}
	if err := checkProgramPeriod(ctx, c, parts, start, end, loc); err != nil {
		return nil, err
	}
	pids := make([]pulid.ID, len(parts))
	for i, p := range parts {
		pids[i] = p.ID
	}
	if err := checkConflicts(ctx, c, id, start, end, pids, cids, loc); err != nil {
		return nil, err
	}
	return c.Appointment.UpdateOne(a).
		SetStartsAt(start).SetEndsAt(end).SetStatus(appointment.StatusTENTATIVE).
		AddSequence(1).SetUpdatedAt(s.Now()).
		Save(ctx)
}

// Cancel cancels an appointment; feeds keep it as STATUS:CANCELLED.
// Errors: NOT_FOUND, VALIDATION (no reason), CONFLICT (already cancelled
// or completed).
func (s *Service) Cancel(ctx context.Context, c *ent.Client, id pulid.ID, reason string) (*ent.Appointment, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.New(apperr.Validation, "a cancellation needs a reason").With("field", "reason")
	}
	a, err := getAppointment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := mayChange(a, "cancelled"); err != nil {
		return nil, err
	}
	return c.Appointment.UpdateOne(a).
		SetStatus(appointment.StatusCANCELLED).SetCancelReason(reason).
		AddSequence(1).SetUpdatedAt(s.Now()).
		Save(ctx)
}

// Confirm confirms a TENTATIVE appointment; confirming a CONFIRMED one
// changes nothing. A MUNICIPALITY viewer may confirm only appointments of
// its own participations (others are NOT_FOUND to it). Errors: NOT_FOUND,
// CONFLICT (cancelled or completed).
func (s *Service) Confirm(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Appointment, error) {
	q := c.Appointment.Query().Where(appointment.ID(id))
	if v := auth.FromContext(ctx); v.Is(types.RoleMunicipality) {
		if v.MunicipalityID == nil {
			return nil, apperr.New(apperr.Forbidden, "the token names no municipality")
		}
		q.Where(appointment.HasParticipationsWith(participation.MunicipalityID(*v.MunicipalityID)))
	}
	a, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "appointment %s not found", id)
	} else if err != nil {
		return nil, err
	}
	if a.Status == appointment.StatusCONFIRMED {
		return a, nil
	}
	if err := mayChange(a, "confirmed"); err != nil {
		return nil, err
	}
	return c.Appointment.UpdateOne(a).
		SetStatus(appointment.StatusCONFIRMED).AddSequence(1).SetUpdatedAt(s.Now()).
		Save(ctx)
}

// Complete records that an appointment took place. The step it fulfils is
// completed with it (at the appointment's end, or now if that is later
// than now), unless it was completed already. Errors: NOT_FOUND,
// VALIDATION (the appointment has not started yet), CONFLICT (cancelled or
// completed, or the step's participation was withdrawn).
func (s *Service) Complete(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Appointment, error) {
	loc, err := s.zone()
	if err != nil {
		return nil, err
	}
	a, err := getAppointment(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := mayChange(a, "completed"); err != nil {
		return nil, err
	}
	now := s.Now()
	if a.StartsAt.After(now) {
		return nil, apperr.New(apperr.Validation, "the appointment starts at %s and cannot be completed before then",
			a.StartsAt.In(loc).Format(time.RFC3339)).With("startsAt", a.StartsAt.UTC().Format(time.RFC3339))
	}
	out, err := c.Appointment.UpdateOne(a).
		SetStatus(appointment.StatusCOMPLETED).AddSequence(1).SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if a.StepID != nil {
		st, err := c.Step.Get(ctx, *a.StepID)
		if err != nil {
			return nil, err
		}
		if st.CompletedAt == nil {
			at := a.EndsAt
			if at.After(now) {
				at = now
			}
			if _, err := s.Program.CompleteStep(ctx, c, st.ID, &at, nil); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func getAppointment(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.Appointment, error) {
	a, err := c.Appointment.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "appointment %s not found", id)
	}
	return a, err
}

// mayChange refuses changes to cancelled and completed appointments.
func mayChange(a *ent.Appointment, verb string) error {
	switch a.Status {
	case appointment.StatusCANCELLED, appointment.StatusCOMPLETED:
		return apperr.New(apperr.Conflict, "a %s appointment cannot be %s", strings.ToLower(string(a.Status)), verb).
			With("status", string(a.Status))
	}
	return nil
}

// checkTimes checks the order of the times and the working days (the
// days of loc).
func checkTimes(start, end time.Time, allowNonWorkingDay bool, loc *time.Location) error {
	if start.IsZero() || end.IsZero() {
		return apperr.New(apperr.Validation, "startsAt and endsAt are required")
	}
	if !end.After(start) {
		return apperr.New(apperr.Validation, "endsAt %s must be after startsAt %s",
			end.Format(time.RFC3339), start.Format(time.RFC3339)).With("field", "endsAt")
	}
	if end.Sub(start) > 14*24*time.Hour {
		return apperr.New(apperr.Validation, "an appointment may last at most 14 days").With("field", "endsAt")
	}
	if allowNonWorkingDay {
		return nil
	}
	if day, why, ok := FirstNonWorkingDay(start, end, loc); ok {
		return apperr.New(NonWorkingDay, "%s is %s in Sachsen-Anhalt; set allowNonWorkingDay to schedule anyway",
			day.Format(time.DateOnly), why).With("date", day.Format(time.DateOnly)).With("reason", why)
	}
	return nil
}

// checkProgramPeriod requires the appointment's dates (in loc) to lie
// within the period of every programme of its participations.
func checkProgramPeriod(ctx context.Context, c *ent.Client, parts []*ent.Participation, start, end time.Time, loc *time.Location) error {
	var ids []pulid.ID
	for _, p := range parts {
		if !slices.Contains(ids, p.ProgramID) {
			ids = append(ids, p.ProgramID)
		}
	}
	progs, err := c.Program.Query().Where(program.IDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	first := types.DateOf(start, loc)
	last := types.DateOf(end.Add(-time.Nanosecond), loc)
	for _, p := range progs {
		from, to := types.NormalizeDate(p.StartsOn), types.NormalizeDate(p.EndsOn)
		if first.Before(from) || last.After(to) {
			return apperr.New(OutsideProgramPeriod, "the appointment (%s to %s) is outside the programme period %s to %s",
				first.Format(time.DateOnly), last.Format(time.DateOnly), from.Format(time.DateOnly), to.Format(time.DateOnly)).
				With("startsOn", from.Format(time.DateOnly)).With("endsOn", to.Format(time.DateOnly))
		}
	}
	return nil
}

// checkConflicts fails with APPOINTMENT_CONFLICT when a participation or
// consultant is in another appointment that overlaps [start, end) and is
// not cancelled. The query goes from the participations' and consultants'
// join-table indexes to the appointments, never over all appointments.
// The error names the other appointment's times in loc.
func checkConflicts(ctx context.Context, c *ent.Client, self pulid.ID, start, end time.Time, pids, cids []pulid.ID, loc *time.Location) error {
	var who []predicate.Appointment
	if len(pids) > 0 {
		who = append(who, appointment.HasParticipationsWith(participation.IDIn(pids...)))
	}
	if len(cids) > 0 {
		who = append(who, appointment.HasConsultantsWith(consultant.IDIn(cids...)))
	}
	if len(who) == 0 {
		return nil
	}
	q := c.Appointment.Query().Where(
		appointment.Or(who...),
		appointment.StartsAtLT(end), appointment.EndsAtGT(start),
		appointment.StatusNEQ(appointment.StatusCANCELLED),
	)
	if self != "" {
		q.Where(appointment.IDNEQ(self))
	}
	other, err := q.Order(appointment.ByStartsAt(), appointment.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	// Only on failure: who exactly is double-booked.
	bookedP, err := other.QueryParticipations().Where(participation.IDIn(pids...)).IDs(ctx)
	if err != nil {
		return err
	}
	bookedC, err := other.QueryConsultants().Where(consultant.IDIn(cids...)).IDs(ctx)
	if err != nil {
		return err
	}
	return apperr.New(AppointmentConflict, "overlaps appointment %s %q (%s to %s)", other.ID, other.Title,
		other.StartsAt.In(loc).Format(time.RFC3339), other.EndsAt.In(loc).Format(time.RFC3339)).
		With("appointmentID", string(other.ID)).With("title", other.Title).
		With("startsAt", other.StartsAt.UTC().Format(time.RFC3339)).With("endsAt", other.EndsAt.UTC().Format(time.RFC3339)).
		With("participationIDs", idStrings(bookedP)).With("consultantIDs", idStrings(bookedC))
}

// lockParticipations loads participations; on PostgreSQL it locks them
// (FOR UPDATE, in ID order so that concurrent changes cannot deadlock).
func (s *Service) lockParticipations(ctx context.Context, c *ent.Client, where predicate.Participation) ([]*ent.Participation, error) {
	q := c.Participation.Query().Where(where).Order(participation.ByID())
	if s.Dialect.IsPostgres() {
		q.ForUpdate()
	}
	return q.All(ctx)
}

// lockConsultants checks that the consultants exist; on PostgreSQL it
// locks them like lockParticipations. Errors: NOT_FOUND.
func (s *Service) lockConsultants(ctx context.Context, c *ent.Client, ids []pulid.ID) error {
	if len(ids) == 0 {
		return nil
	}
	q := c.Consultant.Query().Where(consultant.IDIn(ids...)).Order(consultant.ByID())
	if s.Dialect.IsPostgres() {
		q.ForUpdate()
	}
	found, err := q.IDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			return apperr.New(apperr.NotFound, "consultant %s not found", id).With("consultantID", string(id))
		}
	}
	return nil
}

func dedupe(ids []pulid.ID) []pulid.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func idStrings(ids []pulid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
