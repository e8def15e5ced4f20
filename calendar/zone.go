package calendar

import (
	"fmt"
	"math"
	"sort"
	"time"

	ical "github.com/emersion/go-ical"
)

// Feeds write times as Europe/Berlin wall-clock times (TZID) where that
// names one instant, and in UTC where it does not. A subscriber reads a
// TZID time either with the VTIMEZONE of the feed (Outlook, Thunderbird,
// libical) or with its own tz database (Google, Apple, go-ical); both must
// give back the stored instant. They cannot for the hour that the end of
// summer time repeats (02:00–02:59 on the last Sunday of October occurs in
// CEST and again in CET), nor for a wall time in the spring gap
// (02:00–02:59 on the last Sunday of March names no instant; a stored
// instant never shows it, unless the VTIMEZONE and the tz database
// disagree), nor where the two disagree at all (times before the EU rules,
// or after a change of them). Those times are written in UTC ("…Z"),
// which every reader maps to exactly one instant.

// zoneRule is one observance of the VTIMEZONE: from the last Sunday of
// Month at Hour:00 (wall-clock time of the offset before it) on, the
// offset is To.
type zoneRule struct {
	Comp, Name string
	Month      time.Month
	Hour       int
	From, To   int // seconds east of UTC
}

// berlinRules are the EU rules of Europe/Berlin in force since 1996: CEST
// (UTC+2) from the last Sunday of March 02:00, CET (UTC+1) from the last
// Sunday of October 03:00. The VTIMEZONE of every feed is written from
// them, and so is the check that decides where a TZID time is safe.
var berlinRules = [2]zoneRule{
	{Comp: ical.CompTimezoneDaylight, Name: "CEST", Month: time.March, Hour: 2, From: 3600, To: 7200},
	{Comp: ical.CompTimezoneStandard, Name: "CET", Month: time.October, Hour: 3, From: 7200, To: 3600},
}

// zoneRulesSince is the year of the VTIMEZONE's DTSTART: before its first
// onset the VTIMEZONE says nothing.
const zoneRulesSince = 1970

// zoneRulesUntil bounds the precomputed transitions; later times are
// written in UTC.
const zoneRulesUntil = 2200

// lastSunday returns the day of the last Sunday of the month.
func lastSunday(year int, m time.Month) int {
	last := time.Date(year, m+1, 0, 12, 0, 0, 0, time.UTC)
	return last.Day() - int(last.Weekday())
}

// onset returns the instant at which the rule starts in year.
func (r zoneRule) onset(year int) time.Time {
	return time.Date(year, r.Month, lastSunday(year, r.Month), r.Hour, 0, 0, 0, time.UTC).
		Add(-time.Duration(r.From) * time.Second)
}

// dtstart is the rule's DTSTART: its first onset, in wall-clock time.
func (r zoneRule) dtstart() string {
	return fmt.Sprintf("%04d%02d%02dT%02d0000", zoneRulesSince, int(r.Month), lastSunday(zoneRulesSince, r.Month), r.Hour)
}

func (r zoneRule) rrule() string {
	return fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=-1SU", int(r.Month))
}

// utcOffset renders seconds east of UTC as ±hhmm.
func utcOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec%3600/60)
}

// transition is an onset of an observance: from At (Unix seconds) on the
// offset is Offset.
type transition struct {
	At     int64
	Offset int
}

// vtzTransitions are the onsets of berlinRules from zoneRulesSince to
// zoneRulesUntil, in order.
var vtzTransitions = func() []transition {
	var out []transition
	for y := zoneRulesSince; y < zoneRulesUntil; y++ {
		for _, r := range berlinRules {
			out = append(out, transition{At: r.onset(y).Unix(), Offset: r.To})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}()

// noOffset is the offset of a time the VTIMEZONE says nothing about; it
// equals no real offset.
const noOffset = math.MinInt

// vtzOffset is the UTC offset that the feed's VTIMEZONE gives an instant.
// vtzTransitions holds len(berlinRules) onsets per year, so the year finds
// them.
func vtzOffset(t time.Time) int {
	s := t.Unix()
	i := (t.UTC().Year() - zoneRulesSince) * len(berlinRules)
	if i < 0 || i >= len(vtzTransitions) {
		return noOffset
	}
	for i < len(vtzTransitions) && vtzTransitions[i].At <= s {
		i++
	}
	for i > 0 && vtzTransitions[i-1].At > s {
		i--
	}
	if i == 0 || i == len(vtzTransitions) {
		return noOffset
	}
	return vtzTransitions[i-1].Offset
}

// tzOffset is the UTC offset of an instant in Europe/Berlin after the tz
// database.
func tzOffset(t time.Time) int {
	_, off := t.In(Berlin).Zone()
	return off
}

// wallTimeUnique reports whether the wall-clock time of t under the zone
// offset names t alone. Another instant u shows the same wall-clock time
// when u = t + (offset(t) − o) and offset(u) = o for some other offset o;
// such a u lies within |offset(t) − o| of t, across a transition, so the
// offsets found three hours either side of t are the candidates.
func wallTimeUnique(t time.Time, offset func(time.Time) int) bool {
	off := offset(t)
	if off == noOffset {
		return false
	}
	for _, probe := range [2]time.Time{t.Add(-3 * time.Hour), t.Add(3 * time.Hour)} {
		o := offset(probe)
		if o == off || o == noOffset {
			continue
		}
		if offset(t.Add(time.Duration(off-o)*time.Second)) == o {
			return false
		}
	}
	return true
}

// LocalTimeSafe reports whether t may be written as a Europe/Berlin
// wall-clock time with TZID: the VTIMEZONE of the feed and the tz database
// give it the same offset, and under both its wall-clock time occurs once.
// Feeds write every other time in UTC.
func LocalTimeSafe(t time.Time) bool {
	off := tzOffset(t)
	return vtzOffset(t) == off && wallTimeUnique(t, tzOffset) && wallTimeUnique(t, vtzOffset)
}

// appendDateTime appends t as an iCalendar DATE-TIME value with its
// parameters: ";TZID=Europe/Berlin:" and the wall-clock time where that is
// safe, else ":" and the UTC time.
func appendDateTime(b []byte, t time.Time) []byte {
	if LocalTimeSafe(t) {
		b = append(b, ";TZID="...)
		b = append(b, Berlin.String()...)
		b = append(b, ':')
		return t.In(Berlin).AppendFormat(b, "20060102T150405")
	}
	b = append(b, ':')
	return t.UTC().AppendFormat(b, "20060102T150405Z")
}
