package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"sicherkommunal/auth"
	gen "sicherkommunal/ent"
	"sicherkommunal/ent/answer"
	"sicherkommunal/ent/answerchange"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/finding"
	"sicherkommunal/ent/findingchange"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/fundingaccount"
	"sicherkommunal/ent/intercept"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/measure"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ent/securitytest"
	"sicherkommunal/ent/step"
)

// The row half of the role matrix (the field half is access.go), enforced
// on every query of the data layer, so that connections, nested edges,
// node(id:), nodes(ids:), feeds and jobs' reads all obey it; the GraphQL
// layer adds the same row filter to every nested has…With predicate, so
// that a filter never sees a row its role may not read. Without a viewer
// nothing is allowed: code that acts on its own (seeding, jobs, feeds) uses
// auth.SystemContext.
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

// rowFilter is the rows of one type a viewer reads: every row (nil, true),
// those of a predicate (p, true), or none (nil, false).
type rowFilter func(v *auth.Viewer) (func(*sql.Selector), bool)

// every lets the roles read every row.
func every(roles ...types.Role) rowFilter {
	return func(v *auth.Viewer) (func(*sql.Selector), bool) { return nil, v.Is(roles...) }
}

// or tries the filters in order; the first that lets the viewer in decides.
func or(fs ...rowFilter) rowFilter {
	return func(v *auth.Viewer) (func(*sql.Selector), bool) {
		for _, f := range fs {
			if p, ok := f(v); ok {
				return p, true
			}
		}
		return nil, false
	}
}

// own lets a MUNICIPALITY viewer read the rows of its own Kommune.
func own[P ~func(*sql.Selector)](p func(municipality pulid.ID) P) rowFilter {
	return func(v *auth.Viewer) (func(*sql.Selector), bool) {
		if v == nil || v.Role != types.RoleMunicipality || v.MunicipalityID == nil {
			return nil, false
		}
		return p(*v.MunicipalityID), true
	}
}

// roleRows lets a role read the rows of a predicate.
func roleRows[P ~func(*sql.Selector)](role types.Role, p func(v *auth.Viewer) P) rowFilter {
	return func(v *auth.Viewer) (func(*sql.Selector), bool) {
		if !v.Is(role) {
			return nil, false
		}
		return p(v), true
	}
}

// rows is the row matrix, by ent type name.
var rows = map[string]rowFilter{
	gen.TypeProgram: every(everyone...),
	gen.TypeMunicipality: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) { return municipality.ID(id) })),
	gen.TypeParticipation: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) { return participation.MunicipalityID(id) })),
	gen.TypeStep: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return step.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeMeasure: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return measure.HasParticipationWith(participation.MunicipalityID(id))
		})),
	// A Kommune sees the appointments it takes part in (and, through the
	// Participation rows, none of the other Kommunen of a shared kickoff).
	gen.TypeAppointment: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return appointment.HasParticipationsWith(participation.MunicipalityID(id))
		})),
	gen.TypeConsultant: every(everyone...),
	// Money is for MID, KITU and the Kommune it was paid to; the
	// contractor sees none.
	gen.TypeLedgerEntry: or(every(staff...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return ledgerentry.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeFundingAccount: or(every(staff...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return fundingaccount.HasParticipationWith(participation.MunicipalityID(id))
		})),
	// The contractor sees schedule and assessment flags (no money); a
	// Kommune its own.
	gen.TypeFlag: or(every(staff...),
		roleRows(types.RoleContractor, func(*auth.Viewer) func(*sql.Selector) {
			return flag.KindIn(flag.KindSTEP_OVERDUE, flag.KindDEADLINE_AT_RISK, flag.KindASSESSMENT_MISSING, flag.KindASSESSMENT_UNCONFIRMED,
				flag.KindFINDING_OVERDUE, flag.KindCRITICAL_FINDING_OPEN, flag.KindRISK_ACCEPTANCE_EXPIRED)
		}),
		own(func(id pulid.ID) func(*sql.Selector) {
			return flag.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeJobRun: every(staff...),
	// ADMIN manages tokens; every other token reads only itself.
	gen.TypeAPIToken: or(every(types.RoleAdmin), func(v *auth.Viewer) (func(*sql.Selector), bool) {
		if v == nil || v.TokenID == "" {
			return nil, false
		}
		return apitoken.ID(v.TokenID), true
	}),
	// Staff see every feed; the contractor programme and consultant
	// feeds; a Kommune its own.
	gen.TypeCalendarFeed: or(every(staff...),
		roleRows(types.RoleContractor, func(*auth.Viewer) func(*sql.Selector) {
			return calendarfeed.ScopeIn(calendarfeed.ScopePROGRAM, calendarfeed.ScopeCONSULTANT)
		}),
		own(func(id pulid.ID) func(*sql.Selector) { return calendarfeed.MunicipalityID(id) })),
	gen.TypeBankStatementImport: every(staff...),
	gen.TypeBankTransaction:     every(staff...),
	gen.TypeAuditEvent:          every(types.RoleAdmin, types.RoleMinistry),
	// Catalogues are no one's secret; the BSI reads them only through the
	// anonymised picture.
	gen.TypeCatalog:      every(everyone...),
	gen.TypeCatalogGroup: every(everyone...),
	gen.TypeRequirement:  every(everyone...),
	// An assessment, its answers and their history: staff and the
	// contractor read all, a Kommune its own.
	gen.TypeAssessment: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return assessment.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeAnswer: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return answer.HasAssessmentWith(assessment.HasParticipationWith(participation.MunicipalityID(id)))
		})),
	gen.TypeAnswerChange: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return answerchange.HasAnswerWith(answer.HasAssessmentWith(assessment.HasParticipationWith(participation.MunicipalityID(id))))
		})),
	// Tests, findings and their history: staff and the contractor read
	// all rows (staff only the fields of access.go's summary), a Kommune
	// its own.
	gen.TypeSecurityTest: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return securitytest.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeFinding: or(every(operations...),
		own(func(id pulid.ID) func(*sql.Selector) {
			return finding.HasParticipationWith(participation.MunicipalityID(id))
		})),
	gen.TypeFindingChange: or(every(types.RoleAdmin, types.RoleContractor),
		own(func(id pulid.ID) func(*sql.Selector) {
			return findingchange.HasFindingWith(finding.HasParticipationWith(participation.MunicipalityID(id)))
		})),
}

// Rows returns the rows of an ent type (gen.TypeX) that the viewer of ctx
// may read, as a predicate on the type's table: nil for every row. ok is
// false when it may read none (and for a type the matrix does not name).
func Rows(ctx context.Context, typ string) (p func(*sql.Selector), ok bool) {
	f, known := rows[typ]
	v := auth.FromContext(ctx)
	if !known || v == nil {
		return nil, false
	}
	return f(v)
}

// readRows is the query policy of every type: the rows of the matrix.
func readRows() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, q ent.Query) error {
		iq, err := intercept.NewQuery(q)
		if err != nil {
			return privacy.Denyf("%v", err)
		}
		p, ok := Rows(ctx, iq.Type())
		if !ok {
			return privacy.Denyf("the viewer may not read %s", iq.Type())
		}
		if p != nil {
			iq.WhereP(p)
		}
		return privacy.Allow
	})
}

// allow lets the roles through and passes everyone else to the next rule;
// a context without a viewer is denied.
func allow(roles ...types.Role) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
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

// policy reads the rows of the matrix and lets the mutation rules decide
// changes; whatever no rule allows is denied.
func policy(mutation ...privacy.MutationRule) ent.Policy {
	q := privacy.QueryPolicy{readRows()}
	m := privacy.MutationPolicy(append(mutation, privacy.AlwaysDenyRule()))
	return privacy.Policy{Query: q, Mutation: m}
}

// Policy of Program: everyone reads the programme's facts; ADMIN and
// MINISTRY change them (approveStage2 included).
func (Program) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of Municipality: a Kommune sees only itself.
func (Municipality) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator))
}

// Policy of Participation: a Kommune sees only its own. Postings
// (MINISTRY) and completed acceptance steps (CONTRACTOR) move the status.
func (Participation) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator),
		privacy.ParticipationMutationRuleFunc(func(ctx context.Context, m *gen.ParticipationMutation) error {
			if m.Op().Is(ent.OpUpdateOne|ent.OpUpdate) && auth.FromContext(ctx).Is(types.RoleMinistry, types.RoleContractor) {
				return privacy.Allow
			}
			return privacy.Skip
		}))
}

// Policy of Step: a Kommune sees its own steps; CONTRACTOR completes steps.
func (Step) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator),
		privacy.StepMutationRuleFunc(func(ctx context.Context, m *gen.StepMutation) error {
			if m.Op().Is(ent.OpUpdateOne) && auth.FromContext(ctx).Is(types.RoleContractor) {
				return privacy.Allow
			}
			return privacy.Skip
		}))
}

// Policy of Measure: a Kommune sees its own; KITU and Bechtle manage them.
func (Measure) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor))
}

// Policy of Appointment: a Kommune sees the appointments it takes part in
// (and, through the Participation policy, none of the other Kommunen of a
// shared kickoff event); it may confirm them.
func (Appointment) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor),
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
	return policy(allow(types.RoleAdmin, types.RoleCoordinator, types.RoleContractor))
}

// Policy of LedgerEntry: money is for MID, KITU and the Kommune it was
// paid to; the contractor sees none. Only MID books.
func (LedgerEntry) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of FundingAccount: as the ledger. Accounts are opened at
// registration (COORDINATOR) and moved by postings (MINISTRY).
func (FundingAccount) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator))
}

// Policy of Flag: staff see all; the contractor sees schedule flags (no
// money); a Kommune its own.
func (Flag) Policy() ent.Policy {
	return policy(allow(staff...))
}

// Policy of JobRun: staff only; jobs write with the system viewer.
func (JobRun) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleCoordinator))
}

// Policy of APIToken: ADMIN manages tokens; others see only their own.
func (APIToken) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin))
}

// Policy of CalendarFeed: KITU and ADMIN see all feeds; the contractor
// programme and consultant feeds; a Kommune its own feeds. The calendar
// service checks who may create which scope.
func (CalendarFeed) Policy() ent.Policy {
	return policy(allow(everyone...))
}

// Policy of BankStatementImport: MID finance imports; staff read.
func (BankStatementImport) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of BankTransaction: bank lines are money; staff read, MID
// matches them.
func (BankTransaction) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleMinistry))
}

// Policy of Catalog: operators import catalogues; nobody changes one.
func (Catalog) Policy() ent.Policy { return policy(allow(types.RoleAdmin)) }

// Policy of CatalogGroup: as its catalogue.
func (CatalogGroup) Policy() ent.Policy { return policy(allow(types.RoleAdmin)) }

// Policy of Requirement: as its catalogue.
func (Requirement) Policy() ent.Policy { return policy(allow(types.RoleAdmin)) }

// Policy of Assessment: the contractor conducts assessments (the
// assessment service checks which); a Kommune confirms or returns its
// own.
func (Assessment) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleContractor),
		privacy.AssessmentMutationRuleFunc(func(ctx context.Context, m *gen.AssessmentMutation) error {
			id, ok := ownMunicipality(ctx)
			if !ok || !m.Op().Is(ent.OpUpdateOne) {
				return privacy.Skip
			}
			aid, _ := m.ID()
			n, err := m.Client().Assessment.Query().Where(assessment.ID(aid),
				assessment.HasParticipationWith(participation.MunicipalityID(id))).Count(ctx)
			if err != nil || n == 0 {
				return privacy.Denyf("not an assessment of this municipality")
			}
			return privacy.Allow
		}))
}

// Policy of Answer: written by the contractor (through the assessment
// service, which checks the assessment's status).
func (Answer) Policy() ent.Policy { return policy(allow(types.RoleAdmin, types.RoleContractor)) }

// Policy of AnswerChange: as the answer; append-only (hooks).
func (AnswerChange) Policy() ent.Policy { return policy(allow(types.RoleAdmin, types.RoleContractor)) }

// Policy of SecurityTest: the contractor records tests and imports their
// reports.
func (SecurityTest) Policy() ent.Policy { return policy(allow(types.RoleAdmin, types.RoleContractor)) }

// Policy of Finding: the contractor records findings; a Kommune changes
// the status of its own (the finding service checks which moves).
func (Finding) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleContractor),
		privacy.FindingMutationRuleFunc(func(ctx context.Context, m *gen.FindingMutation) error {
			id, ok := ownMunicipality(ctx)
			if !ok || !m.Op().Is(ent.OpUpdateOne) {
				return privacy.Skip
			}
			fid, _ := m.ID()
			n, err := m.Client().Finding.Query().Where(finding.ID(fid),
				finding.HasParticipationWith(participation.MunicipalityID(id))).Count(ctx)
			if err != nil || n == 0 {
				return privacy.Denyf("not a finding of this municipality")
			}
			return privacy.Allow
		}))
}

// Policy of FindingChange: written with the change of its finding;
// append-only (hooks).
func (FindingChange) Policy() ent.Policy {
	return policy(allow(types.RoleAdmin, types.RoleContractor, types.RoleMunicipality))
}
