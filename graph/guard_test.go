package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/auth"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/programme"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func table(t testing.TB) *accessTable {
	t.Helper()
	a, err := newAccessTable(NewExecutableSchema(Config{}).Schema())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEverythingIsDeclared: every object type says who reads it, every
// query and mutation who may call it, every filter and order maps to a
// field of the matrix. A new type, field or filter without a declaration
// fails here (and is refused to every role at run time).
func TestEverythingIsDeclared(t *testing.T) {
	a := table(t)
	s := a.schema
	for name, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || name == "PageInfo" || def == s.Query || def == s.Mutation {
			continue
		}
		if _, ok := a.declaredRoles(name); !ok {
			t.Errorf("type %s has no @allow", name)
		}
	}
	for _, f := range s.Mutation.Fields {
		if f.Directives.ForName("allow") == nil {
			t.Errorf("mutation %s has no @allow", f.Name)
		}
	}
	for _, f := range s.Query.Fields {
		if !strings.HasPrefix(f.Name, "__") && a.allow("Query", f.Name) == 0 {
			t.Errorf("query %s is open to no role", f.Name)
		}
	}
	filters, orders := 0, 0
	for name, def := range s.Types {
		if object, ok := strings.CutSuffix(name, "WhereInput"); ok && def.Kind == ast.InputObject {
			for _, f := range def.Fields {
				if f.Name == "not" || f.Name == "and" || f.Name == "or" {
					continue
				}
				filters++
				if _, ok := a.filterField(object, f.Name); !ok {
					t.Errorf("filter %s.%s maps to no field of %s", name, f.Name, object)
				}
			}
		}
		if object, ok := strings.CutSuffix(name, "OrderField"); ok && def.Kind == ast.Enum {
			for _, v := range def.EnumValues {
				orders++
				if _, ok := a.orderField(object, v.Name); !ok {
					t.Errorf("order %s.%s maps to no field of %s", name, v.Name, object)
				}
			}
		}
	}
	if filters < 500 || orders < 40 {
		t.Errorf("only %d filters and %d orders found", filters, orders)
	}
}

// TestMatrix pins the field half of the role matrix where it matters.
func TestMatrix(t *testing.T) {
	a := table(t)
	cases := []struct {
		typ, field string
		roles      []types.Role
	}{
		{"Municipality", "name", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor, types.RoleMunicipality}},
		{"Municipality", "iban", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleMunicipality}},
		{"Municipality", "updatedAt", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleMunicipality}},
		{"Participation", "funding", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleMunicipality}},
		{"Participation", "ledgerEntries", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleMunicipality}},
		{"Query", "ledgerEntries", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleMunicipality}},
		{"Query", "bankTransactions", []types.Role{types.RoleAdmin, types.RoleMinistry}},
		{"ReconciliationRow", "openBankTransactions", []types.Role{types.RoleAdmin, types.RoleMinistry}},
		{"Query", "apiTokens", []types.Role{types.RoleAdmin}},
		{"Query", "auditEvents", []types.Role{types.RoleAdmin, types.RoleMinistry}},
		// node is open to every role; what it returns takes its type's roles
		// and rows (a BSI token reads no node type: NOT_FOUND for every ID).
		{"Query", "node", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor, types.RoleMunicipality, types.RoleBSI}},
		{"Mutation", "postDisbursement", []types.Role{types.RoleAdmin, types.RoleMinistry}},
		{"Mutation", "createApiToken", []types.Role{types.RoleAdmin}},
		{"ParticipationConnection", "totalCount", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleContractor, types.RoleMunicipality}},
		{"LedgerEntryConnection", "totalCount", []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleMunicipality}},
	}
	for _, c := range cases {
		got := a.allow(c.typ, c.field).Roles()
		if strings.Join(roleStrings(got), ",") != strings.Join(roleStrings(c.roles), ",") {
			t.Errorf("%s.%s: %v, want %v", c.typ, c.field, got, c.roles)
		}
	}
}

func roleStrings(rs []types.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func TestFilterAndOrderNames(t *testing.T) {
	a := table(t)
	for in, want := range map[string]string{
		"ibanHasPrefix": "iban", "iban": "iban", "ibanIsNil": "iban", "hasParticipationsWith": "participations",
		"hasParticipations": "participations", "nameContainsFold": "name", "idNotIn": "id", "agsGTE": "ags",
	} {
		if got, ok := a.filterField("Municipality", in); !ok || got != want {
			t.Errorf("filter %s: %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := a.filterField("Municipality", "secretHasPrefix"); ok {
		t.Error("an unknown filter maps to a field")
	}
	got, ok := a.orderField("Participation", "MUNICIPALITY_NAME")
	if !ok || len(got) != 2 || got[0] != [2]string{"Participation", "municipality"} || got[1] != [2]string{"Municipality", "name"} {
		t.Errorf("MUNICIPALITY_NAME: %v %v", got, ok)
	}
	if camelEnum("REGISTERED_ON") != "registeredOn" {
		t.Error(camelEnum("REGISTERED_ON"))
	}
}

// TestTextRule: NUL and control characters are refused, tab and line
// breaks are text.
func TestTextRule(t *testing.T) {
	for r, want := range map[rune]bool{0: true, '\a': true, 0x1b: true, 0x7f: true, 0x85: true, '\t': false, '\n': false, '\r': false, 'ä': false, ' ': false} {
		if isControl(r) != want {
			t.Errorf("isControl(%U) = %v", r, !want)
		}
	}
}

// BenchmarkGuardOverhead measures what the request guard and the filter
// scoping cost on the frontend's dashboard query (133 participations
// with municipality, funding, steps and open flags, as COORDINATOR),
// against the same handler without them, alternating in one run. It
// reports the guarded time as a share of the bare time.
func BenchmarkGuardOverhead(b *testing.B) {
	db := storetest.Open(b, store.Options{})
	ctx := auth.SystemContext(context.Background())
	if err := programme.Seed(ctx, db.Client, db.Dialect); err != nil {
		b.Fatal(err)
	}
	svc := &programme.Service{Now: func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) }}
	pid := db.Client.Program.Query().OnlyIDX(ctx)
	for _, m := range db.Client.Municipality.Query().AllX(ctx) {
		if _, err := svc.Register(ctx, db.Client, pid, m.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)); err != nil {
			b.Fatal(err)
		}
	}
	r := &Resolver{Client: db.Client, Programme: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	viewer := &auth.Viewer{Name: "kitu", Role: types.RoleCoordinator}
	serve := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h.ServeHTTP(w, req.WithContext(auth.NewContext(req.Context(), viewer)))
		})
	}
	guarded, bare := serve(newHandler(r, Options{}, true)), serve(newHandler(r, Options{}, false))
	body, _ := json.Marshal(map[string]any{"query": `{ participations(first: 133, where: {hasMunicipalityWith: {kindIn: [LANDKREIS, EINHEITSGEMEINDE, VERBANDSGEMEINDE, KREISFREIE_STADT]}}) { totalCount edges { node { id status municipality { name ags kind } funding { stage1Paid totalPaid totalRemaining } steps { kind dueOn completedAt } openFlags { kind severity } } } } }`})
	run := func(h http.Handler) time.Duration {
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(start)
		if w.Code != 200 || strings.Contains(w.Body.String(), `"errors"`) {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
		return d
	}
	run(guarded)
	run(bare)
	var withGuard, without time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			withGuard += run(guarded)
			without += run(bare)
		} else {
			without += run(bare)
			withGuard += run(guarded)
		}
	}
	b.ReportMetric(float64(withGuard)/float64(without), "guarded/bare")
	b.ReportMetric(float64(without.Microseconds())/float64(b.N), "bare-µs/op")
	b.ReportMetric(float64(withGuard.Microseconds())/float64(b.N), "guarded-µs/op")
}

// TestResponseCeiling: an answer above MaxResponseBytes becomes an error.
func TestResponseCeiling(t *testing.T) {
	g := guard{l: Limits{MaxResponseBytes: 100}}
	big := func(context.Context) *graphql.Response {
		return &graphql.Response{Data: json.RawMessage(`{"x":"` + strings.Repeat("a", 200) + `"}`)}
	}
	resp := g.InterceptResponse(context.Background(), big)
	if resp.Data != nil || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "RESPONSE_TOO_LARGE" {
		t.Fatalf("%+v", resp)
	}
	small := func(context.Context) *graphql.Response { return &graphql.Response{Data: json.RawMessage(`{}`)} }
	if resp := g.InterceptResponse(context.Background(), small); string(resp.Data) != "{}" {
		t.Fatalf("%+v", resp)
	}
}

// TestOwnTransactionsDeclared: the mutations that run their own
// transaction are those the schema marks @ownTransaction.
func TestOwnTransactionsDeclared(t *testing.T) {
	own := ownTransactions(NewExecutableSchema(Config{}).Schema())
	want := []string{"approveStage2", "importBankStatement", "importBankStatementFile", "matchBankTransaction",
		"postDisbursement", "reverseDisbursement", "runJob", "unmatchBankTransaction"}
	if len(own) != len(want) {
		t.Errorf("%d mutations own their transaction: %v", len(own), own)
	}
	for _, n := range want {
		if !own[n] {
			t.Errorf("%s is not @ownTransaction", n)
		}
	}
	if own["createMunicipality"] {
		t.Errorf("createMunicipality runs in the document's transaction")
	}
}
