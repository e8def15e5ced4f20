// Package app wires the SicherKOMMUNAL server: configuration, the store,
// the domain services, the HTTP surface, the demo data; Main runs it. The
// end-to-end tests of the whole server live here too.
package app

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
	"sicherkommunal/auth"
	"sicherkommunal/internal/clock"
	"sicherkommunal/monitoring"
	"sicherkommunal/store"
	"strings"
	"syscall"
	"time"
)

// run is the whole life of a server: configuration, store, wiring,
// tokens, demo data, the start message, jobs, serving, shutdown.
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
	a, err := newApp(ctx, db, log, clock.System, appOptions{MaxBodyBytes: c.MaxBodyBytes, MaxUploadBytes: c.MaxUploadBytes, NoIntrospection: !c.Introspection,
		CORSOrigins: c.CORSOrigins, RequestTimeout: c.RequestTimeout, MetricsPublic: c.MetricsPublic})
	if err != nil {
		return err
	}
	sys := auth.SystemContext(ctx)
	printToken, err := a.adminToken(sys, c)
	if err != nil {
		return err
	}
	if c.Demo {
		added, err := loadDemo(sys, db.Client, a.program, a.ledger, clock.System())
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
	if err := a.greet(sys, stdout, c, base, printToken); err != nil {
		return err
	}
	if c.Scheduler {
		schedules := map[string]string{}
		for _, job := range monitoring.Jobs() {
			schedules[job] = getenv(monitoring.ScheduleEnv(job))
		}
		// Runs every job once now (catch-up), then on schedule.
		if err := a.monitoring.Start(sys, schedules); err != nil {
			return err
		}
		defer a.monitoring.Stop() // when Serve fails; Stop is idempotent
	}
	return a.serve(ctx, ln, c.ShutdownTimeout)
}

// adminToken makes sure an ADMIN token exists: SK_ADMIN_TOKEN's secret,
// the demo's (renewed on every start, so the printed one works), or a
// first start's. It returns the secret to print, if any.
func (a *app) adminToken(ctx context.Context, c *config) (string, error) {
	switch {
	case c.AdminToken != "":
		return "", a.auth.EnsureAdminToken(ctx, c.AdminToken)
	case c.Demo:
		return a.auth.RenewDemoAdmin(ctx)
	}
	return a.auth.BootstrapAdmin(ctx, "admin (first start)")
}

// greet prints where the server is and how to use it.
func (a *app) greet(ctx context.Context, stdout io.Writer, c *config, base, printToken string) error {
	fmt.Fprintf(stdout, "SicherKOMMUNAL backend on %s (database: %s)\n", base, describeDB(c.DatabaseURL))
	fmt.Fprintf(stdout, "  GraphiQL: %s/   GraphQL: %s/query   health: %s/healthz   metrics: %s/metrics\n", base, base, base, base)
	if c.Demo {
		feeds, err := demoFeeds(ctx, a.db.Client, a.calendar)
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
	return nil
}

// serve serves until ctx ends, then stops the jobs and drains requests
// for at most drain.
func (a *app) serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", drain)
	a.monitoring.Stop() // no new job runs while requests drain
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("stopped")
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

// Main runs the server with the process's arguments, environment and
// signals (SIGINT, SIGTERM: drain and stop) and returns the exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
