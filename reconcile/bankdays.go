package reconcile

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/ecb"

	"sicherkommunal/ent/schema/types"
)

// bankCal knows the banking days of the programme's account in
// Sachsen-Anhalt: Monday to Friday, except the TARGET2 closing days (New
// Year, Good Friday, Easter Monday, 1 May, 25 and 26 December: no SEPA
// settlement) and the public holidays of Sachsen-Anhalt (6 January,
// Ascension, Whit Monday, 3 October, 31 October …: the banks are closed).
var bankCal = func() *cal.BusinessCalendar {
	c := cal.NewBusinessCalendar()
	c.Name = "Sachsen-Anhalt banking days"
	c.AddHoliday(ecb.Holidays...)
	c.AddHoliday(de.HolidaysST...)
	return c
}()

// IsBankingDay reports whether d (a calendar date) is a banking day.
// Banking days are calendar dates (d's day as stored, types.NormalizeDate):
// no time zone is involved; the caller has taken the day in the
// programme's time zone.
func IsBankingDay(d time.Time) bool {
	d = types.NormalizeDate(d)
	return bankCal.IsWorkday(d)
}

// AddBankingDays returns the date n banking days after d (before d for
// negative n). d itself need not be a banking day.
func AddBankingDays(d time.Time, n int) time.Time {
	d = types.NormalizeDate(d)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if IsBankingDay(d) {
			n--
		}
	}
	return d
}

// BankingDaysBetween counts the banking days after a up to and including b
// (negative when b is before a): 0 for the same day, 1 from a Friday to
// the next Monday.
func BankingDaysBetween(a, b time.Time) int {
	a, b = types.NormalizeDate(a), types.NormalizeDate(b)
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if IsBankingDay(d) {
			n++
		}
		if n > 400 { // far apart: the exact count does not matter
			break
		}
	}
	return sign * n
}
