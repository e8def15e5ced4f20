package store

import (
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
)

// Dialect is the one helper for the SQL the domain packages write by hand
// (where ent's builders do not reach: locks, aggregates, bulk jobs). The
// queries are written once, with ? placeholders in the order of their
// arguments; Rebind gives each database its form. Nothing outside this
// package rewrites placeholders (a test checks the sources).
type Dialect string

// The two dialects.
const (
	SQLite   Dialect = dialect.SQLite
	Postgres Dialect = dialect.Postgres
)

// IsPostgres reports whether the store is PostgreSQL.
func (d Dialect) IsPostgres() bool { return d == Postgres }

// Rebind writes a query's ? placeholders as the database takes them:
// unchanged for SQLite, $1, $2 … for PostgreSQL. A ? inside a quoted
// literal is left alone.
func (d Dialect) Rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n, quoted := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Placeholders is n placeholders separated by commas, for an IN list.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Date returns a placeholder expression and its argument for a calendar
// date compared with DATE columns.
func (d Dialect) Date(t time.Time) (string, any) {
	if d == Postgres {
		return "CAST(? AS date)", t.Format(time.DateOnly)
	}
	return "?", t // stored as "YYYY-MM-DD 00:00:00+00:00" text, which sorts by date
}

// DateText renders a DATE column as YYYY-MM-DD.
func (d Dialect) DateText(col string) string {
	if d == Postgres {
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// Money renders a non-negative BIGINT cents expression as "1234.56".
func (d Dialect) Money(expr string) string {
	if d == Postgres {
		// SUM(bigint) is numeric in PostgreSQL: back to bigint for integer division.
		x := "CAST(" + expr + " AS bigint)"
		return "(" + x + " / 100)::text || '.' || lpad((" + x + " % 100)::text, 2, '0')"
	}
	return "printf('%d.%02d', (" + expr + ") / 100, (" + expr + ") % 100)"
}

// NewID generates an ID in SQL: the type prefix and 26 random
// characters, like the IDs the application makes.
func (d Dialect) NewID(prefix string) string {
	if d == Postgres {
		return "'" + prefix + "' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 26))"
	}
	return "'" + prefix + "' || upper(hex(randomblob(13)))"
}
