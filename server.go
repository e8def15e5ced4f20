// Command sicherkommunal serves the SicherKOMMUNAL GraphQL API.
//
// Run `go run . -h` for the configuration; `go run . -demo` starts a server
// on an embedded SQLite file with demo data.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	entprogram "sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/graph"
	"sicherkommunal/graphiql"
	"sicherkommunal/ledger"
	"sicherkommunal/program"
	"sicherkommunal/reconcile"
	"sicherkommunal/scheduler"
	"sicherkommunal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// config is the whole configuration; every field has a flag and an SK_*
// environment variable (the flag wins).
type config struct {
	Listen          string
	DatabaseURL     string
	AdminToken      string // environment only: never on a command line
	Demo            bool
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
	MaxUploadBytes  int64
	PublicURL       string
	Scheduler       bool
	Introspection   bool
	CORSOrigins     []string
	RequestTimeout  time.Duration
	MetricsPublic   bool
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("sicherkommunal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{AdminToken: getenv("SK_ADMIN_TOKEN")}
	fs.StringVar(&c.Listen, "listen", env("SK_LISTEN", "127.0.0.1:8080"), "address to listen on (SK_LISTEN)")
	fs.StringVar(&c.DatabaseURL, "database", env("SK_DATABASE_URL", ""),
		"database: empty or a file path for SQLite (default "+store.DefaultSQLiteFile+", with -demo "+demoSQLiteFile+"), or postgres://… (SK_DATABASE_URL)")
	fs.BoolVar(&c.Demo, "demo", env("SK_DEMO", "") == "true" || env("SK_DEMO", "") == "1", "add the demo data (again on every start: what is missing is added) and print a fresh admin token (SK_DEMO=true)")
	fs.StringVar(&c.LogFormat, "log-format", env("SK_LOG_FORMAT", "text"), "log format: text or json (SK_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("SK_LOG_LEVEL", "info"), "log level: debug, info, warn, error (SK_LOG_LEVEL)")
	shutdown, err := time.ParseDuration(env("SK_SHUTDOWN_TIMEOUT", "20s"))
	if err != nil {
		return nil, fmt.Errorf("SK_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown, "time to drain requests on SIGTERM (SK_SHUTDOWN_TIMEOUT)")
	fs.BoolVar(&c.Scheduler, "scheduler", env("SK_SCHEDULER", "on") != "off",
		"run the monitoring jobs on their schedules; SK_SCHEDULER=off disables (SK_SCHEDULE_<JOB> sets a job's cron spec)")
	fs.BoolVar(&c.Introspection, "introspection", env("SK_INTROSPECTION", "on") != "off",
		"allow GraphQL schema introspection; SK_INTROSPECTION=off disables (SK_INTROSPECTION)")
	cors := fs.String("cors-origins", env("SK_CORS_ORIGINS", ""),
		"comma-separated browser origins allowed to call /query, e.g. https://kitu.example (SK_CORS_ORIGINS; default none)")
	timeout, err := time.ParseDuration(env("SK_REQUEST_TIMEOUT", "30s"))
	if err != nil {
		return nil, fmt.Errorf("SK_REQUEST_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.RequestTimeout, "request-timeout", timeout, "time a GraphQL request may take (SK_REQUEST_TIMEOUT)")
	maxBody, err := strconv.ParseInt(env("SK_MAX_BODY_BYTES", "1048576"), 10, 64)
	if err != nil || maxBody <= 0 {
		return nil, fmt.Errorf("SK_MAX_BODY_BYTES: want a positive number of bytes, got %q", getenv("SK_MAX_BODY_BYTES"))
	}
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", maxBody, "largest accepted JSON request body, in bytes (SK_MAX_BODY_BYTES)")
	maxUpload, err := strconv.ParseInt(env("SK_MAX_UPLOAD_BYTES", strconv.Itoa(defaultMaxUploadBytes)), 10, 64)
	if err != nil || maxUpload <= 0 {
		return nil, fmt.Errorf("SK_MAX_UPLOAD_BYTES: want a positive number of bytes, got %q", getenv("SK_MAX_UPLOAD_BYTES"))
	}
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", maxUpload,
		"largest accepted multipart request (file uploads such as bank statements), in bytes (SK_MAX_UPLOAD_BYTES)")
	fs.StringVar(&c.PublicURL, "public-url", env("SK_PUBLIC_URL", ""),
		"public base URL of this server, used in calendar feed URLs (default http://<listen address>) (SK_PUBLIC_URL)")
	metricsPublic := env("SK_METRICS_PUBLIC", "off")
	fs.BoolVar(&c.MetricsPublic, "metrics-public", metricsPublic == "on" || metricsPublic == "true" || metricsPublic == "1",
		"serve /metrics without a token, for a scrape inside a closed network; by default it needs an ADMIN bearer token (SK_METRICS_PUBLIC=on)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: sicherkommunal [flags]\n\nFlags (each also read from the SK_* variable named; the flag wins):\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEnvironment only:\n  SK_ADMIN_TOKEN\tif set, an ADMIN token with exactly this secret (16+ characters) exists\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, o := range strings.Split(*cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.Demo && c.DatabaseURL == "" {
		// The demo keeps its own file, so it never mixes with real data.
		c.DatabaseURL = demoSQLiteFile
	}
	return c, nil
}

func newLogger(c *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

// app is the wired server.
type app struct {
	db      *store.DB
	log     *slog.Logger
	auth    *auth.Service
	program *program.Service
	ledger  *ledger.Service
	// calendar's public URL is set once the listen address is known.
	calendar  *calendar.Service
	scheduler *scheduler.Runner
	recon     *reconcile.Service
	handler   http.Handler
}

// newApp migrates and seeds the store and wires the HTTP handlers.
// appOptions tune the HTTP surface; the zero value is the safe default.
type appOptions struct {
	MaxBodyBytes    int64         // default 1 MiB
	MaxUploadBytes  int64         // multipart requests; default 64 MiB
	NoIntrospection bool          // schema introspection off
	CORSOrigins     []string      // browser origins allowed to call /query
	RequestTimeout  time.Duration // default 30 s
	MetricsPublic   bool          // /metrics without a token (default: ADMIN token)
}

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
	db.Client.Use(auth.AuditHook(now)) // every change leaves an AuditEvent in its transaction
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := ledger.Install(ctx, db); err != nil {
		return nil, err
	}
	if err := program.Seed(auth.SystemContext(ctx), db.Client, db.Dialect); err != nil {
		return nil, err
	}
	a := &app{
		db:      db,
		log:     log,
		auth:    &auth.Service{Client: db.Client, Now: now, Log: log},
		program: &program.Service{Now: now},
		ledger:  &ledger.Service{Client: db.Client, Dialect: db.Dialect, Now: now},
		recon:   &reconcile.Service{Client: db.Client, Dialect: db.Dialect, Now: now},
	}
	a.calendar = &calendar.Service{Client: db.Client, Dialect: db.Dialect, Now: now, Program: a.program, Log: log}
	loc, err := programLocation(auth.SystemContext(ctx), db)
	if err != nil {
		return nil, err
	}
	a.scheduler = &scheduler.Runner{Client: db.Client, Dialect: db.Dialect, Now: now, Log: log, Location: loc}
	reg := prometheus.NewRegistry()
	batches := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sk_ledger_batch_postings",
		Help:    "Disbursements written per ledger transaction (concurrent postings are committed together).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
	})
	a.ledger.BatchSizes = batches
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "main"), batches)
	gql := graph.NewHandler(&graph.Resolver{Client: db.Client, Program: a.program, Auth: a.auth, Ledger: a.ledger,
		Calendar: a.calendar, Scheduler: a.scheduler, Recon: a.recon, Log: log},
		graph.Options{Registerer: reg, NoIntrospection: opts.NoIntrospection, MaxUploadBytes: opts.MaxUploadBytes})

	mux := http.NewServeMux()
	ui := graphiql.Handler("SicherKOMMUNAL", "/query") // GraphiQL from the binary: no request leaves the server
	mux.Handle("GET /{$}", ui)
	mux.Handle("GET /graphiql/", ui)
	mux.Handle("/query", cors(opts.CORSOrigins, limitBody(opts.MaxBodyBytes, opts.MaxUploadBytes, timeout(opts.RequestTimeout, a.auth.Middleware(gql)))))
	// Feeds need no bearer token: the secret in the path is the credential.
	mux.HandleFunc("GET /calendar/{file}", a.calendar.ServeFeed)
	mux.Handle("GET /exports/reconciliation.csv", a.auth.Middleware(reconciliationExport(a.recon, db.Client, now, log, false)))
	mux.Handle("GET /exports/reconciliation.xlsx", a.auth.Middleware(reconciliationExport(a.recon, db.Client, now, log, true)))
	// The client SDL (also committed as api/schema.graphql), for client
	// tools; like introspection, it needs a token and is off with
	// -introspection=off.
	mux.Handle("GET /schema.graphql", a.auth.RequireRole(nil, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if opts.NoIntrospection {
			writeJSONError(w, http.StatusForbidden, graph.IntrospectionDisabled, "schema introspection is disabled on this server", nil)
			return
		}
		w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
		_, _ = w.Write(graph.ClientSDL())
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := db.Ping(ctx); err != nil {
			log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "database unreachable\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	var metrics http.Handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if !opts.MetricsPublic {
		// Prometheus sends it with authorization: {credentials: …}.
		metrics = a.auth.RequireRole([]types.Role{types.RoleAdmin}, metrics)
	}
	mux.Handle("GET /metrics", metrics)
	a.handler = logRequests(log, mux)
	return a, nil
}

// logRequests writes one debug line per request: method, path (secrets
// in it redacted), status, bytes and duration. Never headers, never the
// query string.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			log.DebugContext(r.Context(), "request", "method", r.Method, "path", redactPath(r.URL.Path),
				"status", status, "bytes", sw.bytes, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactPath hides the secrets a path may carry: a calendar feed's URL
// is its credential.
func redactPath(p string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		for _, prefix := range []string{calendar.FeedSecretPrefix, auth.SecretPrefix} {
			if strings.HasPrefix(seg, prefix) {
				ext := ""
				if j := strings.LastIndexByte(seg, '.'); j > 0 {
					ext = seg[j:]
				}
				parts[i] = prefix + "REDACTED" + ext
			}
		}
	}
	return strings.Join(parts, "/")
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushing,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cors lets the listed browser origins call the API (no wildcard): they
// may send Authorization and Content-Type with GET and POST.
func cors(origins []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && allowed[origin] {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// timeout bounds the time a request may spend in the resolvers and the
// database.
func timeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitBody answers 413 for request bodies above n bytes, whether the
// client announced the length (Content-Length) or not (chunked);
// multipart requests (file uploads) are bounded by upload instead.
func limitBody(n, upload int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
		n := n
		if multipart {
			n = upload // file uploads have their own, larger limit
		}
		if r.ContentLength > n {
			bodyTooLarge(w, n)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		if r.ContentLength < 0 {
			// Unknown length: read it now (at most n bytes), so that an
			// oversized body is refused here and not half-read later;
			// an upload goes to a temporary file, never into memory.
			var buf io.ReadWriter = &bytes.Buffer{}
			if multipart {
				f, err := os.CreateTemp("", "sk-upload-")
				if err != nil {
					writeJSONError(w, http.StatusInternalServerError, "INTERNAL", "internal error", nil)
					return
				}
				defer os.Remove(f.Name())
				defer f.Close()
				buf = f
			}
			size, err := io.Copy(buf, r.Body)
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				bodyTooLarge(w, n)
				return
			case err != nil:
				writeJSONError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read", nil)
				return
			}
			if f, ok := buf.(*os.File); ok {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					writeJSONError(w, http.StatusInternalServerError, "INTERNAL", "internal error", nil)
					return
				}
				r.Body = io.NopCloser(f)
			} else {
				r.Body = io.NopCloser(buf)
			}
			r.ContentLength = size
		}
		next.ServeHTTP(w, r)
	})
}

func bodyTooLarge(w http.ResponseWriter, n int64) {
	writeJSONError(w, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
		fmt.Sprintf("request body too large: the limit is %d bytes", n), map[string]any{"limit": n})
}

// writeJSONError answers with a GraphQL-style error carrying a code.
func writeJSONError(w http.ResponseWriter, status int, code, msg string, ext map[string]any) {
	e := map[string]any{"code": code}
	for k, v := range ext {
		e[k] = v
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": e}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// logConfig writes the configuration at debug level, secrets redacted.
func logConfig(log *slog.Logger, c *config) {
	admin := "unset"
	if c.AdminToken != "" {
		admin = "set (redacted)"
	}
	log.Debug("configuration", "listen", c.Listen, "database", redactDatabaseURL(c.DatabaseURL),
		"admin_token", admin, "demo", c.Demo, "log_format", c.LogFormat, "log_level", c.LogLevel,
		"shutdown_timeout", c.ShutdownTimeout, "max_body_bytes", c.MaxBodyBytes, "max_upload_bytes", c.MaxUploadBytes, "public_url", c.PublicURL,
		"scheduler", c.Scheduler, "introspection", c.Introspection, "cors_origins", strings.Join(c.CORSOrigins, ","),
		"request_timeout", c.RequestTimeout, "metrics_public", c.MetricsPublic)
}

// redactDatabaseURL hides the password of a PostgreSQL URL (in the user
// information or as a password parameter).
func redactDatabaseURL(raw string) string {
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return describeDB(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unreadable, redacted)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	logConfig(log, c)
	// No statement outlives the request that started it by more than the
	// request timeout, even if its cancel never reaches the database.
	db, err := store.Open(ctx, c.DatabaseURL, store.Options{StatementTimeout: c.RequestTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := newApp(ctx, db, log, time.Now, appOptions{MaxBodyBytes: c.MaxBodyBytes, MaxUploadBytes: c.MaxUploadBytes, NoIntrospection: !c.Introspection,
		CORSOrigins: c.CORSOrigins, RequestTimeout: c.RequestTimeout, MetricsPublic: c.MetricsPublic})
	if err != nil {
		return err
	}
	sys := auth.SystemContext(ctx)
	var printToken string
	switch {
	case c.AdminToken != "":
		if err := a.auth.EnsureAdminToken(sys, c.AdminToken); err != nil {
			return err
		}
	case c.Demo:
		// The demo prints a working token on every start.
		if printToken, err = a.auth.RenewDemoAdmin(sys); err != nil {
			return err
		}
	default:
		if printToken, err = a.auth.BootstrapAdmin(sys, "admin (first start)"); err != nil {
			return err
		}
	}
	if c.Demo {
		added, err := loadDemo(sys, db.Client, a.program, a.ledger, time.Now())
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if added {
			log.Info("demo data added")
		}
	}

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	publicURL := strings.TrimRight(c.PublicURL, "/")
	if publicURL == "" {
		publicURL = base
	}
	a.calendar.SetPublicURL(publicURL)
	fmt.Fprintf(stdout, "SicherKOMMUNAL backend on %s (database: %s)\n", base, describeDB(c.DatabaseURL))
	fmt.Fprintf(stdout, "  GraphiQL: %s/   GraphQL: %s/query   health: %s/healthz   metrics: %s/metrics\n", base, base, base, base)
	if c.Demo {
		feeds, err := demoFeeds(sys, db.Client, a.calendar)
		if err != nil {
			return fmt.Errorf("demo feeds: %w", err)
		}
		for _, f := range feeds {
			fmt.Fprintf(stdout, "  Calendar feed (%s): %s\n", f.Scope, f.URL)
		}
	}
	if printToken != "" {
		fmt.Fprintf(stdout, "  Admin token (shown once, store it now): %s\n", printToken)
		fmt.Fprintf(stdout, "  In GraphiQL (%s/) paste it into the \"Bearer token\" field above the editor\n", base)
		fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { role } }\"}' %s/query\n", printToken, base)
	} else if c.AdminToken != "" {
		fmt.Fprintf(stdout, "  Admin token: the value of SK_ADMIN_TOKEN\n")
	}

	if c.Scheduler {
		schedules := map[string]string{}
		for _, job := range scheduler.Jobs() {
			schedules[job] = getenv(scheduler.ScheduleEnv(job))
		}
		// Runs every job once now (catch-up), then on schedule.
		if err := a.scheduler.Start(sys, schedules); err != nil {
			return err
		}
		defer a.scheduler.Stop()
	}

	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	a.scheduler.Stop() // no new job runs while requests drain
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// programLocation is the time zone of the programme (Europe/Berlin for
// SicherKOMMUNAL) for due dates and job schedules.
func programLocation(ctx context.Context, db *store.DB) (*time.Location, error) {
	p, err := db.Client.Program.Query().Order(entprogram.ByCreatedAt()).First(ctx)
	if err != nil {
		return nil, fmt.Errorf("programme time zone: %w", err)
	}
	return time.LoadLocation(p.TimeZone)
}

// demoSQLiteFile is the database of -demo when none is given.
const demoSQLiteFile = "sicherkommunal-demo.db"

// defaultMaxUploadBytes bounds a multipart request: 64 MiB.
const defaultMaxUploadBytes = 64 << 20

func describeDB(url string) string {
	switch {
	case strings.HasPrefix(url, "postgres"):
		return "PostgreSQL"
	case url == "":
		return "SQLite file " + store.DefaultSQLiteFile
	}
	return "SQLite file " + strings.TrimPrefix(url, "sqlite:")
}
