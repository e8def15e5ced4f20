package app

import (
	"context"
	"log/slog"
	"net/http"
	"sicherkommunal/assessment"
	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	"sicherkommunal/catalog"
	"sicherkommunal/ent/schema"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/finding"
	"sicherkommunal/graph"
	"sicherkommunal/graphiql"
	"sicherkommunal/ledger"
	"sicherkommunal/monitoring"
	"sicherkommunal/programme"
	"sicherkommunal/reconcile"
	"sicherkommunal/store"
	"sicherkommunal/web"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// app is the wired server.
type app struct {
	db      *store.DB
	log     *slog.Logger
	auth    *auth.Service
	program *programme.Service
	ledger  *ledger.Service
	// calendar's public URL is set once the listen address is known.
	calendar   *calendar.Service
	monitoring *monitoring.Runner
	recon      *reconcile.Service
	assess     *assessment.Service
	handler    http.Handler
}

// appOptions tune the HTTP surface; the zero value is the safe default.
type appOptions struct {
	MaxBodyBytes    int64         // default 1 MiB
	MaxUploadBytes  int64         // multipart requests; default 64 MiB
	NoIntrospection bool          // schema introspection off
	CORSOrigins     []string      // browser origins allowed to call /query
	RequestTimeout  time.Duration // default 30 s
	MetricsPublic   bool          // /metrics without a token (default: ADMIN token)
}

// newApp migrates and seeds the store, wires the domain services with the
// clock now, and builds the HTTP handlers.
func newApp(ctx context.Context, db *store.DB, log *slog.Logger, now func() time.Time, opts appOptions) (*app, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = defaultMaxUploadBytes
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	db.Client.Use(schema.Timestamps(now)) // created_at and updated_at from the application's clock
	db.Client.Use(auth.AuditHook(now))    // every change leaves an AuditEvent in its transaction
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := ledger.Install(ctx, db); err != nil {
		return nil, err
	}
	if err := programme.Seed(auth.SystemContext(ctx), db.Client, db.Dialect); err != nil {
		return nil, err
	}
	// The programme's time zone, the one source of every date, holiday,
	// banking day and feed time.
	loc, err := programme.InstallationZone(auth.SystemContext(ctx), db.Client)
	if err != nil {
		return nil, err
	}
	a := &app{
		db:      db,
		log:     log,
		auth:    &auth.Service{Client: db.Client, Now: now, Log: log},
		program: &programme.Service{Now: now},
		ledger:  &ledger.Service{Client: db.Client, Dialect: db.Dialect, Now: now, Zone: loc},
		recon:   &reconcile.Service{Client: db.Client, Dialect: db.Dialect, Now: now, Zone: loc},
		assess:  &assessment.Service{Dialect: db.Dialect, Now: now},
	}
	a.calendar = &calendar.Service{Client: db.Client, Dialect: db.Dialect, Now: now, Program: a.program, Log: log, Zone: loc}
	a.monitoring = &monitoring.Runner{Client: db.Client, Dialect: db.Dialect, Now: now, Log: log, Location: loc}
	reg := prometheus.NewRegistry()
	batches := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sk_ledger_batch_postings",
		Help:    "Disbursements written per ledger transaction (concurrent postings are committed together).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
	})
	a.ledger.BatchSizes = batches
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "main"), batches)
	gql := graph.NewHandler(&graph.Resolver{Client: db.Client, Programme: a.program, Auth: a.auth, Ledger: a.ledger,
		Calendar: a.calendar, Monitoring: a.monitoring, Recon: a.recon, Assess: a.assess,
		Catalogs: &catalog.Service{Now: now}, Findings: &finding.Service{Dialect: db.Dialect, Now: now, Zone: loc}, Log: log},
		graph.Options{Registerer: reg, NoIntrospection: opts.NoIntrospection, MaxUploadBytes: opts.MaxUploadBytes})

	mux := http.NewServeMux()
	ui := graphiql.Handler("SicherKOMMUNAL", "/query") // GraphiQL from the binary: no request leaves the server
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	mux.Handle("/query", web.CORS(opts.CORSOrigins, web.LimitBody(opts.MaxBodyBytes, opts.MaxUploadBytes,
		web.Timeout(opts.RequestTimeout, a.auth.Middleware(gql)))))
	// Feeds need no bearer token: the secret in the path is the credential.
	mux.Handle("GET /calendar/{file}", web.Feeds(a.calendar, log))
	mux.Handle("GET /exports/reconciliation.csv", a.auth.Middleware(web.ReconciliationExport(a.recon, db.Client, now, log, false)))
	mux.Handle("GET /exports/reconciliation.xlsx", a.auth.Middleware(web.ReconciliationExport(a.recon, db.Client, now, log, true)))
	mux.Handle("GET /exports/security.csv", a.auth.Middleware(web.SecurityExport(a.assess, db.Client, loc, log, false)))
	mux.Handle("GET /exports/security.xlsx", a.auth.Middleware(web.SecurityExport(a.assess, db.Client, loc, log, true)))
	mux.Handle("GET /exports/security-anonymised.xlsx", a.auth.Middleware(web.AnonymisedSecurityExport(a.assess, db.Client, log)))
	mux.Handle("GET /exports/assessments/{file}", a.auth.Middleware(web.AssessmentOSCAL(a.assess, db.Client, log)))
	mux.Handle("GET /schema.graphql", a.auth.RequireRole(nil, web.ClientSchema(!opts.NoIntrospection)))
	mux.Handle("GET /healthz", web.Health())
	mux.Handle("GET /readyz", web.Ready(db.Ping, log))
	var metrics http.Handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if !opts.MetricsPublic {
		// Prometheus sends it with authorization: {credentials: …}.
		metrics = a.auth.RequireRole([]types.Role{types.RoleAdmin}, metrics)
	}
	mux.Handle("GET /metrics", metrics)
	a.handler = web.LogRequests(log, mux)
	return a, nil
}
