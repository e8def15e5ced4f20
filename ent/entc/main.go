// Command entc generates the ent client and the entgql GraphQL schema from
// ent/schema. Run it through `go generate ./...` at the repository root.
package main

import (
	"fmt"
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

// scalars are the descriptions and specifications of the scalars entgql
// declares (its own texts say nothing a client can use).
var scalars = map[string]struct{ description, specifiedBy string }{
	"Time": {
		"An instant, as an RFC 3339 date-time string in UTC with a Z and whole seconds " +
			"(\"2026-12-02T15:04:05Z\"). Read with any offset (\"2026-12-02T16:04:05+01:00\" is the same instant).",
		"https://scalars.graphql.org/andimarek/date-time",
	},
	"Cursor": {
		"An opaque position in a connection, as a string: pass a pageInfo endCursor as after " +
			"(or startCursor as before) to read the next (or previous) page.",
		"https://relay.dev/graphql/connections.htm#sec-Cursor",
	},
}

func describeScalars(_ *gen.Graph, s *ast.Schema) error {
	for name, sc := range scalars {
		t := s.Types[name]
		if t == nil || t.Kind != ast.Scalar {
			return fmt.Errorf("scalar %s is not in the ent schema", name)
		}
		t.Description = sc.description
		t.Directives = append(t.Directives, &ast.Directive{
			Name: "specifiedBy",
			Arguments: ast.ArgumentList{{
				Name:  "url",
				Value: &ast.Value{Kind: ast.StringValue, Raw: sc.specifiedBy},
			}},
		})
	}
	return nil
}

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		entgql.WithSchemaHook(describeScalars),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	templates := append(entgql.AllTemplates, gen.MustParse(gen.NewTemplate("pulid").ParseFiles("./ent/template/pulid.tmpl")))
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:    "./ent",
		Package:   "sicherkommunal/ent",
		Templates: templates,
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureUpsert,
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
