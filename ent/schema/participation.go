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

// Participation is one Municipality taking part in one Program.
type Participation struct{ ent.Schema }

// Mixin of Participation.
func (Participation) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("PA"), TimeMixin{}}
}

// Fields of Participation.
func (Participation) Fields() []ent.Field {
	return []ent.Field{
		field.String("program_id").GoType(pulid.ID("")).Immutable(),
		field.String("municipality_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("status").
			Values("REGISTERED", "STAGE1", "STAGE2", "ACCEPTED", "SETTLED", "WITHDRAWN").
			Default("REGISTERED").
			Annotations(entgql.OrderField("STATUS")),
		date("registered_on", entgql.OrderField("REGISTERED_ON")),
		field.Time("withdrawn_at").Optional().Nillable(),
		field.String("withdrawal_reason").Optional().Nillable().MaxLen(2000),
	}
}

// Edges of Participation.
func (Participation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("program", Program.Type).Ref("participations").Field("program_id").Unique().Required().Immutable(),
		edge.From("municipality", Municipality.Type).Ref("participations").Field("municipality_id").Unique().Required().Immutable().
			Annotations(entgql.OrderField("MUNICIPALITY_NAME")),
		edge.To("steps", Step.Type),
		edge.To("measures", Measure.Type).Annotations(entgql.RelayConnection()),
		edge.From("appointments", Appointment.Type).Ref("participations").Annotations(entgql.RelayConnection()),
		edge.To("funding", FundingAccount.Type).Unique(),
		edge.To("ledger_entries", LedgerEntry.Type).Annotations(entgql.RelayConnection()),
		edge.To("flags", Flag.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of Participation.
func (Participation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("program_id", "municipality_id").Unique(),
		index.Fields("municipality_id"),
		index.Fields("status"),
		index.Fields("registered_on"),
	}
}

// Annotations of Participation.
func (Participation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
