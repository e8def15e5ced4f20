// Command sicherkommunal serves the SicherKOMMUNAL GraphQL API.
//
// Run `go run . -h` for the configuration; `go run . -demo` starts a server
// on an embedded SQLite file with demo data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sicherkommunal/auth"
	"sicherkommunal/graph"
	"sicherkommunal/ledger"
	"sicherkommunal/program"
	"sicherkommunal/reconcile"
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
		"database: empty or a file path for SQLite (default "+store.DefaultSQLiteFile+"), or postgres://… (SK_DATABASE_URL)")
	fs.BoolVar(&c.Demo, "demo", env("SK_DEMO", "") == "true" || env("SK_DEMO", "") == "1", "add demo data to an empty database (SK_DEMO=true)")
	fs.StringVar(&c.LogFormat, "log-format", env("SK_LOG_FORMAT", "text"), "log format: text or json (SK_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("SK_LOG_LEVEL", "info"), "log level: debug, info, warn, error (SK_LOG_LEVEL)")
	shutdown, err := time.ParseDuration(env("SK_SHUTDOWN_TIMEOUT", "20s"))
	if err != nil {
		return nil, fmt.Errorf("SK_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown, "time to drain requests on SIGTERM (SK_SHUTDOWN_TIMEOUT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: sicherkommunal [flags]\n\nFlags (each also read from the SK_* variable named; the flag wins):\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEnvironment only:\n  SK_ADMIN_TOKEN\tif set, an ADMIN token with exactly this secret (16+ characters) exists\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
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
	recon   *reconcile.Service
	handler http.Handler
}

// newApp migrates and seeds the store and wires the HTTP handlers.
func newApp(ctx context.Context, db *store.DB, log *slog.Logger, now func() time.Time, maxBody int64) (*app, error) {
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "main"))
	gql := graph.NewHandler(&graph.Resolver{Client: db.Client, Program: a.program, Auth: a.auth, Ledger: a.ledger, Recon: a.recon, Log: log},
		graph.Options{Registerer: reg})

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", playground.Handler("SicherKOMMUNAL", "/query",
		playground.WithGraphiqlUiHeaders(map[string]string{"Authorization": "Bearer PASTE-YOUR-TOKEN-HERE"})))
	mux.Handle("/query", limitBody(maxBody, a.auth.Middleware(gql)))
	mux.Handle("GET /exports/reconciliation.csv", a.auth.Middleware(reconciliationExport(a.recon, log, false)))
	mux.Handle("GET /exports/reconciliation.xlsx", a.auth.Middleware(reconciliationExport(a.recon, log, true)))
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	a.handler = mux
	return a, nil
}

// limitBody answers 413 for request bodies above n bytes.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = io.WriteString(w, `{"errors":[{"message":"request body too large","extensions":{"code":"REQUEST_TOO_LARGE"}}]}`)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
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
	db, err := store.Open(ctx, c.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := newApp(ctx, db, log, time.Now, c.MaxBodyBytes)
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
	fmt.Fprintf(stdout, "SicherKOMMUNAL backend on %s (database: %s)\n", base, describeDB(c.DatabaseURL))
	fmt.Fprintf(stdout, "  GraphiQL: %s/   GraphQL: %s/query   health: %s/healthz   metrics: %s/metrics\n", base, base, base, base)
	if printToken != "" {
		fmt.Fprintf(stdout, "  Admin token (shown once, store it now): %s\n", printToken)
		fmt.Fprintf(stdout, "  In GraphiQL set the header {\"Authorization\": \"Bearer %s\"}\n", printToken)
		fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"query\":\"{ viewer { role } }\"}' %s/query\n", printToken, base)
	} else if c.AdminToken != "" {
		fmt.Fprintf(stdout, "  Admin token: the value of SK_ADMIN_TOKEN\n")
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
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func describeDB(url string) string {
	switch {
	case strings.HasPrefix(url, "postgres"):
		return "PostgreSQL"
	case url == "":
		return "SQLite file " + store.DefaultSQLiteFile
	}
	return "SQLite file " + strings.TrimPrefix(url, "sqlite:")
}
