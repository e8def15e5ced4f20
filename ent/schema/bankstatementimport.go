package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"sicherkommunal/ent/schema/pulid"
)

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
