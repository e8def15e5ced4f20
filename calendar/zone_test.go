package calendar

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/internal/clock"
)

// testZones are the zones the feeds are tested in: the programme's
// Europe/Berlin, a northern and a southern zone with summer time, one
// without (and a half-hour offset) and UTC.
var testZones = []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"}

// dstNights are the nights of the DST changes of 2026 and 2027 in
// Europe/Berlin.
var dstNights = []time.Time{
	time.Date(2026, time.March, 29, 0, 0, 0, 0, time.UTC),
	time.Date(2026, time.October, 25, 0, 0, 0, 0, time.UTC),
	time.Date(2027, time.March, 28, 0, 0, 0, 0, time.UTC),
	time.Date(2027, time.October, 31, 0, 0, 0, 0, time.UTC),
}

// repeatedWallTime reports, by brute force over the tz database, whether
// another instant within three hours of t shows the same wall-clock time
// in loc.
func repeatedWallTime(t time.Time, loc *time.Location) bool {
	wall := t.In(loc).Format("20060102T150405")
	for d := -3 * time.Hour; d <= 3*time.Hour; d += time.Minute {
		if d != 0 && t.Add(d).In(loc).Format("20060102T150405") == wall {
			return true
		}
	}
	return false
}

// goOffset is the UTC offset of t in loc after Go's tz database.
func goOffset(t time.Time, loc *time.Location) int {
	_, off := t.In(loc).Zone()
	return off
}

// goChanges finds the changes of offset of loc in [from, to) by brute
// force, independently of zoneTable: hour by hour, then to the second by
// bisection.
func goChanges(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	prev := goOffset(from, loc)
	for at := from.Add(time.Hour); at.Before(to); at = at.Add(time.Hour) {
		off := goOffset(at, loc)
		if off == prev {
			continue
		}
		lo, hi := at.Add(-time.Hour), at // offset(lo) = prev, offset(hi) = off
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if goOffset(mid, loc) == prev {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, hi)
		prev = off
	}
	return out
}

// vtimezone is what a client that reads the feed's VTIMEZONE (Outlook,
// Thunderbird, libical) knows about the zone: the onsets of its
// observances, read from their DTSTART, RDATEs and RRULEs and nothing
// else, up to the year 2200.
type vtimezone struct {
	tzid   string
	comps  map[string]int // sub-components by name
	onsets []vtzOnset
}

type vtzOnset struct {
	at       time.Time // the instant of the change
	from, to int
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if (len(s) != 5 && len(s) != 7) || (s[0] != '+' && s[0] != '-') {
		t.Fatalf("UTC offset %q", s)
	}
	sec := 0
	for i, unit := range []int{3600, 60, 1} {
		if 1+2*i >= len(s) {
			break
		}
		n, err := strconv.Atoi(s[1+2*i : 3+2*i])
		if err != nil {
			t.Fatalf("UTC offset %q", s)
		}
		sec += n * unit
	}
	if s[0] == '-' {
		sec = -sec
	}
	return sec
}

// readVTimezone reads the one VTIMEZONE of a parsed feed. DTSTART and
// RDATE values are wall-clock times of the offset before the change
// (TZOFFSETFROM), and so are the recurrences of an RRULE. It fails on
// anything this resolver does not know (EXDATE, periods, RRULEs other
// than yearly on a weekday of a month), since Render writes none of it.
func readVTimezone(t *testing.T, cal *ical.Calendar) *vtimezone {
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
	vz := &vtimezone{comps: map[string]int{}}
	vz.tzid, _ = z.Props.Text(ical.PropTimezoneID)
	for _, obs := range z.Children {
		if obs.Name != ical.CompTimezoneStandard && obs.Name != ical.CompTimezoneDaylight {
			t.Fatalf("unexpected %s in VTIMEZONE", obs.Name)
		}
		vz.comps[obs.Name]++
		for name := range obs.Props {
			switch name {
			case ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo, ical.PropTimezoneName,
				ical.PropDateTimeStart, ical.PropRecurrenceDates, ical.PropRecurrenceRule:
			default:
				t.Fatalf("%s has %s, which this resolver does not read", obs.Name, name)
			}
		}
		fromOff := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetFrom).Value)
		toOff := parseOffset(t, obs.Props.Get(ical.PropTimezoneOffsetTo).Value)
		walls := []string{obs.Props.Get(ical.PropDateTimeStart).Value}
		for _, p := range obs.Props.Values(ical.PropRecurrenceDates) {
			if len(p.Params) != 0 {
				t.Fatalf("RDATE with parameters %v", p.Params)
			}
			walls = append(walls, strings.Split(p.Value, ",")...)
		}
		// ical.js reads the onsets of a sub-component with RDATEs from
		// its RDATEs alone: DTSTART must be one of them.
		if len(walls) > 1 && !slices.Contains(walls[1:], walls[0]) {
			t.Errorf("%s: DTSTART %s is not among its RDATEs", obs.Name, walls[0])
		}
		var times []time.Time
		for _, w := range walls {
			wall, err := time.Parse("20060102T150405", w)
			if err != nil {
				t.Fatalf("%s onset %q: %v", obs.Name, w, err)
			}
			// An instance given twice (DTSTART and RDATE) counts once.
			if !slices.ContainsFunc(times, wall.Equal) {
				times = append(times, wall)
			}
		}
		if rules := obs.Props.Values(ical.PropRecurrenceRule); len(rules) > 0 {
			if len(rules) != 1 || len(times) != 1 {
				t.Fatalf("%s: %d RRULEs with %d DTSTART and RDATEs", obs.Name, len(rules), len(walls))
			}
			times = expandYearly(t, rules[0].Value, times[0], fromOff)
		}
		for _, wall := range times {
			vz.onsets = append(vz.onsets, vtzOnset{at: wall.Add(-time.Duration(fromOff) * time.Second), from: fromOff, to: toOff})
		}
	}
	sort.Slice(vz.onsets, func(i, j int) bool { return vz.onsets[i].at.Before(vz.onsets[j].at) })
	for i := 1; i < len(vz.onsets); i++ {
		if !vz.onsets[i].at.After(vz.onsets[i-1].at) {
			t.Fatalf("two onsets at %v", vz.onsets[i].at)
		}
		if vz.onsets[i].from != vz.onsets[i-1].to {
			t.Errorf("onset at %v changes from %d, but %d was in force", vz.onsets[i].at, vz.onsets[i].from, vz.onsets[i-1].to)
		}
	}
	return vz
}

// expandYearly expands an RRULE of the form FREQ=YEARLY;BYMONTH=m;
// BYDAY=nWD[;UNTIL=…Z] from the wall-clock time start (which must be its
// first recurrence) up to 2200: the n-th weekday WD of month m (the last
// for n = -1) at start's time of day, while its instant (the wall time
// less offset from) is not after UNTIL.
func expandYearly(t *testing.T, rule string, start time.Time, from int) []time.Time {
	t.Helper()
	var month, n int
	var day time.Weekday = -1
	var until time.Time
	freq := false
	for _, part := range strings.Split(rule, ";") {
		name, value, _ := strings.Cut(part, "=")
		var err error
		switch name {
		case "FREQ":
			freq = value == "YEARLY"
		case "BYMONTH":
			month, err = strconv.Atoi(value)
		case "BYDAY":
			if len(value) < 3 {
				t.Fatalf("RRULE %s: BYDAY", rule)
			}
			n, err = strconv.Atoi(value[:len(value)-2])
			for i, code := range []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"} {
				if value[len(value)-2:] == code {
					day = time.Weekday(i)
				}
			}
		case "UNTIL":
			until, err = time.Parse("20060102T150405Z", value)
		default:
			t.Fatalf("RRULE %s: this resolver does not know %s", rule, name)
		}
		if err != nil {
			t.Fatalf("RRULE %s: %s: %v", rule, name, err)
		}
	}
	if !freq || month < 1 || month > 12 || day < 0 || n == 0 || n < -1 || n > 4 {
		t.Fatalf("RRULE %s: not yearly on a weekday of a month", rule)
	}
	clock := start.Sub(time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC))
	var out []time.Time
	for y := start.Year(); y < 2200; y++ {
		var d time.Time
		if n > 0 {
			d = time.Date(y, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
			for d.Weekday() != day {
				d = d.AddDate(0, 0, 1)
			}
			d = d.AddDate(0, 0, 7*(n-1))
		} else {
			d = time.Date(y, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
			for d.Weekday() != day {
				d = d.AddDate(0, 0, -1)
			}
		}
		wall := d.Add(clock)
		if !until.IsZero() && wall.Add(-time.Duration(from)*time.Second).After(until) {
			break
		}
		out = append(out, wall)
	}
	if len(out) == 0 || !out[0].Equal(start) {
		t.Fatalf("RRULE %s: DTSTART %v is not its first recurrence (%v)", rule, start, out)
	}
	return out
}

// offset is the VTIMEZONE's offset at instant u; ok is false before its
// first onset.
func (vz *vtimezone) offset(u time.Time) (int, bool) {
	i := sort.Search(len(vz.onsets), func(i int) bool { return vz.onsets[i].at.After(u) })
	if i == 0 {
		return 0, false
	}
	return vz.onsets[i-1].to, true
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

// feedCheck is what checkFeed found.
type feedCheck struct {
	body              string
	vz                *vtimezone
	utcForm, tzidForm int
}

// checkFeed renders apps in loc, parses the feed back with go-ical and
// checks the calendar's zone properties and every DTSTART and DTEND: it
// gives the stored instant, read with the tz database and with the feed's
// own VTIMEZONE; it is in UTC exactly where LocalTimeSafe says no, and
// LocalTimeSafe says no exactly where the wall-clock time repeats (brute
// force) or lies outside the years of the zone table.
func checkFeed(t *testing.T, loc *time.Location, apps []*ent.Appointment) feedCheck {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, "Zone "+loc.String(), loc, apps); err != nil {
		t.Fatal(err)
	}
	fc := feedCheck{body: buf.String()}
	cal, err := ical.NewDecoder(strings.NewReader(fc.body)).Decode()
	if err != nil {
		t.Fatalf("feed does not parse: %v", err)
	}
	if got, _ := cal.Props.Text("X-WR-TIMEZONE"); got != loc.String() {
		t.Errorf("X-WR-TIMEZONE %q, want %q", got, loc)
	}
	fc.vz = readVTimezone(t, cal)
	if fc.vz.tzid != loc.String() {
		t.Errorf("VTIMEZONE TZID %q, want %q", fc.vz.tzid, loc)
	}
	if !strings.Contains(fc.body, "\r\nX-LIC-LOCATION:"+loc.String()+"\r\n") {
		t.Errorf("no X-LIC-LOCATION:%s", loc)
	}
	events := map[string]ical.Event{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(ical.PropUID)
		events[uid] = e
	}
	if len(events) != len(apps) {
		t.Fatalf("feed has %d events, want %d", len(events), len(apps))
	}
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
			inTable := c.at.Year() >= 1901 && c.at.Year() < 2199
			safe := LocalTimeSafe(c.at, loc)
			if want := inTable && !repeatedWallTime(c.at, loc); safe != want {
				t.Errorf("LocalTimeSafe(%v, %s) = %v, want %v", c.at, loc, safe, want)
			}
			if tzid := p.Params.Get(ical.ParamTimezoneID); safe {
				fc.tzidForm++
				if want := c.at.In(loc).Format("20060102T150405"); tzid != loc.String() || p.Value != want {
					t.Errorf("%s at %v: TZID=%q %s, want TZID=%s %s", c.name, c.at, tzid, p.Value, loc, want)
				}
			} else {
				fc.utcForm++
				if tzid != "" || p.Value != c.at.UTC().Format("20060102T150405Z") || len(p.Params) != 0 {
					t.Errorf("%s at %v (not safe): %v %s, want UTC form", c.name, c.at, p.Params, p.Value)
				}
			}
			tzdb, vtz := instantOf(t, fc.vz, p)
			if !tzdb.Equal(c.at) || !vtz.Equal(c.at) {
				t.Errorf("%s %v;%s read back as %v (tz database) and %v (VTIMEZONE), want %v", c.name, p.Params, p.Value, tzdb.UTC(), vtz.UTC(), c.at)
			}
		}
	}
	return fc
}

// TestDSTNights renders appointments every 15 minutes from 00:00Z to
// 03:00Z on both Europe/Berlin DST nights of 2026 and 2027 and checks them
// with checkFeed: a time whose wall-clock time occurs twice is in UTC,
// every other keeps TZID; and the lines as written.
func TestDSTNights(t *testing.T) {
	berlin := clock.MustLoadZone("Europe/Berlin")
	var apps []*ent.Appointment
	for _, night := range dstNights {
		for at := night; !at.After(night.Add(3 * time.Hour)); at = at.Add(15 * time.Minute) {
			// Two lengths, so that DTEND too lands on every quarter hour.
			apps = append(apps, dstAppointment(len(apps), at, at.Add(15*time.Minute)),
				dstAppointment(len(apps)+1, at, at.Add(time.Hour)))
		}
	}
	fc := checkFeed(t, berlin, apps)
	// The repeated hour: 02:00–02:59 on the October nights, that is
	// 00:00Z–01:59Z; the March nights repeat nothing.
	for _, a := range apps {
		for _, at := range []time.Time{a.StartsAt, a.EndsAt} {
			night := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
			repeated := at.Month() == time.October && at.Before(night.Add(2*time.Hour))
			if repeated == LocalTimeSafe(at, berlin) {
				t.Errorf("%v: repeated %v, LocalTimeSafe %v", at, repeated, LocalTimeSafe(at, berlin))
			}
		}
	}
	if fc.utcForm == 0 || fc.tzidForm == 0 {
		t.Errorf("%d UTC and %d TZID times", fc.utcForm, fc.tzidForm)
	}
	t.Logf("%d events: %d times in UTC, %d with TZID", len(apps), fc.utcForm, fc.tzidForm)

	// The lines as written, for the two appointments of the bug report
	// and their neighbours.
	unfolded := strings.ReplaceAll(fc.body, "\r\n ", "")
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
		"DTSTART;TZID=Europe/Berlin:20260329T02", "DTSTART;TZID=Europe/Berlin:20270328T02", // wall times in the spring gap
		"DTEND;TZID=Europe/Berlin:20260329T02", "DTEND;TZID=Europe/Berlin:20270328T02",
	} {
		if strings.Contains(unfolded, bad) {
			t.Errorf("feed contains %q", bad)
		}
	}
}

// TestFeedsInZones renders, in each of testZones, appointments every 15
// minutes within three hours of each change of offset of 2026 and 2027
// (found by brute force), one every day at noon UTC, and a few far from
// now (1980, 2045 and 2150 with TZID: the VTIMEZONE grows to cover them),
// and checks them with checkFeed; and a feed of one appointment in 2300,
// beyond the zone table, which is in UTC.
func TestFeedsInZones(t *testing.T) {
	for _, name := range testZones {
		t.Run(name, func(t *testing.T) {
			loc := clock.MustLoadZone(name)
			var apps []*ent.Appointment
			add := func(start, end time.Time) { apps = append(apps, dstAppointment(len(apps), start, end)) }
			changes := goChanges(loc, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
			for _, c := range changes {
				for at := c.Add(-3 * time.Hour); !at.After(c.Add(3 * time.Hour)); at = at.Add(15 * time.Minute) {
					add(at, at.Add(15*time.Minute))
					add(at, at.Add(time.Hour))
				}
			}
			for d := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
				add(d, d.Add(90*time.Minute))
			}
			for _, y := range []int{1980, 2045, 2150} {
				at := time.Date(y, time.July, 1, 10, 0, 0, 0, time.UTC)
				add(at, at.Add(time.Hour))
			}
			fc := checkFeed(t, loc, apps)
			// The far ones: TZID where the table has them.
			unfolded := strings.ReplaceAll(fc.body, "\r\n ", "")
			for _, y := range []int{1980, 2045, 2150} {
				want := "DTSTART;TZID=" + name + ":" + time.Date(y, time.July, 1, 10, 0, 0, 0, time.UTC).In(loc).Format("20060102T150405") + "\r\n"
				if !strings.Contains(unfolded, want) {
					t.Errorf("feed lacks %q", strings.TrimSpace(want))
				}
			}
			far := time.Date(2300, time.July, 1, 10, 0, 0, 0, time.UTC)
			if fc := checkFeed(t, loc, []*ent.Appointment{dstAppointment(0, far, far.Add(time.Hour))}); !strings.Contains(fc.body, "\r\nDTSTART:23000701T100000Z\r\n") {
				t.Error("the appointment of 2300 is not in UTC")
			}
			// The VTIMEZONE starts in 1979 and has every change from then
			// on; its rules go on after the last year it must cover (2155)
			// as the tz database's do.
			first := fc.vz.onsets[0].at
			if first.Year() > 1979 || first.Year() < 1978 {
				t.Errorf("VTIMEZONE starts at %v", first)
			}
			var vtzChanges []time.Time
			for _, o := range fc.vz.onsets[1:] {
				if o.at.Year() < 2199 {
					vtzChanges = append(vtzChanges, o.at)
				}
			}
			tzdb := goChanges(loc, first, time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC))
			if len(vtzChanges) != len(tzdb) {
				t.Errorf("VTIMEZONE has %d changes from %v to 2198, the tz database %d", len(vtzChanges), first, len(tzdb))
			}
			for i := 0; i < len(vtzChanges) && i < len(tzdb); i++ {
				if !vtzChanges[i].Equal(tzdb[i]) {
					t.Errorf("change %d: VTIMEZONE %v, tz database %v", i, vtzChanges[i], tzdb[i])
					break
				}
			}
			repeats := 0
			for _, c := range changes {
				if goOffset(c, loc) < goOffset(c.Add(-time.Second), loc) {
					repeats++
				}
			}
			switch {
			case len(changes) == 0:
				// One observance, all year: one STANDARD component.
				if fc.vz.comps[ical.CompTimezoneStandard] != 1 || len(fc.vz.comps) != 1 || len(fc.vz.onsets) != 1 {
					t.Errorf("VTIMEZONE of a zone without changes: %v, %d onsets", fc.vz.comps, len(fc.vz.onsets))
				}
				if fc.utcForm != 0 {
					t.Errorf("%d times in UTC, want none", fc.utcForm)
				}
			case repeats > 0 && fc.utcForm == 0:
				t.Errorf("%d times in UTC, though %d changes repeat wall times", fc.utcForm, repeats)
			}
			t.Logf("%d changes in 2026–2027, %d events: %d times in UTC, %d with TZID; VTIMEZONE %v, %d onsets",
				len(changes), len(apps), fc.utcForm, fc.tzidForm, fc.vz.comps, len(fc.vz.onsets))
		})
	}
}

// TestVTimezoneMatchesTZDatabase checks the VTIMEZONE of an empty feed in
// each of testZones: it covers 1996 to 2037; its changes there are exactly
// those of the tz database (found by brute force); and at every hour
// boundary of each day with a change, and of the days before and after
// it, its offset and the zone table's are Go's. For Europe/Berlin it also
// pins the start of the text.
func TestVTimezoneMatchesTZDatabase(t *testing.T) {
	from := time.Date(1996, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range testZones {
		t.Run(name, func(t *testing.T) {
			loc := clock.MustLoadZone(name)
			fc := checkFeed(t, loc, nil)
			vz, z := fc.vz, tableOf(loc)
			// It starts at 1 January 1996, local midnight.
			if start := vz.onsets[0]; start.at.In(loc).Format(time.DateTime) != "1996-01-01 00:00:00" || start.from != start.to {
				t.Errorf("VTIMEZONE starts at %v (%d to %d)", start.at.In(loc), start.from, start.to)
			}
			changes := goChanges(loc, from, to)
			var inRange []vtzOnset
			for _, o := range vz.onsets[1:] {
				if !o.at.Before(to) {
					continue
				}
				inRange = append(inRange, o)
				if got := goOffset(o.at.Add(-time.Second), loc); got != o.from {
					t.Errorf("VTIMEZONE change at %v: from %d, tz database %d", o.at, o.from, got)
				}
				if got := goOffset(o.at, loc); got != o.to {
					t.Errorf("VTIMEZONE change at %v: to %d, tz database %d", o.at, o.to, got)
				}
			}
			if len(changes) != len(inRange) {
				t.Fatalf("%d changes in the tz database, %d in the VTIMEZONE", len(changes), len(inRange))
			}
			for i := range changes {
				if !changes[i].Equal(inRange[i].at) {
					t.Errorf("change %d: tz database %v, VTIMEZONE %v", i, changes[i], inRange[i].at)
				}
			}
			hours := 0
			for _, c := range changes {
				day := time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC)
				for h := day.Add(-24 * time.Hour); h.Before(day.Add(48 * time.Hour)); h = h.Add(time.Hour) {
					hours++
					want := goOffset(h, loc)
					if got, ok := vz.offset(h); !ok || got != want {
						t.Errorf("%v: VTIMEZONE offset %d, tz database %d", h, got, want)
					}
					if got := z.offset(h.Unix()); got != want {
						t.Errorf("%v: table offset %d, tz database %d", h, got, want)
					}
				}
			}
			// Every year of a zone with summer time has two changes.
			if name != "UTC" && name != "Asia/Kolkata" && len(changes) != 2*(2038-1996) {
				t.Errorf("%d changes from 1996 to 2037, want %d", len(changes), 2*(2038-1996))
			}
			t.Logf("%d changes, %d hour boundaries checked", len(changes), hours)
		})
	}

	var buf bytes.Buffer
	if err := Render(&buf, "leer", clock.MustLoadZone("Europe/Berlin"), nil); err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19960101T000000\r\nEND:STANDARD\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19960331T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19961027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\n"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("VTIMEZONE changed:\n%s", buf.String())
	}
	for _, name := range []string{"UTC", "Asia/Kolkata"} {
		buf.Reset()
		if err := Render(&buf, "leer", clock.MustLoadZone(name), nil); err != nil {
			t.Fatal(err)
		}
		off := map[string]string{"UTC": "+0000", "Asia/Kolkata": "+0530"}[name]
		abbr := map[string]string{"UTC": "UTC", "Asia/Kolkata": "IST"}[name]
		want := "BEGIN:VTIMEZONE\r\nTZID:" + name + "\r\nX-LIC-LOCATION:" + name + "\r\n" +
			"BEGIN:STANDARD\r\nTZOFFSETFROM:" + off + "\r\nTZOFFSETTO:" + off + "\r\nTZNAME:" + abbr + "\r\nDTSTART:19960101T000000\r\nEND:STANDARD\r\n" +
			"END:VTIMEZONE\r\n"
		if !strings.Contains(buf.String(), want) {
			t.Errorf("VTIMEZONE of %s:\n%s", name, buf.String())
		}
	}
}

// TestZoneTableMatchesTZDatabase compares the zone table with Go's tz
// database hour by hour from 1960 to 2100, and its changes with those
// found by brute force, for the test zones and some odd ones: Dublin
// (negative DST in the tz source), Lord Howe (half an hour of DST),
// Kwajalein (23 hours back in 1969), Apia (a day skipped in 2011) and
// Casablanca (summer time interrupted for Ramadan).
func TestZoneTableMatchesTZDatabase(t *testing.T) {
	from := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range append(testZones, "Europe/Dublin", "Australia/Lord_Howe", "Pacific/Kwajalein", "Pacific/Apia", "Africa/Casablanca") {
		t.Run(name, func(t *testing.T) {
			loc := clock.MustLoadZone(name)
			z := tableOf(loc)
			for h := from; h.Before(to); h = h.Add(time.Hour) {
				if got, want := z.offset(h.Unix()), goOffset(h, loc); got != want {
					t.Fatalf("%v: table offset %d, tz database %d", h, got, want)
				}
			}
			var inRange []time.Time
			for _, c := range z.changes {
				if at := time.Unix(c.At, 0); !at.Before(from) && at.Before(to) {
					inRange = append(inRange, at)
				}
			}
			changes := goChanges(loc, from, to)
			if len(changes) != len(inRange) {
				t.Fatalf("%d changes in the tz database, %d in the table", len(changes), len(inRange))
			}
			for i := range changes {
				if !changes[i].Equal(inRange[i]) {
					t.Fatalf("change %d: tz database %v, table %v", i, changes[i], inRange[i])
				}
			}
		})
	}
}

func TestLocalTimeSafe(t *testing.T) {
	berlin := clock.MustLoadZone("Europe/Berlin")
	for _, c := range []struct {
		at   string
		safe bool
		why  string
	}{
		{"2026-07-01T08:00:00Z", true, "a summer morning"},
		{"2026-01-15T12:00:00Z", true, "a winter noon"},
		{"2026-12-31T23:30:00Z", true, "New Year's night"},
		{"2027-01-01T00:30:00Z", true, "New Year's night"},
		{"2026-10-24T23:59:59Z", true, "01:59:59 CEST, before the repeated hour"},
		{"2026-10-25T00:00:00Z", false, "02:00 CEST, repeated"},
		{"2026-10-25T00:59:59Z", false, "02:59:59 CEST, repeated"},
		{"2026-10-25T01:00:00Z", false, "02:00 CET, repeated"},
		{"2026-10-25T01:59:59Z", false, "02:59:59 CET, repeated"},
		{"2026-10-25T02:00:00Z", true, "03:00 CET"},
		{"2026-03-29T00:59:59Z", true, "01:59:59 CET, just before the gap"},
		{"2026-03-29T01:00:00Z", true, "03:00 CEST, just after the gap"},
		{"1985-09-30T12:00:00Z", true, "CET before the EU rules: the VTIMEZONE is the tz database's"},
		{"1975-07-01T12:00:00Z", true, "no summer time in 1975, nor in the VTIMEZONE"},
		{"1945-05-24T12:00:00Z", true, "double summer time (UTC+3)"},
		{"1899-07-01T12:00:00Z", false, "before the zone table"},
		{"2300-07-01T12:00:00Z", false, "beyond the zone table"},
	} {
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := LocalTimeSafe(at, berlin); got != c.safe {
			t.Errorf("LocalTimeSafe(%s) = %v, want %v: %s", c.at, got, c.safe, c.why)
		}
		line := string(tableOf(berlin).appendDateTime([]byte("DTSTART"), at))
		if c.safe != strings.HasPrefix(line, "DTSTART;TZID=Europe/Berlin:") || c.safe == strings.HasSuffix(line, "Z") {
			t.Errorf("%s written as %s", c.at, line)
		}
	}
	// Every minute around the changes of 2026, in each zone, against the
	// brute force.
	for _, name := range testZones {
		loc := clock.MustLoadZone(name)
		for _, c := range goChanges(loc, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			for at := c.Add(-2 * time.Hour); at.Before(c.Add(3 * time.Hour)); at = at.Add(time.Minute) {
				if LocalTimeSafe(at, loc) == repeatedWallTime(at, loc) {
					t.Fatalf("%s: LocalTimeSafe(%v) = %v, repeated wall time %v", name, at, LocalTimeSafe(at, loc), repeatedWallTime(at, loc))
				}
			}
		}
	}
}

// TestLocalTimeSafeLargeChanges: Kwajalein went back 23 hours in 1969, so
// every wall-clock time of the 23 hours after the change had occurred
// before it; Apia skipped 30 December 2011 (24 hours forward), which
// repeats nothing.
func TestLocalTimeSafeLargeChanges(t *testing.T) {
	for _, c := range []struct {
		zone             string
		year             int
		from, to         int // the offsets of the change, in hours
		repeated, unique []time.Duration
	}{
		{"Pacific/Kwajalein", 1969, 11, -12,
			[]time.Duration{-23 * time.Hour, -time.Hour, -time.Second, 0, 10 * time.Hour, 23*time.Hour - time.Second},
			[]time.Duration{-23*time.Hour - time.Second, 23 * time.Hour, 30 * time.Hour}},
		{"Pacific/Apia", 2011, -10, 14, nil,
			[]time.Duration{-24 * time.Hour, -time.Second, 0, time.Hour, 24 * time.Hour}},
	} {
		loc := clock.MustLoadZone(c.zone)
		var change time.Time
		for _, ch := range goChanges(loc, time.Date(c.year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(c.year+1, 1, 1, 0, 0, 0, 0, time.UTC)) {
			if goOffset(ch.Add(-time.Second), loc) == c.from*3600 && goOffset(ch, loc) == c.to*3600 {
				change = ch
			}
		}
		if change.IsZero() {
			t.Fatalf("%s: no change from %+d to %+d hours in %d", c.zone, c.from, c.to, c.year)
		}
		for _, d := range c.repeated {
			if LocalTimeSafe(change.Add(d), loc) || !repeatedWallTimeWithin(change.Add(d), loc, 24*time.Hour) {
				t.Errorf("%s, change%+v: safe %v", c.zone, d, LocalTimeSafe(change.Add(d), loc))
			}
		}
		for _, d := range c.unique {
			if !LocalTimeSafe(change.Add(d), loc) || repeatedWallTimeWithin(change.Add(d), loc, 24*time.Hour) {
				t.Errorf("%s, change%+v: safe %v", c.zone, d, LocalTimeSafe(change.Add(d), loc))
			}
		}
	}
}

// repeatedWallTimeWithin is repeatedWallTime over ±within, by the second
// where the offsets could meet.
func repeatedWallTimeWithin(t time.Time, loc *time.Location, within time.Duration) bool {
	_, off := t.In(loc).Zone()
	seen := map[int]bool{off: true}
	for d := -within; d <= within; d += time.Minute {
		_, o := t.Add(d).In(loc).Zone()
		if seen[o] {
			continue
		}
		seen[o] = true
		u := t.Add(time.Duration(off-o) * time.Second)
		if _, ou := u.In(loc).Zone(); ou == o && !u.Equal(t) {
			return true
		}
	}
	return false
}

// TestWallTimeUniqueSyntheticZone checks wallTimeUnique with a zone that
// goes back two hours (the two hours before the change repeat in the two
// after it) and one that goes forward (no instant's wall time repeats;
// the skipped wall times belong to no instant and are never written).
func TestWallTimeUniqueSyntheticZone(t *testing.T) {
	change := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	zone := func(before, after int) *zoneTable {
		return &zoneTable{name: "Synthetic", initial: observance{Offset: before * 3600},
			changes: []transition{{At: change.Unix(), observance: observance{Offset: after * 3600}}},
			span:    int64(max(before, after)-min(before, after)) * 3600}
	}
	back, forward := zone(3, 1), zone(1, 3)
	for _, c := range []struct {
		d      time.Duration
		zone   *zoneTable
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
		if got := c.zone.wallTimeUnique(change.Add(c.d).Unix()); got != c.unique {
			t.Errorf("change%+v: unique %v, want %v", c.d, got, c.unique)
		}
	}
}

// TestETagNamesZone: the same feed in another zone is another body, so
// another ETag.
func TestETagNamesZone(t *testing.T) {
	f := &ent.CalendarFeed{ID: "CF1", Name: "K"}
	apps := []*ent.Appointment{dstAppointment(1, time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC))}
	berlin, newYork := clock.MustLoadZone("Europe/Berlin"), clock.MustLoadZone("America/New_York")
	if stateOf(f, berlin, apps).ETag() == stateOf(f, newYork, apps).ETag() {
		t.Error("one ETag for two zones")
	}
	if stateOf(f, berlin, apps).ETag() != stateOf(f, clock.MustLoadZone("Europe/Berlin"), apps).ETag() {
		t.Error("two ETags for one zone")
	}
}
