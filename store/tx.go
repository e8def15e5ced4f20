package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"sicherkommunal/ent"
)

// MaxAttempts bounds how often a transaction is retried after a transient
// error (SQLite busy, PostgreSQL deadlock or serialization failure).
const MaxAttempts = 8

// ErrRetry marks an error after which the whole transaction should run
// again (for example a unique violation that a fresh read will explain).
var ErrRetry = errors.New("retry the transaction")

// IsTransient reports whether err is worth retrying the whole transaction.
func IsTransient(err error) bool {
	if errors.Is(err, ErrRetry) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
			return true
		}
	}
	return false
}

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
// back and retry up to MaxAttempts times; fn must therefore have no effects
// outside the database.
func InTx(ctx context.Context, client *ent.Client, fn func(ctx context.Context, c *ent.Client) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return fn(ctx, tx.Client())
	}
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		err = runTx(ctx, client, fn)
		if err == nil || !IsTransient(err) {
			return err
		}
		if attempt < MaxAttempts {
			backoff := time.Duration(rand.IntN(5*attempt)+1) * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
		}
	}
	return fmt.Errorf("transaction failed after %d attempts: %w", MaxAttempts, err)
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
	return tx.Commit()
}

// OpenTx begins a transaction for a GraphQL mutation, retrying transient
// failures to begin (a busy SQLite writer lock).
func OpenTx(ctx context.Context, client *ent.Client) (*ent.Tx, error) {
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		var tx *ent.Tx
		if tx, err = client.Tx(ctx); err == nil {
			return tx, nil
		}
		if !IsTransient(err) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(rand.IntN(5*attempt)+1) * time.Millisecond):
		}
	}
	return nil, err
}
