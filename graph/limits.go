package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one GraphQL request may ask for.
type Limits struct {
	// MaxDepth is the deepest field nesting allowed (GraphiQL's
	// introspection query needs 13).
	MaxDepth int
	// MaxComplexity bounds the cost of a request: every field costs 1, and
	// the cost of a connection's selection is multiplied by its first/last
	// (MaxPage when neither is given).
	MaxComplexity int
	// MaxPage caps first and last.
	MaxPage int
}

// DefaultLimits fit every query the frontends need.
var DefaultLimits = Limits{MaxDepth: 15, MaxComplexity: 50000, MaxPage: 1000}

// ExtensionName implements graphql.HandlerExtension.
func (Limits) ExtensionName() string { return "Limits" }

// Validate implements graphql.HandlerExtension.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses requests beyond the limits before any
// resolver runs.
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := walker{l: l, vars: oc.Variables}
	cost := w.cost(oc.Operation.SelectionSet, 1)
	if w.err != nil {
		return w.err
	}
	if cost > l.MaxComplexity {
		return limitError("QUERY_TOO_COMPLEX", fmt.Sprintf(
			"the query would cost %d, more than the limit of %d: ask for smaller pages (first/last) or fewer nested connections", cost, l.MaxComplexity),
			map[string]any{"cost": cost, "limit": l.MaxComplexity})
	}
	return nil
}

func limitError(code, msg string, ext map[string]any) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	for k, v := range ext {
		e.Extensions[k] = v
	}
	return e
}

type walker struct {
	l    Limits
	vars map[string]any
	err  *gqlerror.Error
}

// cost returns the cost of a selection set at a depth, and records the
// first limit error.
func (w *walker) cost(set ast.SelectionSet, depth int) int {
	if w.err != nil {
		return 0
	}
	if depth > w.l.MaxDepth {
		w.err = limitError("QUERY_TOO_DEEP", fmt.Sprintf("the query is nested deeper than %d levels", w.l.MaxDepth),
			map[string]any{"limit": w.l.MaxDepth})
		return 0
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && s.Definition.Arguments.ForName("first") != nil && s.Definition.Arguments.ForName("last") != nil {
				total += 1 + w.connection(s, depth+1)
			} else {
				total += 1 + w.cost(s.SelectionSet, depth+1)
			}
		case *ast.InlineFragment:
			total += w.cost(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += w.cost(s.Definition.SelectionSet, depth)
			}
		}
		if total > w.l.MaxComplexity*10 { // enough to refuse; stop walking huge documents
			return total
		}
	}
	return total
}

// connection costs a connection's selection: what is asked per edge or
// node counts once per row of the page; totalCount and pageInfo once.
func (w *walker) connection(f *ast.Field, depth int) int {
	page := w.page(f)
	total := 0
	for _, sel := range f.SelectionSet {
		if c, ok := sel.(*ast.Field); ok && c.Name != "edges" && c.Name != "nodes" {
			total += w.cost(ast.SelectionSet{c}, depth)
			continue
		}
		total += page * w.cost(ast.SelectionSet{sel}, depth)
	}
	return total
}

// page returns the page size of a connection field and refuses sizes
// above MaxPage.
func (w *walker) page(f *ast.Field) int {
	args := f.ArgumentMap(w.vars)
	size := 0
	for _, name := range []string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		n, ok := toInt(v)
		if !ok {
			continue
		}
		if n > w.l.MaxPage || n < 0 {
			if w.err == nil {
				w.err = limitError("PAGE_TOO_LARGE", fmt.Sprintf("%s: %s must be between 0 and %d", f.Name, name, w.l.MaxPage),
					map[string]any{"limit": w.l.MaxPage})
			}
			return 0
		}
		size = max(size, n)
	}
	if size == 0 {
		size = w.l.MaxPage
	}
	return size
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	}
	return 0, false
}
