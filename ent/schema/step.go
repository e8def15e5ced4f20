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

// Step is a Projektschritt of a participation.
type Step struct{ ent.Schema }

// Mixin of Step.
func (Step) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ST"), TimeMixin{}}
}

// Fields of Step.
func (Step) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("kind").GoType(types.StepKind("")).Immutable().Annotations(entgql.OrderField("KIND"), entgql.Type("StepKind")),
		date("due_on", entgql.OrderField("DUE_ON")),
		field.Time("completed_at").Optional().Nillable().Annotations(entgql.OrderField("COMPLETED_AT")),
		field.Text("note").Optional().Nillable().MaxLen(10000),
	}
}

// Edges of Step.
func (Step) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("steps").Field("participation_id").Unique().Required().Immutable(),
		edge.From("appointments", Appointment.Type).Ref("step"),
	}
}

// Indexes of Step.
func (Step) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("participation_id", "kind").Unique(),
		index.Fields("due_on", "completed_at"),
		index.Fields("kind"),
	}
}

// Hooks of Step.
func (Step) Hooks() []ent.Hook {
	return []ent.Hook{stepDueWithinProgram()}
}

// Annotations of Step.
func (Step) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
