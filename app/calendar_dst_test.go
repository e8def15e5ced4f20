package app

import (
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/types"
)

// wallTimeRepeats reports, by brute force over the tz database, whether
// another instant within two hours of t shows the same Europe/Berlin
// wall-clock time.
func wallTimeRepeats(t time.Time) bool {
	loc, _ := time.LoadLocation("Europe/Berlin")
	wall := t.In(loc).Format("20060102T150405")
	for d := -2 * time.Hour; d <= 2*time.Hour; d += time.Minute {
		if d != 0 && t.Add(d).In(loc).Format("20060102T150405") == wall {
			return true
		}
	}
	return false
}

// TestCalendarFeedDSTNights schedules appointments every quarter hour
// from 00:00Z to 03:00Z on the DST nights of 2026 (through the GraphQL
// API) and 2027 (after the programme's end, so stored directly), serves a
// programme feed over HTTP and reads it back with go-ical: every event
// has its stored instants; times whose wall-clock time occurs twice (the
// end of summer time) are in UTC, all others keep TZID=Europe/Berlin.
func TestCalendarFeedDSTNights(t *testing.T) {
	s := newTestServer(t)
	ctx := bg()
	c := s.DB.Client
	pid := c.Program.Query().OnlyIDX(ctx)
	m := c.Municipality.Query().Where(municipality.Ags("15001000")).OnlyX(ctx)
	pa, err := s.App.program.Register(ctx, c, pid, m.ID, types.Date(2026, 1, 5))
	if err != nil {
		t.Fatal(err)
	}
	contractor := s.token(t, "CONTRACTOR", "")
	nights := []time.Time{
		time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),
		time.Date(2027, 3, 28, 0, 0, 0, 0, time.UTC),
		time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC),
	}
	for _, night := range nights {
		for at := night; !at.After(night.Add(3 * time.Hour)); at = at.Add(15 * time.Minute) {
			title := "Wartungsfenster " + at.Format(time.RFC3339)
			if at.Year() == 2026 {
				// Back to back, so that no two overlap.
				s.must(t, contractor, scheduleAppointment, map[string]any{"in": map[string]any{
					"kind": "OTHER", "title": title, "allowNonWorkingDay": true,
					"startsAt": at.Format(time.RFC3339), "endsAt": at.Add(15 * time.Minute).Format(time.RFC3339),
					"participationIDs": []string{string(pa.ID)},
				}}, nil)
				continue
			}
			c.Appointment.Create().SetKind(appointment.KindOTHER).SetTitle(title).
				SetStartsAt(at).SetEndsAt(at.Add(15 * time.Minute)).AddParticipations(pa).ExecX(ctx)
		}
	}
	stored := map[string]*ent.Appointment{}
	for _, a := range c.Appointment.Query().AllX(ctx) {
		stored[string(a.ID)+"@sicherkommunal"] = a
	}
	if len(stored) != 4*13 {
		t.Fatalf("%d appointments stored, want 52", len(stored))
	}

	var d struct{ CreateCalendarFeed struct{ URL string } }
	s.must(t, contractor, createCalendarFeed, map[string]any{"in": map[string]any{"scope": "PROGRAM"}}, &d)
	res, body := getFeed(t, d.CreateCalendarFeed.URL)
	if res.StatusCode != 200 {
		t.Fatalf("feed: %d %s", res.StatusCode, body)
	}
	cal, events := parseFeed(t, body)
	if len(events) != len(stored) {
		t.Fatalf("feed has %d events, want %d", len(events), len(stored))
	}
	inUTC := 0
	for uid, a := range stored {
		e, ok := events[uid]
		if !ok {
			t.Fatalf("%s (%v) missing from the feed", uid, a.StartsAt)
		}
		for _, p := range []struct {
			name string
			at   time.Time
		}{{"DTSTART", a.StartsAt}, {"DTEND", a.EndsAt}} {
			prop := e.Props.Get(p.name)
			got, err := prop.DateTime(nil)
			if err != nil || !got.Equal(p.at) {
				t.Errorf("%s %s %v:%s read back as %v (%v), stored %v", a.Title, p.name, prop.Params, prop.Value, got.UTC(), err, p.at.UTC())
			}
			tzid := prop.Params.Get("TZID")
			if wallTimeRepeats(p.at) {
				inUTC++
				if tzid != "" || prop.Value != p.at.UTC().Format("20060102T150405Z") {
					t.Errorf("%s %s at %v: TZID=%q %s, want the UTC form", a.Title, p.name, p.at.UTC(), tzid, prop.Value)
				}
			} else if tzid != "Europe/Berlin" || strings.HasSuffix(prop.Value, "Z") {
				t.Errorf("%s %s at %v: TZID=%q %s, want TZID=Europe/Berlin", a.Title, p.name, p.at.UTC(), tzid, prop.Value)
			}
		}
	}
	// Two October nights, 00:00Z–01:45Z: 8 starts and 7 ends each (from
	// 00:15Z; the end at 02:00Z is 03:00 CET, which occurs once).
	if inUTC != 2*(8+7) {
		t.Errorf("%d times in UTC, want %d", inUTC, 2*(8+7))
	}
	// The VTIMEZONE is still the only component besides the events.
	zones := 0
	for _, ch := range cal.Children {
		if ch.Name == ical.CompTimezone {
			zones++
		}
	}
	if zones != 1 || !strings.Contains(body, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU") {
		t.Errorf("%d VTIMEZONE components", zones)
	}
	// The bug report's pair: 00:30Z and 01:30Z no longer share a line.
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, want := range []string{"DTSTART:20261025T003000Z\r\n", "DTSTART:20261025T013000Z\r\n"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q", strings.TrimSpace(want))
		}
	}
	if strings.Contains(unfolded, "TZID=Europe/Berlin:20261025T023000") {
		t.Error("feed still writes the ambiguous 02:30")
	}
}
