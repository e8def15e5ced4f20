// API tokens and the audit trail of every change.

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// APIToken is a bearer token. Only the SHA-256 hash of its secret is stored.
type APIToken struct{ ent.Schema }

// Mixin of APIToken.
func (APIToken) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("TK"), TimeMixin{}}
}

// Fields of APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("role").GoType(types.Role("")).Immutable().Annotations(entgql.Type("Role")),
		field.String("token_hash").NotEmpty().Immutable().Sensitive().Annotations(entgql.Skip()),
		field.String("municipality_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("consultant_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Edges of APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("municipality", Municipality.Type).Field("municipality_id").Unique().Immutable(),
		edge.To("consultant", Consultant.Type).Field("consultant_id").Unique().Immutable(),
	}
}

// Indexes of APIToken.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash").Unique(),
		index.Fields("municipality_id"),
		index.Fields("consultant_id"),
	}
}

// Annotations of APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(types.RoleAdmin),
		entgql.Type("ApiToken"),
		entgql.RelayConnection(),
		entgql.QueryField("apiTokens"),
	}
}

// AuditEvent records one change of the data: who (actor), through which
// GraphQL mutation (operation), what (action on entity type and id) and
// which fields. Written in the transaction of the change; append-only.
type AuditEvent struct{ ent.Schema }

// Mixin of AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("AE")}
}

// Fields of AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor").NotEmpty().Immutable().Comment("token name, or system"),
		field.String("actor_token_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Enum("actor_role").GoType(types.Role("")).Optional().Nillable().Immutable().Annotations(entgql.Type("Role")),
		field.String("operation").Optional().Immutable().Comment("the GraphQL mutation, if any").Annotations(entgql.OrderField("OPERATION")),
		field.Enum("action").Values("CREATE", "UPDATE", "DELETE").Immutable(),
		field.String("entity_type").NotEmpty().Immutable(),
		field.String("entity_id").Optional().Immutable(),
		field.JSON("changed_fields", []string{}).Optional().Immutable().Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("at").Immutable().Annotations(entgql.OrderField("AT")),
	}
}

// Indexes of AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("at"),
		index.Fields("entity_id"),
		index.Fields("actor_token_id"),
		index.Fields("operation"),
	}
}

// Hooks of AuditEvent.
func (AuditEvent) Hooks() []ent.Hook { return []ent.Hook{appendOnly()} }

// Policy of AuditEvent: ADMIN and MINISTRY read the trail; every change
// writes to it.
func (AuditEvent) Policy() ent.Policy {
	return policy(allow(everyone...))
}

// Annotations of AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(types.RoleAdmin, types.RoleMinistry), entgql.RelayConnection(), entgql.QueryField()}
}
