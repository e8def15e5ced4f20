// Configuration: flags, their SK_* variables and the logger.
package app

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sicherkommunal/store"
	"strconv"
	"strings"
	"time"
)

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

// demoSQLiteFile is the database of -demo when none is given.
const demoSQLiteFile = "sicherkommunal-demo.db"

// defaultMaxUploadBytes bounds a multipart request: 64 MiB.
const defaultMaxUploadBytes = 64 << 20
