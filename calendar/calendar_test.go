package calendar

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/emersion/go-ical"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/internal/clock"
)

func TestWorkingDays(t *testing.T) {
	berlin := clock.MustLoadZone("Europe/Berlin")
	for day, want := range map[string]string{
		"2025-10-31": "Reformationstag",
		"2026-01-06": "Heilige Drei Könige",
		"2027-01-06": "Heilige Drei Könige",
		"2026-04-03": "Karfreitag",
		"2026-04-06": "Ostermontag",
		"2026-05-14": "Christi Himmelfahrt",
		"2026-05-25": "Pfingstmontag",
		"2026-10-03": "Saturday",
		"2026-10-04": "Sunday",
		"2025-12-25": "Weihnacht",
		"2025-12-26": "Weihnacht",
		// Working days: Fronleichnam and Buß- und Bettag are not holidays
		// in Sachsen-Anhalt, nor are Christmas Eve and New Year's Eve.
		"2026-06-04": "",
		"2026-11-18": "",
		"2026-12-24": "",
		"2026-12-31": "",
		"2026-03-30": "",
	} {
		d, _ := time.ParseInLocation(time.DateOnly, day, berlin)
		for _, at := range []time.Time{d, d.Add(23*time.Hour + 59*time.Minute)} {
			why, closed := IsNonWorkingDay(at, berlin)
			if closed != (want != "") || !strings.Contains(why, want) {
				t.Errorf("%s: %q %v, want %q", at, why, closed, want)
			}
		}
	}
	// Friday evening to Monday touches Saturday.
	from := time.Date(2026, 3, 27, 18, 0, 0, 0, berlin)
	if day, _, ok := FirstNonWorkingDay(from, from.Add(62*time.Hour), berlin); !ok || day.Format(time.DateOnly) != "2026-03-28" {
		t.Errorf("FirstNonWorkingDay = %v %v", day, ok)
	}
	// Ending at midnight does not touch the next day.
	if _, _, ok := FirstNonWorkingDay(time.Date(2026, 3, 27, 20, 0, 0, 0, berlin), time.Date(2026, 3, 28, 0, 0, 0, 0, berlin), berlin); ok {
		t.Error("an appointment ending at midnight touches the next day")
	}
}

// TestWorkingDaysFollowZone: the calendar day of an instant is the one
// of the zone passed in; the holidays stay Sachsen-Anhalt's.
func TestWorkingDaysFollowZone(t *testing.T) {
	berlin, newYork, kolkata := clock.MustLoadZone("Europe/Berlin"), clock.MustLoadZone("America/New_York"), clock.MustLoadZone("Asia/Kolkata")
	for _, c := range []struct {
		at     string
		loc    *time.Location
		closed string // "" for a working day
	}{
		{"2026-10-02T23:30:00Z", berlin, "Saturday"},         // 01:30 on Saturday 3 October
		{"2026-10-02T23:30:00Z", newYork, ""},                // 19:30 on Friday 2 October
		{"2026-10-02T23:30:00Z", time.UTC, ""},               // 23:30 on Friday
		{"2026-10-05T02:00:00Z", newYork, "Sunday"},          // 22:00 on Sunday 4 October
		{"2026-10-05T02:00:00Z", berlin, ""},                 // 04:00 on Monday
		{"2025-10-30T19:00:00Z", kolkata, "Reformationstag"}, // 00:30 on Friday 31 October
		{"2025-10-30T19:00:00Z", berlin, ""},                 // 20:00 on Thursday 30 October
		{"2025-10-31T12:00:00Z", newYork, "Reformationstag"}, // 08:00
	} {
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		why, closed := IsNonWorkingDay(at, c.loc)
		if closed != (c.closed != "") || !strings.Contains(why, c.closed) {
			t.Errorf("%s in %s: %q %v, want %q", c.at, c.loc, why, closed, c.closed)
		}
		day, why2, ok := FirstNonWorkingDay(at, at.Add(time.Minute), c.loc)
		if ok != closed || why2 != why || (ok && day.Format(time.DateOnly) != at.In(c.loc).Format(time.DateOnly)) {
			t.Errorf("FirstNonWorkingDay(%s, %s) = %v %q %v", c.at, c.loc, day, why2, ok)
		}
	}
}

// TestNoZone: a Service without a Zone is a wiring error that the
// methods needing the zone report before doing anything.
func TestNoZone(t *testing.T) {
	s := &Service{Now: time.Now}
	ctx := context.Background()
	start := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	for name, err := range map[string]error{
		"Schedule": func() error {
			_, err := s.Schedule(ctx, nil, ScheduleInput{Title: "T", StartsAt: start, EndsAt: start.Add(time.Hour), ParticipationIDs: []pulid.ID{"PA1"}})
			return err
		}(),
		"Reschedule": func() error { _, err := s.Reschedule(ctx, nil, "AP1", start, start.Add(time.Hour), false); return err }(),
		"Complete":   func() error { _, err := s.Complete(ctx, nil, "AP1"); return err }(),
		"RenderFeed": func() error { _, _, err := s.RenderFeed(ctx, &ent.CalendarFeed{}); return err }(),
		"FeedState":  func() error { _, err := s.FeedState(ctx, &ent.CalendarFeed{}); return err }(),
		"Render":     Render(io.Discard, "K", nil, nil),
	} {
		if !errors.Is(err, errNoZone) {
			t.Errorf("%s without a zone: %v, want %v", name, err, errNoZone)
		}
	}
}

func TestFoldingAndEscaping(t *testing.T) {
	text := strings.Repeat("Prüfung, Maßnahme; Größe\\Ü €\n", 12) + strings.Repeat("ä", 80)
	a := &ent.Appointment{ID: "AP01JD3K8Z6W8M2X1Q4R5T7V9B0C", Kind: appointment.KindWORKSHOP, Title: text, Description: &text,
		StartsAt: time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC),
		Status: appointment.StatusTENTATIVE, CreatedAt: time.Unix(0, 0), UpdatedAt: time.Unix(0, 0)}
	var buf bytes.Buffer
	if err := Render(&buf, "Kalender mit Ümläuten, Kommas; und so weiter – sehr lang, länger als eine Zeile", clock.MustLoadZone("Europe/Berlin"), []*ent.Appointment{a}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	cal, err := ical.NewDecoder(&buf).Decode()
	if err != nil {
		t.Fatal(err)
	}
	ev := cal.Events()[0]
	for _, p := range []string{ical.PropSummary, ical.PropDescription} {
		if got, _ := ev.Props.Text(p); got != text {
			t.Errorf("%s: %q", p, got)
		}
	}
	if got, _ := cal.Props.Text("X-WR-CALNAME"); got != "Kalender mit Ümläuten, Kommas; und so weiter – sehr lang, länger als eine Zeile" {
		t.Errorf("X-WR-CALNAME %q", got)
	}
	if got := escapeText("a\r\nb\rc\x00d\te"); got != `a\nb\ncd`+"\te" {
		t.Errorf("escapeText: %q", got)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	loc := "Rathaus"
	a := &ent.Appointment{ID: "AP01JD3K8Z6W8M2X1Q4R5T7V9B0C", Kind: appointment.KindONSITE_VISIT, Title: "T", Location: &loc,
		StartsAt: time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC),
		Status: appointment.StatusCONFIRMED, Sequence: 3, CreatedAt: time.Unix(1e9, 0), UpdatedAt: time.Unix(2e9, 0)}
	var x, y bytes.Buffer
	berlin := clock.MustLoadZone("Europe/Berlin")
	if err := Render(&x, "K", berlin, []*ent.Appointment{a, a}); err != nil {
		t.Fatal(err)
	}
	_ = Render(&y, "K", berlin, []*ent.Appointment{a, a})
	if x.String() != y.String() {
		t.Fatal("two renderings differ")
	}
}
