package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/store/retry"
)

// isIntrospectionDisabled reports gqlgen's refusal of __schema and __type
// (an errors.New in gqlgen, so only its text identifies it).
func isIntrospectionDisabled(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "introspection disabled" {
			return true
		}
	}
	return false
}

// didYouMean is a suggestion in a GraphQL validation message: "Did you
// mean "name"?", "Did you mean the enum value "A" or "B"?".
var didYouMean = regexp.MustCompile(`\s*Did you mean [^?]*\?`)

// presentError maps domain errors to GraphQL errors with extensions.code.
// Anything unexpected is logged and shown as a generic INTERNAL error: no
// SQL, constraint names or stack traces reach a client. With hideSchema
// (introspection off) no message suggests a name of the schema, as a
// last line behind the silent validation rules.
func presentError(log *slog.Logger, hideSchema bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var (
			ae  *apperr.Error
			ve  *ent.ValidationError
			nf  *ent.NotFoundError
			ce  *ent.ConstraintError
			gqe *gqlerror.Error
		)
		switch {
		case errors.As(err, &ae):
			gerr.Message = ae.Message
			gerr.Extensions = map[string]any{"code": ae.Code}
			for k, v := range ae.Details {
				gerr.Extensions[k] = v
			}
		case errors.Is(err, privacy.Deny):
			// The data layer's role rules refused; say no more than that.
			gerr.Message = "this token may not see or change this"
			gerr.Extensions = map[string]any{"code": apperr.Forbidden}
		case errors.As(err, &ve):
			// ent wraps the validator's error in "ent: validator failed for
			// field …"; show the validator's own words.
			inner := errors.Unwrap(ve)
			if i := errors.Unwrap(inner); i != nil {
				inner = i
			}
			field := camel(ve.Name)
			gerr.Message = fmt.Sprintf("invalid %s: %v", field, inner)
			gerr.Extensions = map[string]any{"code": apperr.Validation, "field": field}
		case errors.As(err, &nf):
			gerr.Message = "not found"
			gerr.Extensions = map[string]any{"code": apperr.NotFound}
		case errors.As(err, &ce):
			log.InfoContext(ctx, "constraint violation", "err", err)
			gerr.Message = "this conflicts with an existing record"
			gerr.Extensions = map[string]any{"code": apperr.Conflict}
		case errors.As(err, &gqe) && gqe.Unwrap() == nil:
			// A GraphQL error made by gqlgen or entgql itself (parse,
			// validation, coercion, node not found): safe to show.
			if gerr.Extensions == nil || gerr.Extensions["code"] == nil {
				if gerr.Extensions == nil {
					gerr.Extensions = map[string]any{}
				}
				gerr.Extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
			}
			if hideSchema {
				gerr.Message = didYouMean.ReplaceAllString(gerr.Message, "")
			}
		case isIntrospectionDisabled(err):
			// gqlgen's own refusal, should a query get past noIntrospection.
			log.DebugContext(ctx, "introspection refused", "path", gerr.Path.String())
			gerr.Message = "schema introspection is disabled on this server"
			gerr.Extensions = map[string]any{"code": IntrospectionDisabled}
		case errors.Is(err, context.DeadlineExceeded), retry.IsQueryCanceled(err):
			// The deadline passed, or the database stopped the statement
			// at the deadline (statement_timeout, the cancel request).
			gerr.Message = "the request took too long"
			gerr.Extensions = map[string]any{"code": apperr.Timeout}
		default:
			log.ErrorContext(ctx, "internal error", "err", err, "path", gerr.Path.String())
			gerr.Message = "internal error"
			gerr.Extensions = map[string]any{"code": apperr.Internal}
		}
		return gerr
	}
}

// recoverPanic logs a panic and turns it into an INTERNAL error.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p))
		return apperr.New(apperr.Internal, "internal error")
	}
}

// camel turns an ent field name (contact_email) into its GraphQL name (contactEmail).
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
