package calendar

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Feeds write times as wall-clock times of the programme's time zone
// (Service.Zone, with TZID) where that names one instant, and in UTC where
// it does not. A subscriber reads a TZID time either with the VTIMEZONE of
// the feed (Outlook, Thunderbird, libical) or with its own tz database
// (Google, Apple, go-ical); both must give back the stored instant. The
// VTIMEZONE is written from the zone itself (zoneTable), so within the
// years it covers the two agree, as far as the subscriber's tz database
// agrees with ours. Neither can place a wall-clock time that occurs twice
// (the hour repeated when summer time ends: 02:00–02:59 on the last Sunday
// of October in Europe/Berlin) or not at all (the hour skipped when it
// starts; a stored instant never shows it). Those times, and times outside
// the years the zone's table covers, are written in UTC ("…Z"), which
// every reader maps to exactly one instant.

// A zone's transitions come from the tz database through Go's
// time.Location, which exposes no rules, only the offset of each instant.
// zoneTable samples it once per zone, a day apart, from tableFrom to
// tableUntil, and finds each change between two samples to the second by
// bisection. A day is safe: in Go's tz database (1900 to 2037, and yearly
// rules after that), an offset never comes back within less than four
// days (the shortest return is 95h40m), so no change hides between two
// samples that show the same offset. (Walking
// Time.ZoneBounds would be cheaper, but after a zone's last explicit
// transition it reports an end before the instant on the last day of leap
// years, golang/go#81583.)
var (
	tableFrom  = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	tableUntil = time.Date(2200, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// scanStep is the distance of zoneTable's samples, in seconds.
const scanStep = 24 * 3600

// observance is a UTC offset in force, as a VTIMEZONE sub-component names
// it.
type observance struct {
	Offset int // seconds east of UTC
	Name   string
	DST    bool
}

// transition is a change of offset: from At (Unix seconds) on, the
// observance is in force.
type transition struct {
	At int64
	observance
}

// zoneTable is what the feeds know about a zone: its changes of UTC offset
// from tableFrom to tableUntil, read from the tz database. The VTIMEZONE
// of a feed is written from it, and so is the check that decides where a
// TZID time is safe, so the two cannot disagree.
type zoneTable struct {
	name    string
	initial observance   // in force at tableFrom
	changes []transition // after tableFrom, in order; each changes the offset
	// span bounds the distance between two instants with the same
	// wall-clock time: the largest difference of two offsets.
	span int64
	// lastVTZ is the VTIMEZONE last written (zoneTable.vtimezone).
	lastVTZ atomic.Pointer[vtzText]
}

// vtzText is a VTIMEZONE as written, with the range it covers.
type vtzText struct {
	from, until int64
	text        []byte
}

// noOffset is the offset of a time the table says nothing about; it
// equals no real offset.
const noOffset = math.MinInt

// tables caches the zoneTable of each *time.Location. The application's
// locations come from clock.LoadZone, one per name, so it holds one table
// per zone; keying by the location rather than its name keeps two
// different locations of one name (time.FixedZone) apart.
var tables sync.Map // *time.Location → *zoneTable

// tableOf returns the zone's table, computing it on first use.
func tableOf(loc *time.Location) *zoneTable {
	if z, ok := tables.Load(loc); ok {
		return z.(*zoneTable)
	}
	z, _ := tables.LoadOrStore(loc, newZoneTable(loc))
	return z.(*zoneTable)
}

func observanceAt(loc *time.Location, s int64) observance {
	t := time.Unix(s, 0).In(loc)
	name, off := t.Zone()
	return observance{Offset: off, Name: name, DST: t.IsDST()}
}

// newZoneTable samples loc from tableFrom to tableUntil. Changes of name
// or DST flag alone (not of offset) are left out: they change no time.
func newZoneTable(loc *time.Location) *zoneTable {
	offset := func(s int64) int {
		_, off := time.Unix(s, 0).In(loc).Zone()
		return off
	}
	z := &zoneTable{name: loc.String(), initial: observanceAt(loc, tableFrom)}
	lo, hi := z.initial.Offset, z.initial.Offset
	at, cur := tableFrom, z.initial.Offset
	for at < tableUntil {
		next := min(at+scanStep, tableUntil)
		if offset(next) == cur {
			at = next
			continue
		}
		// offset(a) == cur, offset(b) != cur: the first change is in (a, b].
		a, b := at, next
		for b-a > 1 {
			if m := a + (b-a)/2; offset(m) == cur {
				a = m
			} else {
				b = m
			}
		}
		if b >= tableUntil {
			break
		}
		o := observanceAt(loc, b)
		z.changes = append(z.changes, transition{At: b, observance: o})
		lo, hi = min(lo, o.Offset), max(hi, o.Offset)
		at, cur = b, o.Offset
	}
	z.span = int64(hi - lo)
	return z
}

// index returns the number of changes at or before s.
func (z *zoneTable) index(s int64) int {
	return sort.Search(len(z.changes), func(i int) bool { return z.changes[i].At > s })
}

// before returns the observance in force just before change i.
func (z *zoneTable) before(i int) observance {
	if i == 0 {
		return z.initial
	}
	return z.changes[i-1].observance
}

// at returns the observance in force at Unix second s; ok is false
// outside the table.
func (z *zoneTable) at(s int64) (o observance, ok bool) {
	if s < tableFrom || s >= tableUntil {
		return observance{}, false
	}
	return z.before(z.index(s)), true
}

// offset is the UTC offset of Unix second s, noOffset outside the table.
func (z *zoneTable) offset(s int64) int {
	o, ok := z.at(s)
	if !ok {
		return noOffset
	}
	return o.Offset
}

// wallTimeUnique reports whether the wall-clock time of Unix second s
// names s alone. Another instant u shows the same wall-clock time when
// u = s + (offset(s) − o) and offset(u) = o for another offset o; then a
// change lies between u and s, at most span from s, and o is the offset
// on one of its sides. So the offsets either side of the changes within
// span of s are the candidates.
func (z *zoneTable) wallTimeUnique(s int64) bool {
	off := z.offset(s)
	if off == noOffset {
		return false
	}
	i := sort.Search(len(z.changes), func(i int) bool { return z.changes[i].At >= s-z.span })
	for ; i < len(z.changes) && z.changes[i].At <= s+z.span; i++ {
		for _, o := range [2]int{z.before(i).Offset, z.changes[i].Offset} {
			if o != off && z.offset(s+int64(off-o)) == o {
				return false
			}
		}
	}
	return true
}

// safe reports whether Unix second s may be written as a wall-clock time
// with TZID: the table covers it (with a day to spare, so that the
// candidates of wallTimeUnique lie within it) and its wall-clock time
// occurs once.
func (z *zoneTable) safe(s int64) bool {
	const day = 24 * 3600
	return s >= tableFrom+day && s < tableUntil-day && z.wallTimeUnique(s)
}

// LocalTimeSafe reports whether t may be written as a wall-clock time of
// loc with TZID: its wall-clock time occurs once in loc, and the years
// that the feeds' VTIMEZONE can cover (1900 to 2199) include it. Feeds
// write every other time in UTC. loc must not be nil.
func LocalTimeSafe(t time.Time, loc *time.Location) bool {
	return tableOf(loc).safe(t.Unix())
}

// appendDateTime appends t as an iCalendar DATE-TIME value with its
// parameters: ";TZID=<zone>:" and the wall-clock time where that is safe,
// else ":" and the UTC time.
func (z *zoneTable) appendDateTime(b []byte, t time.Time) []byte {
	s := t.Unix()
	if z.safe(s) {
		b = append(b, ";TZID="...)
		b = append(b, z.name...)
		b = append(b, ':')
		return time.Unix(s+int64(z.offset(s)), int64(t.Nanosecond())).UTC().AppendFormat(b, "20060102T150405")
	}
	b = append(b, ':')
	return t.UTC().AppendFormat(b, "20060102T150405Z")
}

// utcOffset renders seconds east of UTC as ±hhmm, or as ±hhmmss where
// the offset has seconds (the local mean times of the tz database).
func utcOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	if sec%60 != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, sec/3600, sec%3600/60, sec%60)
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec%3600/60)
}

// The years a feed's VTIMEZONE covers: from 1 January of vtzFirstYear (or
// the year before the first appointment, if that is earlier) to 1 January
// of vtzUntilYear (or five years after the last appointment's year, if
// that is later). The range depends on the appointments alone, so equal
// data still gives equal bytes. Every time a feed writes with TZID lies
// within it, with at least a year to spare.
const (
	vtzFirstYear = 1996 // the year the EU rules of summer time began
	vtzUntilYear = 2038
	vtzYearsOver = 5
)

// onset is a VTIMEZONE onset: at At (Unix seconds) the offset changes from
// From to the observance.
type onset struct {
	At   int64
	From int
	observance
}

// feedRange returns the instants that the VTIMEZONE of a feed covers,
// within the table; some says that it has appointments, the first
// starting at first and the last ending at last.
func (z *zoneTable) feedRange(first, last time.Time, some bool) (from, until int64) {
	fy, uy := vtzFirstYear, vtzUntilYear
	if some {
		fy = min(fy, first.UTC().Year()-1)
		uy = max(uy, last.UTC().Year()+1+vtzYearsOver)
	}
	// 1 January 00:00 in the zone's offset at that time, clipped to the
	// table.
	jan1 := func(y int) int64 {
		s := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
		s = min(max(s, tableFrom+24*3600), tableUntil-24*3600)
		return s - int64(z.offset(s))
	}
	return jan1(fy), jan1(uy)
}

// onsets returns the onsets of the VTIMEZONE that covers [from, until):
// the observance in force at from (its onset is from), then every change
// after from and before until.
func (z *zoneTable) onsets(from, until int64) []onset {
	cur, _ := z.at(from)
	prev, _ := z.at(from - 1)
	out := []onset{{At: from, From: prev.Offset, observance: cur}}
	for i := z.index(from); i < len(z.changes) && z.changes[i].At < until; i++ {
		out = append(out, onset{At: z.changes[i].At, From: z.before(i).Offset, observance: z.changes[i].observance})
	}
	return out
}

// wall is the onset as VTIMEZONE DTSTART, RDATE and RRULE values give
// it: the wall-clock time of the offset before it, as a time in UTC.
func (o onset) wall() time.Time {
	return time.Unix(o.At+int64(o.From), 0).UTC()
}

// yearly is a VTIMEZONE RRULE: every year on the n-th weekday of a month
// (the last one for n = -1) at a wall-clock time.
type yearly struct {
	month   time.Month
	weekday time.Weekday
	n       int // 1 to 4, or -1
	clock   time.Duration
}

var dayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

func (r yearly) rrule() string {
	return fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", int(r.month), r.n, dayCodes[r.weekday])
}

// in returns the rule's wall-clock time in year y, as a time in UTC.
func (r yearly) in(y int) time.Time {
	var day int
	if r.n > 0 {
		first := time.Date(y, r.month, 1, 0, 0, 0, 0, time.UTC).Weekday()
		day = 1 + (int(r.weekday)-int(first)+7)%7 + 7*(r.n-1)
	} else {
		last := time.Date(y, r.month+1, 0, 0, 0, 0, 0, time.UTC)
		day = last.Day() - (int(last.Weekday())-int(r.weekday)+7)%7
	}
	return time.Date(y, r.month, day, 0, 0, 0, 0, time.UTC).Add(r.clock)
}

// rulesOf returns the yearly rules that give wall-clock time w in its
// year: the n-th weekday of its month (for the first four), the last one
// (in the last seven days of the month), or both.
func rulesOf(w time.Time) []yearly {
	clock := w.Sub(time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC))
	var out []yearly
	if n := (w.Day()-1)/7 + 1; n <= 4 {
		out = append(out, yearly{w.Month(), w.Weekday(), n, clock})
	}
	if w.AddDate(0, 0, 7).Month() != w.Month() {
		out = append(out, yearly{w.Month(), w.Weekday(), -1, clock})
	}
	return out
}

// vtzComponent is one STANDARD or DAYLIGHT sub-component: onsets to one
// observance from one offset, either by a yearly rule (rule, one onset per
// year; until says the rule ends with the last of them) or by date
// (DTSTART and RDATEs).
type vtzComponent struct {
	onsets []onset
	rule   *yearly
	until  bool
}

// vtzComponents groups onsets (in order) into sub-components, in the order
// of their first onsets; until is the end of the VTIMEZONE's range.
func vtzComponents(onsets []onset, until int64) []vtzComponent {
	type key struct {
		From int
		observance
	}
	groups := map[key][]onset{}
	var order []key
	for _, o := range onsets {
		k := key{o.From, o.observance}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], o)
	}
	var out []vtzComponent
	for _, k := range order {
		var dates []onset
		g := groups[k]
		for i := 0; i < len(g); {
			// The longest run from g[i] on that one rule gives.
			rules := rulesOf(g[i].wall())
			j := i + 1
			for ; j < len(g) && g[j].wall().Year() == g[j-1].wall().Year()+1; j++ {
				var keep []yearly
				for _, r := range rules {
					if r.in(g[j].wall().Year()).Equal(g[j].wall()) {
						keep = append(keep, r)
					}
				}
				if len(keep) == 0 {
					break
				}
				rules = keep
			}
			if j-i < 2 {
				dates = append(dates, g[i])
				i++
				continue
			}
			r := rules[0] // the n-th weekday where both fit
			run := g[i:j]
			last := run[len(run)-1]
			next := r.in(last.wall().Year()+1).Unix() - int64(k.From)
			out = append(out, vtzComponent{onsets: run, rule: &r, until: next < until})
			i = j
		}
		if len(dates) > 0 {
			out = append(out, vtzComponent{onsets: dates})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].onsets[0].At < out[j].onsets[0].At })
	return out
}
