package ledger_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/auditevent"
	"sicherkommunal/ent/hook"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/participation"
	"sicherkommunal/ent/privacy"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
	"sicherkommunal/ledger"
	"sicherkommunal/programme"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// fixture is a programme with n registered participations and a ledger
// service on the clock now, in Europe/Berlin, that writes the audit trail
// as in production.
func fixture(tb testing.TB, n int, now func() time.Time) (*store.DB, *ledger.Service, []pulid.ID) {
	tb.Helper()
	return fixtureWith(tb, n, now, store.Options{})
}

// fixtureWith is fixture on a store opened with opts.
func fixtureWith(tb testing.TB, n int, now func() time.Time, opts store.Options) (*store.DB, *ledger.Service, []pulid.ID) {
	tb.Helper()
	db := storetest.Open(tb, opts)
	ctx := auth.SystemContext(context.Background())
	db.Client.Use(auth.AuditHook(now))
	if err := ledger.Install(ctx, db); err != nil {
		tb.Fatal(err)
	}
	if err := programme.Seed(ctx, db.Client, db.Dialect); err != nil {
		tb.Fatal(err)
	}
	p := db.Client.Program.Query().OnlyX(ctx)
	var pas []pulid.ID
	for _, m := range db.Client.Municipality.Query().Order(municipality.ByArs()).Limit(n).AllX(ctx) {
		pa, err := (&programme.Service{Now: now}).Register(ctx, db.Client, p.ID, m.ID, types.Date(2026, 1, 5))
		if err != nil {
			tb.Fatal(err)
		}
		pas = append(pas, pa.ID)
	}
	return db, &ledger.Service{Client: db.Client, Dialect: db.Dialect, Now: now, Zone: clock.MustLoadZone("Europe/Berlin")}, pas
}

// batchFixture's clock advances a millisecond at every reading, so that
// the order of events shows in their times.
func batchFixture(t *testing.T) (*store.DB, *ledger.Service, []pulid.ID) {
	var ticks atomic.Int64
	return fixture(t, 3, func() time.Time {
		return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(ticks.Add(1)) * time.Millisecond)
	})
}

func pay(pa pulid.ID, cents int64, key string) ledger.Disbursement {
	return ledger.Disbursement{ParticipationID: pa, Stage: types.Stage1, Amount: decimal.New(cents, -2),
		ValueDate: types.Date(2026, 3, 2), Reference: "KZ-" + key, IdempotencyKey: key}
}

// TestBatchIsolatesRequests: postings written in one transaction are each
// decided on their own, in arrival order, against the running totals; a
// refusal, a privacy denial or a cancelled request concerns only itself,
// and every booked entry is audited with its own request's actor.
func TestBatchIsolatesRequests(t *testing.T) {
	db, svc, pas := batchFixture(t)
	sys := auth.SystemContext(context.Background())
	alice := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkALICE", Name: "Alice (MID)", Role: types.RoleMinistry})
	bob := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkBOB", Name: "Bob (MID)", Role: types.RoleAdmin})
	mid := db.Client.Participation.GetX(sys, pas[2]).MunicipalityID
	kommune := auth.NewContext(context.Background(), &auth.Viewer{TokenID: "tkK", Name: "Kommune", Role: types.RoleMunicipality, MunicipalityID: &mid})
	cancelled, cancel := context.WithCancel(alice)
	cancel()
	inserts := countInserts(db)

	ctxs := []context.Context{alice, bob, alice, kommune, cancelled, bob, alice, alice, bob}
	ds := []ledger.Disbursement{
		pay(pas[0], 1_000_000, "a1"), // booked
		pay(pas[0], 700_000, "b1"),   // exceeds the stage-1 cap after a1: 6,100.00 left
		pay(pas[0], 610_000, "a2"),   // exactly the rest: booked
		pay(pas[2], 100, "k1"),       // the Kommune may not book
		pay(pas[1], 100, "c1"),       // its client gave up
		pay(pas[1], 200, "b2"),       // booked
		pay(pas[0], 1_000_000, "a1"), // same key, same payload: a1's entry
		pay(pas[1], 300, "a1"),       // a1's key, another payload
		pay("PAunknown", 100, "b3"),  // no such participation
	}
	entries, errs := svc.PostTogether(ctxs, ds)
	wantCodes := []string{"", ledger.CodeCapExceeded, "", apperr.Forbidden, "", "", "", ledger.CodeIdempotencyConflict, apperr.NotFound}
	for i, want := range wantCodes {
		got := apperr.CodeOf(errs[i])
		if i == 3 {
			if !errors.Is(errs[i], privacy.Deny) {
				t.Errorf("request %d: %v, want a privacy denial", i, errs[i])
			}
			continue
		}
		if i == 4 {
			if !errors.Is(errs[i], context.Canceled) {
				t.Errorf("request %d: %v, want context.Canceled", i, errs[i])
			}
			continue
		}
		if got != want || (want == "" && errs[i] != nil) {
			t.Errorf("request %d: %v, want %q", i, errs[i], want)
		}
	}
	var capErr *apperr.Error
	if errors.As(errs[1], &capErr) && capErr.Details["remaining"] != "6100.00" {
		t.Errorf("CAP_EXCEEDED remaining %v, want 6100.00", capErr.Details["remaining"])
	}
	// One transaction decided all: nothing was rolled back and retried.
	// (The Kommune's request is denied before any insert.)
	if got := inserts(); got != "KZ-a1 KZ-a2 KZ-b2" {
		t.Errorf("inserts tried: %s, want each booked entry once (no fallback)", got)
	}
	if entries[6] == nil || entries[0] == nil || entries[6].ID != entries[0].ID {
		t.Errorf("the replay returned %v, want a1's entry %v", entries[6], entries[0])
	}

	// The ledger holds exactly a1, a2 and b2.
	got := db.Client.LedgerEntry.Query().Order(ledgerentry.ByIdempotencyKey()).AllX(sys)
	if len(got) != 3 || got[0].IdempotencyKey != "a1" || got[1].IdempotencyKey != "a2" || got[2].IdempotencyKey != "b2" {
		t.Fatalf("ledger holds %v", got)
	}
	for i, want := range []string{"16100.00", "2.00", "0.00"} {
		if f := db.Client.Participation.GetX(sys, pas[i]).QueryFunding().OnlyX(sys); f.Stage1Paid.StringFixed(2) != want {
			t.Errorf("participation %d: stage 1 paid %s, want %s", i, f.Stage1Paid.StringFixed(2), want)
		}
	}
	if pa := db.Client.Participation.GetX(sys, pas[0]); pa.Status != participation.StatusSTAGE1 {
		t.Errorf("status %s, want STAGE1", pa.Status)
	}
	// Each entry is audited once, with its own request's actor, in the
	// order the requests arrived (a1 and a2 share one insert).
	wantActor := map[string]string{"a1": "Alice (MID)", "a2": "Alice (MID)", "b2": "Bob (MID)"}
	at := map[string]time.Time{}
	for _, e := range got {
		evs := db.Client.AuditEvent.Query().Where(auditevent.EntityID(string(e.ID))).AllX(sys)
		if len(evs) != 1 || evs[0].Actor != wantActor[e.IdempotencyKey] || evs[0].Action != auditevent.ActionCREATE {
			t.Errorf("audit of %s: %v, want one CREATE by %s", e.IdempotencyKey, evs, wantActor[e.IdempotencyKey])
			continue
		}
		at[e.IdempotencyKey] = evs[0].At
	}
	if !at["a1"].Before(at["a2"]) {
		t.Errorf("audit times a1 %v, a2 %v: want a1 first", at["a1"], at["a2"])
	}
	if mism, err := ledger.Verify(sys, db.Client); err != nil || len(mism) > 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}

// TestBatchFallsBackAlone: when a batch fails for a reason that is not one
// request's rule (here a failing hook, standing in for a database error),
// nothing of it stays, and every request is posted on its own, so that
// only the failing one fails.
func TestBatchFallsBackAlone(t *testing.T) {
	db, svc, pas := batchFixture(t)
	sys := auth.SystemContext(context.Background())
	inserts := countInserts(db)
	db.Client.LedgerEntry.Use(func(next ent.Mutator) ent.Mutator {
		return hook.LedgerEntryFunc(func(ctx context.Context, m *ent.LedgerEntryMutation) (ent.Value, error) {
			if ref, _ := m.Reference(); ref == "KZ-boom" {
				return nil, errors.New("disk on fire")
			}
			return next.Mutate(ctx, m)
		})
	})
	ds := []ledger.Disbursement{pay(pas[0], 100, "x1"), pay(pas[1], 100, "boom"), pay(pas[0], 200, "x2")}
	ctxs := []context.Context{sys, sys, sys}
	entries, errs := svc.PostTogether(ctxs, ds)
	if errs[0] != nil || errs[2] != nil || entries[0] == nil || entries[2] == nil {
		t.Fatalf("the healthy requests failed: %v", errs)
	}
	if errs[1] == nil || apperr.CodeOf(errs[1]) != "" {
		t.Fatalf("the failing request: %v, want its own internal error", errs[1])
	}
	// x1 was tried in the batch and again alone; x2 never in the batch.
	if got := inserts(); got != "KZ-boom KZ-boom KZ-x1 KZ-x1 KZ-x2" {
		t.Errorf("inserts tried: %s", got)
	}
	if n := db.Client.LedgerEntry.Query().CountX(sys); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	if n := db.Client.AuditEvent.Query().Where(auditevent.EntityType("LedgerEntry")).CountX(sys); n != 2 {
		t.Errorf("%d audit events, want 2 (the rolled-back batch left none)", n)
	}
	if mism, err := ledger.Verify(sys, db.Client); err != nil || len(mism) > 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}

// countInserts records the references of the ledger entries whose insert
// is attempted; the function returns them sorted.
func countInserts(db *store.DB) func() string {
	var (
		mu   sync.Mutex
		refs []string
	)
	db.Client.LedgerEntry.Use(func(next ent.Mutator) ent.Mutator {
		return hook.LedgerEntryFunc(func(ctx context.Context, m *ent.LedgerEntryMutation) (ent.Value, error) {
			if m.Op().Is(ent.OpCreate) {
				ref, _ := m.Reference()
				mu.Lock()
				refs = append(refs, ref)
				mu.Unlock()
			}
			return next.Mutate(ctx, m)
		})
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(slices.Sorted(slices.Values(refs)), " ")
	}
}

// TestBatchCancelledBeforeCommit: a request whose client gives up while
// its batch is being written is not booked behind its back; the others
// are.
func TestBatchCancelledBeforeCommit(t *testing.T) {
	db, svc, pas := batchFixture(t)
	sys := auth.SystemContext(context.Background())
	late, giveUp := context.WithCancel(sys)
	defer giveUp()
	db.Client.LedgerEntry.Use(func(next ent.Mutator) ent.Mutator {
		return hook.LedgerEntryFunc(func(ctx context.Context, m *ent.LedgerEntryMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if ref, _ := m.Reference(); ref == "KZ-late" {
				giveUp() // after its insert, before the commit
			}
			return v, err
		})
	})
	_, errs := svc.PostTogether([]context.Context{sys, late, sys},
		[]ledger.Disbursement{pay(pas[0], 100, "x1"), pay(pas[1], 100, "late"), pay(pas[0], 200, "x2")})
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Fatalf("errors %v; want the late request cancelled and the others booked", errs)
	}
	keys := db.Client.LedgerEntry.Query().Order(ledgerentry.ByIdempotencyKey()).Select(ledgerentry.FieldIdempotencyKey).StringsX(sys)
	if strings.Join(keys, " ") != "x1 x2" {
		t.Fatalf("ledger holds %v, want x1 x2", keys)
	}
}

// TestBatchSurvivesPanic: a panic while writing a batch fails the request
// that caused it, not the process or the other requests.
func TestBatchSurvivesPanic(t *testing.T) {
	db, svc, pas := batchFixture(t)
	sys := auth.SystemContext(context.Background())
	db.Client.LedgerEntry.Use(func(next ent.Mutator) ent.Mutator {
		return hook.LedgerEntryFunc(func(ctx context.Context, m *ent.LedgerEntryMutation) (ent.Value, error) {
			if ref, _ := m.Reference(); ref == "KZ-panic" {
				panic("a bug")
			}
			return next.Mutate(ctx, m)
		})
	})
	ctxs := []context.Context{sys, sys, sys}
	_, errs := svc.PostTogether(ctxs, []ledger.Disbursement{pay(pas[0], 100, "x1"), pay(pas[1], 100, "panic"), pay(pas[2], 200, "x2")})
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "a bug") {
		t.Fatalf("errors %v; want only the panicking request failed", errs)
	}
	// The writer still works.
	if _, err := svc.PostDisbursement(sys, pay(pas[1], 300, "x3")); err != nil {
		t.Fatal(err)
	}
	if n := db.Client.LedgerEntry.Query().CountX(sys); n != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
}

// TestPostingLimits: the schema's length limits are checked before a
// request can join a batch.
func TestPostingLimits(t *testing.T) {
	_, svc, pas := batchFixture(t)
	sys := auth.SystemContext(context.Background())
	long := pay(pas[0], 100, "k1")
	long.Reference = strings.Repeat("R", 141)
	longKey := pay(pas[0], 100, strings.Repeat("k", 201))
	for _, d := range []ledger.Disbursement{long, longKey} {
		if _, err := svc.PostDisbursement(sys, d); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("%d/%d characters: %v, want VALIDATION", len(d.Reference), len(d.IdempotencyKey), err)
		}
	}
	ok := pay(pas[0], 100, strings.Repeat("k", 200))
	ok.Reference = strings.Repeat("R", 140)
	if _, err := svc.PostDisbursement(sys, ok); err != nil {
		t.Fatal(err)
	}
}
