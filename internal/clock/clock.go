// Package clock is the one place that reads the system clock and loads
// time zones. Everything else gets its time from a func() time.Time that
// the wiring passes in (tests pass a clock they set), and its zones from
// the programme (programme.Zone, which loads through LoadZone).
package clock

import (
	"fmt"
	"sync"
	"time"
)

// System is the system clock: what main passes as the application's clock,
// and what measures durations (request logs, metrics) and stamps IDs.
func System() time.Time { return time.Now() }

// Since is the time elapsed since t on the system clock.
func Since(t time.Time) time.Duration { return System().Sub(t) }

var zones sync.Map // name → *time.Location

// LoadZone loads a time zone from the tz database, once per name.
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
