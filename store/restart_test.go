package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// adminShutdown is what PostgreSQL sends its sessions when it restarts.
var adminShutdown = &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}

// TestTransactionsSurviveARestart: statements and BEGINs that fail with a
// connection error (a database restart) are tried again within the
// deadline, and the transaction succeeds; a COMMIT that lost its
// connection is not retried (it may have committed), while a commit
// refused for contention is.
func TestTransactionsSurviveARestart(t *testing.T) {
	faults := &storetest.Faults{}
	db := storetest.Open(t, store.Options{Wrap: faults.Wrap})
	ctx, cancel := context.WithTimeout(auth.SystemContext(context.Background()), 30*time.Second)
	defer cancel()
	count := func(calls *int) func(ctx context.Context, c *ent.Client) error {
		return func(ctx context.Context, c *ent.Client) error {
			*calls++
			_, err := c.Program.Query().Count(ctx)
			return err
		}
	}

	var calls int
	faults.FailStatements(3, adminShutdown)
	if err := store.InTx(ctx, db.Client, count(&calls)); err != nil || calls != 4 {
		t.Fatalf("statements failing with 57P01: %v after %d attempts", err, calls)
	}

	calls = 0
	faults.FailBegins(3, adminShutdown)
	if err := store.InTx(ctx, db.Client, count(&calls)); err != nil || calls != 1 {
		t.Fatalf("BEGIN failing with 57P01: %v after %d attempts", err, calls)
	}
	faults.FailBegins(3, &pgconn.PgError{Code: "08006"})
	tx, err := store.OpenTx(ctx, db.Client)
	if err != nil {
		t.Fatalf("OpenTx with BEGIN failing with 08006: %v", err)
	}
	_ = tx.Rollback()

	calls = 0
	faults.FailCommits(1, &pgconn.PgError{Code: "08006"})
	err = store.InTx(ctx, db.Client, count(&calls))
	if var08 := (*pgconn.PgError)(nil); !errors.As(err, &var08) || var08.Code != "08006" || calls != 1 {
		t.Fatalf("a commit that lost its connection: %v after %d attempts; want the error after 1", err, calls)
	}
	if store.IsTransient(err) {
		t.Fatalf("an ambiguous commit counts as transient: %v", err)
	}

	calls = 0
	faults.FailCommits(1, &pgconn.PgError{Code: "40001"})
	if err := store.InTx(ctx, db.Client, count(&calls)); err != nil || calls != 2 {
		t.Fatalf("a commit refused with 40001: %v after %d attempts", err, calls)
	}
	if faults.Failed() != 3+3+3+1+1 {
		t.Fatalf("%d faults injected", faults.Failed())
	}
}
