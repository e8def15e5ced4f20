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
