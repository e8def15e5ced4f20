package app

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/auth"
	"sicherkommunal/ledger"
	"sicherkommunal/store/storetest"
)

// hammer sends `workers` goroutines × `each` random payments (0.01–5,000.00,
// random stage) to the given participations through the given servers, and
// checks that every request either booked or failed with a rule code, that
// the accepted sums equal the funding totals and stay within the caps, and
// that ledger.Verify is clean.
func hammer(t *testing.T, servers []*testServer, token string, pas []string, workers, each int) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (set it in hammer to replay)", seed)
	type sums struct{ s1, s2 decimal.Decimal }
	var (
		mu       sync.Mutex
		accepted = map[string]*sums{}
		codes    = map[string]int{}
		wg       sync.WaitGroup
	)
	for _, pa := range pas {
		accepted[pa] = &sums{}
	}
	ruleCodes := map[string]bool{"CAP_EXCEEDED": true, "NOT_STAGE1_PARTICIPANT": true}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; i < each; i++ {
				pa := pas[rng.IntN(len(pas))]
				stage := "STAGE_1"
				if rng.IntN(3) == 0 {
					stage = "STAGE_2"
				}
				amount := decimal.New(int64(1+rng.IntN(500000)), -2)
				s := servers[rng.IntN(len(servers))]
				r := s.post(t, token, postDisbursement, payment(pa, stage, amount.StringFixed(2), "2026-03-02", fmt.Sprintf("h-%d-%d", w, i)))
				mu.Lock()
				switch {
				case len(r.Errors) == 0 && r.Status == 200:
					if stage == "STAGE_1" {
						accepted[pa].s1 = accepted[pa].s1.Add(amount)
					} else {
						accepted[pa].s2 = accepted[pa].s2.Add(amount)
					}
					codes["ok"]++
				case len(r.Errors) > 0 && ruleCodes[r.Errors[0].Code()]:
					codes[r.Errors[0].Code()]++
				default:
					t.Errorf("request failed with something other than a rule code: %d %s", r.Status, r.Raw)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	t.Logf("outcomes: %v", codes)
	cap1, capTotal := decimal.RequireFromString("16100.00"), decimal.RequireFromString("30000.00")
	for _, pa := range pas {
		f := servers[0].funding(t, token, pa)
		got1, got2 := decimal.RequireFromString(f.Stage1Paid), decimal.RequireFromString(f.Stage2Paid)
		a := accepted[pa]
		if !got1.Equal(a.s1) || !got2.Equal(a.s2) {
			t.Errorf("%s: funding %s/%s, accepted %s/%s", pa, got1, got2, a.s1, a.s2)
		}
		if got1.GreaterThan(cap1) || got1.Add(got2).GreaterThan(capTotal) {
			t.Errorf("%s: caps broken: %s + %s", pa, got1, got2)
		}
	}
	if codes["ok"] == 0 || codes["CAP_EXCEEDED"] == 0 {
		t.Errorf("the hammer did not reach the caps: %v", codes)
	}
	mism, err := ledger.Verify(bg(), servers[0].DB.Client)
	if err != nil || len(mism) != 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}

func TestLedgerConcurrencyOneParticipant(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pa := s.participations(t, 1)
	s.approveStage2(t, mid)
	hammer(t, []*testServer{s}, mid, pa, 64, 4)
}

func TestLedgerConcurrencyManyParticipants(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pas := s.participations(t, 32)
	s.approveStage2(t, mid)
	hammer(t, []*testServer{s}, mid, pas, 64, 6)
}

// TestLedgerConcurrencyTwoProcesses: two server processes share one
// database (the production shape on PostgreSQL); the caps hold across
// processes.
func TestLedgerConcurrencyTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dbURL := storetest.URL(t)
	admin := auth.NewSecret()
	p1 := startProcess(t, dbURL, admin)
	p2 := startProcess(t, dbURL, admin)
	s1, s2 := &testServer{URL: p1.URL, Admin: admin}, &testServer{URL: p2.URL, Admin: admin}
	// A third, in-process view of the same database for setup and Verify.
	local := newTestServerOn(t, dbURL)
	pas := local.participations(t, 4)
	s1.approveStage2(t, admin)
	s1.DB, s2.DB = local.DB, local.DB
	hammer(t, []*testServer{s1, s2}, admin, pas, 32, 6)
}

// TestIdempotencyUnderConcurrency: 16 goroutines send the same key and
// payload at once; exactly one entry is booked and everyone gets its id.
func TestIdempotencyUnderConcurrency(t *testing.T) {
	s := newTestServer(t)
	mid := s.token(t, "MINISTRY", "")
	pa := s.participations(t, 1)[0]
	ids := make([]string, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var d struct{ PostDisbursement struct{ ID string } }
			s.must(t, mid, postDisbursement, payment(pa, "STAGE_1", "1234.56", "2026-03-02", "same-key"), &d)
			ids[i] = d.PostDisbursement.ID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("callers got different entries: %v", ids)
		}
	}
	if n := s.DB.Client.LedgerEntry.Query().CountX(bg()); n != 1 {
		t.Fatalf("%d entries booked", n)
	}
	if f := s.funding(t, mid, pa); f.Stage1Paid != "1234.56" {
		t.Fatalf("funding %+v", f)
	}
}
