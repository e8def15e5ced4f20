package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent"
	"github.com/99designs/gqlgen/graphql"

	gen "sicherkommunal/ent"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/schema/pulid"
)

// maxAuditIDs bounds the events of one bulk change; beyond it one event
// without an entity ID records the change.
const maxAuditIDs = 200

// AuditHook records every change of the data as an AuditEvent, in the same
// transaction, naming the actor (the token, or the system acting on behalf
// of one) and the GraphQL mutation that caused it. Funding accounts are
// derived from ledger entries and not audited separately; a token's
// last-used time is bookkeeping, not a change.
func AuditHook(now func() time.Time) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			switch m.Type() {
			case gen.TypeAuditEvent, gen.TypeFundingAccount:
				return next.Mutate(ctx, m)
			case gen.TypeAPIToken:
				if f := m.Fields(); len(f) == 1 && f[0] == apitoken.FieldLastUsedAt && m.Op().Is(ent.OpUpdateOne) {
					return next.Mutate(ctx, m)
				}
			}
			client, ok := m.(interface{ Client() *gen.Client })
			if !ok {
				return next.Mutate(ctx, m)
			}
			var ids []pulid.ID
			if !m.Op().Is(ent.OpCreate) {
				if im, ok := m.(interface {
					IDs(context.Context) ([]pulid.ID, error)
				}); ok {
					var err error
					if ids, err = im.IDs(ctx); err != nil {
						return nil, err
					}
				}
			}
			// The time of the change is when it was asked for: in a bulk
			// insert, whose hooks nest, the events keep the builders' order.
			at := now()
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			if m.Op().Is(ent.OpCreate) {
				if im, ok := m.(interface{ ID() (pulid.ID, bool) }); ok {
					if id, ok := im.ID(); ok {
						ids = []pulid.ID{id}
					}
				}
			}
			if err := writeAudit(ctx, client.Client(), m, ids, at); err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			return v, nil
		})
	}
}

func writeAudit(ctx context.Context, c *gen.Client, m ent.Mutation, ids []pulid.ID, at time.Time) error {
	action := auditevent.ActionUPDATE
	switch {
	case m.Op().Is(ent.OpCreate):
		action = auditevent.ActionCREATE
	case m.Op().Is(ent.OpDelete | ent.OpDeleteOne):
		action = auditevent.ActionDELETE
	}
	return Record(ctx, c, action, m.Type(), append(m.Fields(), m.ClearedFields()...), ids, at)
}

// Record writes the audit events of a change made without ent's builders
// (a bulk UPDATE in SQL), as the hook would for one made with them: one
// event per entity (up to maxAuditIDs), the actor and the GraphQL
// operation of ctx, into the transaction's AuditBuffer when ctx has one.
func Record(ctx context.Context, c *gen.Client, action auditevent.Action, entityType string, fields []string, ids []pulid.ID, at time.Time) error {
	actor := FromContext(ctx)
	if actor != nil && actor.OnBehalfOf != nil {
		actor = actor.OnBehalfOf
	}
	operation := ""
	if rfc := graphql.GetRootFieldContext(ctx); rfc != nil {
		operation = rfc.Field.Name
	}
	if len(ids) == 0 || len(ids) > maxAuditIDs {
		ids = []pulid.ID{""}
	}
	builders := make([]*gen.AuditEventCreate, 0, len(ids))
	for _, id := range ids {
		b := c.AuditEvent.Create().SetAction(action).SetEntityType(entityType).SetEntityID(string(id)).
			SetChangedFields(fields).SetOperation(operation).SetAt(at)
		if actor != nil {
			b.SetActor(actor.Name).SetActorRole(actor.Role)
			if actor.TokenID != "" {
				b.SetActorTokenID(actor.TokenID)
			}
		} else {
			b.SetActor("unknown")
		}
		builders = append(builders, b)
	}
	if buf, ok := ctx.Value(auditBufferKey{}).(*AuditBuffer); ok {
		return buf.add(c, builders)
	}
	// The audit trail is written with the writer's rights over it, whoever
	// the writer is.
	return c.AuditEvent.CreateBulk(builders...).Exec(ctx)
}

type auditBufferKey struct{}

// Principal describes what of ctx the audit trail and the privacy rules
// see: the viewer (and whom it acts for) and the GraphQL operation.
// Changes made under contexts with equal principals may be written
// together under any one of them.
func Principal(ctx context.Context) string {
	var b strings.Builder
	if rfc := graphql.GetRootFieldContext(ctx); rfc != nil {
		b.WriteString(rfc.Field.Name)
	}
	for v := FromContext(ctx); v != nil; v = v.OnBehalfOf {
		fmt.Fprintf(&b, " %q %q %q %q %q;", v.TokenID, v.Name, v.Role, ptr(v.MunicipalityID), ptr(v.ConsultantID))
	}
	return b.String()
}

func ptr(id *pulid.ID) pulid.ID {
	if id == nil {
		return ""
	}
	return *id
}

// AuditBuffer collects the audit events of changes made in one
// transaction under several contexts (the requests of a batch), to write
// them in one statement. Each event keeps its own actor and time. Use a
// new buffer for every transaction (and every attempt of one).
type AuditBuffer struct {
	mu       sync.Mutex
	client   *gen.Client
	builders []*gen.AuditEventCreate
}

// Context returns ctx whose changes are recorded in b instead of being
// written at once.
func (b *AuditBuffer) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, auditBufferKey{}, b)
}

func (b *AuditBuffer) add(c *gen.Client, builders []*gen.AuditEventCreate) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client == nil {
		b.client = c
	}
	b.builders = append(b.builders, builders...)
	return nil
}

// Flush writes the collected events with the client (the transaction) of
// the changes. It must run before that transaction commits; a transaction
// that commits without it loses its trail.
func (b *AuditBuffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.builders) == 0 {
		return nil
	}
	err := b.client.AuditEvent.CreateBulk(b.builders...).Exec(SystemContext(ctx))
	b.client, b.builders = nil, nil
	return err
}
