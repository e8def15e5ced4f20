package graph

import (
	"context"
	"reflect"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema"
)

// scopeFilters is the field middleware that keeps filters inside the rows
// a role may read. The data layer's privacy rules filter the rows a query
// returns, but entgql compiles a nested has…With predicate into a subquery
// they never see; so every has…With (and has…) of a where argument gets
// the row filter of the type it reaches (schema.Rows), at every depth,
// before the query is built. Empty or null input objects mean "no
// condition", as GraphQL users expect: they are taken out before anything
// else, at every depth, as if they had not been sent, so that a form's
// unset optional variables never narrow (or widen) what the set ones ask
// for. {or: [{name: $n}, {}]} is {or: [{name: $n}]}, and
// {hasStepWith: {kind: null}} is no condition at all (has…: true asks for
// existence).
func scopeFilters(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && len(fc.Args) > 0 {
		if w, ok := fc.Args["where"]; ok && w != nil {
			if err := scopeWhere(ctx, reflect.ValueOf(w)); err != nil {
				return nil, err
			}
		}
	}
	return next(ctx)
}

// scopeWhere scopes one *XWhereInput in place.
func scopeWhere(ctx context.Context, v reflect.Value) error {
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	s := v.Elem()
	t := s.Type()
	for i := 0; i < t.NumField(); i++ {
		sf, fv := t.Field(i), s.Field(i)
		switch {
		case sf.Name == "Not":
			if fv.IsNil() {
				continue
			}
			if err := scopeWhere(ctx, fv); err != nil {
				return err
			}
			if emptyWhere(fv) {
				fv.Set(reflect.Zero(sf.Type))
			}
		case sf.Name == "And" || sf.Name == "Or":
			kept := reflect.MakeSlice(sf.Type, 0, fv.Len())
			for j := 0; j < fv.Len(); j++ {
				e := fv.Index(j)
				if !e.IsNil() {
					if err := scopeWhere(ctx, e); err != nil {
						return err
					}
				}
				if e.IsNil() || emptyWhere(e) {
					continue // no condition
				}
				kept = reflect.Append(kept, e)
			}
			fv.Set(kept)
		case strings.HasPrefix(sf.Name, "Has") && strings.HasSuffix(sf.Name, "With") && sf.Type.Kind() == reflect.Slice:
			if fv.Len() == 0 {
				continue
			}
			p, err := rowsOf(ctx, sf.Type.Elem())
			if err != nil {
				return err
			}
			kept := reflect.MakeSlice(sf.Type, 0, fv.Len())
			for j := 0; j < fv.Len(); j++ {
				e := fv.Index(j)
				if e.IsNil() {
					continue
				}
				if err := scopeWhere(ctx, e); err != nil {
					return err
				}
				if emptyWhere(e) {
					continue // no condition
				}
				if p != nil {
					addPredicate(e, p)
				}
				kept = reflect.Append(kept, e)
			}
			fv.Set(kept)
		case strings.HasPrefix(sf.Name, "Has") && sf.Type == reflect.TypeFor[*bool]():
			if fv.IsNil() {
				continue
			}
			with := s.FieldByName(sf.Name + "With")
			if !with.IsValid() {
				continue
			}
			p, err := rowsOf(ctx, with.Type().Elem())
			if err != nil {
				return err
			}
			if p == nil {
				continue // every row is visible: plain existence is fine
			}
			// has…: true becomes has…With: [{rows}], false its negation.
			want := fv.Elem().Bool()
			fv.Set(reflect.Zero(sf.Type))
			e := reflect.New(with.Type().Elem().Elem())
			addPredicate(e, p)
			if want {
				with.Set(reflect.Append(with, e))
				continue
			}
			inner := reflect.New(t)
			inner.Elem().FieldByName(sf.Name + "With").Set(reflect.Append(reflect.MakeSlice(with.Type(), 0, 1), e))
			neg := reflect.New(t)
			neg.Elem().FieldByName("Not").Set(inner)
			and := s.FieldByName("And")
			and.Set(reflect.Append(and, neg))
		}
	}
	return nil
}

// rowsOf returns the row filter of the type a *YWhereInput filters.
func rowsOf(ctx context.Context, whereType reflect.Type) (func(*sql.Selector), error) {
	m, ok := whereType.MethodByName("P")
	if !ok {
		return nil, apperr.New(apperr.Internal, "where input without predicates")
	}
	typ := m.Type.Out(0).Name() // predicate.Participation → "Participation"
	p, ok := schema.Rows(ctx, typ)
	if !ok {
		return nil, apperr.New(apperr.Forbidden, "this token may not filter by %s", typ)
	}
	return p, nil
}

// addPredicate adds a storage-level predicate to a *YWhereInput.
func addPredicate(where reflect.Value, p func(*sql.Selector)) {
	add := where.MethodByName("AddPredicates")
	pred := reflect.ValueOf(p).Convert(add.Type().In(0).Elem())
	add.Call([]reflect.Value{pred})
}

// emptyWhere reports whether a *XWhereInput sets nothing.
func emptyWhere(v reflect.Value) bool {
	s := v.Elem()
	for i := 0; i < s.NumField(); i++ {
		f := s.Field(i)
		if f.Kind() == reflect.Slice {
			if f.Len() > 0 {
				return false
			}
			continue
		}
		if !f.IsZero() {
			return false
		}
	}
	return true
}
