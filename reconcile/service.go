package reconcile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/bankstatementimport"
	"sicherkommunal/ent/banktransaction"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// Service imports statements, matches them and reports. Now is the clock;
// Dialect selects the SQL placeholders.
type Service struct {
	Client  *ent.Client
	Dialect store.Dialect
	Now     func() time.Time
	// Zone is the programme's time zone, from programme.InstallationZone:
	// the day a statement's date-time is in. Without it an import fails.
	Zone *time.Location
}

// Parse reads a statement file of the given format from memory; the days
// of its date-times are those in loc, the programme's time zone.
// Errors: INVALID_STATEMENT, INVALID_AMOUNT, VALIDATION (unknown format);
// without loc an error without a code.
func Parse(format bankstatementimport.Format, content []byte, loc *time.Location) (*File, error) {
	return ParseReader(format, bytes.NewReader(content), loc)
}

// ParseReader reads a statement file of the given format from r: camt.053
// as a stream (ParseCAMT053Reader, at most 64 MiB), CSV (ParseCSVReader,
// at most 16 MiB); the days of its date-times are those in loc, the
// programme's time zone.
// Errors: INVALID_STATEMENT, INVALID_AMOUNT, VALIDATION (unknown format);
// an error of r is returned wrapped, without a code, and so is a nil loc.
func ParseReader(format bankstatementimport.Format, r io.Reader, loc *time.Location) (*File, error) {
	if err := checkZone(loc); err != nil {
		return nil, err
	}
	switch format {
	case bankstatementimport.FormatCAMT053:
		return ParseCAMT053Reader(r, loc)
	case bankstatementimport.FormatCSV:
		return ParseCSVReader(r, loc)
	}
	return nil, apperr.New(apperr.Validation, "unknown statement format %q", format)
}

// Import is ImportReader on a file held in memory.
func (s *Service) Import(ctx context.Context, format bankstatementimport.Format, content []byte) (*ent.BankStatementImport, error) {
	return s.ImportReader(ctx, format, bytes.NewReader(content))
}

// ImportReader reads a statement from r (to its end; the import records
// the SHA-256 of what was read) and then stores its new lines, all in one
// transaction: a file that cannot be read changes nothing, and no
// transaction is open while r is read. Lines already stored (same
// statement id and line key) are not added, so importing the same
// statement twice adds no line; those among them that differ from the
// stored line (amount, currency, kind, value date, counterparty IBAN,
// end-to-end id, remittance) are named in the import's differingLines, and
// the stored line stays as it is. The new lines, and the older lines still
// open (UNMATCHED or AMBIGUOUS, not set by a person), are matched against
// the ledger. The import itself is recorded with its counts. The days of
// the statement's date-times are those in the service's Zone.
// Errors: INVALID_STATEMENT, INVALID_AMOUNT, VALIDATION; an error of r is
// returned wrapped, without a code, and so is a service without Zone.
func (s *Service) ImportReader(ctx context.Context, format bankstatementimport.Format, r io.Reader) (*ent.BankStatementImport, error) {
	h := sha256.New()
	f, err := ParseReader(format, io.TeeReader(r, h), s.Zone)
	if err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	var out *ent.BankStatementImport
	err = store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		imp, err := s.importFile(ctx, c, format, f, sum)
		if err != nil {
			return err
		}
		out = imp
		return nil
	})
	return unwrapOutside(ctx, out, err)
}

// importFile is one attempt of an import inside its transaction:
// everything it reads (stored lines, ledger, slots) is read again on a
// retry, so the retry decides on fresh data.
func (s *Service) importFile(ctx context.Context, c *ent.Client, format bankstatementimport.Format, f *File, sum string) (*ent.BankStatementImport, error) {
	now := s.Now()
	stored, err := s.storedLines(ctx, c, f.StatementIDs)
	if err != nil {
		return nil, err
	}
	fresh, differing := newLines(f.Lines, stored)
	imp, err := recordImport(ctx, c, format, f, sum, len(fresh), differing, now)
	if err != nil {
		return nil, err
	}
	older, err := openOlderLines(ctx, c)
	if err != nil {
		return nil, err
	}
	m, err := s.loadMatcher(ctx, c)
	if err != nil {
		return nil, err
	}
	decisions := m.run(openLines(older, fresh), lineLabels(older, fresh))
	if err := updateOlderLines(ctx, c, older, decisions[:len(older)], now); err != nil {
		return nil, err
	}
	if err := createLines(ctx, c, imp.ID, fresh, decisions[len(older):], now); err != nil {
		return nil, err
	}
	return imp, nil
}

// newLines splits the file's lines into those not stored yet (fresh, in
// file order) and the differences of those stored already: a line sent
// again is never added twice, but what changed in it is named.
func newLines(lines []Line, stored map[[2]string]*ent.BankTransaction) ([]Line, *differences) {
	var fresh []Line
	differing := &differences{}
	for i := range lines {
		l := &lines[i]
		old, ok := stored[[2]string{l.StatementID, l.LineKey}]
		if !ok {
			fresh = append(fresh, *l)
			continue
		}
		differing.compare(old, l)
	}
	return fresh, differing
}

// recordImport stores the import itself before its lines: they refer to
// it, and its counts and differing lines are known before matching.
func recordImport(ctx context.Context, c *ent.Client, format bankstatementimport.Format, f *File, sum string,
	added int, differing *differences, now time.Time) (*ent.BankStatementImport, error) {
	create := c.BankStatementImport.Create().SetFormat(format).SetStatementIds(f.StatementIDs).
		SetContentSha256(sum).
		SetLinesTotal(len(f.Lines)).SetLinesAdded(added).SetDifferingLines(differing.list()).
		SetCreatedBy(auth.Actor(ctx)).SetCreatedAt(now)
	if f.MessageID != "" {
		create.SetMessageID(f.MessageID)
	}
	return create.Save(ctx)
}

// openOlderLines are the stored lines that automatic matching may still
// decide about (UNMATCHED or AMBIGUOUS, in EUR, not set by a person),
// oldest first: every import gives them another chance, as the ledger may
// have their entry now.
func openOlderLines(ctx context.Context, c *ent.Client) ([]*ent.BankTransaction, error) {
	return c.BankTransaction.Query().Where(
		banktransaction.StatusIn(banktransaction.StatusUNMATCHED, banktransaction.StatusAMBIGUOUS),
		banktransaction.Manual(false), banktransaction.Currency("EUR"),
	).Order(ent.Asc(banktransaction.FieldValueDate), ent.Asc(banktransaction.FieldID)).All(ctx)
}

// openLines are what the matcher decides about, the older lines first
// and then the fresh ones: decisions come back in this order.
func openLines(older []*ent.BankTransaction, fresh []Line) []*openLine {
	lines := make([]*openLine, 0, len(older)+len(fresh))
	for _, bt := range older {
		lines = append(lines, &openLine{Kind: bt.Kind, Amount: bt.Amount, Currency: bt.Currency, ValueDate: bt.ValueDate,
			EndToEndID: deref(bt.EndToEndID), Remittance: deref(bt.Remittance), CounterpartyIBAN: deref(bt.CounterpartyIban)})
	}
	for i := range fresh {
		l := &fresh[i]
		lines = append(lines, &openLine{Kind: l.Kind(), Amount: l.Amount, Currency: l.Currency, ValueDate: l.ValueDate,
			EndToEndID: l.EndToEndID, Remittance: l.Remittance, CounterpartyIBAN: l.CounterpartyIBAN})
	}
	return lines
}

// lineLabels names the i-th line of openLines in the matcher's notes
// (a double booking names the line holding the entry): a stored line by
// its ID, a fresh one, without an ID yet, by its statement and key.
func lineLabels(older []*ent.BankTransaction, fresh []Line) func(i int) string {
	return func(i int) string {
		if i < len(older) {
			return "bank transaction " + string(older[i].ID)
		}
		l := fresh[i-len(older)]
		return fmt.Sprintf("line %s of statement %s", l.LineKey, l.StatementID)
	}
}

// matchedBy is when and by whom a decision linked its line: now and
// "automatic" when it links an entry, nothing otherwise (an unmatched
// line keeps no match time).
func (d decision) matchedBy(now time.Time) (*time.Time, *string) {
	if d.EntryID == nil {
		return nil, nil
	}
	by := "automatic"
	return &now, &by
}

// updateOlderLines writes the new decisions about older lines, skipping
// those whose status and note stay as they are (most of them, on most
// imports).
func updateOlderLines(ctx context.Context, c *ent.Client, older []*ent.BankTransaction, decisions []decision, now time.Time) error {
	for i, bt := range older {
		d := decisions[i]
		if d.Status == bt.Status && deref(bt.Note) == d.Note {
			continue
		}
		at, by := d.matchedBy(now)
		u := c.BankTransaction.UpdateOne(bt).SetStatus(d.Status).SetNillableEntryID(d.EntryID).
			SetNillableMatchMethod(d.Method).SetNillableMatchedAt(at).SetNillableMatchedBy(by)
		if err := setNote(u, d.Note).Exec(ctx); err != nil {
			return conflictRetry(err)
		}
	}
	return nil
}

// createChunk is how many lines one INSERT stores: a statement of
// thousands of lines takes a few statements, and each keeps its bound
// parameters (some 20 a line) far below what SQLite and PostgreSQL allow.
const createChunk = 200

// createLines stores the fresh lines of import imp with their decisions,
// createChunk lines per statement.
func createLines(ctx context.Context, c *ent.Client, imp pulid.ID, fresh []Line, decisions []decision, now time.Time) error {
	for start := 0; start < len(fresh); start += createChunk {
		end := min(start+createChunk, len(fresh))
		builders := make([]*ent.BankTransactionCreate, 0, end-start)
		for i := start; i < end; i++ {
			builders = append(builders, lineCreate(c, imp, &fresh[i], decisions[i], now))
		}
		if err := c.BankTransaction.CreateBulk(builders...).Exec(ctx); err != nil {
			return conflictRetry(err)
		}
	}
	return nil
}

// lineCreate is the builder of one fresh line as parsed, with the
// matcher's decision about it.
func lineCreate(c *ent.Client, imp pulid.ID, l *Line, d decision, now time.Time) *ent.BankTransactionCreate {
	at, by := d.matchedBy(now)
	return c.BankTransaction.Create().SetImportID(imp).
		SetStatementID(l.StatementID).SetLineKey(l.LineKey).SetNillableAccountIban(nilIfEmpty(l.AccountIBAN)).
		SetBookingDate(l.BookingDate).SetValueDate(l.ValueDate).SetKind(l.Kind()).
		SetAmount(l.Amount).SetCurrency(l.Currency).
		SetNillableEndToEndID(nilIfEmpty(l.EndToEndID)).SetNillableRemittance(nilIfEmpty(l.Remittance)).
		SetNillableCounterpartyName(nilIfEmpty(l.CounterpartyName)).SetNillableCounterpartyIban(nilIfEmpty(l.CounterpartyIBAN)).
		SetNillableBankReference(nilIfEmpty(l.BankReference)).
		SetStatus(d.Status).SetNillableEntryID(d.EntryID).SetNillableMatchMethod(d.Method).
		SetNillableNote(nilIfEmpty(d.Note)).SetCreatedAt(now).
		SetNillableMatchedAt(at).SetNillableMatchedBy(by)
}

// unwrapOutside returns what a service function's transaction made. Made
// in a transaction of its own (none in ctx), an entity is unwrapped from
// that transaction, now closed, so that later queries through it (its
// edges) run on the client; made in the caller's transaction, it stays
// bound to that one.
func unwrapOutside[T interface{ Unwrap() T }](ctx context.Context, out T, err error) (T, error) {
	if err == nil && ent.TxFromContext(ctx) == nil {
		out = out.Unwrap()
	}
	return out, err
}

// notFound is err, or NOT_FOUND naming what was looked up when err says
// the row does not exist.
func notFound(err error, what string, id pulid.ID) error {
	if ent.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "%s %s not found", what, id)
	}
	return err
}

// eachRow runs a raw query through the ent client (in the transaction
// when c is a transaction's) and calls scan on every row. The rows are
// always closed; an error of scan, of the iteration or of closing is
// returned.
func eachRow(ctx context.Context, c *ent.Client, query string, args []any, scan func(*sql.Rows) error) error {
	rs, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	return rs.Close()
}

// conflictRetry turns a unique violation (a concurrent import of the same
// lines, or a concurrent match of the same entry) into a retry of the whole
// transaction: the retry's fresh reads decide.
func conflictRetry(err error) error {
	if ent.IsConstraintError(err) {
		return fmt.Errorf("%w: %v", store.ErrRetry, err)
	}
	return err
}

// storedLines returns the stored lines of the statements by (statement
// id, line key), with the fields a re-sent line is compared by.
func (s *Service) storedLines(ctx context.Context, c *ent.Client, statementIDs []string) (map[[2]string]*ent.BankTransaction, error) {
	out := map[[2]string]*ent.BankTransaction{}
	if len(statementIDs) == 0 {
		return out, nil
	}
	rows, err := c.BankTransaction.Query().Where(banktransaction.StatementIDIn(statementIDs...)).
		Select(comparedFields...).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[[2]string{r.StatementID, r.LineKey}] = r
	}
	return out, nil
}

// candidatesSQL loads every ledger entry with its Kommune's IBAN in one
// statement: the programme's ledger has a few entries per participation.
const candidatesSQL = `SELECT le.id, le.participation_id, le.kind, le.amount, le.value_date, le.reference, COALESCE(m.iban, '')
FROM ledger_entries le
JOIN participations p ON p.id = le.participation_id
JOIN municipalities m ON m.id = p.municipality_id`

// takenSQL lists the slots already held: which entry is confirmed by a
// line of which kind.
const takenSQL = `SELECT entry_id, kind, id FROM bank_transactions WHERE entry_id IS NOT NULL`

// loadMatcher reads what automatic matching decides by, in two
// statements: every ledger entry with its Kommune's IBAN (candidatesSQL)
// and the slots already held (takenSQL).
func (s *Service) loadMatcher(ctx context.Context, c *ent.Client) (*matcher, error) {
	var cands []*candidate
	err := eachRow(ctx, c, candidatesSQL, nil, func(rows *sql.Rows) error {
		var (
			cd          candidate
			id, pid, kd string
			cents       int64
		)
		if err := rows.Scan(&id, &pid, &kd, &cents, &cd.ValueDate, &cd.Reference, &cd.IBAN); err != nil {
			return err
		}
		cd.ID, cd.ParticipationID, cd.Kind, cd.Amount = pulid.ID(id), pulid.ID(pid), ledgerentry.Kind(kd), decimal.New(cents, -2)
		cd.ValueDate = types.NormalizeDate(cd.ValueDate)
		cands = append(cands, &cd)
		return nil
	})
	if err != nil {
		return nil, err
	}
	taken := map[slot]string{}
	err = eachRow(ctx, c, takenSQL, nil, func(rows *sql.Rows) error {
		var entry, kind, id string
		if err := rows.Scan(&entry, &kind, &id); err != nil {
			return err
		}
		taken[slot{pulid.ID(entry), banktransaction.Kind(kind)}] = "bank transaction " + id
		return nil
	})
	if err != nil {
		return nil, err
	}
	return newMatcher(cands, taken), nil
}

// Match links a bank transaction to a ledger entry by hand: MATCHED when
// the amounts agree, AMOUNT_MISMATCH otherwise. Automatic matching leaves
// the line alone from then on.
// Errors: NOT_FOUND, VALIDATION (wrong currency or kind of entry), CONFLICT
// (the entry is confirmed by another line of the same kind).
func (s *Service) Match(ctx context.Context, id, entryID pulid.ID) (*ent.BankTransaction, error) {
	var out *ent.BankTransaction
	err := store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		bt, err := c.BankTransaction.Get(ctx, id)
		if err != nil {
			return notFound(err, "bank transaction", id)
		}
		e, err := c.LedgerEntry.Get(ctx, entryID)
		if err != nil {
			return notFound(err, "ledger entry", entryID)
		}
		if err := checkManualMatch(ctx, c, bt, e); err != nil {
			return err
		}
		st, note := banktransaction.StatusMATCHED, ""
		if !bt.Amount.Equal(e.Amount) {
			st = banktransaction.StatusAMOUNT_MISMATCH
			note = fmt.Sprintf("the bank booked %s, the ledger entry says %s", bt.Amount.StringFixed(2), e.Amount.StringFixed(2))
		}
		u := s.byHand(ctx, c.BankTransaction.UpdateOne(bt).SetStatus(st).SetEntryID(e.ID))
		out, err = setNote(u, note).Save(ctx)
		return conflictRetry(err)
	})
	return unwrapOutside(ctx, out, err)
}

// checkManualMatch holds a person to the rules the matcher keeps: a EUR
// line, an entry of the kind the line's kind confirms, and the entry's
// slot for that kind not held by another line (which must be unmatched
// first, so that no entry is confirmed twice).
func checkManualMatch(ctx context.Context, c *ent.Client, bt *ent.BankTransaction, e *ent.LedgerEntry) error {
	if bt.Currency != "EUR" {
		return apperr.New(apperr.Validation, "a %s line cannot confirm a EUR ledger entry", bt.Currency)
	}
	want, ok := wantedKind(bt.Kind)
	if !ok {
		return apperr.New(apperr.Validation, "a %s line confirms no ledger entry", bt.Kind)
	}
	if e.Kind != want {
		return apperr.New(apperr.Validation, "a %s line confirms a %s entry; %s is a %s", bt.Kind, want, e.ID, e.Kind)
	}
	other, err := c.BankTransaction.Query().Where(banktransaction.EntryID(e.ID), banktransaction.KindEQ(bt.Kind),
		banktransaction.IDNEQ(bt.ID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	if other != nil {
		return apperr.New(apperr.Conflict, "entry %s is already confirmed by bank transaction %s; unmatch that first", e.ID, other.ID).
			With("bankTransactionID", string(other.ID))
	}
	return nil
}

// Unmatch removes the link of a bank transaction: it becomes UNMATCHED and
// automatic matching leaves it alone.
// Errors: NOT_FOUND.
func (s *Service) Unmatch(ctx context.Context, id pulid.ID) (*ent.BankTransaction, error) {
	var out *ent.BankTransaction
	err := store.InTx(ctx, s.Client, func(ctx context.Context, c *ent.Client) error {
		bt, err := c.BankTransaction.Get(ctx, id)
		if err != nil {
			return notFound(err, "bank transaction", id)
		}
		u := s.byHand(ctx, c.BankTransaction.UpdateOne(bt).SetStatus(banktransaction.StatusUNMATCHED).ClearEntryID())
		out, err = setNote(u, "unmatched by hand").Save(ctx)
		return err
	})
	return unwrapOutside(ctx, out, err)
}

// byHand marks an update as a person's decision (MANUAL, by the viewer,
// now): automatic matching never changes such a line again.
func (s *Service) byHand(ctx context.Context, u *ent.BankTransactionUpdateOne) *ent.BankTransactionUpdateOne {
	return u.SetMatchMethod(banktransaction.MatchMethodMANUAL).SetManual(true).
		SetMatchedBy(auth.Actor(ctx)).SetMatchedAt(s.Now())
}

// setNote sets the line's note, or clears it when there is none: a note
// left from an earlier decision would explain the wrong one.
func setNote(u *ent.BankTransactionUpdateOne, note string) *ent.BankTransactionUpdateOne {
	if note == "" {
		return u.ClearNote()
	}
	return u.SetNote(note)
}

// Overdue returns the bank debits (payments) still not linked to a ledger
// entry — UNMATCHED or AMBIGUOUS — whose booking date is more than n
// banking days before asOf, oldest first, in one query. It is what the
// monitoring job "unmatched-payments" raises PAYMENT_UNMATCHED flags for.
func (s *Service) Overdue(ctx context.Context, asOf time.Time, n int) ([]*ent.BankTransaction, error) {
	// Booked on or before the cutoff: more than n banking days passed.
	cutoff := AddBankingDays(types.NormalizeDate(asOf), -n)
	if IsBankingDay(cutoff) {
		cutoff = cutoff.AddDate(0, 0, -1)
	}
	return s.Client.BankTransaction.Query().Where(
		banktransaction.KindEQ(banktransaction.KindPAYMENT),
		banktransaction.StatusIn(banktransaction.StatusUNMATCHED, banktransaction.StatusAMBIGUOUS),
		banktransaction.BookingDateLTE(cutoff),
	).Order(ent.Asc(banktransaction.FieldBookingDate), ent.Asc(banktransaction.FieldID)).All(ctx)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
