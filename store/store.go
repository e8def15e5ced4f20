// Package store opens the database behind the ent client: an embedded
// SQLite file (modernc.org/sqlite, pure Go) or PostgreSQL (pgx), chosen by
// the database URL, and migrates the schema.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver

	"sicherkommunal/ent"
	"sicherkommunal/ent/migrate"
	_ "sicherkommunal/ent/runtime" // schema hooks and defaults
)

// ent gives a many-to-many join table only its primary key (a_id, b_id),
// which serves lookups by the first column. Conflict checks and calendar
// feeds look up the appointments of a participation or of a consultant, so
// the second columns get their own index.
func init() {
	for _, t := range []*schema.Table{migrate.AppointmentParticipationsTable, migrate.AppointmentConsultantsTable} {
		col := t.Columns[1]
		t.Indexes = append(t.Indexes, &schema.Index{Name: t.Name + "_" + col.Name, Columns: []*schema.Column{col}})
	}
}

// DefaultSQLiteFile is used when no database URL is given.
const DefaultSQLiteFile = "sicherkommunal.db"

// DB is an open store.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect Dialect // SQLite or Postgres, with the helper for hand-written SQL

	// migrate is the PostgreSQL configuration for migrations: without
	// the statement timeout, which bounds requests, not schema changes.
	migrate *pgx.ConnConfig
}

// Close closes the client and the pool.
func (d *DB) Close() error { return d.Client.Close() }

// Options tune Open.
type Options struct {
	// Wrap, if set, wraps the ent driver (for example to count statements).
	Wrap func(dialect.Driver) dialect.Driver
	// StatementTimeout, if set, bounds every statement on PostgreSQL (the
	// statement_timeout of every connection, unless the URL sets one): the
	// server stops a statement even if the client's cancel never arrives.
	// Transactions whose context has a deadline are bounded tighter, by
	// the time left (SET LOCAL statement_timeout). Use the request timeout.
	StatementTimeout time.Duration
}

// cancelGrace is how long a statement whose context ended may take to
// answer the cancel request sent to PostgreSQL before its connection is
// closed.
const cancelGrace = time.Second

// Open opens the store named by rawURL: "" or a file path or "sqlite:path"
// selects SQLite; "postgres://…" or "postgresql://…" selects PostgreSQL.
// It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	var (
		db   *sql.DB
		dial string
		err  error
	)
	var migrateCfg *pgx.ConnConfig
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		dial = dialect.Postgres
		cfg, err := pgx.ParseConfig(rawURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// When a context ends, ask the server to cancel the running
		// statement and keep the connection; only if the server does not
		// answer within cancelGrace is the connection closed. (pgx's
		// default closes the connection at once, sending a cancel as it
		// goes: every statement that times out costs a new connection.)
		cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
		}
		migrateCfg = cfg.Copy()
		if _, set := cfg.RuntimeParams["statement_timeout"]; !set && opts.StatementTimeout > 0 {
			cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(ceilMillis(opts.StatementTimeout), 10)
		}
		db = stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
	default:
		dial = dialect.SQLite
		db, err = sql.Open("sqlite", SQLiteDSN(strings.TrimPrefix(rawURL, "sqlite:")))
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// WAL: many readers, one writer at a time (immediate transactions
		// queue on the busy timeout).
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dial, err)
	}
	drv := entsql.OpenDB(dial, db)
	var d dialect.Driver = drv
	if dial == dialect.SQLite {
		d = newSingleWriter(drv)
	} else {
		d = &boundedTx{Driver: drv, ceiling: opts.StatementTimeout}
	}
	if opts.Wrap != nil {
		d = opts.Wrap(d)
	}
	out := &DB{Client: ent.NewClient(ent.Driver(d)), SQL: db, Dialect: Dialect(dial)}
	if opts.StatementTimeout > 0 {
		out.migrate = migrateCfg
	}
	return out, nil
}

// SQLiteDSN returns the DSN for a SQLite file with the settings this
// program relies on: foreign keys, WAL, a busy timeout, synchronous=FULL,
// immediate (write-locking) transactions and times stored as sortable UTC
// text.
func SQLiteDSN(path string) string {
	if path == "" {
		path = DefaultSQLiteFile
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	return "file:" + path + "?" + q.Encode()
}

// Migrate creates or updates the schema. With a statement timeout on
// PostgreSQL it runs on a connection of its own without that timeout: a
// new index on a large table may take longer than a request.
func (d *DB) Migrate(ctx context.Context) error {
	s := d.Client.Schema
	if d.migrate != nil {
		db := stdlib.OpenDB(*d.migrate)
		defer db.Close()
		db.SetMaxOpenConns(1)
		s = migrate.NewSchema(entsql.OpenDB(dialect.Postgres, db))
	}
	if err := s.Create(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }
