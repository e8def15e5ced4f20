package monitoring

import (
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
)

// sqlDialect writes the few expressions that differ between SQLite and
// PostgreSQL; everything else in the jobs is portable SQL.
type sqlDialect string

// rebind turns ? placeholders into $1, $2 … for PostgreSQL.
func (d sqlDialect) rebind(q string) string {
	if d != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// date returns a placeholder expression and its argument for a calendar
// date compared with DATE columns.
func (d sqlDialect) date(t time.Time) (string, any) {
	if d == dialect.Postgres {
		return "CAST(? AS date)", t.Format(time.DateOnly)
	}
	return "?", t // stored as "YYYY-MM-DD 00:00:00+00:00" text, which sorts by date
}

// dateText renders a DATE column as YYYY-MM-DD.
func (d sqlDialect) dateText(col string) string {
	if d == dialect.Postgres {
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// money renders a non-negative BIGINT cents expression as "1234.56".
func (d sqlDialect) money(expr string) string {
	if d == dialect.Postgres {
		// SUM(bigint) is numeric in PostgreSQL: back to bigint for integer division.
		x := "CAST(" + expr + " AS bigint)"
		return "(" + x + " / 100)::text || '.' || lpad((" + x + " % 100)::text, 2, '0')"
	}
	return "printf('%d.%02d', (" + expr + ") / 100, (" + expr + ") % 100)"
}

// newID generates a flag ID in SQL: the "FL" prefix and 26 random
// characters, like the IDs the application makes.
func (d sqlDialect) newID(prefix string) string {
	if d == dialect.Postgres {
		return "'" + prefix + "' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 26))"
	}
	return "'" + prefix + "' || upper(hex(randomblob(13)))"
}
