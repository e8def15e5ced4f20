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
	"sicherkommunal/ent/schema/types"
)

// LedgerEntry is one booking of the funding ledger: a disbursement or the
// reversal of (part of) one. Entries are append-only.
type LedgerEntry struct{ ent.Schema }

// Mixin of LedgerEntry.
func (LedgerEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("LE")}
}

// Fields of LedgerEntry.
func (LedgerEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("program_id").GoType(pulid.ID("")).Immutable(),
		field.String("participation_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("stage").GoType(types.FundingStage("")).Immutable().
			Annotations(entgql.Type("FundingStage"), entgql.OrderField("STAGE")),
		field.Enum("kind").Values("DISBURSEMENT", "REVERSAL").Immutable().Annotations(entgql.OrderField("KIND")),
		money("amount", entgql.OrderField("AMOUNT")),
		date("value_date", entgql.OrderField("VALUE_DATE")),
		field.String("reference").NotEmpty().MaxLen(types.MaxReferenceLen).Immutable().
			Comment("payment reference / Kassenzeichen"),
		field.String("reason").Optional().Nillable().MaxLen(2000).Immutable(),
		field.String("idempotency_key").NotEmpty().MaxLen(types.MaxIdempotencyKeyLen).Immutable().Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("payload_hash").Immutable().Sensitive().Annotations(entgql.Skip()),
		field.String("reverses_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.String("created_by").Immutable(),
		field.Time("created_at").Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Edges of LedgerEntry.
func (LedgerEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("program", Program.Type).Ref("ledger_entries").Field("program_id").Unique().Required().Immutable().
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)),
		edge.From("participation", Participation.Type).Ref("ledger_entries").Field("participation_id").Unique().Required().Immutable(),
		edge.To("reversals", LedgerEntry.Type).From("reverses").Field("reverses_id").Unique().Immutable(),
	}
}

// Indexes of LedgerEntry.
func (LedgerEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("program_id", "idempotency_key").Unique(),
		index.Fields("participation_id", "stage"),
		index.Fields("value_date"),
		index.Fields("reverses_id"),
		index.Fields("reference"),
	}
}

// Hooks of LedgerEntry.
func (LedgerEntry) Hooks() []ent.Hook { return []ent.Hook{appendOnly()} }

// Annotations of LedgerEntry.
func (LedgerEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(ledgerReaders...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entsql.Annotation{Checks: map[string]string{"ledger_entries_amount_positive": "amount > 0"}},
	}
}

// FundingAccount holds the running totals of one participation and the caps
// copied from its programme: the row a posting locks, and the figures that
// make cap checks O(1). It always equals the sum of its entries.
type FundingAccount struct{ ent.Schema }

// Mixin of FundingAccount.
func (FundingAccount) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("FA")}
}

// Fields of FundingAccount.
func (FundingAccount) Fields() []ent.Field {
	return []ent.Field{
		field.String("participation_id").GoType(pulid.ID("")).Immutable().Unique().Annotations(entgql.Skip()),
		money("stage1_paid"),
		money("stage2_paid"),
		money("stage1_cap"),
		money("total_cap"),
		field.Time("updated_at").Annotations(entgql.Skip()),
	}
}

// Edges of FundingAccount.
func (FundingAccount) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("participation", Participation.Type).Ref("funding").Field("participation_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
	}
}

// Annotations of FundingAccount: CHECK constraints are the second line of
// defence behind the ledger's rules.
func (FundingAccount) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(ledgerReaders...),
		entgql.Type("Funding"),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		entsql.Annotation{Checks: map[string]string{
			"funding_stage1_within_cap":  "stage1_paid >= 0 AND stage1_paid <= stage1_cap",
			"funding_stage2_nonnegative": "stage2_paid >= 0",
			"funding_total_within_cap":   "stage1_paid + stage2_paid <= total_cap",
		}},
	}
}
