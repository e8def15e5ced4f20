package schema

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
)

// TimeMixin adds created_at and updated_at.
type TimeMixin struct {
	mixin.Schema
	// UpdatedReaders, when set, are the only roles that read updated_at:
	// it moves with every field, so on a type with fields hidden from
	// some role it would tell that role when a hidden field changed.
	UpdatedReaders []types.Role
}

// Fields of the mixin.
func (m TimeMixin) Fields() []ent.Field {
	updated := []schema.Annotation{entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
	if m.UpdatedReaders != nil {
		updated = append(updated, readers(m.UpdatedReaders...))
	}
	return []ent.Field{
		field.Time("created_at").Default(clock.System).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").Default(clock.System).UpdateDefault(clock.System).Annotations(updated...),
	}
}

// money declares a required amount stored as BIGINT cents.
func money(name string, ann ...schema.Annotation) ent.Field {
	return field.String(name).GoType(decimal.Decimal{}).ValueScanner(types.MoneyScanner).
		SchemaType(types.MoneySchemaType).
		Annotations(append([]schema.Annotation{entgql.Type("Decimal"), entgql.Skip(entgql.SkipWhereInput)}, ann...)...)
}

// optionalMoney declares an amount that may be NULL.
func optionalMoney(name string, ann ...schema.Annotation) ent.Field {
	return field.String(name).GoType(&decimal.Decimal{}).ValueScanner(types.OptionalMoneyScanner).
		SchemaType(types.MoneySchemaType).Optional().
		Annotations(append([]schema.Annotation{entgql.Type("Decimal"), entgql.Skip(entgql.SkipWhereInput)}, ann...)...)
}

// date declares a calendar date (DATE column, GraphQL Date).
func date(name string, ann ...schema.Annotation) ent.Field {
	return field.Time(name).SchemaType(types.DateSchemaType).
		Annotations(append([]schema.Annotation{entgql.Type("Date")}, ann...)...)
}

// optionalDate declares a calendar date that may be NULL.
func optionalDate(name string, ann ...schema.Annotation) ent.Field {
	return field.Time(name).SchemaType(types.DateSchemaType).Optional().Nillable().
		Annotations(append([]schema.Annotation{entgql.Type("Date")}, ann...)...)
}

// Timestamps is the hook that stamps created_at and updated_at with the
// application's clock (the mixin's defaults read the system clock only
// where no hook is installed, as in a bare client of a unit test).
func Timestamps(now func() time.Time) ent.Hook {
	type created interface{ SetCreatedAt(time.Time) }
	type updated interface{ SetUpdatedAt(time.Time) }
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			t := now()
			if c, ok := m.(created); ok && m.Op().Is(ent.OpCreate) {
				c.SetCreatedAt(t)
			}
			if u, ok := m.(updated); ok && (m.Op().Is(ent.OpCreate) || m.Op().Is(ent.OpUpdate|ent.OpUpdateOne)) {
				u.SetUpdatedAt(t)
			}
			return next.Mutate(ctx, m)
		})
	}
}
