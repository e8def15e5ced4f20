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
