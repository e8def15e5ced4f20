package calendar

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/consultant"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/predicate"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// FeedSecretPrefix starts every feed secret, so that leaked feed URLs are
// easy to recognise.
const FeedSecretPrefix = "skc_"

// newFeedSecret returns a feed secret with 256 random bits.
func newFeedSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("calendar: reading randomness: " + err.Error())
	}
	return FeedSecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// FeedInput says what a new feed shows.
type FeedInput struct {
	Scope          calendarfeed.Scope
	ProgramID      *pulid.ID
	MunicipalityID *pulid.ID
	ConsultantID   *pulid.ID
}

// CreateFeed creates a feed and returns its absolute URL, which holds the
// secret and is not stored. Who may (the role table of the README):
// PROGRAM feeds ADMIN, COORDINATOR and CONTRACTOR (who reads every
// appointment anyway); MUNICIPALITY feeds ADMIN, COORDINATOR and the
// municipality itself;
// CONSULTANT feeds ADMIN, COORDINATOR and CONTRACTOR (a contractor token of
// one consultant only for that consultant). Errors: VALIDATION, NOT_FOUND,
// FORBIDDEN.
func (s *Service) CreateFeed(ctx context.Context, c *ent.Client, in FeedInput) (string, *ent.CalendarFeed, error) {
	// Who may is decided from the request alone, before anything is read,
	// so that a refusal says nothing about what exists.
	if err := mayManageFeed(ctx, in.Scope, in.MunicipalityID, in.ConsultantID); err != nil {
		return "", nil, err
	}
	create := c.CalendarFeed.Create().SetScope(in.Scope)
	var name string
	switch in.Scope {
	case calendarfeed.ScopePROGRAM:
		if in.MunicipalityID != nil || in.ConsultantID != nil {
			return "", nil, apperr.New(apperr.Validation, "a PROGRAM feed takes no municipalityID or consultantID")
		}
		q := c.Program.Query()
		if in.ProgramID != nil {
			q.Where(program.ID(*in.ProgramID))
		}
		progs, err := q.Limit(2).All(ctx)
		if err != nil {
			return "", nil, err
		}
		switch {
		case len(progs) == 0 && in.ProgramID != nil:
			return "", nil, apperr.New(apperr.NotFound, "programme %s not found", *in.ProgramID)
		case len(progs) != 1:
			return "", nil, apperr.New(apperr.Validation, "name the programme: programID is required").With("field", "programID")
		}
		name = progs[0].Name + " – alle Termine"
		create.SetProgramID(progs[0].ID)
	case calendarfeed.ScopeMUNICIPALITY:
		if in.MunicipalityID == nil || in.ConsultantID != nil || in.ProgramID != nil {
			return "", nil, apperr.New(apperr.Validation, "a MUNICIPALITY feed needs municipalityID (and nothing else)").With("field", "municipalityID")
		}
		m, err := c.Municipality.Get(ctx, *in.MunicipalityID)
		if ent.IsNotFound(err) {
			return "", nil, apperr.New(apperr.NotFound, "municipality %s not found", *in.MunicipalityID)
		} else if err != nil {
			return "", nil, err
		}
		name = "SicherKOMMUNAL – Termine " + m.Name
		create.SetMunicipalityID(m.ID)
	case calendarfeed.ScopeCONSULTANT:
		if in.ConsultantID == nil || in.MunicipalityID != nil || in.ProgramID != nil {
			return "", nil, apperr.New(apperr.Validation, "a CONSULTANT feed needs consultantID (and nothing else)").With("field", "consultantID")
		}
		co, err := c.Consultant.Get(ctx, *in.ConsultantID)
		if ent.IsNotFound(err) {
			return "", nil, apperr.New(apperr.NotFound, "consultant %s not found", *in.ConsultantID)
		} else if err != nil {
			return "", nil, err
		}
		name = "SicherKOMMUNAL – Termine " + co.Name
		create.SetConsultantID(co.ID)
	default:
		return "", nil, apperr.New(apperr.Validation, "unknown scope %q", in.Scope)
	}
	secret := newFeedSecret()
	f, err := create.SetName(name).SetTokenHash(auth.Hash(secret)).
		SetCreatedAt(s.Now()).SetUpdatedAt(s.Now()).Save(ctx)
	if err != nil {
		return "", nil, err
	}
	return s.FeedURL(secret), f, nil
}

// RevokeFeed revokes a feed: its URL answers 404 from then on. Revoking
// twice keeps the first time. Who may: as for CreateFeed. Errors:
// NOT_FOUND, FORBIDDEN.
func (s *Service) RevokeFeed(ctx context.Context, c *ent.Client, id pulid.ID) (*ent.CalendarFeed, error) {
	f, err := c.CalendarFeed.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "calendar feed %s not found", id)
	} else if err != nil {
		return nil, err
	}
	if err := mayManageFeed(ctx, f.Scope, f.MunicipalityID, f.ConsultantID); err != nil {
		if v := auth.FromContext(ctx); v.Is(types.RoleMunicipality) {
			// A municipality does not learn that other feeds exist.
			return nil, apperr.New(apperr.NotFound, "calendar feed %s not found", id)
		}
		return nil, err
	}
	if f.RevokedAt != nil {
		return f, nil
	}
	return c.CalendarFeed.UpdateOne(f).SetRevokedAt(s.Now()).SetUpdatedAt(s.Now()).Save(ctx)
}

// FeedQuery returns the feeds the viewer may see: a municipality its own,
// everyone else all of them.
func FeedQuery(ctx context.Context, c *ent.Client) *ent.CalendarFeedQuery {
	q := c.CalendarFeed.Query()
	if v := auth.FromContext(ctx); v.Is(types.RoleMunicipality) {
		if v.MunicipalityID == nil {
			return q.Where(calendarfeed.IDIn())
		}
		q.Where(calendarfeed.MunicipalityID(*v.MunicipalityID))
	}
	return q
}

func mayManageFeed(ctx context.Context, scope calendarfeed.Scope, municipalityID, consultantID *pulid.ID) error {
	v := auth.FromContext(ctx)
	if v == nil {
		return apperr.New(apperr.Unauthenticated, "a bearer token is required")
	}
	if v.Is(types.RoleAdmin, types.RoleCoordinator) {
		return nil
	}
	switch scope {
	case calendarfeed.ScopePROGRAM:
		if v.Is(types.RoleContractor) {
			return nil
		}
	case calendarfeed.ScopeMUNICIPALITY:
		if v.Is(types.RoleMunicipality) && v.MunicipalityID != nil && municipalityID != nil && *v.MunicipalityID == *municipalityID {
			return nil
		}
	case calendarfeed.ScopeCONSULTANT:
		if v.Is(types.RoleContractor) && (v.ConsultantID == nil || (consultantID != nil && *v.ConsultantID == *consultantID)) {
			return nil
		}
	}
	return apperr.New(apperr.Forbidden, "the %s role may not manage this %s feed", v.Role, scope)
}

// scopeOf returns the predicate that selects a feed's appointments.
func scopeOf(f *ent.CalendarFeed) predicate.Appointment {
	switch {
	case f.Scope == calendarfeed.ScopePROGRAM && f.ProgramID != nil:
		return appointment.HasParticipationsWith(participation.ProgramID(*f.ProgramID))
	case f.Scope == calendarfeed.ScopeMUNICIPALITY && f.MunicipalityID != nil:
		return appointment.HasParticipationsWith(participation.MunicipalityID(*f.MunicipalityID))
	case f.Scope == calendarfeed.ScopeCONSULTANT && f.ConsultantID != nil:
		return appointment.HasConsultantsWith(consultant.ID(*f.ConsultantID))
	}
	return appointment.IDIn() // nothing
}
