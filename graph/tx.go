package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/store"
)

// ownTransactions are the mutations declared @ownTransaction in the
// schema: they run their own transaction with retries on transient errors
// (the ledger's postings, the bank imports). When a mutation document
// contains only such fields, no outer transaction is opened.
func ownTransactions(s *ast.Schema) map[string]bool {
	own := map[string]bool{}
	if s.Mutation != nil {
		for _, f := range s.Mutation.Fields {
			if f.Directives.ForName("ownTransaction") != nil {
				own[f.Name] = true
			}
		}
	}
	return own
}

// transactioner runs every other mutation operation in one transaction
// (all or nothing), like entgql.Transactioner, but retries a busy BEGIN
// and never shows database errors to clients.
type transactioner struct {
	r   *Resolver
	own map[string]bool // ownTransactions
}

func (transactioner) ExtensionName() string                   { return "Transactioner" }
func (transactioner) Validate(graphql.ExecutableSchema) error { return nil }

func (t transactioner) skipTx(op *ast.OperationDefinition) bool {
	if op == nil || op.Operation != ast.Mutation {
		return true
	}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || !t.own[f.Name] {
			return false
		}
	}
	return true
}

// MutateOperationContext serializes the field resolvers of a mutation that
// share one transaction.
func (t transactioner) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if op := oc.Operation; op != nil && op.Operation == ast.Mutation && !t.skipTx(op) {
		for _, sel := range op.SelectionSet {
			if f, ok := sel.(*ast.Field); ok && t.own[f.Name] {
				// They commit on their own and retry; they cannot be part
				// of an all-or-nothing document with other mutations.
				return &gqlerror.Error{
					Message:    f.Name + " must be the only kind of field in its mutation document; send other mutations separately",
					Extensions: map[string]any{"code": apperr.Validation},
				}
			}
		}
	}
	if !t.skipTx(oc.Operation) {
		previous := oc.ResolverMiddleware
		var mu sync.Mutex
		oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			return previous(ctx, next)
		}
	}
	return nil
}

func (t transactioner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) || t.skipTx(graphql.GetOperationContext(ctx).Operation) {
		return next(ctx)
	}
	tx, err := store.OpenTx(ctx, t.r.Client)
	if err != nil {
		return t.fail(ctx, "cannot begin transaction", err)
	}
	ctx = ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	rsp := next(ctx)
	if rsp == nil || len(rsp.Errors) > 0 {
		_ = tx.Rollback()
		if rsp == nil {
			return nil
		}
		return &graphql.Response{Errors: rsp.Errors}
	}
	if err := tx.Commit(); err != nil {
		return t.fail(ctx, "cannot commit transaction", err)
	}
	return rsp
}

func (t transactioner) fail(ctx context.Context, what string, err error) *graphql.Response {
	t.r.Log.ErrorContext(ctx, what, "err", err)
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    "internal error",
		Extensions: map[string]any{"code": apperr.Internal},
	}}}
}
