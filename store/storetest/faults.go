package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
)

// Faults makes a wrapped driver fail on demand, as a database restart
// does: the next n statements, BEGINs or COMMITs fail with a given error
// without reaching the database. Use Wrap as store.Options.Wrap.
type Faults struct {
	mu                         sync.Mutex
	statements, begins, commit int
	err                        error
	failed                     int
}

// FailStatements makes the next n statements (inside transactions or not)
// fail with err.
func (f *Faults) FailStatements(n int, err error) { f.arm(&f.statements, n, err) }

// FailBegins makes the next n BEGINs fail with err.
func (f *Faults) FailBegins(n int, err error) { f.arm(&f.begins, n, err) }

// FailCommits makes the next n COMMITs fail with err; the transaction is
// rolled back, so a retry would be visible in the data.
func (f *Faults) FailCommits(n int, err error) { f.arm(&f.commit, n, err) }

// Failed returns how many operations failed on purpose so far.
func (f *Faults) Failed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *Faults) arm(counter *int, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*counter, f.err = n, err
}

// take reports the error to fail with, if counter is armed.
func (f *Faults) take(counter *int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *counter == 0 {
		return nil
	}
	*counter--
	f.failed++
	return f.err
}

// Wrap returns a driver that fails as armed; use it as store.Options.Wrap.
func (f *Faults) Wrap(d dialect.Driver) dialect.Driver { return &faultyDriver{Driver: d, f: f} }

type faultyDriver struct {
	dialect.Driver
	f *Faults
}

func (d *faultyDriver) Exec(ctx context.Context, q string, args, v any) error {
	if err := d.f.take(&d.f.statements); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *faultyDriver) Query(ctx context.Context, q string, args, v any) error {
	if err := d.f.take(&d.f.statements); err != nil {
		return err
	}
	return d.Driver.Query(ctx, q, args, v)
}

func (d *faultyDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := d.f.take(&d.f.statements); err != nil {
		return nil, err
	}
	e, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T does not support ExecContext", d.Driver)
	}
	return e.ExecContext(ctx, q, args...)
}

func (d *faultyDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := d.f.take(&d.f.statements); err != nil {
		return nil, err
	}
	e, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T does not support QueryContext", d.Driver)
	}
	return e.QueryContext(ctx, q, args...)
}

func (d *faultyDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d *faultyDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if err := d.f.take(&d.f.begins); err != nil {
		return nil, err
	}
	var (
		tx  dialect.Tx
		err error
	)
	if b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = d.Driver.Tx(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, f: d.f}, nil
}

type faultyTx struct {
	dialect.Tx
	f *Faults
}

func (t *faultyTx) Exec(ctx context.Context, q string, args, v any) error {
	if err := t.f.take(&t.f.statements); err != nil {
		return err
	}
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *faultyTx) Query(ctx context.Context, q string, args, v any) error {
	if err := t.f.take(&t.f.statements); err != nil {
		return err
	}
	return t.Tx.Query(ctx, q, args, v)
}

func (t *faultyTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.f.take(&t.f.statements); err != nil {
		return nil, err
	}
	e, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("tx %T does not support ExecContext", t.Tx)
	}
	return e.ExecContext(ctx, q, args...)
}

func (t *faultyTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.f.take(&t.f.statements); err != nil {
		return nil, err
	}
	e, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("tx %T does not support QueryContext", t.Tx)
	}
	return e.QueryContext(ctx, q, args...)
}

func (t *faultyTx) Commit() error {
	if err := t.f.take(&t.f.commit); err != nil {
		_ = t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}
