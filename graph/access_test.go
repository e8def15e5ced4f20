package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/ent/schema/types"
	"sicherkommunal/graph"
)

var (
	admin        = types.RoleAdmin
	ministry     = types.RoleMinistry
	coordinator  = types.RoleCoordinator
	contractor   = types.RoleContractor
	municipality = types.RoleMunicipality
	allRoles     = []types.Role{admin, ministry, coordinator, contractor, municipality}
)

// TestAllowsCells pins cells of the field matrix that the other HTTP edges
// (the reconciliation downloads) rely on, and a few that keep money and
// tokens apart.
func TestAllowsCells(t *testing.T) {
	for _, c := range []struct {
		typ, field string
		may        []types.Role
	}{
		// The downloads: who may query reconciliation may download it; the
		// open bank lines are for MID alone, the unconfirmed entries also
		// for KITU.
		{"Query", "reconciliation", []types.Role{admin, ministry, coordinator}},
		{"ReconciliationRow", "openBankTransactions", []types.Role{admin, ministry}},
		{"Reconciliation", "unattributedBankTransactions", []types.Role{admin, ministry}},
		{"ReconciliationRow", "unconfirmedEntries", []types.Role{admin, ministry, coordinator}},
		// A Kommune's bank details: MID and the Kommune (its own row: the
		// row half of the matrix), not KITU or Bechtle.
		{"Municipality", "iban", []types.Role{admin, ministry, municipality}},
		{"Municipality", "name", allRoles},
		{"Participation", "funding", []types.Role{admin, ministry, coordinator, municipality}},
		{"Query", "bankTransactions", []types.Role{admin, ministry}},
		{"Mutation", "postDisbursement", []types.Role{admin, ministry}},
		{"Mutation", "createApiToken", []types.Role{admin}},
		{"Query", "apiTokens", []types.Role{admin}},
		// Structural and personal fields are open to every role.
		{"Query", "node", allRoles},
		{"Query", "nodes", allRoles},
		{"Query", "viewer", allRoles},
		{"Viewer", "role", allRoles},
	} {
		may := map[types.Role]bool{}
		for _, r := range c.may {
			may[r] = true
		}
		for _, r := range allRoles {
			if got := graph.Allows(r, c.typ, c.field); got != may[r] {
				t.Errorf("Allows(%s, %s.%s) = %v, want %v", r, c.typ, c.field, got, may[r])
			}
		}
	}
}

// TestAllowsFailsClosed: what the schema does not declare, no role may use.
func TestAllowsFailsClosed(t *testing.T) {
	for _, c := range []struct {
		role       types.Role
		typ, field string
	}{
		{admin, "Query", "noSuchQuery"},
		{admin, "NoSuchType", "id"},
		{admin, "Municipality", "tokenHash"},
		{admin, "CalendarFeed", "tokenHash"}, // Sensitive in ent: not in the schema
		{admin, "MunicipalityWhereInput", "iban"},
		{admin, "__Schema", "types"},
		{"", "Municipality", "name"},
		{"SYSTEM", "Municipality", "name"},
		{"admin", "Municipality", "name"},
	} {
		if graph.Allows(c.role, c.typ, c.field) {
			t.Errorf("Allows(%q, %s.%s) = true", c.role, c.typ, c.field)
		}
	}
}

// TestAllowsWithinTheClientSDL: no role may use a field that the client
// SDL's @allow does not grant it (on the field, else on its type; a query
// without one is the list of its type), nor one whose object type the role
// may not read. What clients read in
// api/schema.graphql is never narrower than what the server enforces.
func TestAllowsWithinTheClientSDL(t *testing.T) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(graph.ClientSDL())})
	if err != nil {
		t.Fatal(err)
	}
	rolesOf := func(ds ast.DirectiveList) (map[types.Role]bool, bool) {
		d := ds.ForName("allow")
		if d == nil {
			return nil, false
		}
		out := map[types.Role]bool{}
		for _, c := range d.Arguments.ForName("roles").Value.Children {
			out[types.Role(c.Value.Raw)] = true
		}
		return out, true
	}
	// typeRoles: an object type's @allow; connections and edges follow
	// their node type.
	var typeRoles func(name string) (map[types.Role]bool, bool)
	typeRoles = func(name string) (map[types.Role]bool, bool) {
		def := s.Types[name]
		if def == nil || def.Kind != ast.Object {
			return nil, false
		}
		if r, ok := rolesOf(def.Directives); ok {
			return r, true
		}
		for _, suffix := range []string{"Connection", "Edge"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && base != "" {
				return typeRoles(base)
			}
		}
		return nil, false
	}
	checked, granted := 0, 0
	for name, def := range s.Types {
		if def.Kind != ast.Object || name == "PageInfo" || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if (def == s.Query && (f.Name == "node" || f.Name == "nodes")) || strings.HasPrefix(f.Name, "__") {
				continue
			}
			target, isObject := typeRoles(f.Type.Name())
			declared, ok := rolesOf(f.Directives)
			switch {
			case ok:
			case def == s.Query || def == s.Mutation:
				// A generated list of an ent type: who may read the type
				// may list it.
				declared, ok = target, isObject
			default:
				declared, ok = typeRoles(name)
			}
			for _, r := range allRoles {
				if !graph.Allows(r, name, f.Name) {
					continue
				}
				granted++
				if !ok || !declared[r] {
					t.Errorf("%s may use %s.%s, which the client SDL does not grant it", r, name, f.Name)
				}
				if isObject && !target[r] {
					t.Errorf("%s may use %s.%s but not read its type %s", r, name, f.Name, f.Type.Name())
				}
			}
			checked++
		}
	}
	if checked < 300 || granted < 800 {
		t.Errorf("only %d fields and %d grants checked", checked, granted)
	}
}
