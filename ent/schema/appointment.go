package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"sicherkommunal/ent/schema/pulid"
)

// Appointment is a Termin between the contractor and one or more Kommunen.
type Appointment struct{ ent.Schema }

// Mixin of Appointment.
func (Appointment) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("AP"), TimeMixin{}}
}

// Fields of Appointment.
func (Appointment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			Values("KICKOFF_EVENT", "ONSITE_VISIT", "WORKSHOP", "PENETRATION_TEST", "TRAINING", "ACCEPTANCE_MEETING", "OTHER").
			Annotations(entgql.OrderField("KIND")),
		field.String("title").NotEmpty().MaxLen(300).Annotations(entgql.OrderField("TITLE")),
		field.Text("description").Optional().Nillable().MaxLen(10000),
		field.Time("starts_at").Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("ends_at").Annotations(entgql.OrderField("ENDS_AT")),
		field.String("location").Optional().Nillable().MaxLen(500),
		field.Enum("status").Values("TENTATIVE", "CONFIRMED", "CANCELLED", "COMPLETED").Default("TENTATIVE").
			Annotations(entgql.OrderField("STATUS")),
		field.Int("sequence").Default(0).NonNegative(),
		field.String("cancel_reason").Optional().Nillable().MaxLen(2000),
		field.String("step_id").GoType(pulid.ID("")).Optional().Nillable(),
	}
}

// Edges of Appointment.
func (Appointment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("participations", Participation.Type),
		edge.To("consultants", Consultant.Type),
		edge.To("step", Step.Type).Field("step_id").Unique(),
	}
}

// Indexes of Appointment.
func (Appointment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("starts_at", "ends_at"),
		index.Fields("status"),
		index.Fields("step_id"),
		index.Fields("updated_at"),
	}
}

// Annotations of Appointment.
func (Appointment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
