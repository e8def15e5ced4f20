package graph

import (
	"fmt"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/ent/schema/types"
)

// The field half of the role matrix is declared in the schema itself:
// @allow(roles: [...]) on a type covers its fields, on a field overrides
// the type's, on a query or mutation says who may call it (ent types carry
// it from their ent/schema annotations, hand-written types in the .graphql
// files). accessTable reads those directives once, at start, and answers
// "may this role select this field" for the request guard. Nothing is
// visible without a declaration: a type without @allow is read by no role.

// roleSet is a set of roles, one bit per role.
type roleSet uint16

var roleIndex = func() map[types.Role]roleSet {
	m := map[types.Role]roleSet{}
	for i, r := range types.Role("").Values() {
		m[types.Role(r)] = 1 << i
	}
	return m
}()

var allRoles = func() roleSet {
	var s roleSet
	for _, b := range roleIndex {
		s |= b
	}
	return s
}()

func roleBit(r types.Role) roleSet { return roleIndex[r] }

func (s roleSet) has(r types.Role) bool { return s&roleBit(r) != 0 }

// Roles lists the roles of the set, in the order of the Role enum.
func (s roleSet) Roles() []types.Role {
	var out []types.Role
	for _, r := range types.Role("").Values() {
		if s.has(types.Role(r)) {
			out = append(out, types.Role(r))
		}
	}
	return out
}

// accessTable holds, per object type and field, the roles that may select
// the field.
type accessTable struct {
	schema *ast.Schema
	fields map[string]map[string]roleSet
}

// structural fields are open to every role: what they return is guarded by
// the concrete types a request selects on it (node and nodes return the
// Node interface; a fragment on a type needs that type's roles).
var structural = map[string]bool{"Query.node": true, "Query.nodes": true}

func newAccessTable(s *ast.Schema) (*accessTable, error) {
	t := &accessTable{schema: s, fields: map[string]map[string]roleSet{}}
	for name, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		m := map[string]roleSet{}
		root := def == s.Query || def == s.Mutation || def == s.Subscription
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			own, declared, err := allowOf(f.Directives)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", name, f.Name, err)
			}
			target := t.typeRoles(f.Type.Name())
			switch {
			case structural[name+"."+f.Name]:
				m[f.Name] = allRoles
			case declared:
				m[f.Name] = own & target
			case root:
				// A generated query of an ent type: who may read the type
				// may list it. Anything else on a root type must say.
				if d, ok := t.declaredRoles(f.Type.Name()); ok {
					m[f.Name] = d
				}
			default:
				m[f.Name] = t.typeRoles(name) & target
			}
		}
		t.fields[name] = m
	}
	return t, nil
}

// allow returns the roles that may select a field of an object type.
func (t *accessTable) allow(typ, field string) roleSet { return t.fields[typ][field] }

// declaredRoles returns the roles of an object type's @allow; connection
// and edge types take the roles of their node type.
func (t *accessTable) declaredRoles(name string) (roleSet, bool) {
	def := t.schema.Types[name]
	if def == nil || def.Kind != ast.Object {
		return 0, false
	}
	if roles, ok, _ := allowOf(def.Directives); ok {
		return roles, true
	}
	for _, suffix := range []string{"Connection", "Edge"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && base != "" {
			return t.declaredRoles(base)
		}
	}
	return 0, false
}

// typeRoles returns the roles that may read values of a type: scalars,
// enums, interfaces, unions and PageInfo are open (what they hold is
// guarded elsewhere); an object type without a declaration is closed.
func (t *accessTable) typeRoles(name string) roleSet {
	def := t.schema.Types[name]
	if def == nil || strings.HasPrefix(name, "__") || name == "PageInfo" {
		return allRoles
	}
	switch def.Kind {
	case ast.Object:
		roles, _ := t.declaredRoles(name)
		return roles
	case ast.InputObject:
		return 0
	default:
		return allRoles
	}
}

// allowOf reads an @allow(roles:) directive.
func allowOf(ds ast.DirectiveList) (roleSet, bool, error) {
	d := ds.ForName("allow")
	if d == nil {
		return 0, false, nil
	}
	arg := d.Arguments.ForName("roles")
	if arg == nil || arg.Value == nil {
		return 0, false, fmt.Errorf("@allow without roles")
	}
	var s roleSet
	for _, c := range arg.Value.Children {
		b := roleBit(types.Role(c.Value.Raw))
		if b == 0 {
			return 0, false, fmt.Errorf("@allow names an unknown role %q", c.Value.Raw)
		}
		s |= b
	}
	return s, true, nil
}

// whereSuffixes are the operators of entgql's where inputs, longest first
// where one ends with another.
var whereSuffixes = []string{"ContainsFold", "EqualFold", "HasPrefix", "HasSuffix", "Contains", "NotNil", "IsNil",
	"NotIn", "NEQ", "GTE", "LTE", "GT", "LT", "In"}

// filterField returns the object field a where-input field filters on:
// "ibanHasPrefix" → "iban", "hasStepsWith" → "steps".
func (t *accessTable) filterField(object, input string) (string, bool) {
	fields := t.fields[object]
	if _, ok := fields[input]; ok {
		return input, true
	}
	if rest, ok := strings.CutPrefix(input, "has"); ok && rest != "" {
		edge := lowerFirst(strings.TrimSuffix(rest, "With"))
		if _, ok := fields[edge]; ok {
			return edge, true
		}
	}
	for _, suf := range whereSuffixes {
		if base, ok := strings.CutSuffix(input, suf); ok && base != "" {
			if _, ok := fields[base]; ok {
				return base, true
			}
		}
	}
	return "", false
}

// orderField returns the fields an order field sorts by, as pairs of
// (type, field): "REGISTERED_ON" → Participation.registeredOn;
// "MUNICIPALITY_NAME" → Participation.municipality and Municipality.name;
// "STEPS_COUNT" → Participation.steps.
func (t *accessTable) orderField(object, value string) ([][2]string, bool) {
	fields := t.fields[object]
	if f := camelEnum(value); fields != nil {
		if _, ok := fields[f]; ok {
			return [][2]string{{object, f}}, true
		}
	}
	if edge, ok := strings.CutSuffix(value, "_COUNT"); ok {
		if f := camelEnum(edge); fields[f] != 0 || hasKey(fields, f) {
			return [][2]string{{object, f}}, true
		}
	}
	parts := strings.Split(value, "_")
	for i := 1; i < len(parts); i++ {
		edge := camelEnum(strings.Join(parts[:i], "_"))
		if !hasKey(fields, edge) {
			continue
		}
		def := t.schema.Types[object].Fields.ForName(edge)
		target := def.Type.Name()
		f := camelEnum(strings.Join(parts[i:], "_"))
		if hasKey(t.fields[target], f) {
			return [][2]string{{object, edge}, {target, f}}, true
		}
	}
	return nil, false
}

func hasKey(m map[string]roleSet, k string) bool { _, ok := m[k]; return ok }

// camelEnum turns REGISTERED_ON into registeredOn.
func camelEnum(s string) string {
	parts := strings.Split(strings.ToLower(s), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

var (
	sharedAccess     *accessTable
	sharedAccessOnce sync.Once
)

// Allows reports whether a role may select a field of a type (or, for
// typ "Query" and "Mutation", call it): the same matrix that guards
// GraphQL, for the other HTTP edges (exports) that serve the same data.
func Allows(role types.Role, typ, field string) bool {
	sharedAccessOnce.Do(func() {
		t, err := newAccessTable(NewExecutableSchema(Config{}).Schema())
		if err != nil {
			panic(err)
		}
		sharedAccess = t
	})
	return sharedAccess.allow(typ, field).has(role)
}
