package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"sicherkommunal/ent/schema/pulid"
)

// Flag (Warnung) is raised by a monitoring job when a condition holds and
// resolved by it when the condition clears. At most one flag per (kind,
// subject) is open at a time.
type Flag struct{ ent.Schema }

// Mixin of Flag.
func (Flag) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("FL")}
}

// Fields of Flag.
func (Flag) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			Values("STEP_OVERDUE", "DEADLINE_AT_RISK", "BUDGET_OVERRUN", "LEDGER_MISMATCH", "PAYMENT_UNMATCHED",
				"ASSESSMENT_MISSING", "ASSESSMENT_UNCONFIRMED", "FINDING_OVERDUE", "CRITICAL_FINDING_OPEN", "RISK_ACCEPTANCE_EXPIRED").
			Immutable().Annotations(entgql.OrderField("KIND")),
		field.Enum("severity").Values("INFO", "WARNING", "CRITICAL").Annotations(entgql.OrderField("SEVERITY")),
		field.String("subject_key").NotEmpty().MaxLen(100).Immutable().
			Comment("what the flag is about, e.g. a step ID or 'PA…/STAGE_2'; unique among open flags of a kind"),
		field.String("program_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("participation_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("step_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("measure_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("entry_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("message").NotEmpty().MaxLen(1000),
		field.Time("raised_at").Immutable().Annotations(entgql.OrderField("RAISED_AT")),
		field.Time("resolved_at").Optional().Nillable().Annotations(entgql.OrderField("RESOLVED_AT")),
		field.Time("acknowledged_at").Optional().Nillable(),
		field.String("acknowledged_by").Optional().Nillable(),
	}
}

// Edges of Flag.
func (Flag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("program", Program.Type).Field("program_id").Unique().Immutable(),
		edge.From("participation", Participation.Type).Ref("flags").Field("participation_id").Unique().Immutable(),
		edge.To("step", Step.Type).Field("step_id").Unique().Immutable(),
		edge.To("measure", Measure.Type).Field("measure_id").Unique().Immutable(),
		edge.To("entry", LedgerEntry.Type).Field("entry_id").Unique().Immutable(),
	}
}

// Indexes of Flag: the partial unique index keeps one open flag per
// (kind, subject) on SQLite and PostgreSQL alike.
func (Flag) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "subject_key").Unique().Annotations(entsql.IndexWhere("resolved_at IS NULL")),
		index.Fields("participation_id", "resolved_at"),
		index.Fields("kind", "resolved_at"),
		index.Fields("severity"),
		index.Fields("step_id"),
		index.Fields("measure_id"),
		index.Fields("entry_id"),
		index.Fields("program_id"),
	}
}

// Annotations of Flag.
func (Flag) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(everyone...), entgql.RelayConnection()}
}

// JobRun records one run of a monitoring job.
type JobRun struct{ ent.Schema }

// Mixin of JobRun.
func (JobRun) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("JR")}
}

// Fields of JobRun.
func (JobRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("job").NotEmpty().Immutable().Annotations(entgql.OrderField("JOB")),
		field.Time("tick").Optional().Nillable().Immutable().
			Comment("the scheduled minute; null for runs on demand. Unique per job: one run per tick across replicas"),
		field.Time("started_at").Immutable().Annotations(entgql.OrderField("STARTED_AT")),
		field.Time("finished_at").Optional().Nillable(),
		field.Int("raised").Default(0),
		field.Int("resolved").Default(0),
		field.String("error").Optional().Nillable().MaxLen(2000),
		field.String("triggered_by").Default("schedule"),
	}
}

// Indexes of JobRun.
func (JobRun) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("job", "tick").Unique(),
		index.Fields("started_at"),
	}
}

// Annotations of JobRun.
func (JobRun) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(staff...), entgql.RelayConnection(), entgql.QueryField()}
}
