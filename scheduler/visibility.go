package scheduler

import (
	"context"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/types"
)

// Flags returns the flags the viewer may see: everything for ADMIN,
// MINISTRY and COORDINATOR; schedule flags (no money) for CONTRACTOR; its
// own participation's flags for a MUNICIPALITY.
func Flags(ctx context.Context, c *ent.Client, open *bool) (*ent.FlagQuery, error) {
	q := c.Flag.Query()
	v := auth.FromContext(ctx)
	switch {
	case v.Is(types.RoleAdmin, types.RoleMinistry, types.RoleCoordinator):
	case v.Is(types.RoleContractor):
		q = q.Where(flag.KindIn(flag.KindSTEP_OVERDUE, flag.KindDEADLINE_AT_RISK))
	case v.Is(types.RoleMunicipality) && v.MunicipalityID != nil:
		q = q.Where(flag.HasParticipationWith(participation.MunicipalityID(*v.MunicipalityID)))
	default:
		return nil, apperr.New(apperr.Forbidden, "this token may not read flags")
	}
	if open != nil {
		if *open {
			q = q.Where(flag.ResolvedAtIsNil())
		} else {
			q = q.Where(flag.ResolvedAtNotNil())
		}
	}
	return q, nil
}
