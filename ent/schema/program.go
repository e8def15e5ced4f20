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

// Program is a funding programme such as SicherKOMMUNAL. Its figures are
// data, never code constants.
type Program struct{ ent.Schema }

// Mixin of Program.
func (Program) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("PG"), TimeMixin{}}
}

// Fields of Program.
func (Program) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		money("stage1_amount"),
		money("total_cap"),
		date("starts_on", entgql.OrderField("STARTS_ON")),
		date("stage2_opens_on"),
		optionalDate("stage2_approved_on", entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.String("stage2_decision_reference").Optional().Nillable().MaxLen(200).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		date("ends_on", entgql.OrderField("ENDS_ON")),
		optionalMoney("budget"),
		field.String("time_zone").Default("Europe/Berlin").NotEmpty(),
		field.JSON("step_template", []types.StepTemplateItem{}).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of Program.
func (Program) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("participations", Participation.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("ledger_entries", LedgerEntry.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of Program.
func (Program) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name").Unique()}
}

// Annotations of Program.
func (Program) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Hooks of Program.
func (Program) Hooks() []ent.Hook { return []ent.Hook{programFigures()} }
