package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/store"
	"sicherkommunal/store/retry"
	"sicherkommunal/store/storetest"
)

// TestPostgresStatementsEndWithTheirDeadline: a statement whose context
// reaches its deadline is cancelled on the server too (no backend runs
// it one second later), inside and outside transactions; transactions
// carry the time left as their statement_timeout, and every connection
// the ceiling of Options.StatementTimeout, which the server enforces
// even when the client never cancels.
func TestPostgresStatementsEndWithTheirDeadline(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip("PostgreSQL only (SK_TEST_POSTGRES_URL); see TestSQLiteStatementsEndWithTheirDeadline")
	}
	url := storetest.URL(t)
	bg := auth.SystemContext(context.Background())
	open := func(o store.Options) *store.DB {
		db, err := store.Open(bg, url, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db := open(store.Options{}) // no ceiling: only the cancel stops a statement
	if err := db.Migrate(bg); err != nil {
		t.Fatal(err)
	}

	// running counts the backends still running the statement marked m.
	running := func(m string) int {
		var n int
		if err := db.SQL.QueryRowContext(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'`, m).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// stopped waits up to one second for no backend to run m.
	stopped := func(m string) bool {
		until := time.Now().Add(time.Second)
		for {
			if running(m) == 0 {
				return true
			}
			if time.Now().After(until) {
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	timedOut := func(err error) bool {
		return errors.Is(err, context.DeadlineExceeded) || retry.IsQueryCanceled(err)
	}

	for _, inTx := range []bool{false, true} {
		m := marker()
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		q := "SELECT pg_sleep(10), '" + m + "'"
		var err error
		if inTx {
			err = store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error {
				_, err := c.ExecContext(ctx, q)
				return err
			})
		} else {
			_, err = db.Client.ExecContext(ctx, q)
		}
		cancel()
		if !timedOut(err) {
			t.Errorf("in a transaction %v: pg_sleep(10) with a 300 ms deadline: %v", inTx, err)
		}
		if !stopped(m) {
			t.Errorf("in a transaction %v: a backend still runs the statement one second after its deadline", inTx)
		}
	}

	// A transaction with a deadline carries the time left.
	ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
	var setting string
	err := store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error {
		rows, err := c.QueryContext(ctx, "SHOW statement_timeout")
		if err != nil {
			return err
		}
		defer rows.Close()
		rows.Next()
		return rows.Scan(&setting)
	})
	cancel()
	if d, perr := time.ParseDuration(setting); err != nil || perr != nil || d <= 0 || d > 300*time.Millisecond {
		t.Errorf("statement_timeout in a transaction with 300 ms left: %q %v", setting, err)
	}

	// The ceiling: the server ends a statement after StatementTimeout even
	// when the client's context would let it run.
	bounded := open(store.Options{StatementTimeout: 300 * time.Millisecond})
	if err := bounded.SQL.QueryRowContext(bg, "SHOW statement_timeout").Scan(&setting); err != nil || setting != "300ms" {
		t.Errorf("connection statement_timeout %q %v, want 300ms", setting, err)
	}
	m := marker()
	ctx, cancel = context.WithTimeout(bg, 20*time.Second)
	_, err = bounded.Client.ExecContext(ctx, "SELECT pg_sleep(10), '"+m+"'")
	cancel()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.Contains(pe.Message, "statement timeout") {
		t.Errorf("a statement past the ceiling: %v, want 57014 statement timeout", err)
	}
	if !stopped(m) {
		t.Errorf("a backend still runs the statement past the ceiling")
	}
	// Migrations are not bound by the ceiling (a new index on a large
	// table may take longer than a request); they still work.
	if err := bounded.Migrate(bg); err != nil {
		t.Fatalf("migrate with a statement timeout: %v", err)
	}
}

// TestSQLiteStatementsEndWithTheirDeadline: modernc's driver interrupts
// a running statement (an endless recursive CTE) when its context ends,
// inside and outside transactions, and the connection and the writer
// turn are usable afterwards.
func TestSQLiteStatementsEndWithTheirDeadline(t *testing.T) {
	if storetest.PostgresURL() != "" {
		t.Skip("SQLite only; see TestPostgresStatementsEndWithTheirDeadline")
	}
	db := storetest.Open(t, store.Options{})
	bg := auth.SystemContext(context.Background())
	const endless = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c`
	run := func(c *ent.Client, ctx context.Context) error {
		rows, err := c.QueryContext(ctx, endless)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}
	for _, inTx := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(bg, 300*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			if inTx {
				done <- store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error { return run(c, ctx) })
			} else {
				done <- run(db.Client, ctx)
			}
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) && !retry.IsQueryCanceled(err) {
				t.Errorf("in a transaction %v: %v, want the deadline or an interrupt", inTx, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("in a transaction %v: the statement was not interrupted at its deadline", inTx)
		}
		cancel()
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error {
		_, err := c.Program.Query().Count(ctx)
		return err
	}); err != nil {
		t.Fatalf("after the interrupts: %v", err)
	}
}

// TestSQLiteWriterWaitHonoursDeadline: a transaction waiting for the
// single writer gives up when its context ends instead of waiting for the
// writer ahead of it.
func TestSQLiteWriterWaitHonoursDeadline(t *testing.T) {
	db := storetest.Open(t, store.Options{})
	if db.Dialect != dialect.SQLite {
		t.Skip("SQLite only")
	}
	bg := auth.SystemContext(context.Background())
	holder, err := db.Client.Tx(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- store.InTx(ctx, db.Client, func(context.Context, *ent.Client) error { return nil }) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting for the writer: %v, want the deadline", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a transaction waited for the writer past its deadline")
	}
}

func marker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "sk-timeout-" + hex.EncodeToString(b)
}
