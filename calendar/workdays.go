package calendar

import (
	"time"

	// rickar/cal is a maintained, dependency-free holiday library whose
	// de package knows each German state's public holidays, including the
	// moving feasts (Easter, Ascension, Whit Monday) and the Sachsen-Anhalt
	// specials (6 January, 31 October) in de.HolidaysST. Computing them
	// ourselves would repeat its Easter arithmetic.
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
)

// holidays is Sachsen-Anhalt's list of public holidays. Its cache stays
// off (Cacheable false): the calendar is shared by concurrent requests.
var holidays = func() *cal.Calendar {
	c := &cal.Calendar{}
	c.AddHoliday(de.HolidaysST...)
	return c
}()

// IsNonWorkingDay reports whether the calendar date of t in loc (the
// programme's time zone) is a Saturday, a Sunday or a Sachsen-Anhalt
// public holiday, and why. The holidays are the region's, whatever the
// zone. loc must not be nil.
func IsNonWorkingDay(t time.Time, loc *time.Location) (string, bool) {
	y, m, d := t.In(loc).Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, loc)
	switch day.Weekday() {
	case time.Saturday:
		return "a Saturday", true
	case time.Sunday:
		return "a Sunday", true
	}
	if actual, _, h := holidays.IsHoliday(day); actual && h != nil {
		return "a public holiday (" + h.Name + ")", true
	}
	return "", false
}

// FirstNonWorkingDay returns the first calendar day of loc touched by
// [start, end) that is not a working day, as midnight UTC of that date.
// loc must not be nil.
func FirstNonWorkingDay(start, end time.Time, loc *time.Location) (day time.Time, why string, ok bool) {
	first := start.In(loc)
	last := end.Add(-time.Nanosecond).In(loc)
	d := time.Date(first.Year(), first.Month(), first.Day(), 12, 0, 0, 0, loc)
	stop := time.Date(last.Year(), last.Month(), last.Day(), 12, 0, 0, 0, loc)
	for ; !d.After(stop); d = d.AddDate(0, 0, 1) {
		if why, bad := IsNonWorkingDay(d, loc); bad {
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), why, true
		}
	}
	return time.Time{}, "", false
}
