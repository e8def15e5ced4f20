// Appointments, the consultants who hold them, and the calendar feeds that publish them.

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

// CalendarFeed is a subscribable iCal feed of appointments: the whole
// programme, one municipality or one consultant. Its URL carries a random
// token of which only the SHA-256 hash is stored.
type CalendarFeed struct{ ent.Schema }

// Mixin of CalendarFeed.
func (CalendarFeed) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("CF"), TimeMixin{}}
}

// Fields of CalendarFeed.
func (CalendarFeed) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("scope").Values("PROGRAM", "MUNICIPALITY", "CONSULTANT").Immutable(),
		// The calendar's name (X-WR-CALNAME), fixed at creation so that a
		// feed's content depends only on the feed and its appointments.
		field.String("name").NotEmpty().MaxLen(300).Immutable().Annotations(entgql.OrderField("NAME")),
		field.String("token_hash").NotEmpty().Immutable().Sensitive().Annotations(entgql.Skip()),
		field.String("program_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("municipality_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("consultant_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of CalendarFeed.
func (CalendarFeed) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("program", Program.Type).Field("program_id").Unique().Immutable(),
		edge.To("municipality", Municipality.Type).Field("municipality_id").Unique().Immutable(),
		edge.To("consultant", Consultant.Type).Field("consultant_id").Unique().Immutable(),
	}
}

// Indexes of CalendarFeed.
func (CalendarFeed) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("token_hash").Unique(),
		index.Fields("municipality_id"),
		index.Fields("consultant_id"),
	}
}

// Annotations of CalendarFeed.
func (CalendarFeed) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField("calendarFeeds"),
	}
}

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
