package monitoring

import (
	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
)

// Flags returns the flags query, open or resolved ones only when asked.
// Which flags the viewer sees is the data layer's row rule for flags.
func Flags(c *ent.Client, open *bool) *ent.FlagQuery {
	q := c.Flag.Query()
	if open != nil {
		if *open {
			q = q.Where(flag.ResolvedAtIsNil())
		} else {
			q = q.Where(flag.ResolvedAtNotNil())
		}
	}
	return q
}
