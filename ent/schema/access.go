package schema

import (
	"entgo.io/contrib/entgql"
	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/ent/schema/types"
)

// Field visibility: who may read a type, an edge or a field, declared next
// to the fields themselves and written into the GraphQL schema as
// @allow(roles: [...]). The GraphQL layer refuses, before anything runs, a
// request that selects, filters or orders by a field its role may not
// read; a type or field without @allow is read by nobody. Rows are
// filtered further by the privacy policies (privacy.go): @allow says which
// columns a role may see, the policy which rows.

// readers declares the roles that read a type, or one field or edge.
func readers(roles ...types.Role) entgql.Annotation {
	return entgql.Directives(allowDirective(roles))
}

func allowDirective(roles []types.Role) entgql.Directive {
	list := make(ast.ChildValueList, 0, len(roles))
	for _, r := range roles {
		list = append(list, &ast.ChildValue{Value: &ast.Value{Raw: string(r), Kind: ast.EnumValue}})
	}
	return entgql.NewDirective("allow", &ast.Argument{
		Name:  "roles",
		Value: &ast.Value{Kind: ast.ListValue, Children: list},
	})
}

var (
	// banking reads bank data and IBANs: MID finance, operators and (rows
	// permitting) the Kommune itself.
	banking = []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleMunicipality}
	// ledgerReaders read the ledger: staff and (its own rows) the Kommune.
	ledgerReaders = []types.Role{types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator, types.RoleMunicipality}
	// finance reads bank statements and their lines.
	finance = []types.Role{types.RoleAdmin, types.RoleMinistry}
)
