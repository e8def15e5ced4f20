package programme

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/program"
)

// DefaultTimeZone is the time zone of a new programme, and of an
// installation that has none yet.
const DefaultTimeZone = "Europe/Berlin"

var zones sync.Map // name → *time.Location

// LoadZone is the one place that loads a time zone from the tz database;
// the zones of programmes are data (Program.time_zone), read through Zone.
func LoadZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	zones.Store(name, l)
	return l, nil
}

// MustLoadZone is LoadZone for a name the code knows to exist.
func MustLoadZone(name string) *time.Location {
	l, err := LoadZone(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Zone is the time zone of a programme: its dates, due dates, holidays
// and banking days are days there.
func Zone(p *ent.Program) (*time.Location, error) { return LoadZone(p.TimeZone) }

// InstallationZone is the time zone of the installation's programme (the
// oldest), for what runs for all programmes: job schedules, value dates,
// statement dates, feed times. DefaultTimeZone before any programme exists.
func InstallationZone(ctx context.Context, c *ent.Client) (*time.Location, error) {
	p, err := c.Program.Query().Order(program.ByCreatedAt(), program.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return LoadZone(DefaultTimeZone)
	} else if err != nil {
		return nil, fmt.Errorf("programme time zone: %w", err)
	}
	return Zone(p)
}
