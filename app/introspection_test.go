package app

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestIntrospectionOfRealTools: the introspection queries that graphql-js
// 16.15 (every option on), GraphiQL 3 and the default of Apollo's and most
// code generators send are answered in full, for every role that may
// introspect, while the data depth limit still holds and introspection
// keeps a bound of its own. The query texts in testdata/introspection were
// printed by graphql-js 16.15 getIntrospectionQuery.
func TestIntrospectionOfRealTools(t *testing.T) {
	s := newTestServer(t)
	files, err := filepath.Glob("testdata/introspection/*.graphql")
	if err != nil || len(files) < 3 {
		t.Fatalf("introspection queries: %v %v", files, err)
	}
	muni := s.token(t, "MUNICIPALITY", s.municipalityID(t, "15003000"))
	for _, f := range files {
		q, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{s.Admin, muni} {
			var v struct {
				Schema struct {
					QueryType struct{ Name string }
					Types     []struct {
						Name   string
						Fields []struct {
							Name string
							Type struct {
								Kind, Name string
								OfType     *struct{ Kind, Name string }
							}
						}
					}
					Directives []struct{ Name string }
				} `json:"__schema"`
			}
			s.must(t, tok, string(q), nil, &v)
			if v.Schema.QueryType.Name != "Query" || len(v.Schema.Types) < 50 {
				t.Fatalf("%s: schema not read: query type %q, %d types", f, v.Schema.QueryType.Name, len(v.Schema.Types))
			}
			for _, d := range v.Schema.Directives {
				if strings.HasPrefix(d.Name, "go") {
					t.Errorf("%s: introspection shows the Go-only directive @%s", f, d.Name)
				}
			}
		}
	}
	all, _ := os.ReadFile("testdata/introspection/graphql-js-16.15-all-options.graphql")
	if strings.Count(string(all), "ofType") < 9 {
		t.Fatalf("the all-options query nests ofType %d levels, want 9", strings.Count(string(all), "ofType"))
	}

	// The data depth limit is unchanged: 16 nested fields are refused.
	deep := "{ viewer { role } participations(first: 1) { edges { node { municipality { participations(first: 1) { edges { node { municipality { participations(first: 1) { edges { node { municipality { participations(first: 1) { edges { node { id } } } } } } } } } } } } } } } }"
	s.fails(t, s.Admin, deep, nil, "QUERY_TOO_DEEP")
	// Introspection has its own bound: ofType nested 30 levels is refused.
	typeRef := "name"
	for i := 0; i < 30; i++ {
		typeRef = "kind ofType { " + typeRef + " }"
	}
	s.fails(t, s.Admin, `{ __type(name: "Query") { fields { type { `+typeRef+` } } } }`, nil, "QUERY_TOO_DEEP")
}

// municipalityID is the ID of the municipality with an AGS.
func (s *testServer) municipalityID(t testing.TB, ags string) string {
	t.Helper()
	var d struct {
		Municipalities struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.must(t, s.Admin, `query($a: String!) { municipalities(where: {ags: $a}) { edges { node { id } } } }`, map[string]any{"a": ags}, &d)
	if len(d.Municipalities.Edges) != 1 {
		t.Fatalf("no municipality %s", ags)
	}
	return d.Municipalities.Edges[0].Node.ID
}

// TestClientSchemaFile: api/schema.graphql is the schema the server runs,
// printed without Go-only directives, and the server serves the same text
// at /schema.graphql; every scalar says what it reads and writes.
func TestClientSchemaFile(t *testing.T) {
	s := newTestServer(t)
	committed, err := os.ReadFile("../api/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get(s.URL + "/schema.graphql"); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/schema.graphql without a token: %v %v", res, err)
	}
	res, sdl := s.download(t, s.token(t, "MUNICIPALITY", s.municipalityID(t, "15003000")), "/schema.graphql")
	served := string(sdl)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/graphql") {
		t.Fatalf("/schema.graphql: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if served != string(committed) {
		t.Fatalf("api/schema.graphql is not the running schema: run go generate ./...")
	}
	if strings.Contains(served, "@go") {
		t.Errorf("the client SDL carries a Go-only directive")
	}
	doc, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: served})
	if err != nil {
		t.Fatalf("the client SDL does not load: %v", err)
	}
	if doc.Query == nil || doc.Mutation == nil || len(doc.Types) < 100 {
		t.Fatalf("client SDL incomplete")
	}
	specs := map[string]string{
		"Time":   "https://scalars.graphql.org/andimarek/date-time",
		"Date":   "https://scalars.graphql.org/andimarek/local-date",
		"Cursor": "https://relay.dev/graphql/connections.htm#sec-Cursor",
	}
	var v struct {
		Schema struct {
			Types []struct {
				Kind, Name, Description string
				SpecifiedByURL          *string `json:"specifiedByURL"`
			}
		} `json:"__schema"`
	}
	s.must(t, s.Admin, `{ __schema { types { kind name description specifiedByURL } } }`, nil, &v)
	scalars := 0
	for _, ty := range v.Schema.Types {
		if ty.Kind != "SCALAR" {
			continue
		}
		scalars++
		if len(ty.Description) < 20 || strings.Contains(ty.Description, "builtin") {
			t.Errorf("scalar %s: description %q says nothing", ty.Name, ty.Description)
		}
		if want, ok := specs[ty.Name]; ok && (ty.SpecifiedByURL == nil || *ty.SpecifiedByURL != want) {
			t.Errorf("scalar %s: specifiedByURL %v, want %s", ty.Name, ty.SpecifiedByURL, want)
		}
	}
	if scalars < 8 {
		t.Errorf("%d scalars", scalars)
	}
	// Off with introspection.
	off := newOpsServer(t, appOptions{NoIntrospection: true}, nil)
	res, b := off.download(t, off.Admin, "/schema.graphql")
	body := string(b)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "INTROSPECTION_DISABLED") || strings.Contains(body, "type Query") {
		t.Errorf("/schema.graphql with introspection off: %d %s", res.StatusCode, body)
	}
}
