package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"sicherkommunal/apperr"
	"sicherkommunal/assessment"
	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/monitoring"
)

// loaders batch per-object lookups that field collection cannot
// eager-load (filtered lists), so that a list of n objects costs one query
// per field instead of n. They live for one operation: their cache and
// their privacy decisions belong to its viewer.
type loaders struct {
	openFlags *dataloadgen.Loader[pulid.ID, []*ent.Flag]
	scores    *dataloadgen.Loader[pulid.ID, *assessment.Score]
	// participations by ID, as the viewer may read them.
	participations *dataloadgen.Loader[pulid.ID, *ent.Participation]
}

type loadersKey struct{}

// loaderWait is how long a loader collects keys before it queries; the
// sibling resolvers of a list run concurrently and arrive within it.
const loaderWait = time.Millisecond

// withLoaders gives every operation its own loaders.
func (r *Resolver) withLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	l := &loaders{
		openFlags:      dataloadgen.NewLoader(r.fetchOpenFlags, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000)),
		scores:         dataloadgen.NewLoader(r.fetchScores, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000)),
		participations: dataloadgen.NewLoader(r.fetchParticipations, dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(1000)),
	}
	return next(context.WithValue(ctx, loadersKey{}, l))
}

func loadersFrom(ctx context.Context) *loaders {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return l
}

// openFlags returns a participation's unresolved flags through the
// operation's loader (or, outside an operation, by itself).
func (r *Resolver) openFlags(ctx context.Context, id pulid.ID) ([]*ent.Flag, error) {
	if l := loadersFrom(ctx); l != nil {
		return l.openFlags.Load(ctx, id)
	}
	flags, errs := r.fetchOpenFlags(ctx, []pulid.ID{id})
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return flags[0], nil
}

// fetchOpenFlags loads the unresolved flags of many participations in one
// query, oldest first.
func (r *Resolver) fetchOpenFlags(ctx context.Context, ids []pulid.ID) ([][]*ent.Flag, []error) {
	open := true
	flags, err := monitoring.Flags(r.ent(ctx), &open).Where(flag.ParticipationIDIn(ids...)).Order(flag.ByRaisedAt(), flag.ByID()).All(ctx)
	if err != nil {
		return nil, []error{err}
	}
	byParticipation := make(map[pulid.ID][]*ent.Flag, len(ids))
	for _, f := range flags {
		if f.ParticipationID != nil {
			byParticipation[*f.ParticipationID] = append(byParticipation[*f.ParticipationID], f)
		}
	}
	out := make([][]*ent.Flag, len(ids))
	for i, id := range ids {
		out[i] = byParticipation[id]
		if out[i] == nil {
			out[i] = []*ent.Flag{}
		}
	}
	return out, nil
}

// score returns an assessment's score through the operation's loader.
func (r *Resolver) score(ctx context.Context, id pulid.ID) (*assessment.Score, error) {
	if l := loadersFrom(ctx); l != nil {
		return l.scores.Load(ctx, id)
	}
	s, errs := r.fetchScores(ctx, []pulid.ID{id})
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return s[0], nil
}

// fetchScores computes the scores of many assessments in one statement.
func (r *Resolver) fetchScores(ctx context.Context, ids []pulid.ID) ([]*assessment.Score, []error) {
	byID, err := assessment.Scores(ctx, r.ent(ctx), r.Assess.Dialect, ids)
	if err != nil {
		return nil, []error{err}
	}
	out := make([]*assessment.Score, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// participation reads a participation through the operation's loader.
func (r *Resolver) participation(ctx context.Context, id pulid.ID) (*ent.Participation, error) {
	if l := loadersFrom(ctx); l != nil {
		return l.participations.Load(ctx, id)
	}
	return r.ent(ctx).Participation.Get(ctx, id)
}

// fetchParticipations reads many participations in one query; one the
// viewer may not read is NOT_FOUND.
func (r *Resolver) fetchParticipations(ctx context.Context, ids []pulid.ID) ([]*ent.Participation, []error) {
	ps, err := r.ent(ctx).Participation.Query().Where(participation.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, []error{err}
	}
	byID := make(map[pulid.ID]*ent.Participation, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := make([]*ent.Participation, len(ids))
	errs := make([]error, len(ids))
	failed := false
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == nil {
			errs[i], failed = apperr.New(apperr.NotFound, "participation %s not found", id), true
		}
	}
	if !failed {
		errs = nil
	}
	return out, errs
}

// selects reports whether the current field's selection reaches path;
// types names the type each step of the path is selected on.
func selects(ctx context.Context, path, types []string) bool {
	oc := graphql.GetOperationContext(ctx)
	return selectsIn(oc, graphql.CollectFieldsCtx(ctx, types[:1]), path, types)
}

func selectsIn(oc *graphql.OperationContext, fields []graphql.CollectedField, path, types []string) bool {
	for _, f := range fields {
		if f.Name != path[0] {
			continue
		}
		if len(path) == 1 || selectsIn(oc, graphql.CollectFields(oc, f.Selections, types[1:2]), path[1:], types[1:]) {
			return true
		}
	}
	return false
}

// primeOpenFlags loads the open flags of a page of participations in one
// query when the operation asks for them, so that the loader needs no
// waiting for them.
func (r *Resolver) primeOpenFlags(ctx context.Context, conn *ent.ParticipationConnection) {
	l := loadersFrom(ctx)
	if l == nil || conn == nil || len(conn.Edges) == 0 ||
		!selects(ctx, []string{"edges", "node", "openFlags"}, []string{"ParticipationConnection", "ParticipationEdge", "Participation"}) {
		return
	}
	ids := make([]pulid.ID, len(conn.Edges))
	for i, e := range conn.Edges {
		ids[i] = e.Node.ID
	}
	flags, errs := r.fetchOpenFlags(ctx, ids)
	if len(errs) > 0 {
		return // the loader tries again, and reports the error where it belongs
	}
	for i, id := range ids {
		l.openFlags.Prime(id, flags[i])
	}
}
