package schema

import (
	"context"

	"entgo.io/ent"

	"sicherkommunal/auth"
	gen "sicherkommunal/ent"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/fundingaccount"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/step"
)

// The role matrix of DESIGN.md §7, enforced on every query and mutation of
// the data layer, so that connections, nested edges, node(id:), nodes(ids:),
// filters and feeds all obey it. Without a viewer nothing is allowed: code
// that acts on its own (seeding, jobs, feeds) uses auth.SystemContext.
//
// Objects a role may partly see (a Kommune's own participation among all)
// are filtered, so that asking for another's object gives the same answer
// as asking for one that does not exist. Types a role may not see at all
// are denied.

var (
	staff      = []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator}
	everyone   = []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor, types.RoleMunicipality}
	operations = []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor}
)

// allow lets the roles through and passes everyone else to the next rule;
// a context without a viewer is denied.
func allow(roles ...types.Role) privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		v := auth.FromContext(ctx)
		if v == nil {
			return privacy.Denyf("no viewer in context")
		}
		if v.Is(roles...) {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// ownMunicipality returns the municipality of a MUNICIPALITY viewer.
func ownMunicipality(ctx context.Context) (pulid.ID, bool) {
	v := auth.FromContext(ctx)
	if v == nil || v.Role != types.RoleMunicipality || v.MunicipalityID == nil {
		return "", false
	}
	return *v.MunicipalityID, true
}

func policy(query []privacy.QueryRule, mutation ...privacy.MutationRule) ent.Policy {
	q := privacy.QueryPolicy(append(query, privacy.AlwaysDenyRule()))
	m := privacy.MutationPolicy(append(mutation, privacy.AlwaysDenyRule()))
	return privacy.Policy{Query: q, Mutation: m}
}

func own[T any](filter func(ctx context.Context, id pulid.ID, q T)) func(ctx context.Context, q T) error {
	return func(ctx context.Context, q T) error {
		id, ok := ownMunicipality(ctx)
		if !ok {
			return privacy.Skip
		}
		filter(ctx, id, q)
		return privacy.Allow
	}
}

// Policy of Program: everyone reads the programme's facts; ADMIN and
// MINISTRY change them (approveStage2 included).
func (Program) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(everyone...)}, allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of Municipality: a Kommune sees only itself.
func (Municipality) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(operations...),
		privacy.MunicipalityQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.MunicipalityQuery) {
			q.Where(municipality.ID(id))
		}))},
		allow(types.RoleAdmin, types.RoleCoordinator))
}

// Policy of Participation: a Kommune sees only its own. Postings
// (MINISTRY) and completed acceptance steps (CONTRACTOR) move the status.
func (Participation) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(operations...),
		privacy.ParticipationQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.ParticipationQuery) {
			q.Where(participation.MunicipalityID(id))
		}))},
		allow(types.RoleAdmin, types.RoleCoordinator),
		privacy.ParticipationMutationRuleFunc(func(ctx context.Context, m *gen.ParticipationMutation) error {
			if m.Op().Is(ent.OpUpdateOne|ent.OpUpdate) && auth.FromContext(ctx).Is(types.RoleMinistry, types.RoleContractor) {
				return privacy.Allow
			}
			return privacy.Skip
		}))
}

// Policy of Step: a Kommune sees its own steps; CONTRACTOR completes steps.
func (Step) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(operations...),
		privacy.StepQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.StepQuery) {
			q.Where(step.HasParticipationWith(participation.MunicipalityID(id)))
		}))},
		allow(types.RoleAdmin, types.RoleCoordinator),
		privacy.StepMutationRuleFunc(func(ctx context.Context, m *gen.StepMutation) error {
			if m.Op().Is(ent.OpUpdateOne) && auth.FromContext(ctx).Is(types.RoleContractor) {
				return privacy.Allow
			}
			return privacy.Skip
		}))
}

// Policy of Measure: a Kommune sees its own; KITU and Bechtle manage them.
func (Measure) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(operations...),
		privacy.MeasureQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.MeasureQuery) {
			q.Where(measure.HasParticipationWith(participation.MunicipalityID(id)))
		}))},
		allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor))
}

// Policy of Appointment: a Kommune sees the appointments it takes part in
// (and, through the Participation policy, none of the other Kommunen of a
// shared kickoff event); it may confirm them.
func (Appointment) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(operations...),
		privacy.AppointmentQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.AppointmentQuery) {
			q.Where(appointment.HasParticipationsWith(participation.MunicipalityID(id)))
		}))},
		allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor),
		privacy.AppointmentMutationRuleFunc(func(ctx context.Context, m *gen.AppointmentMutation) error {
			id, ok := ownMunicipality(ctx)
			if !ok || !m.Op().Is(ent.OpUpdateOne) {
				return privacy.Skip
			}
			aid, _ := m.ID()
			// Only its own appointments (the calendar service confirms them).
			n, err := m.Client().Appointment.Query().Where(appointment.ID(aid),
				appointment.HasParticipationsWith(participation.MunicipalityID(id))).Count(ctx)
			if err != nil || n == 0 {
				return privacy.Denyf("not an appointment of this municipality")
			}
			return privacy.Allow
		}))
}

// Policy of Consultant: everyone sees the contractor's people.
func (Consultant) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(everyone...)},
		allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor))
}

// Policy of LedgerEntry: money is for MID, KITU and the Kommune it was
// paid to; the contractor sees none. Only MID books.
func (LedgerEntry) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...),
		privacy.LedgerEntryQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.LedgerEntryQuery) {
			q.Where(ledgerentry.HasParticipationWith(participation.MunicipalityID(id)))
		}))},
		allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of FundingAccount: as the ledger. Accounts are opened at
// registration (COORDINATOR) and moved by postings (MINISTRY).
func (FundingAccount) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...),
		privacy.FundingAccountQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.FundingAccountQuery) {
			q.Where(fundingaccount.HasParticipationWith(participation.MunicipalityID(id)))
		}))},
		allow(types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator))
}

// Policy of Flag: staff see all; the contractor sees schedule flags (no
// money); a Kommune its own.
func (Flag) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...),
		privacy.FlagQueryRuleFunc(func(ctx context.Context, q *gen.FlagQuery) error {
			if !auth.FromContext(ctx).Is(types.RoleContractor) {
				return privacy.Skip
			}
			q.Where(flag.KindIn(flag.KindSTEP_OVERDUE, flag.KindDEADLINE_AT_RISK))
			return privacy.Allow
		}),
		privacy.FlagQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.FlagQuery) {
			q.Where(flag.HasParticipationWith(participation.MunicipalityID(id)))
		}))},
		allow(staff...))
}

// Policy of JobRun: staff only; jobs write with the system viewer.
func (JobRun) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...)}, allow(types.RoleAdmin, types.RoleCoordinator))
}

// Policy of APIToken: ADMIN manages tokens; others see only their own.
func (APIToken) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(types.RoleAdmin),
		privacy.APITokenQueryRuleFunc(func(ctx context.Context, q *gen.APITokenQuery) error {
			v := auth.FromContext(ctx)
			if v == nil || v.TokenID == "" {
				return privacy.Skip
			}
			q.Where(apitoken.ID(v.TokenID))
			return privacy.Allow
		})},
		allow(types.RoleAdmin))
}

// Policy of CalendarFeed: KITU and ADMIN see all feeds; the contractor
// programme and consultant feeds; a Kommune its own feeds. The calendar
// service checks who may create which scope.
func (CalendarFeed) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(types.RoleAdmin, types.RoleCoordinator),
		privacy.CalendarFeedQueryRuleFunc(func(ctx context.Context, q *gen.CalendarFeedQuery) error {
			if !auth.FromContext(ctx).Is(types.RoleContractor) {
				return privacy.Skip
			}
			q.Where(calendarfeed.ScopeIn(calendarfeed.ScopePROGRAM, calendarfeed.ScopeCONSULTANT))
			return privacy.Allow
		}),
		privacy.CalendarFeedQueryRuleFunc(own(func(_ context.Context, id pulid.ID, q *gen.CalendarFeedQuery) {
			q.Where(calendarfeed.MunicipalityID(id))
		}))},
		allow(everyone...))
}

// Policy of BankStatementImport: MID finance imports; staff read.
func (BankStatementImport) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...)}, allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of BankTransaction: bank lines are money; staff read, MID
// matches them.
func (BankTransaction) Policy() ent.Policy {
	return policy([]privacy.QueryRule{allow(staff...)}, allow(types.RoleAdmin, types.RoleMinistry))
}
