package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
)

// Options configure the GraphQL handler.
type Options struct {
	// Registerer receives the per-operation metrics; nil disables them.
	Registerer prometheus.Registerer
	// Limits bound depth, cost, page sizes and inputs (zero value: DefaultLimits).
	Limits Limits
	// NoIntrospection switches schema introspection off.
	NoIntrospection bool
}

// NewHandler returns the /query handler: GraphQL over HTTP (POST and GET;
// GET never runs mutations), mutations in one transaction each, errors
// presented with codes.
func NewHandler(r *Resolver, opts Options) http.Handler {
	es := NewExecutableSchema(Config{Resolvers: r})
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
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !opts.NoIntrospection {
		srv.Use(extension.Introspection{})
	}
	limits := opts.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	srv.Use(guard{l: limits, access: access})
	srv.AroundFields(scopeFilters)
	srv.Use(transactioner{r: r})
	srv.AroundOperations(r.withLoaders)
	if opts.Registerer != nil {
		srv.Use(newOperationMetrics(opts.Registerer))
	}
	srv.SetErrorPresenter(presentError(r.Log))
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
		rw := &requestErrorWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		rw.finish()
	})
}

type requestErrorWriter struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer // the held-back answer to a request error
}

func (w *requestErrorWriter) WriteHeader(code int) {
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

// operationMetrics counts GraphQL operations and their latency by
// operation name. Names are client-chosen, so only well-formed names are
// used as labels and their number is bounded.
type operationMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	mu       sync.Mutex
	names    map[string]bool
}

const maxOperationNames = 200

var operationNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func newOperationMetrics(reg prometheus.Registerer) *operationMetrics {
	m := &operationMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sk_graphql_operations_total",
			Help: "GraphQL operations by operation name, type and outcome.",
		}, []string{"operation", "type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sk_graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency by operation name.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
		names: map[string]bool{},
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (m *operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }
func (m *operationMetrics) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !operationNamePattern.MatchString(name) {
		return "invalid"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= maxOperationNames {
			return "other"
		}
		m.names[name] = true
	}
	return name
}

func (m *operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	start := time.Now()
	resp := next(ctx)
	name, typ := oc.OperationName, "unknown"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	name = m.label(name)
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
	}
	m.requests.WithLabelValues(name, typ, outcome).Inc()
	m.latency.WithLabelValues(name, typ).Observe(time.Since(start).Seconds())
	return resp
}
