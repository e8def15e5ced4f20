package retry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestClassification: which errors are tried again. A database restart
// gives connection errors (class 08, 57P01 admin_shutdown, a refused or
// reset connection); they are transient, as contention is. Statement
// errors, context errors and Permanent errors are not.
func TestClassification(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		name                   string
		err                    error
		contention, connection bool
	}{
		{"serialization failure", pg("40001"), true, false},
		{"deadlock", pg("40P01"), true, false},
		{"ErrRetry", fmt.Errorf("%w: booked concurrently", ErrRetry), true, false},
		{"connection failure 08006", pg("08006"), false, true},
		{"cannot connect 08001", pg("08001"), false, true},
		{"admin shutdown 57P01", pg("57P01"), false, true},
		{"crash shutdown 57P02", pg("57P02"), false, true},
		{"starting up 57P03", pg("57P03"), false, true},
		{"bad connection", fmt.Errorf("x: %w", driver.ErrBadConn), false, true},
		{"connection refused", refused, false, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), false, true},
		{"unique violation", pg("23505"), false, false},
		{"check violation", pg("23514"), false, false},
		{"query canceled", pg("57014"), false, false},
		{"no rows", sql.ErrNoRows, false, false},
		{"deadline", context.DeadlineExceeded, false, false},
		{"canceled while reconnecting", fmt.Errorf("%w: %w", context.Canceled, driver.ErrBadConn), false, false},
		{"commit lost its connection", Permanent(pg("08006")), false, false},
		{"nil", nil, false, false},
	} {
		if got := IsContention(c.err); got != c.contention {
			t.Errorf("%s: IsContention = %v", c.name, got)
		}
		if got := IsConnection(c.err); got != c.connection {
			t.Errorf("%s: IsConnection = %v", c.name, got)
		}
		if got := IsTransient(c.err); got != (c.contention || c.connection) {
			t.Errorf("%s: IsTransient = %v", c.name, got)
		}
	}
}

// TestDoRetriesConnectionErrorsWithinDeadline: a lost connection is
// tried again beyond MaxAttempts while the context has time; contention
// gives up after MaxAttempts; a context without a deadline bounds
// connection retries by MaxAttempts too.
func TestDoRetriesConnectionErrorsWithinDeadline(t *testing.T) {
	connectionWait = func(int) time.Duration { return time.Millisecond }
	defer func() { connectionWait = connectionBackoff }()
	shutdown := &pgconn.PgError{Code: "57P01"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	calls := 0
	err := Do(ctx, func(context.Context) error {
		if calls++; calls <= MaxAttempts+2 {
			return shutdown
		}
		return nil
	})
	if err != nil || calls != MaxAttempts+3 {
		t.Fatalf("connection errors: %v after %d calls", err, calls)
	}

	calls = 0
	err = Do(ctx, func(context.Context) error { calls++; return &pgconn.PgError{Code: "40P01"} })
	if !IsContention(err) || calls != MaxAttempts {
		t.Fatalf("contention: %v after %d calls", err, calls)
	}

	calls = 0
	err = Do(context.Background(), func(context.Context) error { calls++; return shutdown })
	if !IsConnection(err) || calls != MaxAttempts {
		t.Fatalf("no deadline: %v after %d calls", err, calls)
	}

	calls = 0
	err = Do(ctx, func(context.Context) error { calls++; return &pgconn.PgError{Code: "23505"} })
	if calls != 1 || err == nil {
		t.Fatalf("a unique violation was retried: %v after %d calls", err, calls)
	}

	// The deadline ends the retries: the context's error, not the last one.
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	err = Do(short, func(context.Context) error { return shutdown })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v", err)
	}
}

// TestConnectionBackoff grows from about 10 ms to at most 500 ms.
func TestConnectionBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 6: 320 * time.Millisecond, 7: 500 * time.Millisecond, 40: 500 * time.Millisecond} {
		for range 20 {
			if got := connectionBackoff(n); got < want*3/4 || got > want*5/4 {
				t.Fatalf("backoff %d = %v, want %v ± 25 %%", n, got, want)
			}
		}
	}
}
