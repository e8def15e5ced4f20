package store

import (
	"context"
	"database/sql"
	"sync"

	"entgo.io/ent/dialect"
)

// singleWriter lets one transaction at a time begin on SQLite within this
// process. SQLite admits one writer anyway (our transactions are BEGIN
// IMMEDIATE); queueing on a Go mutex instead of SQLite's sleeping busy
// handler keeps throughput high under contention. Other processes on the
// same file are still coordinated by SQLite's lock and the busy timeout.
// A transaction waits for its turn only as long as its context allows.
type singleWriter struct {
	dialect.Driver
	turn chan struct{} // holds one token while a transaction is open
}

func newSingleWriter(d dialect.Driver) *singleWriter {
	return &singleWriter{Driver: d, turn: make(chan struct{}, 1)}
}

type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
}

func (d *singleWriter) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

func (d *singleWriter) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	select {
	case d.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	unlock := func() { <-d.turn }
	tx, err := begin(ctx, d.Driver, opts)
	if err != nil {
		unlock()
		return nil, err
	}
	return &unlockingTx{Tx: tx, unlock: sync.OnceFunc(unlock)}, nil
}

// ExecContext and QueryContext pass through (used outside transactions).
func (d *singleWriter) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, q, args...)
}

func (d *singleWriter) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, q, args...)
}

type unlockingTx struct {
	dialect.Tx
	unlock func()
}

func (t *unlockingTx) Commit() error {
	defer t.unlock()
	return t.Tx.Commit()
}

func (t *unlockingTx) Rollback() error {
	defer t.unlock()
	return t.Tx.Rollback()
}

// ExecContext and QueryContext pass through to the transaction.
func (t *unlockingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, q, args...)
}

func (t *unlockingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, q, args...)
}

// begin opens a transaction with the options when the driver takes them.
func begin(ctx context.Context, d dialect.Driver, opts *sql.TxOptions) (dialect.Tx, error) {
	if b, ok := d.(beginner); ok {
		return b.BeginTx(ctx, opts)
	}
	return d.Tx(ctx)
}
