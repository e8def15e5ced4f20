package store

import (
	"context"
	"database/sql"
	"fmt"
	"sicherkommunal/internal/clock"
	"time"

	"entgo.io/ent/dialect"
)

// boundedTx bounds every PostgreSQL transaction whose context has a
// deadline by the time left: SET LOCAL statement_timeout right after
// BEGIN, so that the server ends a statement that outlives its request
// even when the cancel request sent at the deadline does not arrive.
// Statements outside transactions are bounded by the connection's
// statement_timeout (Options.StatementTimeout) and by the cancel request.
type boundedTx struct {
	dialect.Driver
	ceiling time.Duration // the connections' statement_timeout; 0: none
}

func (d *boundedTx) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d *boundedTx) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := begin(ctx, d.Driver, opts)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return tx, nil
	}
	left := deadline.Sub(clock.System())
	if d.ceiling > 0 && left >= d.ceiling {
		return tx, nil // the connection's timeout is tighter
	}
	// An integer in milliseconds: SET takes no bind parameters.
	q := fmt.Sprintf("SET LOCAL statement_timeout = %d", max(ceilMillis(left), 1))
	if err := tx.Exec(ctx, q, []any{}, nil); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// ExecContext and QueryContext pass through (used outside transactions).
func (d *boundedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, q, args...)
}

func (d *boundedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, q, args...)
}

// ceilMillis is d in whole milliseconds, rounded up.
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
