// The programme, its Kommunen and what a participation goes through: steps and measures.

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
		field.String("time_zone").Default(types.DefaultTimeZone).NotEmpty(),
		field.JSON("step_template", []types.StepTemplateItem{}).
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		// remediation_days are the days to remedy a finding by severity
		// (types.DefaultRemediationDays when not set).
		field.JSON("remediation_days", types.RemediationDays{}).Optional().
			Annotations(entgql.Type("RemediationDays"), entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
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

// Municipality is a Kommune of the state: a kreisfreie Stadt, a Landkreis, an
// Einheitsgemeinde or a Verbandsgemeinde.
type Municipality struct{ ent.Schema }

// Mixin of Municipality.
func (Municipality) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("MU"), TimeMixin{UpdatedReaders: banking}}
}

// Fields of Municipality.
func (Municipality) Fields() []ent.Field {
	return []ent.Field{
		field.String("ags").Optional().Nillable().Validate(types.ValidateAGS).
			Comment("Amtlicher Gemeindeschlüssel; Verbandsgemeinden have none").
			Annotations(entgql.OrderField("AGS")),
		field.String("ars").Optional().Nillable().Validate(types.ValidateARS).
			Comment("Regionalschlüssel").
			Annotations(entgql.OrderField("ARS")),
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").Values("KREISFREIE_STADT", "LANDKREIS", "EINHEITSGEMEINDE", "VERBANDSGEMEINDE").
			Annotations(entgql.OrderField("KIND")),
		field.String("contact_email").Optional().Nillable().Validate(types.ValidateEmail),
		field.String("iban").Optional().Nillable().Validate(types.ValidateIBAN).
			Comment("banking data: ADMIN, MINISTRY and the Kommune itself").
			Annotations(readers(banking...)),
	}
}

// Edges of Municipality.
func (Municipality) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("participations", Participation.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of Municipality.
func (Municipality) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("ags").Unique(),
		index.Fields("ars").Unique(),
		index.Fields("name"),
		index.Fields("kind"),
	}
}

// Annotations of Municipality.
func (Municipality) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Hooks of Municipality.
func (Municipality) Hooks() []ent.Hook { return []ent.Hook{municipalityKeys()} }

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
		edge.To("assessments", Assessment.Type).Annotations(entgql.RelayConnection()),
		edge.To("security_tests", SecurityTest.Type).Annotations(entgql.RelayConnection()),
		edge.To("findings", Finding.Type).Annotations(entgql.RelayConnection()),
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
		// addresses are the gaps (NO or PARTIAL answers of the
		// participation's assessments) the measure closes.
		edge.To("addresses", Answer.Type),
		// remedies are the findings the measure closes (of its own
		// participation).
		edge.To("remedies", Finding.Type),
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
	return []ent.Hook{measurePositiveCost(), measureAddressesGaps(), measureRemediesFindings()}
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
