package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// Counter counts the SQL statements sent through a wrapped driver, to
// assert what a request costs (N+1 guard), and between Record and Recorded
// keeps their texts (to assert their order).
type Counter struct {
	n     atomic.Int64
	mu    sync.Mutex
	on    bool
	stmts []string
}

// Record starts keeping the statements' texts (whitespace collapsed).
func (c *Counter) Record() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on, c.stmts = true, nil
}

// Recorded stops keeping texts and returns those kept since Record.
func (c *Counter) Recorded() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.stmts
}

// add counts one statement.
func (c *Counter) add(q string) {
	c.n.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.stmts = append(c.stmts, strings.Join(strings.Fields(q), " "))
	}
}

// Count returns the statements counted so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

// Wrap returns a driver that counts statements; use it as store.Options.Wrap.
func (c *Counter) Wrap(d dialect.Driver) dialect.Driver { return &countingDriver{Driver: d, c: c} }

type countingDriver struct {
	dialect.Driver
	c *Counter
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.c.add(q)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.c.add(q)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	d.c.add(q)
	e, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T does not support ExecContext", d.Driver)
	}
	return e.ExecContext(ctx, q, args...)
}

func (d *countingDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	d.c.add(q)
	e, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T does not support QueryContext", d.Driver)
	}
	return e.QueryContext(ctx, q, args...)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: d.c}, nil
}

func (d *countingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T does not support BeginTx", d.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: d.c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.c.add(q)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.c.add(q)
	return t.Tx.Query(ctx, q, args, v)
}

func (t *countingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.c.add(q)
	e, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("tx %T does not support ExecContext", t.Tx)
	}
	return e.ExecContext(ctx, q, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.c.add(q)
	e, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("tx %T does not support QueryContext", t.Tx)
	}
	return e.QueryContext(ctx, q, args...)
}
