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

// Consultant is a person of the contractor who runs on-site dates.
type Consultant struct{ ent.Schema }

// Mixin of Consultant.
func (Consultant) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("CO"), TimeMixin{}}
}

// Fields of Consultant.
func (Consultant) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.String("email").Validate(types.ValidateEmail).Annotations(entgql.OrderField("EMAIL")),
		field.String("organization").Default("Bechtle").NotEmpty().MaxLen(200),
	}
}

// Edges of Consultant.
func (Consultant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("appointments", Appointment.Type).Ref("consultants").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of Consultant.
func (Consultant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("email").Unique(), index.Fields("name")}
}

// Annotations of Consultant.
func (Consultant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
