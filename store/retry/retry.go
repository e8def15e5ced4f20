// Package retry decides which database errors are transient and retries
// work that failed with one, within the time its context allows.
//
// It depends on no other package of this module, so that every layer
// (auth's token lookup as well as store's transactions) can use it.
package retry

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MaxAttempts bounds how often work is tried after contention (SQLite
// busy, PostgreSQL deadlock or serialization failure), and after a lost
// connection when the context has no deadline.
const MaxAttempts = 8

// ErrRetry marks an error after which the whole transaction should run
// again (for example a unique violation that a fresh read will explain).
var ErrRetry = errors.New("retry the transaction")

// IsTransient reports whether err is worth trying the work again:
// contention or a lost or refused connection. Context errors and errors
// marked Permanent are not.
func IsTransient(err error) bool {
	return IsContention(err) || IsConnection(err)
}

// IsContention reports a conflict with concurrent work that a fresh
// attempt resolves: ErrRetry, SQLite busy or locked, PostgreSQL
// serialization failure, deadlock or lock not available.
func IsContention(err error) bool {
	if err == nil || isFinal(err) {
		return false
	}
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

// IsConnection reports an error of the connection rather than of the
// statement, as a database restart gives them: SQLSTATE class 08
// (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now, a refused or reset connection, a connection
// that broke before an answer came. The statement did not take effect,
// or (outside a commit) its transaction was rolled back.
func IsConnection(err error) bool {
	if err == nil || isFinal(err) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ce),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		pgconn.SafeToRetry(err): // failed before anything was sent
		return true
	}
	return false
}

// IsQueryCanceled reports a statement the database cancelled: by
// statement_timeout or by a cancel request sent when the context ended
// (PostgreSQL 57014 query_canceled, SQLite interrupted).
func IsQueryCanceled(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57014"
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_INTERRUPT
}

// isFinal: context errors and Permanent errors are never retried.
func isFinal(err error) bool {
	var p *permanentError
	return errors.As(err, &p) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not to be retried whatever it wraps: a commit
// that lost its connection may have committed, so running the
// transaction again could do its work twice.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Do runs fn until it succeeds or fails with an error that is not
// transient. Contention is tried up to MaxAttempts times with a short
// jittered backoff. A lost or refused connection (a database restart) is
// tried again with a growing backoff (10 ms doubling to 500 ms) for as
// long as ctx has time, or MaxAttempts times when ctx has no deadline.
// When ctx ends while waiting, Do returns ctx.Err(). fn must have no
// effects outside the database that a failed attempt leaves behind.
func Do(ctx context.Context, fn func(ctx context.Context) error) error {
	var contention, connection int
	for {
		err := fn(ctx)
		if err == nil || !IsTransient(err) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		if IsContention(err) {
			contention++
			if contention >= MaxAttempts {
				return fmt.Errorf("failed after %d attempts: %w", contention+connection, err)
			}
			wait = time.Duration(rand.IntN(5*contention)+1) * time.Millisecond
		} else {
			connection++
			if _, ok := ctx.Deadline(); !ok && connection >= MaxAttempts {
				return fmt.Errorf("failed after %d attempts: %w", contention+connection, err)
			}
			wait = connectionWait(connection)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// connectionWait is connectionBackoff (tests shorten it).
var connectionWait = connectionBackoff

// connectionBackoff is the wait before the n-th retry after a connection
// error: 10 ms doubling up to 500 ms, with ±25 % jitter so that the
// requests of a restart do not all come back at once.
func connectionBackoff(n int) time.Duration {
	d := 10 * time.Millisecond << min(n-1, 6)
	d = min(d, 500*time.Millisecond)
	return d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}
