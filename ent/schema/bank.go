// Bank statements and their lines, matched against the ledger.

package schema

import (
	"sicherkommunal/ent/schema/pulid"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

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
