package graph

import (
	"context"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
)

func (r *Resolver) viewer(ctx context.Context) (*Viewer, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, apperr.New(apperr.Unauthenticated, "a bearer token is required")
	}
	out := &Viewer{Role: v.Role, TokenName: v.Name}
	c := r.ent(ctx)
	if v.MunicipalityID != nil {
		m, err := c.Municipality.Get(ctx, *v.MunicipalityID)
		if err != nil {
			return nil, err
		}
		out.Municipality = m
	}
	if v.ConsultantID != nil {
		co, err := c.Consultant.Get(ctx, *v.ConsultantID)
		if err != nil {
			return nil, err
		}
		out.Consultant = co
	}
	return out, nil
}
