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
