package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ledger"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

func capsClock() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// setCaps changes the programme's caps in a transaction of its own, as
// the updateProgram mutation does in the mutation's transaction.
func setCaps(ctx context.Context, db *store.DB, programID pulid.ID, stage1, total string) error {
	return store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error {
		u := c.Program.UpdateOneID(programID)
		if stage1 != "" {
			u.SetStage1Amount(decimal.RequireFromString(stage1))
		}
		if total != "" {
			u.SetTotalCap(decimal.RequireFromString(total))
		}
		return u.Exec(ctx)
	})
}

// accountCaps returns "stage1Cap/totalCap" of each participation's
// funding account.
func accountCaps(t *testing.T, db *store.DB, pas []pulid.ID) []string {
	t.Helper()
	ctx := auth.SystemContext(context.Background())
	var out []string
	for _, pa := range pas {
		f := db.Client.Participation.GetX(ctx, pa).QueryFunding().OnlyX(ctx)
		out = append(out, f.Stage1Cap.StringFixed(2)+"/"+f.TotalCap.StringFixed(2))
	}
	return out
}

var (
	updatePrograms = regexp.MustCompile("^UPDATE [`\"]?programs[`\"]? ")
	updateAccounts = regexp.MustCompile("^UPDATE [`\"]?funding_accounts[`\"]? ")
)

// TestCapChangeLocksAccountsFirst: a cap change locks the programme's
// funding accounts (in participation order, FOR UPDATE on PostgreSQL)
// before it updates the programme row, the order postings rely on, then
// rewrites the caps of every account; a second Install does not do it
// twice, and an update that leaves the caps alone does not touch the
// accounts.
func TestCapChangeLocksAccountsFirst(t *testing.T) {
	rec := &storetest.Counter{}
	db, svc, pas := fixtureWith(t, 3, capsClock, store.Options{Wrap: rec.Wrap})
	ctx := auth.SystemContext(context.Background())
	if err := ledger.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostDisbursement(ctx, pay(pas[0], 900_000, "p1")); err != nil {
		t.Fatal(err)
	}
	p := db.Client.Program.Query().OnlyX(ctx)

	rec.Record()
	if err := setCaps(ctx, db, p.ID, "17000.00", "31000.00"); err != nil {
		t.Fatal(err)
	}
	stmts := rec.Recorded()
	lock, programs, accounts := -1, -1, -1
	for i, q := range stmts {
		switch {
		case strings.HasPrefix(q, "SELECT") && strings.Contains(q, "funding_accounts"):
			if lock >= 0 {
				t.Errorf("accounts read twice:\n%s", strings.Join(stmts, "\n"))
			}
			lock = i
			if db.Dialect.IsPostgres() && !strings.Contains(q, "FOR UPDATE") {
				t.Errorf("the accounts are read without a lock: %s", q)
			}
			if !strings.Contains(q, "ORDER BY fa.participation_id") {
				t.Errorf("the accounts are not locked in participation order: %s", q)
			}
		case updatePrograms.MatchString(q):
			programs = i
		case updateAccounts.MatchString(q):
			if accounts >= 0 {
				t.Errorf("caps rewritten twice:\n%s", strings.Join(stmts, "\n"))
			}
			accounts = i
		}
	}
	if lock < 0 || programs < 0 || accounts < 0 || lock > programs {
		t.Fatalf("lock %d, programme update %d, accounts update %d; want the lock before the programme:\n%s",
			lock, programs, accounts, strings.Join(stmts, "\n"))
	}
	for i, got := range accountCaps(t, db, pas) {
		if got != "17000.00/31000.00" {
			t.Errorf("participation %d: caps %s, want 17000.00/31000.00", i, got)
		}
	}

	rec.Record()
	if err := store.InTx(ctx, db.Client, func(ctx context.Context, c *ent.Client) error {
		return c.Program.UpdateOneID(p.ID).SetName("SicherKOMMUNAL II").Exec(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range rec.Recorded() {
		if strings.Contains(q, "funding_accounts") {
			t.Errorf("a rename touched the accounts: %s", q)
		}
	}
}

// TestCapChangeBelowPaid: caps below what was paid are refused with
// VALIDATION, and nothing changes; caps at what was paid are taken, and
// the next postings are checked against them. The programme's own
// validation and its privacy policy come first.
func TestCapChangeBelowPaid(t *testing.T) {
	db, svc, pas := fixture(t, 2, capsClock)
	ctx := auth.SystemContext(context.Background())
	if _, err := svc.PostDisbursement(ctx, pay(pas[0], 900_000, "p1")); err != nil {
		t.Fatal(err)
	}
	p := db.Client.Program.Query().OnlyX(ctx)

	err := setCaps(ctx, db, p.ID, "8999.99", "")
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Validation ||
		ae.Message != "some participants were already paid more than the new caps allow" {
		t.Fatalf("caps below what was paid: %v", err)
	}
	if got := fmt.Sprint(accountCaps(t, db, pas)); got != "[16100.00/30000.00 16100.00/30000.00]" {
		t.Fatalf("caps after the refusal: %s", got)
	}
	if q := db.Client.Program.GetX(ctx, p.ID); q.Stage1Amount.StringFixed(2) != "16100.00" {
		t.Fatalf("programme after the refusal: %s", q.Stage1Amount)
	}

	// The programme's own rules first.
	err = setCaps(ctx, db, p.ID, "", "100.00")
	if !errors.As(err, &ae) || ae.Code != apperr.Validation || !strings.HasPrefix(ae.Message, "totalCap 100.00 must be at least") {
		t.Fatalf("total cap below stage 1: %v", err)
	}
	kommune := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkK", Name: "Kommune", Role: types.RoleMunicipality})
	if err := setCaps(kommune, db, p.ID, "1.00", ""); !errors.Is(err, privacy.Deny) {
		t.Fatalf("a Kommune changing the caps: %v, want a privacy denial", err)
	}

	if err := setCaps(ctx, db, p.ID, "9000.00", "20000.00"); err != nil {
		t.Fatalf("caps at what was paid: %v", err)
	}
	if got := fmt.Sprint(accountCaps(t, db, pas)); got != "[9000.00/20000.00 9000.00/20000.00]" {
		t.Fatalf("caps after the change: %s", got)
	}
	if _, err := svc.PostDisbursement(ctx, pay(pas[0], 1, "p2")); apperr.CodeOf(err) != ledger.CodeCapExceeded {
		t.Errorf("one cent above the new cap: %v, want CAP_EXCEEDED", err)
	}
	if _, err := svc.PostDisbursement(ctx, pay(pas[1], 900_001, "p3")); apperr.CodeOf(err) != ledger.CodeInvalidAmount {
		t.Errorf("above the new stage-1 cap on its own: %v, want INVALID_AMOUNT", err)
	}
	if _, err := svc.PostDisbursement(ctx, pay(pas[1], 900_000, "p4")); err != nil {
		t.Errorf("at the new stage-1 cap: %v", err)
	}
}
