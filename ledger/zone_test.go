package ledger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
	"sicherkommunal/ledger"
)

// lateEvening is 23:30 UTC on 2 March 2026: already 3 March in Berlin
// (00:30), still 2 March in New York (18:30).
var lateEvening = time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)

// zoneDays are the zones of the tests and the day lateEvening is there.
var zoneDays = []struct {
	zone  *time.Location
	today time.Time
}{
	{clock.MustLoadZone("Europe/Berlin"), types.Date(2026, 3, 3)},
	{clock.MustLoadZone("America/New_York"), types.Date(2026, 3, 2)},
}

// TestReversalValueDateInZone: a reversal's value date is today in the
// service's Zone, not in UTC.
func TestReversalValueDateInZone(t *testing.T) {
	for _, c := range zoneDays {
		_, svc, pas := fixture(t, 1, func() time.Time { return lateEvening })
		svc.Zone = c.zone
		ctx := auth.SystemContext(context.Background())
		orig, err := svc.PostDisbursement(ctx, pay(pas[0], 100000, "zone-pay"))
		if err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		rev, err := svc.ReverseDisbursement(ctx, ledger.Reversal{EntryID: orig.ID, Reason: "test", IdempotencyKey: "zone-rev"})
		if err != nil {
			t.Fatalf("%s: %v", c.zone, err)
		}
		if got := types.NormalizeDate(rev.ValueDate); !got.Equal(c.today) {
			t.Errorf("%s: reversal on %s, want %s", c.zone, got.Format(time.DateOnly), c.today.Format(time.DateOnly))
		}
	}
}

// TestApproveStage2TodayInZone: stage 2 can be approved on today in the
// service's Zone, and not on the day after.
func TestApproveStage2TodayInZone(t *testing.T) {
	for _, c := range zoneDays {
		for _, on := range []time.Time{c.today.AddDate(0, 0, 1), c.today} {
			db, svc, _ := fixture(t, 1, func() time.Time { return lateEvening })
			svc.Zone = c.zone
			ctx := auth.SystemContext(context.Background())
			p := db.Client.Program.Query().OnlyX(ctx)
			_, err := svc.ApproveStage2(ctx, p.ID, on, "LA 1")
			if future := on.After(c.today); future {
				if apperr.CodeOf(err) != apperr.Validation || !strings.Contains(err.Error(), "in the future") {
					t.Errorf("%s: approval on %s: %v, want VALIDATION (in the future)", c.zone, on.Format(time.DateOnly), err)
				}
			} else if err != nil {
				t.Errorf("%s: approval on %s: %v", c.zone, on.Format(time.DateOnly), err)
			}
		}
	}
}

// TestNoZone: a service without Zone refuses what needs today's date with
// an error naming the missing zone (no code: it is the wiring's mistake,
// not the caller's), and books nothing.
func TestNoZone(t *testing.T) {
	db, svc, pas := fixture(t, 1, func() time.Time { return lateEvening })
	ctx := auth.SystemContext(context.Background())
	orig, err := svc.PostDisbursement(ctx, pay(pas[0], 100000, "zone-pay"))
	if err != nil {
		t.Fatal(err)
	}
	svc.Zone = nil
	_, err = svc.ReverseDisbursement(ctx, ledger.Reversal{EntryID: orig.ID, Reason: "test", IdempotencyKey: "zone-rev"})
	if err == nil || apperr.CodeOf(err) != "" || !strings.Contains(err.Error(), "Zone") {
		t.Errorf("reversal without Zone: %v", err)
	}
	p := db.Client.Program.Query().OnlyX(ctx)
	_, err = svc.ApproveStage2(ctx, p.ID, types.Date(2026, 3, 2), "LA 1")
	if err == nil || apperr.CodeOf(err) != "" || !strings.Contains(err.Error(), "Zone") {
		t.Errorf("approval without Zone: %v", err)
	}
	if n := db.Client.LedgerEntry.Query().CountX(ctx); n != 1 {
		t.Errorf("%d ledger entries, want the disbursement only", n)
	}
	if p := db.Client.Program.Query().OnlyX(ctx); p.Stage2ApprovedOn != nil {
		t.Errorf("stage 2 approved on %v without Zone", p.Stage2ApprovedOn)
	}
}
