package catalog

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/catalog"
	"sicherkommunal/ent/cataloggroup"
	"sicherkommunal/ent/requirement"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Service stores catalogues. Now is the clock (the rows' creation time).
type Service struct {
	Now func() time.Time
}

// insertBatch bounds the rows of one INSERT, and the audit events written
// at once: SQLite binds at most 32,766 parameters, a requirement has ten
// columns, an audit event about as many.
const insertBatch = 1000

// Import stores cat, once per name and version, with the client c of the
// caller's transaction: the catalogue, its checklists in one statement,
// its questions in one statement per thousand, and their audit events in
// one more.
//
// The same content again (the same Digest) returns the stored catalogue
// and writes nothing. Errors: VALIDATION for a catalogue that breaks a
// rule; CONFLICT when the name and version are stored with another
// content (a new edition needs a new version), or were imported at the
// same moment by another transaction; the privacy rules' denial for a
// viewer other than ADMIN.
func (s *Service) Import(ctx context.Context, c *ent.Client, cat *Catalogue) (*ent.Catalog, error) {
	if err := cat.Validate(); err != nil {
		return nil, err
	}
	digest := cat.Digest()
	existing, err := c.Catalog.Query().Where(catalog.Name(cat.Name), catalog.Version(cat.Version)).Only(ctx)
	switch {
	case err == nil && existing.Digest == digest:
		return existing, nil
	case err == nil:
		return nil, apperr.New(apperr.Conflict, "catalogue %q version %q exists with other content: a new edition needs a new version", clip(cat.Name), clip(cat.Version)).
			With("catalogId", existing.ID)
	case !ent.IsNotFound(err):
		return nil, err
	}

	now := s.Now()
	buf := &auth.AuditBuffer{}
	bctx := buf.Context(ctx)
	cc := c.Catalog.Create().SetCreatedAt(now).SetUpdatedAt(now).
		SetName(cat.Name).SetVersion(cat.Version).SetDigest(digest)
	if cat.Source != "" {
		cc.SetSource(cat.Source)
	}
	if cat.PublishedOn != nil {
		cc.SetPublishedOn(types.NormalizeDate(*cat.PublishedOn))
	}
	created, err := cc.Save(bctx)
	if store.IsUniqueViolation(err) {
		return nil, apperr.New(apperr.Conflict, "catalogue %q version %q was imported at the same time by another request", clip(cat.Name), clip(cat.Version))
	}
	if err != nil {
		return nil, err
	}

	groups := make([]*ent.CatalogGroupCreate, len(cat.Groups))
	var reqs []*ent.RequirementCreate
	for i, g := range cat.Groups {
		gid := pulid.New("CG")
		gc := c.CatalogGroup.Create().SetID(gid).SetCreatedAt(now).SetUpdatedAt(now).SetCatalogID(created.ID).
			SetNumber(g.Number).SetTitle(g.Title).SetPriority(g.Priority)
		if len(g.Modules) > 0 {
			gc.SetModules(g.Modules)
		}
		if g.Goal != "" {
			gc.SetGoal(g.Goal)
		}
		groups[i] = gc
		for _, r := range g.Requirements {
			rc := c.Requirement.Create().SetCreatedAt(now).SetUpdatedAt(now).SetCatalogID(created.ID).SetGroupID(gid).
				SetRef(r.Ref).SetNumber(r.Number).SetQuestion(r.Question)
			if r.Help != "" {
				rc.SetHelp(r.Help)
			}
			if r.Effort != "" {
				rc.SetEffort(r.Effort)
			}
			reqs = append(reqs, rc)
		}
	}
	for from := 0; from < len(groups); from += insertBatch {
		if err := c.CatalogGroup.CreateBulk(groups[from:min(from+insertBatch, len(groups))]...).Exec(bctx); err != nil {
			return nil, err
		}
	}
	for from := 0; from < len(reqs); from += insertBatch {
		if err := c.Requirement.CreateBulk(reqs[from:min(from+insertBatch, len(reqs))]...).Exec(bctx); err != nil {
			return nil, err
		}
		// A thousand questions' events at a time stay within the bound.
		if err := buf.Flush(ctx); err != nil {
			return nil, err
		}
	}
	if err := buf.Flush(ctx); err != nil {
		return nil, err
	}
	return created, nil
}

// Load reads the stored catalogue id back: its checklists in the order of
// their numbers, their questions in the order of their numbers (then
// references). Three statements. Errors: NOT_FOUND.
func Load(ctx context.Context, c *ent.Client, id pulid.ID) (*Catalogue, error) {
	row, err := c.Catalog.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "catalogue %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	groups, err := c.CatalogGroup.Query().Where(cataloggroup.CatalogID(id)).Order(cataloggroup.ByNumber()).All(ctx)
	if err != nil {
		return nil, err
	}
	reqs, err := c.Requirement.Query().Where(requirement.CatalogID(id)).Order(requirement.ByNumber(), requirement.ByRef()).All(ctx)
	if err != nil {
		return nil, err
	}
	cat := &Catalogue{Name: row.Name, Version: row.Version}
	if row.Source != nil {
		cat.Source = *row.Source
	}
	if row.PublishedOn != nil {
		d := types.NormalizeDate(*row.PublishedOn)
		cat.PublishedOn = &d
	}
	at := map[pulid.ID]int{}
	for i, g := range groups {
		at[g.ID] = i
		grp := Group{Number: g.Number, Priority: g.Priority, Title: g.Title}
		if len(g.Modules) > 0 {
			grp.Modules = g.Modules
		}
		if g.Goal != nil {
			grp.Goal = *g.Goal
		}
		cat.Groups = append(cat.Groups, grp)
	}
	for _, r := range reqs {
		q := Requirement{Ref: r.Ref, Number: r.Number, Question: r.Question}
		if r.Help != nil {
			q.Help = *r.Help
		}
		if r.Effort != nil {
			q.Effort = *r.Effort
		}
		g := &cat.Groups[at[r.GroupID]]
		g.Requirements = append(g.Requirements, q)
	}
	for i := range cat.Groups {
		sortRequirements(cat.Groups[i].Requirements)
	}
	return cat, nil
}

// SortGroups puts stored checklists in catalogue order: by number.
func SortGroups(gs []*ent.CatalogGroup) []*ent.CatalogGroup {
	slices.SortFunc(gs, func(a, b *ent.CatalogGroup) int { return cmp.Compare(a.Number, b.Number) })
	return gs
}

// SortQuestions puts stored questions in catalogue order: by number,
// then reference.
func SortQuestions(rs []*ent.Requirement) []*ent.Requirement {
	slices.SortFunc(rs, func(a, b *ent.Requirement) int {
		return cmp.Or(cmp.Compare(a.Number, b.Number), strings.Compare(a.Ref, b.Ref))
	})
	return rs
}
