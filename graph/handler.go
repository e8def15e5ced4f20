package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sicherkommunal/apperr"
	"sicherkommunal/internal/clock"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Options configure the GraphQL handler.
type Options struct {
	// Registerer receives the per-operation metrics; nil disables them.
	Registerer prometheus.Registerer
	// Limits bound depth, cost, page sizes and inputs (zero value: DefaultLimits).
	Limits Limits
	// NoIntrospection switches schema introspection off.
	NoIntrospection bool
	// MaxUploadBytes bounds a multipart request (GraphQL multipart
	// request spec, Upload); 0: 64 MiB. The HTTP layer enforces it too.
	MaxUploadBytes int64
}

// NewHandler returns the /query handler: GraphQL over HTTP (POST and GET;
// GET never runs mutations), mutations in one transaction each, errors
// presented with codes.
func NewHandler(r *Resolver, opts Options) http.Handler { return newHandler(r, opts, true) }

// newHandler builds the handler; guarded false leaves out the request
// guard and the filter scoping, only for the benchmark that measures what
// they cost.
func newHandler(r *Resolver, opts Options, guarded bool) http.Handler {
	es := NewExecutableSchema(Config{Resolvers: r})
	hideGoOnlyDirectives(es.Schema())
	access, err := newAccessTable(es.Schema())
	if err != nil {
		// The schema is compiled in: a bad @allow is a programming error
		// that every test run finds.
		panic(err)
	}
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	maxUpload := opts.MaxUploadBytes
	if maxUpload <= 0 {
		maxUpload = 64 << 20
	}
	// Files up to 8 MiB are held in memory, larger ones in a temporary
	// file that the statement parser reads as a stream.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: maxUpload, MaxMemory: 8 << 20})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !opts.NoIntrospection {
		srv.Use(extension.Introspection{})
	} else {
		// Refused before the guard and anything else runs, and validation
		// errors name no fields, arguments, types or enum values.
		srv.Use(noIntrospection{})
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(rulesWithoutSuggestions)
	}
	limits := opts.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	if guarded {
		srv.Use(guard{l: limits, access: access})
		srv.AroundFields(scopeFilters)
	}
	srv.Use(transactioner{r: r, own: ownTransactions(es.Schema())})
	srv.AroundOperations(r.withLoaders)
	if opts.Registerer != nil {
		srv.Use(newOperationMetrics(opts.Registerer))
	}
	srv.SetErrorPresenter(presentError(r.Log, opts.NoIntrospection))
	srv.SetRecoverFunc(recoverPanic(r.Log))
	return requestErrors(srv)
}

// requestErrors answers request errors (a document that does not parse or
// validate, variables that do not coerce, a body that is not JSON) as the
// GraphQL-over-HTTP spec asks, where gqlgen differs: with
// application/json the status is 200 (gqlgen: 422), and the answer has no
// "data" entry, because nothing was executed (gqlgen: "data": null).
// With application/graphql-response+json the status stays 4xx.
func requestErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &requestErrorWriter{ResponseWriter: w, get: r.Method == http.MethodGet}
		next.ServeHTTP(rw, r)
		rw.finish()
	})
}

type requestErrorWriter struct {
	http.ResponseWriter
	get    bool // a GET request: a mutation is refused with 405
	status int
	body   *bytes.Buffer // the held-back answer to a request error
}

func (w *requestErrorWriter) WriteHeader(code int) {
	if code == http.StatusNotAcceptable && w.get {
		// gqlgen answers a mutation over GET with 406 and no code; the
		// GraphQL-over-HTTP spec asks for 405 and an Allow header.
		w.status, w.body = http.StatusMethodNotAllowed, &bytes.Buffer{}
		return
	}
	if code == http.StatusUnprocessableEntity || code == http.StatusBadRequest {
		w.status, w.body = code, &bytes.Buffer{}
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *requestErrorWriter) Write(p []byte) (int, error) {
	if w.body != nil {
		return w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *requestErrorWriter) finish() {
	if w.body == nil {
		return
	}
	body := w.body.Bytes()
	if w.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "POST")
		w.Header().Del("Content-Length")
		apperr.WriteHTTP(w.ResponseWriter, apperr.MethodNotAllowed, "only queries may be sent with GET; send mutations with POST", nil)
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err == nil && string(m["data"]) == "null" {
		delete(m, "data")
		if b, err := json.Marshal(m); err == nil {
			body = b
		}
	}
	status := w.status
	if status == http.StatusUnprocessableEntity {
		status = http.StatusOK
	}
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(status)
	_, _ = w.ResponseWriter.Write(body)
}

// noIntrospection refuses operations that ask for __schema or __type
// with INTROSPECTION_DISABLED, a request error like the limits' (gqlgen's
// own refusal is an unexpected error, logged and answered as INTERNAL).
type noIntrospection struct{}

// IntrospectionDisabled is the code of a refused introspection query.
const IntrospectionDisabled = apperr.IntrospectionDisabled

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, nil) {
		if f.Name == "__schema" || f.Name == "__type" {
			return &gqlerror.Error{
				Message:    "schema introspection is disabled on this server",
				Extensions: map[string]any{"code": IntrospectionDisabled},
			}
		}
	}
	return nil
}

// rulesWithoutSuggestions are gqlparser's validation rules with every rule
// that suggests names ("Did you mean …?") replaced by its silent variant;
// SetDisableSuggestion alone covers only FieldsOnCorrectType and
// ScalarLeafs.
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, silent := range []struct {
		replaces string
		rule     core.Rule
	}{
		{"KnownArgumentNames", rules.KnownArgumentNamesRuleWithoutSuggestions},
		{"KnownTypeNames", rules.KnownTypeNamesRuleWithoutSuggestions},
		{"ValuesOfCorrectType", rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
	} {
		r.RemoveRule(silent.replaces)
		r.AddRule(silent.rule.Name, silent.rule.RuleFunc)
	}
	return r
}

// operationMetrics counts GraphQL operations and their latency by the
// name of the operation's first root field (participations,
// postDisbursement, __schema for introspection). Operation names are
// chosen by clients; root fields by the schema, so the labels are
// bounded and no client can crowd others out. Only operations that
// validated are counted.
type operationMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newOperationMetrics(reg prometheus.Registerer) *operationMetrics {
	m := &operationMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sk_graphql_operations_total",
			Help: "GraphQL operations by their first root field (operation label: participations, postDisbursement, __schema, …), operation type and outcome.",
		}, []string{"operation", "type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sk_graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency by first root field (operation label) and operation type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (m *operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

// rootField names the first root field of the operation, as the schema
// names it (never the alias): "none" when @skip/@include leave none.
func rootField(oc *graphql.OperationContext) string {
	if oc.Operation == nil {
		return "unknown"
	}
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, nil)
	if len(fields) == 0 {
		return "none"
	}
	if fields[0].Definition == nil { // not validated against the schema
		return "unknown"
	}
	return fields[0].Name
}

func (m *operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	start := clock.System()
	resp := next(ctx)
	typ := "unknown"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	name := rootField(oc)
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.requests.WithLabelValues(name, typ, outcome).Inc()
	m.latency.WithLabelValues(name, typ).Observe(clock.Since(start).Seconds())
	return resp
}
