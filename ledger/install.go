package ledger

import (
	"context"

	"entgo.io/ent/dialect"

	"sicherkommunal/store"
)

// installTriggers installs the triggers described at Install: the
// totals trigger and the append-only triggers of ledger entries.
func installTriggers(ctx context.Context, db *store.DB) error {
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
			`CREATE OR REPLACE FUNCTION ledger_entries_totals() RETURNS trigger AS $$
DECLARE
  delta bigint := CASE WHEN NEW.kind = 'DISBURSEMENT' THEN NEW.amount ELSE -NEW.amount END;
BEGIN
  UPDATE funding_accounts SET
    stage1_paid = stage1_paid + CASE WHEN NEW.stage = 'STAGE_1' THEN delta ELSE 0 END,
    stage2_paid = stage2_paid + CASE WHEN NEW.stage = 'STAGE_2' THEN delta ELSE 0 END,
    updated_at = NEW.created_at
  WHERE participation_id = NEW.participation_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no funding account for participation %', NEW.participation_id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql`,
			`CREATE OR REPLACE TRIGGER ledger_entries_totals AFTER INSERT ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entries_totals()`,
		}
	default:
		stmts = []string{
			`CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END`,
			`CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END`,
			`CREATE TRIGGER IF NOT EXISTS ledger_entries_totals AFTER INSERT ON ledger_entries
BEGIN
  SELECT RAISE(ABORT, 'no funding account for the participation')
    WHERE NOT EXISTS (SELECT 1 FROM funding_accounts WHERE participation_id = NEW.participation_id);
  UPDATE funding_accounts SET
    stage1_paid = stage1_paid + CASE WHEN NEW.stage = 'STAGE_1' THEN (CASE WHEN NEW.kind = 'DISBURSEMENT' THEN NEW.amount ELSE -NEW.amount END) ELSE 0 END,
    stage2_paid = stage2_paid + CASE WHEN NEW.stage = 'STAGE_2' THEN (CASE WHEN NEW.kind = 'DISBURSEMENT' THEN NEW.amount ELSE -NEW.amount END) ELSE 0 END,
    updated_at = NEW.created_at
  WHERE participation_id = NEW.participation_id;
END`,
		}
	}
	for _, s := range stmts {
		if _, err := db.SQL.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
