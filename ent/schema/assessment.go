// The security picture: WiBA catalogues (checklists and their questions),
// the assessments of a participation against one catalogue, their answers
// and every answer's history.

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

// Catalog is one edition of a catalogue of check questions (the BSI's WiBA
// checklists, or a demonstration catalogue). Every field is immutable: a
// new edition is a new catalogue, so an assessment always reads the
// questions it was answered against.
type Catalog struct{ ent.Schema }

// Mixin of Catalog.
func (Catalog) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("CA"), TimeMixin{}}
}

// Fields of Catalog.
func (Catalog) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Immutable().Annotations(entgql.OrderField("NAME")),
		field.String("version").NotEmpty().MaxLen(50).Immutable().Annotations(entgql.OrderField("VERSION")),
		field.String("source").Optional().Nillable().MaxLen(2000).Immutable(),
		field.Time("published_on").SchemaType(types.DateSchemaType).Optional().Nillable().Immutable().
			Annotations(entgql.Type("Date"), entgql.OrderField("PUBLISHED_ON")),
		// digest is the SHA-256 of the catalogue's content (groups and
		// requirements), so that importing the same edition twice is
		// recognised, and a different content under the same name and
		// version refused.
		field.String("digest").NotEmpty().MaxLen(64).Immutable().Annotations(entgql.Skip()),
	}
}

// Edges of Catalog.
func (Catalog) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("groups", CatalogGroup.Type),
		edge.To("assessments", Assessment.Type).Annotations(entgql.Skip()),
	}
}

// Indexes of Catalog.
func (Catalog) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "version").Unique()}
}

// Annotations of Catalog.
func (Catalog) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}

// CatalogGroup is one checklist (Prüfthema) of a catalogue.
type CatalogGroup struct{ ent.Schema }

// Mixin of CatalogGroup.
func (CatalogGroup) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("CG"), TimeMixin{}}
}

// Fields of CatalogGroup.
func (CatalogGroup) Fields() []ent.Field {
	return []ent.Field{
		field.String("catalog_id").GoType(pulid.ID("")).Immutable(),
		field.Int("number").Range(1, 999).Immutable().Annotations(entgql.OrderField("NUMBER")),
		field.String("title").NotEmpty().MaxLen(300).Immutable(),
		// priority is the group of the BSI's processing order: 1 first.
		field.Int("priority").Range(1, 4).Immutable().Annotations(entgql.OrderField("PRIORITY")),
		// modules are the IT-Grundschutz modules behind the checklist.
		field.Strings("modules").Optional().Immutable(),
		field.Text("goal").Optional().Nillable().MaxLen(10000).Immutable(),
	}
}

// Edges of CatalogGroup.
func (CatalogGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("catalog", Catalog.Type).Ref("groups").Field("catalog_id").Unique().Required().Immutable(),
		edge.To("requirements", Requirement.Type),
	}
}

// Indexes of CatalogGroup.
func (CatalogGroup) Indexes() []ent.Index {
	return []ent.Index{index.Fields("catalog_id", "number").Unique()}
}

// Annotations of CatalogGroup.
func (CatalogGroup) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(everyone...)}
}

// Requirement is one check question (Prüffrage) of a checklist.
type Requirement struct{ ent.Schema }

// Mixin of Requirement.
func (Requirement) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("RQ"), TimeMixin{}}
}

// Fields of Requirement.
func (Requirement) Fields() []ent.Field {
	return []ent.Field{
		field.String("catalog_id").GoType(pulid.ID("")).Immutable().Annotations(entgql.Skip()),
		field.String("group_id").GoType(pulid.ID("")).Immutable(),
		// ref is the question's reference in the catalogue, such as
		// "Backup-3"; unique in its catalogue.
		field.String("ref").NotEmpty().MaxLen(50).Immutable().Annotations(entgql.OrderField("REF")),
		field.Int("number").Range(1, 9999).Immutable().Annotations(entgql.OrderField("NUMBER")),
		field.Text("question").NotEmpty().MaxLen(5000).Immutable(),
		field.Text("help").Optional().Nillable().MaxLen(20000).Immutable(),
		field.String("effort").Optional().Nillable().MaxLen(100).Immutable(),
	}
}

// Edges of Requirement.
func (Requirement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("group", CatalogGroup.Type).Ref("requirements").Field("group_id").Unique().Required().Immutable(),
		edge.From("findings", Finding.Type).Ref("requirements").Annotations(entgql.Skip()),
	}
}

// Indexes of Requirement.
func (Requirement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("catalog_id", "ref").Unique(),
		index.Fields("group_id", "number"),
	}
}

// Annotations of Requirement.
func (Requirement) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(everyone...)}
}

// Assessment is one WiBA assessment of a participation against one
// catalogue: the IST-Erhebung (BASELINE) or the one after the measures
// (FOLLOW_UP).
type Assessment struct{ ent.Schema }

// Mixin of Assessment.
func (Assessment) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("AS"), TimeMixin{}}
}

// Fields of Assessment.
func (Assessment) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.String("catalog_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("kind").GoType(types.AssessmentKind("")).Immutable().
			Annotations(entgql.OrderField("KIND"), entgql.Type("AssessmentKind")),
		field.Enum("status").GoType(types.AssessmentStatus("")).Default(string(types.AssessmentInProgress)).
			Annotations(entgql.OrderField("STATUS"), entgql.Type("AssessmentStatus")),
		field.String("consultant_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("appointment_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.Time("submitted_at").Optional().Nillable().Annotations(entgql.OrderField("SUBMITTED_AT")),
		field.Time("confirmed_at").Optional().Nillable(),
		field.Time("returned_at").Optional().Nillable(),
		field.Text("return_reason").Optional().Nillable().MaxLen(2000),
	}
}

// Edges of Assessment.
func (Assessment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("assessments").Field("participation_id").Unique().Required().Immutable(),
		edge.From("catalog", Catalog.Type).Ref("assessments").Field("catalog_id").Unique().Required().Immutable(),
		edge.To("consultant", Consultant.Type).Field("consultant_id").Unique(),
		edge.To("appointment", Appointment.Type).Field("appointment_id").Unique(),
		edge.To("answers", Answer.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of Assessment.
func (Assessment) Indexes() []ent.Index {
	return []ent.Index{
		// One assessment of each kind per participation.
		index.Fields("participation_id", "kind").Unique(),
		index.Fields("catalog_id"),
		index.Fields("status"),
	}
}

// Annotations of Assessment.
func (Assessment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(everyone...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}

// Answer is the current answer to one question of an assessment. Every
// assessment has one per requirement of its catalogue, OPEN at first; its
// changes are kept in AnswerChange.
type Answer struct{ ent.Schema }

// Mixin of Answer.
func (Answer) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("AN"), TimeMixin{}}
}

// Fields of Answer.
func (Answer) Fields() []ent.Field {
	return []ent.Field{
		field.String("assessment_id").GoType(pulid.ID("")).Immutable(),
		field.String("requirement_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("status").GoType(types.AnswerStatus("")).Default(string(types.AnswerOpen)).
			Annotations(entgql.OrderField("STATUS"), entgql.Type("AnswerStatus")),
		field.Text("note").Optional().Nillable().MaxLen(10000),
		field.Text("justification").Optional().Nillable().MaxLen(10000),
		field.String("answered_by").Optional().Nillable().MaxLen(200),
		field.Time("answered_at").Optional().Nillable().Annotations(entgql.OrderField("ANSWERED_AT")),
	}
}

// Edges of Answer.
func (Answer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("assessment", Assessment.Type).Ref("answers").Field("assessment_id").Unique().Required().Immutable(),
		edge.To("requirement", Requirement.Type).Field("requirement_id").Unique().Required().Immutable(),
		edge.To("history", AnswerChange.Type),
		edge.From("measures", Measure.Type).Ref("addresses"),
	}
}

// Indexes of Answer.
func (Answer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("assessment_id", "requirement_id").Unique(),
		index.Fields("requirement_id", "status"),
	}
}

// Annotations of Answer.
func (Answer) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(everyone...), entgql.RelayConnection()}
}

// AnswerChange is one change of an answer: who changed what from what to
// what, and when. Append-only.
type AnswerChange struct{ ent.Schema }

// Mixin of AnswerChange.
func (AnswerChange) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("AC")}
}

// Fields of AnswerChange.
func (AnswerChange) Fields() []ent.Field {
	return []ent.Field{
		field.String("answer_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("from_status").GoType(types.AnswerStatus("")).Immutable().Annotations(entgql.Type("AnswerStatus")),
		field.Enum("to_status").GoType(types.AnswerStatus("")).Immutable().Annotations(entgql.Type("AnswerStatus")),
		field.Text("from_note").Optional().Nillable().Immutable(),
		field.Text("to_note").Optional().Nillable().Immutable(),
		field.Text("from_justification").Optional().Nillable().Immutable(),
		field.Text("to_justification").Optional().Nillable().Immutable(),
		// via is how the change came: saveAnswers or a spreadsheet import.
		field.Enum("via").Values("SAVE", "IMPORT").Immutable(),
		field.String("actor").NotEmpty().MaxLen(200).Immutable(),
		field.Enum("actor_role").GoType(types.Role("")).Immutable().Annotations(entgql.Type("Role")),
		field.Time("changed_at").Immutable().Annotations(entgql.OrderField("CHANGED_AT")),
	}
}

// Edges of AnswerChange.
func (AnswerChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("answer", Answer.Type).Ref("history").Field("answer_id").Unique().Required().Immutable(),
	}
}

// Indexes of AnswerChange.
func (AnswerChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("answer_id", "changed_at")}
}

// Hooks of AnswerChange.
func (AnswerChange) Hooks() []ent.Hook {
	return []ent.Hook{appendOnly()}
}

// Annotations of AnswerChange.
func (AnswerChange) Annotations() []schema.Annotation {
	return []schema.Annotation{readers(everyone...)}
}
