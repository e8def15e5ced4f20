package programme

import (
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
)

func TestPeriod(t *testing.T) {
	berlin := &ent.Program{StartsOn: day("2025-12-02"), EndsOn: day("2026-12-31"), TimeZone: "Europe/Berlin"}
	newYork := &ent.Program{StartsOn: day("2025-12-02"), EndsOn: day("2026-12-31"), TimeZone: "America/New_York"}
	unknown := &ent.Program{StartsOn: day("2025-12-02"), EndsOn: day("2026-12-31"), TimeZone: "Mars/Olympus_Mons"}
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	from := time.Date(2026, 2, 1, 13, 45, 0, 0, time.FixedZone("X", 3600)) // kept as given, time and zone included
	to := day("2026-02-28")
	for _, c := range []struct {
		name     string
		p        *ent.Program
		from, to *time.Time
		now      time.Time
		wantFrom time.Time
		wantTo   string
	}{
		{"defaults: start and today", berlin, nil, nil, utc("2026-03-05T12:00:00Z"), berlin.StartsOn, "2026-03-05"},
		{"winter, a second before midnight in Berlin", berlin, nil, nil, utc("2026-03-01T22:59:59Z"), berlin.StartsOn, "2026-03-01"},
		{"winter, midnight in Berlin", berlin, nil, nil, utc("2026-03-01T23:00:00Z"), berlin.StartsOn, "2026-03-02"},
		{"summer, a second before midnight in Berlin", berlin, nil, nil, utc("2026-07-01T21:59:59Z"), berlin.StartsOn, "2026-07-01"},
		{"summer, midnight in Berlin", berlin, nil, nil, utc("2026-07-01T22:00:00Z"), berlin.StartsOn, "2026-07-02"},
		{"a clock in another zone", berlin, nil, nil, time.Date(2026, 3, 1, 18, 30, 0, 0, time.FixedZone("EST", -5*3600)), berlin.StartsOn, "2026-03-02"},
		{"the programme's own zone", newYork, nil, nil, utc("2026-03-02T04:59:59Z"), newYork.StartsOn, "2026-03-01"},
		{"the programme's own zone, after its midnight", newYork, nil, nil, utc("2026-03-02T05:00:00Z"), newYork.StartsOn, "2026-03-02"},
		{"a zone the tz database does not know: UTC", unknown, nil, nil, utc("2026-03-01T23:30:00Z"), unknown.StartsOn, "2026-03-01"},
		{"given from", berlin, &from, nil, utc("2026-03-05T12:00:00Z"), from, "2026-03-05"},
		{"given to", berlin, nil, &to, utc("2026-03-01T23:30:00Z"), berlin.StartsOn, "2026-02-28"},
		{"both given, even reversed", berlin, &to, &from, utc("2026-03-05T12:00:00Z"), to, "2026-02-01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, tt := Period(c.p, c.from, c.to, c.now)
			if !f.Equal(c.wantFrom) || f.Location() != c.wantFrom.Location() {
				t.Errorf("from %v, want %v", f, c.wantFrom)
			}
			if got := tt.Format(time.DateOnly); got != c.wantTo {
				t.Errorf("to %s, want %s", got, c.wantTo)
			}
			if c.to == nil && (tt.Location() != time.UTC || tt.Hour() != 0) {
				t.Errorf("today %v is not a date at midnight UTC", tt)
			}
			if c.to != nil && tt != *c.to {
				t.Errorf("to %v changed from %v", tt, *c.to)
			}
		})
	}
}

func TestPeriodOf(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC) // midnight in Berlin
	from, to, err := PeriodOf(f.sys, f.c, f.prog.ID, nil, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if from.Format(time.DateOnly) != "2025-12-02" || to.Format(time.DateOnly) != "2026-03-02" {
		t.Errorf("period %s to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if _, _, err := PeriodOf(f.sys, f.c, pulid.ID("PG01JD3K8Z6W8M2X1Q4R5T7V9B0C"), nil, nil, now); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown programme: %v", err)
	}
}
