package graph

import (
	"bytes"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// The schema files carry directives that only the Go code generators read
// (@goModel, @goField, …). Clients never see them: introspection lists no
// such directive, and the client SDL (ClientSDL, served at /schema.graphql
// and committed as api/schema.graphql) prints none.

// specDirectives are defined by the GraphQL spec; SDL leaves them out.
var specDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true}

func goOnly(name string) bool { return strings.HasPrefix(name, "go") }

var hideGoDirectives sync.Once

// hideGoOnlyDirectives removes the definitions of the Go-only directives
// from the compiled schema, which introspection lists. Their uses on types
// and fields stay: gqlgen read them when it generated the code, and
// introspection does not show uses.
func hideGoOnlyDirectives(s *ast.Schema) {
	hideGoDirectives.Do(func() {
		for name := range s.Directives {
			if goOnly(name) {
				delete(s.Directives, name)
			}
		}
	})
}

var (
	clientSDLOnce sync.Once
	clientSDL     []byte
)

// ClientSDL is the whole schema as one SDL document for client tools:
// types and directives sorted by name, without the Go-only directives,
// with the access directives (@allow, @cost, @maxLength) that say who may
// use what.
func ClientSDL() []byte {
	clientSDLOnce.Do(func() {
		s := NewExecutableSchema(Config{}).Schema()
		hideGoOnlyDirectives(s)
		c := *s
		// The directives the GraphQL spec defines are implied; the others
		// the server supports (gqlgen's @defer) are printed, since clients
		// find them in introspection.
		c.Directives = make(map[string]*ast.DirectiveDefinition, len(s.Directives))
		for name, d := range s.Directives {
			if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn && !specDirectives[name] {
				e := *d
				e.Position = nil
				d = &e
			}
			c.Directives[name] = d
		}
		c.Types = make(map[string]*ast.Definition, len(s.Types))
		for name, def := range s.Types {
			d := *def
			d.Directives = withoutGoOnly(def.Directives)
			d.Fields = make(ast.FieldList, len(def.Fields))
			for i, f := range def.Fields {
				g := *f
				g.Directives = withoutGoOnly(f.Directives)
				g.Arguments = make(ast.ArgumentDefinitionList, len(f.Arguments))
				for j, a := range f.Arguments {
					b := *a
					b.Directives = withoutGoOnly(a.Directives)
					g.Arguments[j] = &b
				}
				d.Fields[i] = &g
			}
			d.EnumValues = make(ast.EnumValueList, len(def.EnumValues))
			for i, v := range def.EnumValues {
				w := *v
				w.Directives = withoutGoOnly(v.Directives)
				d.EnumValues[i] = &w
			}
			c.Types[name] = &d
		}
		var buf bytes.Buffer
		buf.WriteString("# The SicherKOMMUNAL GraphQL schema, printed from the server's schema.\n" +
			"# Regenerate with `go generate ./...`; the server serves the same text at /schema.graphql.\n\n")
		var raw bytes.Buffer
		formatter.NewFormatter(&raw, formatter.WithIndent("  ")).FormatSchema(&c)
		// One blank line after each definition, for people reading it.
		prev := ""
		for _, line := range strings.SplitAfter(raw.String(), "\n") {
			if prev != "" && line != "" && line[0] != ' ' && line[0] != '}' && endsDefinition(prev) {
				buf.WriteString("\n")
			}
			buf.WriteString(line)
			prev = line
		}
		clientSDL = buf.Bytes()
	})
	return clientSDL
}

// endsDefinition: a line at the left margin that closes a definition.
func endsDefinition(line string) bool {
	if line == "" || line[0] == ' ' {
		return false
	}
	for _, p := range []string{"}", "scalar ", "directive ", "union "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func withoutGoOnly(l ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range l {
		if !goOnly(d.Name) {
			out = append(out, d)
		}
	}
	return out
}
