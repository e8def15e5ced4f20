package ledger

import (
	"context"

	"entgo.io/ent/dialect"

	"sicherkommunal/store"
)

// Install adds what the ORM cannot express: database triggers that refuse
// UPDATE and DELETE of ledger entries, as a second line of defence behind
// the append-only hook. It is idempotent and runs after every migration.
func Install(ctx context.Context, db *store.DB) error {
	var stmts []string
	switch db.Dialect {
	case dialect.Postgres:
		stmts = []string{
			`CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only';
END;
$$ LANGUAGE plpgsql`,
			`CREATE OR REPLACE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()`,
		}
	default:
		stmts = []string{
			`CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END`,
			`CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END`,
		}
	}
	for _, s := range stmts {
		if _, err := db.SQL.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
