package program

import (
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/types"
)

// Period is the reporting period of a programme where a caller leaves a
// bound open: from defaults to the programme's start, to to today in the
// programme's time zone. Given bounds are kept as they are.
func Period(p *ent.Program, from, to *time.Time, now time.Time) (time.Time, time.Time) {
	f := p.StartsOn
	if from != nil {
		f = *from
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	t := types.DateOf(now, loc)
	if to != nil {
		t = *to
	}
	return f, t
}
