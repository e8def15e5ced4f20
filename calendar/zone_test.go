package calendar

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/schema/pulid"
)

// dstNights are the nights of the DST changes of 2026 and 2027.
var dstNights = []time.Time{
	time.Date(2026, time.March, 29, 0, 0, 0, 0, time.UTC),
	time.Date(2026, time.October, 25, 0, 0, 0, 0, time.UTC),
	time.Date(2027, time.March, 28, 0, 0, 0, 0, time.UTC),
	time.Date(2027, time.October, 31, 0, 0, 0, 0, time.UTC),
}

// repeatedWallTime reports, by brute force over the tz database, whether
// another instant within two hours of t shows the same Europe/Berlin
// wall-clock time.
func repeatedWallTime(t time.Time) bool {
	wall := t.In(Berlin).Format("20060102T150405")
	for d := -2 * time.Hour; d <= 2*time.Hour; d += time.Minute {
		if d != 0 && t.Add(d).In(Berlin).Format("20060102T150405") == wall {
			return true
		}
	}
	return false
}

// vtimezone is what a client that reads the feed's VTIMEZONE (Outlook,
// Thunderbird, libical) knows about Europe/Berlin: the onsets of its
// observances, computed from their DTSTART and RRULE.
type vtimezone struct {
	onsets []vtzOnset
}

type vtzOnset struct {
	at       time.Time // the instant of the change
	from, to int
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		t.Fatalf("UTC offset %q", s)
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[3:5])
	if err1 != nil || err2 != nil {
		t.Fatalf("UTC offset %q", s)
	}
	sec := h*3600 + m*60
	if s[0] == '-' {
		sec = -sec
	}
	return sec
}

// readVTimezone reads the VTIMEZONE Europe/Berlin of a parsed feed and
// expands its rules over [from, to).
func readVTimezone(t *testing.T, cal *ical.Calendar, from, to time.Time) *vtimezone {
	t.Helper()
	var zones []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			zones = append(zones, c)
		}
	}
	if len(zones) != 1 {
		t.Fatalf("feed has %d VTIMEZONE components, want 1", len(zones))
	}
	z := zones[0]
	if id, _ := z.Props.Text(ical.PropTimezoneID); id != "Europe/Berlin" {
		t.Fatalf("VTIMEZONE TZID %q", id)
	}
	vz := &vtimezone{}
	names := map[string]string{}
	for _, obs := range z.Children {
		if obs.Name != ical.CompTimezoneStandard && obs.Name != ical.CompTimezoneDaylight {
			t.Fatalf("unexpected %s in VTIMEZONE", obs.Name)
		}
		fromOff := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetFrom).Value)
		toOff := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetTo).Value)
		names[obs.Name] = obs.Props.Get(ical.PropTimezoneName).Value
		// DTSTART and the recurrences are wall-clock times of the offset
		// before the change: expand them as if in UTC, then shift.
		set, err := obs.RecurrenceSet(time.UTC)
		if err != nil || set == nil {
			t.Fatalf("%s: recurrence %v", obs.Name, err)
		}
		for _, wall := range set.Between(from.Add(-48*time.Hour), to.Add(48*time.Hour), true) {
			vz.onsets = append(vz.onsets, vtzOnset{at: wall.Add(-time.Duration(fromOff) * time.Second), from: fromOff, to: toOff})
		}
	}
	if names[ical.CompTimezoneDaylight] != "CEST" || names[ical.CompTimezoneStandard] != "CET" {
		t.Fatalf("TZNAMEs %v", names)
	}
	// In time order.
	for i := 1; i < len(vz.onsets); i++ {
		for j := i; j > 0 && vz.onsets[j].at.Before(vz.onsets[j-1].at); j-- {
			vz.onsets[j], vz.onsets[j-1] = vz.onsets[j-1], vz.onsets[j]
		}
	}
	return vz
}

// offset is the VTIMEZONE's offset at instant u.
func (vz *vtimezone) offset(u time.Time) (int, bool) {
	off, ok := 0, false
	for _, o := range vz.onsets {
		if o.at.After(u) {
			break
		}
		off, ok = o.to, true
	}
	return off, ok
}

// resolve maps a wall-clock time (as read from a TZID property) to the
// instants it names under the VTIMEZONE.
func (vz *vtimezone) resolve(t *testing.T, wall string) []time.Time {
	t.Helper()
	w, err := time.Parse("20060102T150405", wall)
	if err != nil {
		t.Fatalf("wall time %q: %v", wall, err)
	}
	seen := map[int]bool{}
	var out []time.Time
	for _, o := range vz.onsets {
		for _, off := range []int{o.from, o.to} {
			if seen[off] {
				continue
			}
			seen[off] = true
			u := w.Add(-time.Duration(off) * time.Second)
			if got, ok := vz.offset(u); ok && got == off {
				out = append(out, u)
			}
		}
	}
	return out
}

// instantOf reads a DTSTART or DTEND twice: as a client with the tz
// database does (go-ical) and as one that uses the feed's VTIMEZONE.
func instantOf(t *testing.T, vz *vtimezone, p *ical.Prop) (tzdb, vtz time.Time) {
	t.Helper()
	tzdb, err := p.DateTime(nil)
	if err != nil {
		t.Fatalf("%s %s: %v", p.Name, p.Value, err)
	}
	if p.Params.Get(ical.ParamTimezoneID) == "" {
		return tzdb, tzdb
	}
	got := vz.resolve(t, p.Value)
	if len(got) != 1 {
		t.Errorf("%s;TZID=%s:%s names %d instants under the feed's VTIMEZONE: %v", p.Name, p.Params.Get(ical.ParamTimezoneID), p.Value, len(got), got)
		return tzdb, time.Time{}
	}
	return tzdb, got[0]
}

func dstAppointment(n int, start, end time.Time) *ent.Appointment {
	return &ent.Appointment{ID: pulid.ID(fmt.Sprintf("AP%026d", n)), Kind: appointment.KindOTHER, Title: "Nachtarbeit",
		StartsAt: start, EndsAt: end, Status: appointment.StatusCONFIRMED,
		CreatedAt: time.Unix(1.7e9, 0), UpdatedAt: time.Unix(1.7e9, 0)}
}

// TestDSTNights renders appointments every 15 minutes from 00:00Z to
// 03:00Z on both DST nights of 2026 and 2027, parses the feed back and
// checks every DTSTART and DTEND: it gives the stored instant, read with
// the tz database and with the feed's own VTIMEZONE; a time whose
// wall-clock time occurs twice is in UTC, every other keeps TZID.
func TestDSTNights(t *testing.T) {
	var apps []*ent.Appointment
	for _, night := range dstNights {
		for at := night; !at.After(night.Add(3 * time.Hour)); at = at.Add(15 * time.Minute) {
			// Two lengths, so that DTEND too lands on every quarter hour.
			apps = append(apps, dstAppointment(len(apps), at, at.Add(15*time.Minute)),
				dstAppointment(len(apps)+1, at, at.Add(time.Hour)))
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, "DST", apps); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("feed does not parse: %v", err)
	}
	vz := readVTimezone(t, cal, dstNights[0].AddDate(-1, 0, 0), dstNights[len(dstNights)-1].AddDate(1, 0, 0))
	events := map[string]ical.Event{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(ical.PropUID)
		events[uid] = e
	}
	if len(events) != len(apps) {
		t.Fatalf("feed has %d events, want %d", len(events), len(apps))
	}
	utcForm, tzidForm := 0, 0
	for _, a := range apps {
		e, ok := events[string(a.ID)+uidDomain]
		if !ok {
			t.Fatalf("event %s missing", a.ID)
		}
		for _, c := range []struct {
			name string
			at   time.Time
		}{{ical.PropDateTimeStart, a.StartsAt}, {ical.PropDateTimeEnd, a.EndsAt}} {
			props := e.Props.Values(c.name)
			if len(props) != 1 {
				t.Fatalf("%s: %d %s", a.ID, len(props), c.name)
			}
			p := &props[0]
			// The repeated hour: 02:00–02:59 on the October nights, that
			// is 00:00Z–01:59Z; the March nights repeat nothing.
			night := time.Date(c.at.Year(), c.at.Month(), c.at.Day(), 0, 0, 0, 0, time.UTC)
			repeated := c.at.Month() == time.October && c.at.Before(night.Add(2*time.Hour))
			if repeated != repeatedWallTime(c.at) {
				t.Fatalf("test's own view of %v: repeated %v, brute force %v", c.at, repeated, repeatedWallTime(c.at))
			}
			tzid := p.Params.Get(ical.ParamTimezoneID)
			if repeated {
				utcForm++
				if tzid != "" || p.Value != c.at.UTC().Format("20060102T150405Z") || len(p.Params) != 0 {
					t.Errorf("%s at %v (repeated wall time): %v %s, want UTC form", c.name, c.at, p.Params, p.Value)
				}
			} else {
				tzidForm++
				if tzid != "Europe/Berlin" || p.Value != c.at.In(Berlin).Format("20060102T150405") {
					t.Errorf("%s at %v: TZID=%q %s, want TZID=Europe/Berlin %s", c.name, c.at, tzid, p.Value, c.at.In(Berlin).Format("20060102T150405"))
				}
			}
			tzdb, vtz := instantOf(t, vz, p)
			if !tzdb.Equal(c.at) || !vtz.Equal(c.at) {
				t.Errorf("%s %v;%s read back as %v (tz database) and %v (VTIMEZONE), want %v", c.name, p.Params, p.Value, tzdb.UTC(), vtz.UTC(), c.at)
			}
		}
	}
	// 2 nights × 8 quarter hours of repeated wall time, for starts and for
	// ends of both lengths.
	if utcForm == 0 || tzidForm == 0 {
		t.Errorf("%d UTC and %d TZID times", utcForm, tzidForm)
	}
	t.Logf("%d events: %d times in UTC, %d with TZID", len(apps), utcForm, tzidForm)

	// The lines as written, for the two appointments of the bug report
	// and their neighbours.
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, want := range []string{
		"DTSTART:20261025T003000Z\r\n",                   // 02:30 CEST
		"DTSTART:20261025T013000Z\r\n",                   // 02:30 CET
		"DTEND:20261025T001500Z\r\n",                     // 02:15 CEST
		"DTSTART;TZID=Europe/Berlin:20260329T010000\r\n", // 00:00Z, CET
		"DTSTART;TZID=Europe/Berlin:20261025T030000\r\n", // 02:00Z, CET
		"DTEND;TZID=Europe/Berlin:20261025T030000\r\n",   // 02:00Z
		"DTSTART:20271031T000000Z\r\n",                   // 02:00 CEST
		"DTSTART:20271031T014500Z\r\n",                   // 02:45 CET
		"DTSTART;TZID=Europe/Berlin:20260329T014500\r\n", // 00:45Z, CET
		"DTSTART;TZID=Europe/Berlin:20260329T030000\r\n", // 01:00Z, CEST
		"DTSTART;TZID=Europe/Berlin:20270328T030000\r\n", // 01:00Z, CEST
		"DTSTART;TZID=Europe/Berlin:20270328T050000\r\n", // 03:00Z
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q", strings.TrimSpace(want))
		}
	}
	for _, bad := range []string{
		"TZID=Europe/Berlin:20261025T02", "TZID=Europe/Berlin:20271031T02", // repeated wall times
		"20260329T02", "20270328T02", // wall times in the spring gap
	} {
		if strings.Contains(unfolded, bad) {
			t.Errorf("feed contains %q", bad)
		}
	}
}

// TestVTimezoneMatchesTZDatabase checks the VTIMEZONE every feed carries:
// its properties, and that its rules give exactly the changes of the tz
// database's Europe/Berlin from 1996 to 2037, in both directions.
func TestVTimezoneMatchesTZDatabase(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "leer", nil); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	want := "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\n"
	if !strings.Contains(body, want) {
		t.Errorf("VTIMEZONE changed:\n%s", body)
	}
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(1996, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
	vz := readVTimezone(t, cal, from, to)
	// Every change of the VTIMEZONE is a change of the tz database.
	var inRange []vtzOnset
	for _, o := range vz.onsets {
		if o.at.Before(from) || !o.at.Before(to) {
			continue
		}
		inRange = append(inRange, o)
		if got := tzOffset(o.at.Add(-time.Second)); got != o.from {
			t.Errorf("VTIMEZONE change at %v: from %d, tz database %d", o.at, o.from, got)
		}
		if got := tzOffset(o.at); got != o.to {
			t.Errorf("VTIMEZONE change at %v: to %d, tz database %d", o.at, o.to, got)
		}
	}
	// Every change of the tz database is one of the VTIMEZONE.
	var tzdb []time.Time
	for at := from; at.Before(to); {
		_, end := at.In(Berlin).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		tzdb = append(tzdb, end)
		at = end
	}
	if len(tzdb) != len(inRange) || len(tzdb) != 2*(2038-1996) {
		t.Fatalf("%d changes in the tz database, %d in the VTIMEZONE, want %d", len(tzdb), len(inRange), 2*(2038-1996))
	}
	for i := range tzdb {
		if !tzdb[i].Equal(inRange[i].at) {
			t.Errorf("change %d: tz database %v, VTIMEZONE %v", i, tzdb[i], inRange[i].at)
		}
	}
	// The renderer's own reading of the rules agrees with the feed's.
	for _, o := range inRange {
		if vtzOffset(o.at) != o.to || vtzOffset(o.at.Add(-time.Second)) != o.from {
			t.Errorf("vtzOffset around %v: %d/%d", o.at, vtzOffset(o.at.Add(-time.Second)), vtzOffset(o.at))
		}
	}
}

func TestLocalTimeSafe(t *testing.T) {
	for _, c := range []struct {
		at   string
		safe bool
		why  string
	}{
		{"2026-07-01T08:00:00Z", true, "a summer morning"},
		{"2026-01-15T12:00:00Z", true, "a winter noon"},
		{"2026-12-31T23:30:00Z", true, "New Year's night, the turn of the rules' year"},
		{"2027-01-01T00:30:00Z", true, "New Year's night, the turn of the rules' year"},
		{"2026-10-24T23:59:59Z", true, "01:59:59 CEST, before the repeated hour"},
		{"2026-10-25T00:00:00Z", false, "02:00 CEST, repeated"},
		{"2026-10-25T00:59:59Z", false, "02:59:59 CEST, repeated"},
		{"2026-10-25T01:00:00Z", false, "02:00 CET, repeated"},
		{"2026-10-25T01:59:59Z", false, "02:59:59 CET, repeated"},
		{"2026-10-25T02:00:00Z", true, "03:00 CET"},
		{"2026-03-29T00:59:59Z", true, "01:59:59 CET, just before the gap"},
		{"2026-03-29T01:00:00Z", true, "03:00 CEST, just after the gap"},
		{"1985-09-30T12:00:00Z", false, "CET after the tz database, CEST after the VTIMEZONE (before the EU rules)"},
		{"1975-07-01T12:00:00Z", false, "no summer time in 1975, but in the VTIMEZONE"},
		{"1969-07-01T12:00:00Z", false, "before the VTIMEZONE's DTSTART"},
		{"2300-07-01T12:00:00Z", false, "beyond the precomputed rules"},
	} {
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := LocalTimeSafe(at); got != c.safe {
			t.Errorf("LocalTimeSafe(%s) = %v, want %v: %s", c.at, got, c.safe, c.why)
		}
		line := string(appendDateTime([]byte("DTSTART"), at))
		if c.safe != strings.HasPrefix(line, "DTSTART;TZID=Europe/Berlin:") || c.safe == strings.HasSuffix(line, "Z") {
			t.Errorf("%s written as %s", c.at, line)
		}
	}
	// Every minute around both 2026 nights, against the brute force.
	for _, night := range dstNights[:2] {
		for at := night.Add(-time.Hour); at.Before(night.Add(4 * time.Hour)); at = at.Add(time.Minute) {
			if LocalTimeSafe(at) == repeatedWallTime(at) {
				t.Fatalf("LocalTimeSafe(%v) = %v, repeated wall time %v", at, LocalTimeSafe(at), repeatedWallTime(at))
			}
		}
	}
}

// TestWallTimeUniqueSyntheticZone checks wallTimeUnique with a zone that
// goes back two hours (the two hours before the change repeat in the two
// after it) and one that goes forward (no instant's wall time repeats;
// the skipped wall times belong to no instant and are never written).
func TestWallTimeUniqueSyntheticZone(t *testing.T) {
	change := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	back := func(u time.Time) int { // +3 h, then +1 h: 2 hours repeat
		if u.Before(change) {
			return 3 * 3600
		}
		return 3600
	}
	forward := func(u time.Time) int { // +1 h, then +3 h: 2 hours skipped
		if u.Before(change) {
			return 3600
		}
		return 3 * 3600
	}
	for _, c := range []struct {
		d      time.Duration
		offset func(time.Time) int
		unique bool
	}{
		{-2*time.Hour - time.Second, back, true},
		{-2 * time.Hour, back, false},
		{-time.Second, back, false},
		{0, back, false},
		{2*time.Hour - time.Second, back, false},
		{2 * time.Hour, back, true},
		{-time.Second, forward, true},
		{0, forward, true},
	} {
		if got := wallTimeUnique(change.Add(c.d), c.offset); got != c.unique {
			t.Errorf("change%+v: unique %v, want %v", c.d, got, c.unique)
		}
	}
}
