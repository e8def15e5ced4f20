package graph_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/graph"
)

func loadClientSDL(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(graph.ClientSDL())})
	if err != nil {
		t.Fatalf("the client SDL does not load: %v", err)
	}
	return s
}

func TestClientSDLWithoutGoDirectives(t *testing.T) {
	sdl := string(graph.ClientSDL())
	if strings.Contains(sdl, "@go") {
		for _, l := range strings.Split(sdl, "\n") {
			if strings.Contains(l, "@go") {
				t.Errorf("Go-only directive: %s", strings.TrimSpace(l))
			}
		}
	}
	for name := range loadClientSDL(t).Directives {
		if strings.HasPrefix(name, "go") {
			t.Errorf("directive @%s defined", name)
		}
	}
}

// TestClientSDLIsTheServedSchema: the SDL loads with gqlparser and has
// every type and field the server runs, with the same kinds and types.
func TestClientSDLIsTheServedSchema(t *testing.T) {
	client := loadClientSDL(t)
	server := graph.NewExecutableSchema(graph.Config{}).Schema()
	if client.Query == nil || client.Mutation == nil || client.Query.Name != "Query" || client.Mutation.Name != "Mutation" {
		t.Fatal("no Query or Mutation")
	}
	n := 0
	for name, def := range server.Types {
		if strings.HasPrefix(name, "__") {
			continue
		}
		c := client.Types[name]
		if c == nil {
			t.Errorf("type %s missing", name)
			continue
		}
		n++
		if c.Kind != def.Kind || len(c.Fields) != len(def.Fields) || len(c.EnumValues) != len(def.EnumValues) {
			t.Errorf("%s: %s with %d fields, %d values; served %s with %d, %d", name,
				c.Kind, len(c.Fields), len(c.EnumValues), def.Kind, len(def.Fields), len(def.EnumValues))
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			cf := c.Fields.ForName(f.Name)
			if cf == nil || cf.Type.String() != f.Type.String() || len(cf.Arguments) != len(f.Arguments) {
				t.Errorf("%s.%s differs: %v", name, f.Name, cf)
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d types", n)
	}
	for name := range client.Types {
		if server.Types[name] == nil {
			t.Errorf("type %s is not served", name)
		}
	}
}

// TestClientSDLDirectives: the server's own directives and gqlgen's @defer
// are defined; the spec's are implied and left out.
func TestClientSDLDirectives(t *testing.T) {
	sdl := string(graph.ClientSDL())
	for _, d := range []string{"allow", "cost", "maxLength", "defer"} {
		if !strings.Contains(sdl, "\ndirective @"+d+"(") {
			t.Errorf("@%s is not defined", d)
		}
	}
	for _, d := range []string{"include", "skip", "deprecated", "specifiedBy", "oneOf"} {
		if strings.Contains(sdl, "directive @"+d) {
			t.Errorf("the spec directive @%s is printed", d)
		}
	}
	def := loadClientSDL(t).Directives["defer"]
	if def == nil || def.Arguments.ForName("if") == nil || def.Arguments.ForName("label") == nil ||
		!slices.Contains(def.Locations, ast.LocationInlineFragment) || !slices.Contains(def.Locations, ast.LocationFragmentSpread) {
		t.Errorf("@defer: %+v", def)
	}
	// Uses of the access directives are kept: the client SDL says who may
	// use what.
	for _, use := range []string{
		"type Municipality implements Node @allow(roles: [",
		"iban: String @allow(roles: [",
	} {
		if !strings.Contains(sdl, use) {
			t.Errorf("%q missing", use)
		}
	}
}

// TestClientSDLIsStable: the same bytes on every call, definitions sorted
// by name, one blank line between definitions.
func TestClientSDLIsStable(t *testing.T) {
	a := bytes.Clone(graph.ClientSDL())
	b := graph.ClientSDL()
	if !bytes.Equal(a, b) {
		t.Fatal("two calls differ")
	}
	if !bytes.HasPrefix(a, []byte("# The SicherKOMMUNAL GraphQL schema")) || !bytes.HasSuffix(a, []byte("}\n")) {
		t.Errorf("begins %q, ends %q", a[:min(40, len(a))], a[max(0, len(a)-10):])
	}
	head := regexp.MustCompile(`(?m)^(directive @|type |input |enum |scalar |interface |union )(\w+)`)
	var directives, types []string
	for _, m := range head.FindAllStringSubmatch(string(a), -1) {
		if m[1] == "directive @" {
			directives = append(directives, m[2])
		} else {
			types = append(types, m[2])
		}
	}
	if !slices.IsSorted(directives) || !slices.IsSorted(types) || len(types) < 100 {
		t.Errorf("not sorted: %d directives, %d types", len(directives), len(types))
	}
	if bytes.Contains(a, []byte("\n\n\n")) {
		t.Error("two blank lines in a row")
	}
	if bytes.Contains(a, []byte("}\ntype ")) || bytes.Contains(a, []byte("}\ninput ")) {
		t.Error("definitions without a blank line between them")
	}
}
