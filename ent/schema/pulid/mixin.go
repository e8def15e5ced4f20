package pulid

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// MixinWithPrefix returns a mixin whose id field is a prefixed ULID.
func MixinWithPrefix(prefix string) Mixin {
	if len(prefix) != 2 {
		panic("pulid: prefix must have two characters: " + prefix)
	}
	return Mixin{prefix: prefix}
}

// Mixin defines the id field of an entity.
type Mixin struct {
	mixin.Schema
	prefix string
}

// Fields of the mixin.
func (m Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			GoType(ID("")).
			MaxLen(28).
			Immutable().
			DefaultFunc(func() ID { return New(m.prefix) }),
	}
}

// Annotation records the prefix of a type for code generation.
type Annotation struct {
	Prefix string
}

// Name implements schema.Annotation.
func (Annotation) Name() string { return "PULID" }

// Annotations of the mixin.
func (m Mixin) Annotations() []schema.Annotation {
	return []schema.Annotation{Annotation{Prefix: m.prefix}}
}
