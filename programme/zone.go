package programme

import (
	"context"
	"fmt"
	"time"

	"sicherkommunal/ent"
	"sicherkommunal/ent/program"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
)

// DefaultTimeZone is the time zone of a new programme (types.DefaultTimeZone).
const DefaultTimeZone = types.DefaultTimeZone

// Zone is the time zone of a programme: its dates, due dates, holidays
// and banking days are days there.
func Zone(p *ent.Program) (*time.Location, error) { return clock.LoadZone(p.TimeZone) }

// InstallationZone is the time zone of the installation's programme (the
// oldest), for what runs for all programmes: job schedules, value dates,
// statement dates, feed times. DefaultTimeZone before any programme exists.
func InstallationZone(ctx context.Context, c *ent.Client) (*time.Location, error) {
	p, err := c.Program.Query().Order(program.ByCreatedAt(), program.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return clock.LoadZone(DefaultTimeZone)
	} else if err != nil {
		return nil, fmt.Errorf("programme time zone: %w", err)
	}
	return Zone(p)
}
