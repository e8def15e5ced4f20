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

// selfTransacting mutations run their own transaction with retries on
// transient errors (the ledger's postings). When a mutation document
// contains only such fields, no outer transaction is opened.
var selfTransacting = map[string]bool{
	"postDisbursement":    true,
	"reverseDisbursement": true,
	"approveStage2":       true,
	"runJob":              true,
	// reconciliation
	"importBankStatement":     true,
	"importBankStatementFile": true,
	"matchBankTransaction":    true,
	"unmatchBankTransaction":  true,
}

// transactioner runs every other mutation operation in one transaction
// (all or nothing), like entgql.Transactioner, but retries a busy BEGIN
// and never shows database errors to clients.
type transactioner struct {
	r *Resolver
}

func (transactioner) ExtensionName() string                   { return "Transactioner" }
func (transactioner) Validate(graphql.ExecutableSchema) error { return nil }

func skipTx(op *ast.OperationDefinition) bool {
	if op == nil || op.Operation != ast.Mutation {
		return true
	}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || !selfTransacting[f.Name] {
			return false
		}
	}
	return true
}

// MutateOperationContext serializes the field resolvers of a mutation that
// share one transaction.
func (t transactioner) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if op := oc.Operation; op != nil && op.Operation == ast.Mutation && !skipTx(op) {
		for _, sel := range op.SelectionSet {
			if f, ok := sel.(*ast.Field); ok && selfTransacting[f.Name] {
				// They commit on their own and retry; they cannot be part
				// of an all-or-nothing document with other mutations.
				return &gqlerror.Error{
					Message:    f.Name + " must be the only kind of field in its mutation document; send other mutations separately",
					Extensions: map[string]any{"code": apperr.Validation},
				}
			}
		}
	}
	if !skipTx(oc.Operation) {
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
	if !graphql.HasOperationContext(ctx) || skipTx(graphql.GetOperationContext(ctx).Operation) {
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
