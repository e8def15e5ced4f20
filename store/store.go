// Package store opens the database behind the ent client: an embedded
// SQLite file (modernc.org/sqlite, pure Go) or PostgreSQL (pgx), chosen by
// the database URL, and migrates the schema.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

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
	Dialect string // dialect.SQLite or dialect.Postgres
	Driver  *entsql.Driver
}

// Close closes the client and the pool.
func (d *DB) Close() error { return d.Client.Close() }

// Options tune Open.
type Options struct {
	// Wrap, if set, wraps the ent driver (for example to count statements).
	Wrap func(dialect.Driver) dialect.Driver
}

// Open opens the store named by rawURL: "" or a file path or "sqlite:path"
// selects SQLite; "postgres://…" or "postgresql://…" selects PostgreSQL.
// It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	var (
		db   *sql.DB
		dial string
		err  error
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		dial = dialect.Postgres
		db, err = sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
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
		d = &singleWriter{Driver: drv}
	}
	if opts.Wrap != nil {
		d = opts.Wrap(d)
	}
	return &DB{Client: ent.NewClient(ent.Driver(d)), SQL: db, Dialect: dial, Driver: drv}, nil
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

// Migrate creates or updates the schema.
func (d *DB) Migrate(ctx context.Context) error {
	if err := d.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }
