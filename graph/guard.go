package graph

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent/schema/types"
)

// Limits bound what one GraphQL request may ask for. Every limit is
// checked by the guard before any resolver runs, so a refused request
// costs no SQL.
type Limits struct {
	// MaxDepth is the deepest field nesting allowed outside introspection
	// (__schema and __type are bounded by MaxIntrospectionDepth).
	MaxDepth int
	// MaxIntrospectionDepth bounds introspection selections (graphql-js
	// 16.8+ asks for ofType nine levels deep: about 15 levels in all).
	MaxIntrospectionDepth int
	// MaxComplexity bounds the cost of a request: every field costs 1 (or
	// its @cost weight); the cost of a connection's selection is
	// multiplied by its first/last (MaxPage when neither is given), that
	// of a plain list by its bound (ListBound, or the number of IDs asked
	// for); every predicate and list element of the inputs costs 1.
	MaxComplexity int
	// MaxPage caps first and last.
	MaxPage int
	// ListBound is the number of elements a plain list is costed at.
	ListBound int
	// MaxInputNodes bounds the input values of a request: every input
	// field and every list element counts one.
	MaxInputNodes int
	// MaxInputDepth bounds the nesting of input objects (not inside not
	// inside and …).
	MaxInputDepth int
	// MaxListItems bounds every list argument (idIn, nodes(ids:), …).
	MaxListItems int
	// MaxStringBytes bounds every string argument without its own
	// @maxLength.
	MaxStringBytes int
	// MaxResponseBytes bounds the data of a response.
	MaxResponseBytes int
}

// DefaultLimits fit every query the frontends need.
var DefaultLimits = Limits{
	MaxDepth: 15, MaxIntrospectionDepth: 20, MaxComplexity: 50000, MaxPage: 1000, ListBound: 20,
	MaxInputNodes: 500, MaxInputDepth: 10, MaxListItems: 100, MaxStringBytes: 2000,
	MaxResponseBytes: 16 << 20,
}

// guard refuses requests beyond the limits, and fields, filters and
// orders the asking role may not use, before anything runs.
type guard struct {
	l      Limits
	access *accessTable
}

func (guard) ExtensionName() string                   { return "Guard" }
func (guard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (g guard) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	var role types.Role
	if v := auth.FromContext(ctx); v != nil {
		role = v.Role
	}
	w := walker{g: g, role: role, vars: oc.Variables, root: oc.Operation.Operation}
	cost := w.cost(oc.Operation.SelectionSet, 1, false)
	if w.err != nil {
		return w.err
	}
	cost += w.inputs
	if cost > g.l.MaxComplexity {
		return limitError("QUERY_TOO_COMPLEX", fmt.Sprintf(
			"the query would cost %d, more than the limit of %d: ask for smaller pages (first/last), fewer nested lists or fewer reports", cost, g.l.MaxComplexity),
			map[string]any{"cost": cost, "limit": g.l.MaxComplexity})
	}
	return nil
}

// InterceptResponse implements graphql.ResponseInterceptor: an answer
// larger than MaxResponseBytes is replaced by an error.
func (g guard) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Data) > g.l.MaxResponseBytes {
		return &graphql.Response{Errors: gqlerror.List{limitError("RESPONSE_TOO_LARGE", fmt.Sprintf(
			"the answer would be larger than %d bytes: ask for smaller pages or fewer fields", g.l.MaxResponseBytes),
			map[string]any{"limit": g.l.MaxResponseBytes})}}
	}
	return resp
}

func limitError(code, msg string, ext map[string]any) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	for k, v := range ext {
		e.Extensions[k] = v
	}
	return e
}

type walker struct {
	g      guard
	role   types.Role
	vars   map[string]any
	root   ast.Operation
	inputs int // input values seen
	err    *gqlerror.Error
}

func (w *walker) fail(code, msg string, ext map[string]any) {
	if w.err == nil {
		w.err = limitError(code, msg, ext)
	}
}

// cost returns the cost of a selection set at a depth, and records the
// first error.
func (w *walker) cost(set ast.SelectionSet, depth int, introspection bool) int {
	if w.err != nil {
		return 0
	}
	limit := w.g.l.MaxDepth
	if introspection {
		limit = w.g.l.MaxIntrospectionDepth
	}
	if depth > limit {
		w.fail("QUERY_TOO_DEEP", fmt.Sprintf("the query is nested deeper than %d levels", limit),
			map[string]any{"limit": limit})
		return 0
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total += w.field(s, depth, introspection)
		case *ast.InlineFragment:
			total += w.cost(s.SelectionSet, depth, introspection)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += w.cost(s.Definition.SelectionSet, depth, introspection)
			}
		}
		if w.err != nil || total > w.g.l.MaxComplexity*10 { // enough to refuse; stop walking huge documents
			return total
		}
	}
	return total
}

func (w *walker) field(f *ast.Field, depth int, introspection bool) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	if strings.HasPrefix(f.Name, "__") {
		if f.Name == "__typename" {
			return 1
		}
		return 1 + w.cost(f.SelectionSet, depth+1, true)
	}
	if introspection {
		return 1 + w.cost(f.SelectionSet, depth+1, true)
	}
	w.checkField(f.ObjectDefinition.Name, f.Name)
	w.arguments(f)
	weight := 1
	if d := f.Definition.Directives.ForName("cost"); d != nil {
		if a := d.Arguments.ForName("weight"); a != nil {
			if n, ok := intValue(a.Value); ok {
				weight = n
			}
		}
	}
	switch {
	case f.Definition.Arguments.ForName("first") != nil && f.Definition.Arguments.ForName("last") != nil:
		return weight + w.connection(f, depth+1, false)
	case f.Definition.Type.Elem != nil && len(f.SelectionSet) > 0 && !pageOf(f):
		return weight + w.listBound(f)*w.cost(f.SelectionSet, depth+1, false)
	default:
		return weight + w.cost(f.SelectionSet, depth+1, false)
	}
}

// pageOf reports whether a list is the page of a connection (edges,
// nodes), which the connection already costs by its page size.
func pageOf(f *ast.Field) bool {
	return (f.Name == "edges" || f.Name == "nodes") && strings.HasSuffix(f.ObjectDefinition.Name, "Connection")
}

// listBound is the number of elements a plain list of objects is costed
// at: the number of IDs asked for, or ListBound.
func (w *walker) listBound(f *ast.Field) int {
	if a := f.Arguments.ForName("ids"); a != nil {
		if v, err := a.Value.Value(w.vars); err == nil {
			if ids, ok := v.([]any); ok {
				return max(len(ids), 1)
			}
		}
	}
	return w.g.l.ListBound
}

// checkField refuses a field the role may not select.
func (w *walker) checkField(typ, field string) {
	if w.err != nil || w.g.access == nil {
		return
	}
	if def := w.g.access.schema.Types[typ]; def == nil || def.Kind != ast.Object {
		return // an interface's fields: the concrete types decide
	}
	if !w.g.access.allow(typ, field).has(w.role) {
		verb := "read " + typ + "." + field
		if w.root == ast.Mutation && typ == "Mutation" {
			verb = "call " + field
		} else if typ == "Query" {
			verb = "query " + field
		}
		w.fail(apperr.Forbidden, fmt.Sprintf("the %s role may not %s", roleName(w.role), verb),
			map[string]any{"field": typ + "." + field})
	}
}

func roleName(r types.Role) string {
	if r == "" {
		return "anonymous"
	}
	return string(r)
}

// arguments checks the input values of a field: their number, nesting,
// list sizes and strings, and the fields filters and orders use.
func (w *walker) arguments(f *ast.Field) {
	for _, a := range f.Arguments {
		def := f.Definition.Arguments.ForName(a.Name)
		if def == nil || a.Value == nil {
			continue
		}
		v, err := a.Value.Value(w.vars)
		if err != nil {
			continue // gqlgen reports values that do not coerce
		}
		w.input(f.Name+"."+a.Name, def.Type, def.Directives, v, 0)
		if w.err != nil {
			return
		}
	}
}

// input walks one input value of a type.
func (w *walker) input(path string, typ *ast.Type, ds ast.DirectiveList, v any, depth int) {
	if w.err != nil || v == nil {
		return
	}
	l := w.g.l
	w.inputs++
	if w.inputs > l.MaxInputNodes {
		w.fail("QUERY_TOO_COMPLEX", fmt.Sprintf("the request has more than %d input values", l.MaxInputNodes),
			map[string]any{"limit": l.MaxInputNodes})
		return
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value coerced to a list
			w.input(path, typ.Elem, ds, v, depth)
			return
		}
		if len(list) > l.MaxListItems {
			w.fail(apperr.Validation, fmt.Sprintf("%s: at most %d items", path, l.MaxListItems),
				map[string]any{"field": path, "limit": l.MaxListItems})
			return
		}
		for _, e := range list {
			w.input(path, typ.Elem, ds, e, depth)
		}
		return
	}
	switch x := v.(type) {
	case string:
		w.text(path, ds, x)
	case map[string]any:
		def := w.g.access.schema.Types[typ.Name()]
		if def == nil || def.Kind != ast.InputObject {
			return
		}
		if depth >= l.MaxInputDepth {
			w.fail("QUERY_TOO_COMPLEX", fmt.Sprintf("%s: input objects nested deeper than %d levels", path, l.MaxInputDepth),
				map[string]any{"field": path, "limit": l.MaxInputDepth})
			return
		}
		w.filterOrOrder(path, def, x)
		for k, fv := range x {
			fd := def.Fields.ForName(k)
			if fd == nil {
				continue
			}
			w.input(path+"."+k, fd.Type, fd.Directives, fv, depth+1)
		}
	}
}

// text refuses strings that are too long or hold NUL or control
// characters (tab, line feed and carriage return are text).
func (w *walker) text(path string, ds ast.DirectiveList, s string) {
	limit := w.g.l.MaxStringBytes
	if d := ds.ForName("maxLength"); d != nil {
		if a := d.Arguments.ForName("bytes"); a != nil {
			if n, ok := intValue(a.Value); ok {
				limit = n
			}
		}
	}
	if len(s) > limit {
		w.fail(apperr.Validation, fmt.Sprintf("%s: at most %d bytes", path, limit), map[string]any{"field": path, "limit": limit})
		return
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		w.fail(apperr.Validation, fmt.Sprintf("%s: control character U+%04X at byte %d is not allowed", path, r, i),
			map[string]any{"field": path})
	}
}

func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}

// filterOrOrder refuses a where input that filters by a field, or an
// order that sorts by a field, the role may not read.
func (w *walker) filterOrOrder(path string, def *ast.Definition, x map[string]any) {
	a := w.g.access
	if object, ok := strings.CutSuffix(def.Name, "WhereInput"); ok {
		for k := range x {
			if k == "not" || k == "and" || k == "or" {
				continue
			}
			f, ok := a.filterField(object, k)
			if !ok {
				w.fail(apperr.Forbidden, fmt.Sprintf("%s: the filter %s is not allowed", path, k), map[string]any{"field": path + "." + k})
				return
			}
			if !a.allow(object, f).has(w.role) {
				w.fail(apperr.Forbidden, fmt.Sprintf("the %s role may not filter by %s.%s", roleName(w.role), object, f),
					map[string]any{"field": object + "." + f})
				return
			}
		}
		return
	}
	if object, ok := strings.CutSuffix(def.Name, "Order"); ok {
		value, _ := x["field"].(string)
		if value == "" {
			return
		}
		fields, ok := a.orderField(object, value)
		if !ok {
			w.fail(apperr.Forbidden, fmt.Sprintf("%s: the order %s is not allowed", path, value), map[string]any{"field": path})
			return
		}
		for _, tf := range fields {
			if !a.allow(tf[0], tf[1]).has(w.role) {
				w.fail(apperr.Forbidden, fmt.Sprintf("the %s role may not order by %s.%s", roleName(w.role), tf[0], tf[1]),
					map[string]any{"field": tf[0] + "." + tf[1]})
				return
			}
		}
	}
}

// connection costs a connection's selection: what is asked per edge or
// node counts once per row of the page; totalCount and pageInfo once.
func (w *walker) connection(f *ast.Field, depth int, introspection bool) int {
	page := w.page(f)
	total := 0
	for _, sel := range f.SelectionSet {
		if c, ok := sel.(*ast.Field); ok && c.Name != "edges" && c.Name != "nodes" {
			total += w.cost(ast.SelectionSet{c}, depth, introspection)
			continue
		}
		total += page * w.cost(ast.SelectionSet{sel}, depth, introspection)
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
		if n > w.g.l.MaxPage || n < 0 {
			w.fail("PAGE_TOO_LARGE", fmt.Sprintf("%s: %s must be between 0 and %d", f.Name, name, w.g.l.MaxPage),
				map[string]any{"limit": w.g.l.MaxPage})
			return 0
		}
		size = max(size, n)
	}
	if size == 0 {
		size = w.g.l.MaxPage
	}
	return size
}

func intValue(v *ast.Value) (int, bool) {
	x, err := v.Value(nil)
	if err != nil {
		return 0, false
	}
	return toInt(x)
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
