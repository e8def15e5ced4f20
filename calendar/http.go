package calendar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
)

// ContentType of every feed.
const ContentType = "text/calendar; charset=utf-8"

// ServeFeed answers GET /calendar/{file} where file is "<secret>.ics".
// An unknown or revoked secret is 404. The answer carries a strong ETag
// and Last-Modified; a matching If-None-Match (or, without one, an
// If-Modified-Since not older than the data) gets 304 after two SQL
// statements (the feed by its token hash, one aggregate over its
// appointments) and no rendering. Otherwise one more statement loads the
// appointments and the feed is rendered; an unconditional request skips
// the aggregate.
func (s *Service) ServeFeed(w http.ResponseWriter, r *http.Request) {
	// The secret in the path is the credential; the feed's scope decides
	// what it shows, so the store is read as the system.
	ctx := auth.SystemContext(r.Context())
	secret, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || !strings.HasPrefix(secret, FeedSecretPrefix) || len(secret) > 100 {
		http.NotFound(w, r)
		return
	}
	f, err := s.Client.CalendarFeed.Query().
		Where(calendarfeed.TokenHash(auth.Hash(secret)), calendarfeed.RevokedAtIsNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		s.fail(ctx, w, "loading calendar feed", err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache")
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		st, err := s.feedState(ctx, f)
		if err != nil {
			s.fail(ctx, w, "calendar feed state", err)
			return
		}
		if notModified(r, st.etag(f), st.lastModified(f)) {
			h.Set("ETag", st.etag(f))
			h.Set("Last-Modified", st.lastModified(f).Format(http.TimeFormat))
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	apps, err := s.Client.Appointment.Query().Where(scopeOf(f)).
		Order(appointment.ByStartsAt(), appointment.ByID()).All(ctx)
	if err != nil {
		s.fail(ctx, w, "loading appointments of a feed", err)
		return
	}
	// The ETag describes exactly the rows rendered, even if they changed
	// after the aggregate.
	st := stateOf(apps)
	var buf bytes.Buffer
	buf.Grow(512 + 700*len(apps))
	if err := Render(&buf, f.Name, apps); err != nil {
		s.fail(ctx, w, "rendering a feed", err)
		return
	}
	h.Set("Content-Type", ContentType)
	h.Set("ETag", st.etag(f))
	h.Set("Last-Modified", st.lastModified(f).Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Disposition", `inline; filename="sicherkommunal.ics"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Service) fail(ctx context.Context, w http.ResponseWriter, what string, err error) {
	if s.Log != nil {
		s.Log.ErrorContext(ctx, what, "err", err)
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// state is what a feed's body depends on besides the feed itself: every
// change of an appointment raises its sequence and sets its updated_at, so
// count, newest updated_at and the sum of sequences change with any change
// of the appointments in scope (including one leaving or entering it).
type state struct {
	count      int64
	maxUpdated time.Time
	seqSum     int64
}

func stateOf(apps []*ent.Appointment) state {
	var st state
	for _, a := range apps {
		st.count++
		st.seqSum += int64(a.Sequence)
		if a.UpdatedAt.After(st.maxUpdated) {
			st.maxUpdated = a.UpdatedAt
		}
	}
	return st
}

// feedState computes the state with one aggregate query.
func (s *Service) feedState(ctx context.Context, f *ent.CalendarFeed) (state, error) {
	var rows []struct {
		N      int64          `json:"n"`
		Max    sql.NullString `json:"max_updated"`
		SeqSum sql.NullInt64  `json:"seq_sum"`
	}
	err := s.Client.Appointment.Query().Where(scopeOf(f)).Modify(func(sel *entsql.Selector) {
		sel.Select(
			entsql.As(entsql.Count("*"), "n"),
			entsql.As(entsql.Max(sel.C(appointment.FieldUpdatedAt)), "max_updated"),
			entsql.As(entsql.Sum(sel.C(appointment.FieldSequence)), "seq_sum"),
		)
	}).Scan(ctx, &rows)
	if err != nil {
		return state{}, err
	}
	if len(rows) != 1 {
		return state{}, fmt.Errorf("calendar: aggregate returned %d rows", len(rows))
	}
	st := state{count: rows[0].N, seqSum: rows[0].SeqSum.Int64}
	if rows[0].Max.Valid {
		t, err := parseDBTime(rows[0].Max.String)
		if err != nil {
			return state{}, err
		}
		st.maxUpdated = t
	}
	return st, nil
}

// parseDBTime reads a time that an aggregate returned as text: SQLite's
// stored form or database/sql's RFC 3339 rendering of a PostgreSQL time.
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{
		"2006-01-02 15:04:05.999999999-07:00",
		"2006-01-02T15:04:05.999999999-07:00",
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999 -0700 MST",
		"2006-01-02 15:04:05.999999999",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("calendar: cannot read time %q", s)
}

// etag is a strong validator of the feed's body.
func (st state) etag(f *ent.CalendarFeed) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", renderVersion, f.ID, f.Scope, f.Name)
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(st.count))
	binary.BigEndian.PutUint64(b[8:], uint64(st.maxUpdated.UnixNano()))
	binary.BigEndian.PutUint64(b[16:], uint64(st.seqSum))
	h.Write(b[:])
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

func (st state) lastModified(f *ent.CalendarFeed) time.Time {
	if st.count == 0 || st.maxUpdated.IsZero() {
		return f.CreatedAt.UTC()
	}
	return st.maxUpdated.UTC()
}

// notModified evaluates If-None-Match (weak comparison, RFC 9110 13.1.2)
// and, only without it, If-Modified-Since.
func notModified(r *http.Request, etag string, lastModified time.Time) bool {
	if inm := strings.Join(r.Header.Values("If-None-Match"), ","); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil {
			return !lastModified.Truncate(time.Second).After(t)
		}
	}
	return false
}
