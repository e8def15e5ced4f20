// Money: the ledger of payments with its funding accounts, and the bank statements and lines
// matched against it.

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

// BankTransaction is one booking line of a bank statement: a payment the
// bank made (debit), a returned payment (credit with the reversal
// indicator) or money received (credit). Matching links it to the ledger
// entry it confirms; it never creates ledger entries.
type BankTransaction struct{ ent.Schema }

// Mixin of BankTransaction.
func (BankTransaction) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("BT")}
}

// Fields of BankTransaction.
func (BankTransaction) Fields() []ent.Field {
	return []ent.Field{
		field.String("import_id").GoType(pulid.ID("")).Immutable(),
		field.String("statement_id").NotEmpty().MaxLen(200).Immutable().
			Comment("account IBAN (when known) and statement identification, e.g. DE…:2026-0042"),
		field.String("line_key").NotEmpty().MaxLen(200).Immutable().
			Comment("the entry's reference in the statement, plus the transaction's position in a batch"),
		field.String("account_iban").Optional().Nillable().Immutable().Comment("the account the statement is for"),
		date("booking_date", entgql.OrderField("BOOKING_DATE")),
		date("value_date", entgql.OrderField("VALUE_DATE")),
		field.Enum("kind").Values("PAYMENT", "RETURN", "CREDIT", "CREDIT_REVERSAL").Immutable().
			Comment("PAYMENT: debit; RETURN: credit with reversal indicator (a payment came back); CREDIT: money received; CREDIT_REVERSAL: debit with reversal indicator").
			Annotations(entgql.OrderField("KIND")),
		money("amount", entgql.OrderField("AMOUNT")),
		field.String("currency").MinLen(3).MaxLen(3).Immutable(),
		field.String("end_to_end_id").Optional().Nillable().MaxLen(200).Immutable(),
		field.String("remittance").Optional().Nillable().MaxLen(1000).Immutable().Comment("unstructured remittance information"),
		field.String("counterparty_name").Optional().Nillable().MaxLen(200).Immutable(),
		field.String("counterparty_iban").Optional().Nillable().MaxLen(34).Immutable(),
		field.String("bank_reference").Optional().Nillable().MaxLen(200).Immutable().Comment("the bank's reference (AcctSvcrRef)"),
		field.Enum("status").Values("MATCHED", "AMBIGUOUS", "UNMATCHED", "AMOUNT_MISMATCH").
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("match_method").Values("REFERENCE", "AMOUNT_IBAN_DATE", "MANUAL").Optional().Nillable(),
		field.String("note").Optional().Nillable().MaxLen(2000).Comment("why the line is not matched, or what differs"),
		field.Bool("manual").Default(false).Comment("set by a person; automatic matching leaves the line alone"),
		field.String("entry_id").GoType(pulid.ID("")).Optional().Nillable(),
		field.String("matched_by").Optional().Nillable(),
		field.Time("matched_at").Optional().Nillable(),
		field.Time("created_at").Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Edges of BankTransaction.
func (BankTransaction) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("import", BankStatementImport.Type).Ref("transactions").Field("import_id").Unique().Required().Immutable(),
		edge.To("entry", LedgerEntry.Type).Field("entry_id").Unique(),
	}
}

// Indexes of BankTransaction: a line is stored once per statement (the
// re-import key), and an entry is confirmed by at most one line of each
// kind (one payment, one return); NULL entry IDs are distinct.
func (BankTransaction) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("statement_id", "line_key").Unique(),
		index.Fields("entry_id", "kind").Unique(),
		index.Fields("status"),
		index.Fields("value_date"),
		index.Fields("end_to_end_id"),
		index.Fields("counterparty_iban"),
	}
}

// Annotations of BankTransaction.
func (BankTransaction) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(finance...),
		entgql.RelayConnection(),
		entgql.QueryField(),
		entsql.Annotation{Checks: map[string]string{"bank_transactions_amount_positive": "amount > 0"}},
	}
}

// BankStatementImport records one upload of a bank statement file: who
// imported it, when, how many of its lines were new, and which of the lines
// it did not add differ from the line stored under the same key. Importing
// the same statement again records an import that added nothing.
type BankStatementImport struct{ ent.Schema }

// Mixin of BankStatementImport.
func (BankStatementImport) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("BS")}
}

// Fields of BankStatementImport.
func (BankStatementImport) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("format").Values("CAMT053", "CSV").Immutable().Annotations(entgql.Type("BankStatementFormat")),
		field.String("message_id").Optional().Nillable().Immutable().
			Comment("camt.053 GrpHdr/MsgId"),
		field.Strings("statement_ids").Immutable().
			Comment("the statements in the file (camt.053 Stmt/Id, CSV statement_id)"),
		field.String("content_sha256").Immutable(),
		field.Int("lines_total").NonNegative().Immutable(),
		field.Int("lines_added").NonNegative().Immutable(),
		// Bank data (amounts, IBANs, remittance texts): read as the lines
		// themselves are.
		field.Strings("differing_lines").Optional().Immutable().
			Comment("Lines of the file that were not added because a line with the same statement and line key is stored, " +
				"but that differ from it: one text per line, naming the statement, the line key and each differing field " +
				"(amount, currency, kind, valueDate, counterpartyIban, endToEndID, remittance) with the stored and the new value, " +
				"e.g. `DE42…:2026-0001 line #3: amount stored 100.00, new 120.00`. Such a line is reported, never stored: " +
				"the stored line stays as it is and keeps its match. At most 100 lines are named; a last text says how many more differ. " +
				"Empty when every line not added equals the stored one; null for imports made before this was recorded.").
			Annotations(readers(finance...)),
		field.String("created_by").Immutable(),
		field.Time("created_at").Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Edges of BankStatementImport.
func (BankStatementImport) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("transactions", BankTransaction.Type).Annotations(entgql.RelayConnection()),
	}
}

// Annotations of BankStatementImport.
func (BankStatementImport) Annotations() []schema.Annotation {
	return []schema.Annotation{
		readers(staff...),
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
