package calendar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
)

// ContentType of every rendered feed.
const ContentType = "text/calendar; charset=utf-8"

// maxSecretLen bounds a secret that is looked up at all.
const maxSecretLen = 100

// FeedBySecret returns the feed whose secret this is, with one statement
// (by the hash of the secret, not revoked). A secret without
// FeedSecretPrefix or longer than 100 characters is not looked up. An
// unknown, revoked or malformed secret is NOT_FOUND, the same answer for
// each.
//
// The secret is the credential and the feed's scope decides what it shows,
// so the store is read as the system (here and in FeedState and
// RenderFeed).
func (s *Service) FeedBySecret(ctx context.Context, secret string) (*ent.CalendarFeed, error) {
	if !strings.HasPrefix(secret, FeedSecretPrefix) || len(secret) > maxSecretLen {
		return nil, errNoFeed()
	}
	f, err := s.Client.CalendarFeed.Query().
		Where(calendarfeed.TokenHash(auth.Hash(secret)), calendarfeed.RevokedAtIsNil()).
		Only(auth.SystemContext(ctx))
	if ent.IsNotFound(err) {
		return nil, errNoFeed()
	} else if err != nil {
		return nil, fmt.Errorf("loading calendar feed: %w", err)
	}
	return f, nil
}

// errNoFeed never names the secret.
func errNoFeed() error { return apperr.New(apperr.NotFound, "calendar feed not found") }

// RenderFeed loads the feed's appointments (one statement) and renders
// them. The state returned describes exactly the rows rendered, even if
// they changed after an earlier FeedState.
func (s *Service) RenderFeed(ctx context.Context, f *ent.CalendarFeed) ([]byte, FeedState, error) {
	loc, err := s.zone()
	if err != nil {
		return nil, FeedState{}, err
	}
	apps, err := s.Client.Appointment.Query().Where(scopeOf(f)).
		Order(appointment.ByStartsAt(), appointment.ByID()).All(auth.SystemContext(ctx))
	if err != nil {
		return nil, FeedState{}, fmt.Errorf("loading appointments of a feed: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(512 + 700*len(apps))
	if err := Render(&buf, f.Name, loc, apps); err != nil {
		return nil, FeedState{}, fmt.Errorf("rendering a feed: %w", err)
	}
	return buf.Bytes(), stateOf(f, loc, apps), nil
}

// FeedState is what a feed's body depends on: the feed itself, the time
// zone and its appointments. Every change of an appointment raises its
// sequence and sets its updated_at, so count, newest updated_at and the
// sum of sequences change with any change of the appointments in scope
// (including one leaving or entering it). The zone is the programme's,
// which the application loads once; it is in the ETag all the same.
type FeedState struct {
	feed       *ent.CalendarFeed
	zone       string
	count      int64
	maxUpdated time.Time
	seqSum     int64
}

func stateOf(f *ent.CalendarFeed, loc *time.Location, apps []*ent.Appointment) FeedState {
	st := FeedState{feed: f, zone: loc.String()}
	for _, a := range apps {
		st.count++
		st.seqSum += int64(a.Sequence)
		if a.UpdatedAt.After(st.maxUpdated) {
			st.maxUpdated = a.UpdatedAt
		}
	}
	return st
}

// FeedState computes the feed's state with one aggregate statement over
// its appointments, without loading or rendering them.
func (s *Service) FeedState(ctx context.Context, f *ent.CalendarFeed) (FeedState, error) {
	loc, err := s.zone()
	if err != nil {
		return FeedState{}, err
	}
	var rows []struct {
		N      int64          `json:"n"`
		Max    sql.NullString `json:"max_updated"`
		SeqSum sql.NullInt64  `json:"seq_sum"`
	}
	err = s.Client.Appointment.Query().Where(scopeOf(f)).Modify(func(sel *entsql.Selector) {
		sel.Select(
			entsql.As(entsql.Count("*"), "n"),
			entsql.As(entsql.Max(sel.C(appointment.FieldUpdatedAt)), "max_updated"),
			entsql.As(entsql.Sum(sel.C(appointment.FieldSequence)), "seq_sum"),
		)
	}).Scan(auth.SystemContext(ctx), &rows)
	if err != nil {
		return FeedState{}, fmt.Errorf("calendar feed state: %w", err)
	}
	if len(rows) != 1 {
		return FeedState{}, fmt.Errorf("calendar: aggregate returned %d rows", len(rows))
	}
	st := FeedState{feed: f, zone: loc.String(), count: rows[0].N, seqSum: rows[0].SeqSum.Int64}
	if rows[0].Max.Valid {
		t, err := parseDBTime(rows[0].Max.String)
		if err != nil {
			return FeedState{}, err
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

// ETag is a strong validator of the feed's body, quoted.
func (st FeedState) ETag() string {
	h := sha256.New()
	if f := st.feed; f != nil {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", renderVersion, f.ID, f.Scope, f.Name)
	}
	fmt.Fprintf(h, "%s\x00", st.zone)
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(st.count))
	binary.BigEndian.PutUint64(b[8:], uint64(st.maxUpdated.UnixNano()))
	binary.BigEndian.PutUint64(b[16:], uint64(st.seqSum))
	h.Write(b[:])
	return `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// LastModified is the newest updated_at of the appointments in scope, or
// the feed's creation when it has none; in UTC.
func (st FeedState) LastModified() time.Time {
	if st.count == 0 || st.maxUpdated.IsZero() {
		if st.feed == nil {
			return time.Time{}
		}
		return st.feed.CreatedAt.UTC()
	}
	return st.maxUpdated.UTC()
}
