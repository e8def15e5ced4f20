package programme

import (
	"context"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
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
	loc, err := Zone(p)
	if err != nil {
		loc = time.UTC // a zone the tz database does not know
	}
	t := types.DateOf(now, loc)
	if to != nil {
		t = *to
	}
	return f, t
}

// PeriodOf is Period for the programme with an ID, read with the caller's
// rights. Errors: NOT_FOUND.
func PeriodOf(ctx context.Context, c *ent.Client, id pulid.ID, from, to *time.Time, now time.Time) (time.Time, time.Time, error) {
	p, err := c.Program.Get(ctx, id)
	if ent.IsNotFound(err) {
		return time.Time{}, time.Time{}, apperr.New(apperr.NotFound, "programme %s not found", id)
	} else if err != nil {
		return time.Time{}, time.Time{}, err
	}
	f, t := Period(p, from, to, now)
	return f, t, nil
}
