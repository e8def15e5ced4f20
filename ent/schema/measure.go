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

// Measure is a Maßnahme of a participation's individual measure package.
type Measure struct{ ent.Schema }

// Mixin of Measure.
func (Measure) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ME"), TimeMixin{}}
}

// Fields of Measure.
func (Measure) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("kind").Values("WORKSHOP", "PENETRATION_TEST", "TRAINING", "TECHNICAL", "ORGANISATIONAL").
			Annotations(entgql.OrderField("KIND")),
		field.String("title").NotEmpty().MaxLen(300).Annotations(entgql.OrderField("TITLE")),
		field.Text("description").Optional().Nillable().MaxLen(10000),
		field.Enum("stage").GoType(types.FundingStage("")).Annotations(entgql.OrderField("STAGE"), entgql.Type("FundingStage")),
		money("planned_cost", entgql.OrderField("PLANNED_COST")),
		field.Enum("status").Values("PLANNED", "IN_PROGRESS", "DONE", "CANCELLED").Default("PLANNED").
			Annotations(entgql.OrderField("STATUS")),
		optionalDate("due_on", entgql.OrderField("DUE_ON")),
	}
}

// Edges of Measure.
func (Measure) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("measures").Field("participation_id").Unique().Required().Immutable(),
	}
}

// Indexes of Measure.
func (Measure) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("participation_id", "stage"),
		index.Fields("status"),
		index.Fields("due_on"),
	}
}

// Hooks of Measure.
func (Measure) Hooks() []ent.Hook {
	return []ent.Hook{measurePositiveCost()}
}

// Annotations of Measure.
func (Measure) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
