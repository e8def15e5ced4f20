package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"sicherkommunal/ent"
	"sicherkommunal/store/retry"
)

// MaxAttempts bounds how often a transaction is retried after contention
// (SQLite busy, PostgreSQL deadlock or serialization failure); see
// retry.Do for lost connections.
const MaxAttempts = retry.MaxAttempts

// ErrRetry marks an error after which the whole transaction should run
// again (for example a unique violation that a fresh read will explain).
var ErrRetry = retry.ErrRetry

// IsTransient reports whether err is worth retrying the whole transaction:
// contention (SQLite busy, PostgreSQL deadlock or serialization failure,
// ErrRetry) or a lost or refused connection (a database restart: SQLSTATE
// class 08, 57P01 admin_shutdown, …). A commit that lost its connection is
// not transient: it may have committed.
func IsTransient(err error) bool { return retry.IsTransient(err) }

// IsUniqueViolation reports a unique-index violation (and not, say, a
// CHECK constraint) on either database.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// InTx runs fn in a transaction and commits it. If ctx already carries a
// transaction (a GraphQL mutation's), fn joins it. Transient failures roll
// back and retry (contention up to MaxAttempts times, a lost connection
// while ctx has time); fn must therefore have no effects outside the
// database.
func InTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return fn(ctx, tx.Client())
	}
	err := retry.Do(ctx, func(ctx context.Context) error { return runTx(ctx, client, fn) })
	if err != nil && retry.IsContention(err) {
		return fmt.Errorf("transaction: %w", err)
	}
	return err
}

func runTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	txCtx := ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if err := fn(txCtx, tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return commit(tx)
}

// commit commits tx. A commit that lost its connection may or may not
// have committed: it is never retried.
func commit(tx *ent.Tx) error {
	err := tx.Commit()
	if retry.IsConnection(err) {
		return retry.Permanent(fmt.Errorf("commit, outcome unknown: %w", err))
	}
	return err
}

// OpenTx begins a transaction for a GraphQL mutation, retrying transient
// failures to begin (a busy SQLite writer lock, a database restart) within
// the time ctx allows.
func OpenTx(ctx context.Context, client *ent.Client) (*ent.Tx, error) {
	var tx *ent.Tx
	err := retry.Do(ctx, func(ctx context.Context) (err error) {
		tx, err = client.Tx(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tx, nil
}
