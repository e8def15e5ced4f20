package app

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"sicherkommunal/graph"
)

// TestEveryEmptyFilter walks the schema: for every where input type that a
// root query reaches (at the top or nested in has…With, not, and, or) and
// every field of it, a null (literal or an unset variable) and an empty
// input object ({} or [{}]) mean "no condition": the query answers, with
// the count of the unfiltered query, and nothing is logged as an error.
// A new where input or field is covered the day it is added.
func TestEveryEmptyFilter(t *testing.T) {
	f := newAccessFixture(t)
	s := graph.NewExecutableSchema(graph.Config{}).Schema()

	type target struct {
		root string      // Query field with a where argument and totalCount
		path []inputStep // from the root's where to the input type
		typ  *ast.Definition
	}
	var roots []string
	for _, q := range s.Query.Fields {
		w := q.Arguments.ForName("where")
		if w == nil || s.Types[q.Type.Name()].Fields.ForName("totalCount") == nil {
			continue
		}
		roots = append(roots, q.Name)
	}
	sort.Strings(roots)
	if len(roots) < 10 {
		t.Fatalf("only %d filtered root queries: %v", len(roots), roots)
	}
	// Breadth first: each where input type once, by its shortest path.
	seen := map[string]bool{}
	var targets []target
	var queue []target
	for _, r := range roots {
		typ := s.Types[s.Query.Fields.ForName(r).Arguments.ForName("where").Type.Name()]
		if !seen[typ.Name] {
			seen[typ.Name] = true
			queue = append(queue, target{root: r, typ: typ})
		}
	}
	for len(queue) > 0 {
		tg := queue[0]
		queue = queue[1:]
		targets = append(targets, tg)
		for _, fd := range tg.typ.Fields {
			in := s.Types[fd.Type.Name()]
			if in.Kind != ast.InputObject || seen[in.Name] {
				continue
			}
			seen[in.Name] = true
			next := append(append([]inputStep(nil), tg.path...), inputStep{fd.Name, fd.Type.Elem != nil})
			queue = append(queue, target{root: tg.root, path: next, typ: in})
		}
	}
	if len(targets) < 15 {
		t.Fatalf("only %d where input types reached", len(targets))
	}

	unfiltered := map[string]int{}
	for _, r := range roots {
		var d map[string]struct{ TotalCount int }
		f.must(t, f.Admin, fmt.Sprintf("{ %s { totalCount } }", r), nil, &d)
		unfiltered[r] = d[r].TotalCount
	}
	checked := 0
	for _, tg := range targets {
		type sel struct{ text, variable string }
		var sels []sel
		want := map[string]string{}
		for i, fd := range tg.typ.Fields {
			values := []string{"null", fmt.Sprintf("$v%d", i)}
			if s.Types[fd.Type.Name()].Kind == ast.InputObject {
				if fd.Type.Elem != nil {
					values = append(values, "[{}]")
				} else {
					values = append(values, "{}")
				}
			}
			for j, v := range values {
				alias := fmt.Sprintf("f%d_%d", i, j)
				e := sel{text: fmt.Sprintf("%s: %s(where: %s) { totalCount }", alias, tg.root, wrap(tg.path, fd.Name+": "+v))}
				if strings.HasPrefix(v, "$") {
					e.variable = fmt.Sprintf("%s: %s", v, nullable(fd.Type))
				}
				sels = append(sels, e)
				want[alias] = tg.typ.Name + "." + fd.Name + " = " + v
			}
		}
		for start := 0; start < len(sels); start += 60 {
			var vars, texts []string
			for _, e := range sels[start:min(start+60, len(sels))] {
				texts = append(texts, e.text)
				if e.variable != "" {
					vars = append(vars, e.variable)
				}
			}
			q := "{ " + strings.Join(texts, " ") + " }"
			if len(vars) > 0 {
				q = "query(" + strings.Join(vars, ", ") + ") " + q
			}
			r := f.post(t, f.Admin, q, nil)
			if len(r.Errors) > 0 {
				t.Errorf("%s via %s: %s", tg.typ.Name, tg.root, r.Raw)
				continue
			}
			var d map[string]struct{ TotalCount int }
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			for alias, got := range d {
				if got.TotalCount != unfiltered[tg.root] {
					t.Errorf("%s(where: %s): %d rows, unfiltered %d", tg.root, want[alias], got.TotalCount, unfiltered[tg.root])
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d empty filters checked", checked)
	}
	if strings.Contains(f.Logs.String(), "level=ERROR") {
		t.Errorf("empty filters logged errors:\n%s", grepLines(f.Logs.String(), "level=ERROR"))
	}
	t.Logf("%d where input types, %d empty filters checked on %d root queries", len(targets), checked, len(roots))
}

type inputStep struct {
	field string
	list  bool
}

// wrap nests an input field inside the path: {a: [{b: {inner}}]}.
func wrap(path []inputStep, inner string) string {
	out := "{" + inner + "}"
	for i := len(path) - 1; i >= 0; i-- {
		if path[i].list {
			out = "[" + out + "]"
		}
		out = "{" + path[i].field + ": " + out + "}"
	}
	return out
}

func nullable(t *ast.Type) string {
	c := *t
	c.NonNull = false
	return c.String()
}
