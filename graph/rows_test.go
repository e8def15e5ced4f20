package graph

import (
	"context"
	"reflect"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/programme"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func rowsPtr[T any](v T) *T { return &v }

func rowsViewer(role types.Role, muni pulid.ID) context.Context {
	v := &auth.Viewer{Name: "test", Role: role}
	if muni != "" {
		v.MunicipalityID = &muni
	}
	return auth.NewContext(context.Background(), v)
}

func TestEmptyWhere(t *testing.T) {
	for _, c := range []struct {
		name  string
		where *ent.MunicipalityWhereInput
		empty bool
	}{
		{"nothing set", &ent.MunicipalityWhereInput{}, true},
		{"empty lists", &ent.MunicipalityWhereInput{NameIn: []string{}, Or: []*ent.MunicipalityWhereInput{}, HasParticipationsWith: []*ent.ParticipationWhereInput{}}, true},
		{"an empty string is a condition", &ent.MunicipalityWhereInput{Name: rowsPtr("")}, false},
		{"false is a condition", &ent.MunicipalityWhereInput{HasParticipations: rowsPtr(false)}, false},
		{"a list", &ent.MunicipalityWhereInput{AgsIn: []string{"15003000"}}, false},
		// emptyWhere looks at one level: scopeWhere takes empty nested
		// inputs out first.
		{"an empty not", &ent.MunicipalityWhereInput{Not: &ent.MunicipalityWhereInput{}}, false},
		{"an empty or", &ent.MunicipalityWhereInput{Or: []*ent.MunicipalityWhereInput{{}}}, false},
		{"a predicate added", func() *ent.MunicipalityWhereInput {
			w := &ent.MunicipalityWhereInput{}
			w.AddPredicates(municipality.Name("Magdeburg"))
			return w
		}(), false},
	} {
		if got := emptyWhere(reflect.ValueOf(c.where)); got != c.empty {
			t.Errorf("%s: %v, want %v", c.name, got, c.empty)
		}
	}
}

// TestScopeWhereTakesOutEmptyInputs: null and empty input objects are no
// condition, at every depth; what is set stays as it was.
func TestScopeWhereTakesOutEmptyInputs(t *testing.T) {
	ctx := rowsViewer(types.RoleAdmin, "")
	name := rowsPtr("Magdeburg")
	for _, c := range []struct {
		name  string
		where *ent.MunicipalityWhereInput
		check func(t *testing.T, w *ent.MunicipalityWhereInput)
	}{
		{"or with an empty member", &ent.MunicipalityWhereInput{Or: []*ent.MunicipalityWhereInput{{Name: name}, {}, nil}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if len(w.Or) != 1 || w.Or[0].Name != name {
					t.Errorf("or: %+v", w.Or)
				}
			}},
		{"and of empty members", &ent.MunicipalityWhereInput{And: []*ent.MunicipalityWhereInput{{}, {Or: []*ent.MunicipalityWhereInput{{}}}}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if len(w.And) != 0 || !emptyWhere(reflect.ValueOf(w)) {
					t.Errorf("and: %+v", w.And)
				}
			}},
		{"an empty not", &ent.MunicipalityWhereInput{Not: &ent.MunicipalityWhereInput{Not: &ent.MunicipalityWhereInput{}}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if w.Not != nil {
					t.Errorf("not: %+v", w.Not)
				}
			}},
		{"a not that stays", &ent.MunicipalityWhereInput{Not: &ent.MunicipalityWhereInput{Name: name, Or: []*ent.MunicipalityWhereInput{{}}}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if w.Not == nil || w.Not.Name != name || len(w.Not.Or) != 0 {
					t.Errorf("not: %+v", w.Not)
				}
			}},
		{"an edge filter without a condition", &ent.MunicipalityWhereInput{Name: name,
			HasParticipationsWith: []*ent.ParticipationWhereInput{{}, nil, {HasStepsWith: []*ent.StepWhereInput{{}}}}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if len(w.HasParticipationsWith) != 0 || w.Name != name {
					t.Errorf("hasParticipationsWith: %+v", w.HasParticipationsWith)
				}
			}},
		{"an edge filter that stays, for a role that reads every row", &ent.MunicipalityWhereInput{
			HasParticipationsWith: []*ent.ParticipationWhereInput{{Status: rowsPtr(participation.StatusWITHDRAWN), Or: []*ent.ParticipationWhereInput{{}}}}},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if len(w.HasParticipationsWith) != 1 || len(w.HasParticipationsWith[0].Predicates) != 0 || len(w.HasParticipationsWith[0].Or) != 0 {
					t.Errorf("hasParticipationsWith: %+v", w.HasParticipationsWith)
				}
			}},
		{"existence, for a role that reads every row", &ent.MunicipalityWhereInput{HasParticipations: rowsPtr(true)},
			func(t *testing.T, w *ent.MunicipalityWhereInput) {
				if w.HasParticipations == nil || !*w.HasParticipations || len(w.HasParticipationsWith) != 0 {
					t.Errorf("hasParticipations: %+v", w)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := scopeWhere(ctx, reflect.ValueOf(c.where)); err != nil {
				t.Fatal(err)
			}
			c.check(t, c.where)
			if !emptyWhere(reflect.ValueOf(c.where)) {
				if _, err := c.where.P(); err != nil {
					t.Errorf("the scoped input does not compile: %v", err)
				}
			}
		})
	}
	// Nothing to scope.
	if err := scopeWhere(ctx, reflect.ValueOf((*ent.MunicipalityWhereInput)(nil))); err != nil {
		t.Error(err)
	}
	if err := scopeWhere(ctx, reflect.ValueOf("not a where input")); err != nil {
		t.Error(err)
	}
}

// TestScopeWhereAddsRowFilters: for a Kommune every nested has…With gets
// the row filter of the type it reaches, at every depth, and has…: true or
// false becomes has…With of those rows.
func TestScopeWhereAddsRowFilters(t *testing.T) {
	ctx := rowsViewer(types.RoleMunicipality, "MU01JD3K8Z6W8M2X1Q4R5T7V9B0C")
	kind := rowsPtr(types.StepKickoff)
	w := &ent.ProgramWhereInput{HasParticipationsWith: []*ent.ParticipationWhereInput{{
		HasStepsWith: []*ent.StepWhereInput{{Kind: kind}},
		Or:           []*ent.ParticipationWhereInput{{HasMunicipalityWith: []*ent.MunicipalityWhereInput{{Name: rowsPtr("Halle (Saale)")}}}},
	}}}
	if err := scopeWhere(ctx, reflect.ValueOf(w)); err != nil {
		t.Fatal(err)
	}
	pa := w.HasParticipationsWith[0]
	if len(w.Predicates) != 0 || len(pa.Predicates) != 1 || len(pa.HasStepsWith[0].Predicates) != 1 ||
		len(pa.Or[0].HasMunicipalityWith[0].Predicates) != 1 || pa.HasStepsWith[0].Kind != kind {
		t.Errorf("predicates: program %d, participation %d, step %d, municipality %d",
			len(w.Predicates), len(pa.Predicates), len(pa.HasStepsWith[0].Predicates), len(pa.Or[0].HasMunicipalityWith[0].Predicates))
	}
	if _, err := w.P(); err != nil {
		t.Error(err)
	}

	yes := &ent.ProgramWhereInput{HasParticipations: rowsPtr(true)}
	if err := scopeWhere(ctx, reflect.ValueOf(yes)); err != nil {
		t.Fatal(err)
	}
	// (The has…With added here is reached again by the same loop and gets
	// the row filter a second time: the same condition twice, no harm.)
	if yes.HasParticipations != nil || len(yes.HasParticipationsWith) != 1 || len(yes.HasParticipationsWith[0].Predicates) == 0 || len(yes.And) != 0 {
		t.Errorf("hasParticipations: true → %+v", yes)
	}
	no := &ent.ProgramWhereInput{HasParticipations: rowsPtr(false)}
	if err := scopeWhere(ctx, reflect.ValueOf(no)); err != nil {
		t.Fatal(err)
	}
	if no.HasParticipations != nil || len(no.HasParticipationsWith) != 0 || len(no.And) != 1 || no.And[0].Not == nil ||
		len(no.And[0].Not.HasParticipationsWith) != 1 || len(no.And[0].Not.HasParticipationsWith[0].Predicates) != 1 {
		t.Errorf("hasParticipations: false → %+v", no)
	}
}

// TestScopeWhereRefuses: filtering by a type the role may not read is
// FORBIDDEN, even with an empty condition; so is any edge filter without a
// viewer.
func TestScopeWhereRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		ctx   context.Context
		where *ent.ParticipationWhereInput
	}{
		{"contractor, ledger entries", rowsViewer(types.RoleContractor, ""), &ent.ParticipationWhereInput{
			HasLedgerEntriesWith: []*ent.LedgerEntryWhereInput{{}}}},
		{"contractor, existence of ledger entries", rowsViewer(types.RoleContractor, ""), &ent.ParticipationWhereInput{
			HasLedgerEntries: rowsPtr(true)}},
		{"contractor, nested in or", rowsViewer(types.RoleContractor, ""), &ent.ParticipationWhereInput{
			Or: []*ent.ParticipationWhereInput{{HasLedgerEntriesWith: []*ent.LedgerEntryWhereInput{nil}}}}},
		{"no viewer", context.Background(), &ent.ParticipationWhereInput{
			HasStepsWith: []*ent.StepWhereInput{{Kind: rowsPtr(types.StepKickoff)}}}},
	} {
		err := scopeWhere(c.ctx, reflect.ValueOf(c.where))
		if apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestScopeWhereOnAStore: without the scoping, a Kommune learns from a
// programme filter whether other Kommunen withdrew; with it, the filter
// sees only its own participations.
func TestScopeWhereOnAStore(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	sys := auth.SystemContext(context.Background())
	c := db.Client
	if err := programme.Seed(sys, c, db.Dialect); err != nil {
		t.Fatal(err)
	}
	svc := &programme.Service{Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	pid := c.Program.Query().OnlyIDX(sys)
	munis := c.Municipality.Query().Limit(3).IDsX(sys)
	for _, m := range munis[:2] {
		if _, err := svc.Register(sys, c, pid, m, types.Date(2026, 1, 5)); err != nil {
			t.Fatal(err)
		}
	}
	other := c.Participation.Query().Where(participation.MunicipalityID(munis[1])).OnlyX(sys)
	if _, err := svc.Withdraw(sys, c, other.ID, "Grund"); err != nil {
		t.Fatal(err)
	}
	count := func(ctx context.Context, w *ent.ProgramWhereInput, scoped bool) int {
		t.Helper()
		if scoped {
			if err := scopeWhere(ctx, reflect.ValueOf(w)); err != nil {
				t.Fatal(err)
			}
		}
		q, err := w.Filter(c.Program.Query())
		if err != nil {
			t.Fatal(err)
		}
		return q.CountX(ctx)
	}
	withdrawn := func() *ent.ProgramWhereInput {
		return &ent.ProgramWhereInput{HasParticipationsWith: []*ent.ParticipationWhereInput{{Status: rowsPtr(participation.StatusWITHDRAWN)}}}
	}
	has := func(b bool) *ent.ProgramWhereInput { return &ent.ProgramWhereInput{HasParticipations: rowsPtr(b)} }
	own, none := rowsViewer(types.RoleMunicipality, munis[0]), rowsViewer(types.RoleMunicipality, munis[2])
	for _, c := range []struct {
		name   string
		ctx    context.Context
		where  *ent.ProgramWhereInput
		scoped bool
		want   int
	}{
		{"unscoped: the leak scoping closes", own, withdrawn(), false, 1},
		{"another's withdrawal", own, withdrawn(), true, 0},
		{"the staff see it", rowsViewer(types.RoleCoordinator, ""), withdrawn(), true, 1},
		{"unscoped existence", none, has(true), false, 1},
		{"no participation of its own", none, has(true), true, 0},
		{"its own participation", own, has(true), true, 1},
		{"none of its own", none, has(false), true, 1},
		{"not none of its own", own, has(false), true, 0},
	} {
		if got := count(c.ctx, c.where, c.scoped); got != c.want {
			t.Errorf("%s: %d programmes, want %d", c.name, got, c.want)
		}
	}
}
