package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"sicherkommunal/auth"
	"sicherkommunal/ent/ledgerentry"
	"sicherkommunal/ledger"
	"sicherkommunal/store/storetest"
)

// tryPost is post without t.Fatal: a lost connection is an error.
func tryPost(url, token, query string, vars map[string]any) (gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return gqlResponse{}, err
	}
	out := gqlResponse{Status: res.StatusCode, Raw: string(raw)}
	return out, json.Unmarshal(raw, &out)
}

// TestLedgerSurvivesKill: a server process receiving a stream of payments
// is killed with SIGKILL and restarted. Every acknowledged payment is in
// the ledger; a payment whose answer was lost is there at most once, and
// the client's retry with its idempotency key returns it instead of
// booking again; ledger.Verify is clean.
func TestLedgerSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dbURL := storetest.URL(t)
	admin := auth.NewSecret()
	local := newTestServerOn(t, dbURL)
	pas := local.participations(t, 8)
	p := startProcess(t, dbURL, admin)

	var (
		mu    sync.Mutex
		acked = map[string]string{} // idempotency key → entry id
		lost  []map[string]any
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	const streams = 4
	killAt := int64(40)
	for w := 0; w < streams; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%d-%d", w, i)
				vars := payment(pas[(w+i)%len(pas)], "STAGE_1", "10.00", "2026-03-02", key)
				r, err := tryPost(p.URL, admin, postDisbursement, vars)
				if err != nil { // the answer was lost: the server died
					mu.Lock()
					lost = append(lost, vars)
					mu.Unlock()
					return
				}
				if len(r.Errors) > 0 || r.Status != 200 {
					t.Errorf("payment failed: %s", r.Raw)
					return
				}
				var d struct{ PostDisbursement struct{ ID string } }
				_ = json.Unmarshal(r.Data, &d)
				mu.Lock()
				acked[key] = d.PostDisbursement.ID
				mu.Unlock()
				if n.Add(1) == killAt {
					p.kill()
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("%d payments acknowledged, %d answers lost at the kill", len(acked), len(lost))
	if len(acked) < int(killAt) {
		t.Fatalf("only %d payments before the kill", len(acked))
	}

	p2 := startProcess(t, dbURL, admin)
	ctx := bg()
	c := local.DB.Client
	for key, id := range acked {
		es := c.LedgerEntry.Query().Where(ledgerentry.IdempotencyKey(key)).AllX(ctx)
		if len(es) != 1 || string(es[0].ID) != id {
			t.Fatalf("acknowledged payment %s: %d entries", key, len(es))
		}
	}
	for _, vars := range lost {
		key := vars["in"].(map[string]any)["idempotencyKey"].(string)
		before := c.LedgerEntry.Query().Where(ledgerentry.IdempotencyKey(key)).CountX(ctx)
		if before > 1 {
			t.Fatalf("lost payment %s booked %d times", key, before)
		}
		r, err := tryPost(p2.URL, admin, postDisbursement, vars)
		if err != nil || len(r.Errors) > 0 {
			t.Fatalf("retry of %s: %v %s", key, err, r.Raw)
		}
		if after := c.LedgerEntry.Query().Where(ledgerentry.IdempotencyKey(key)).CountX(ctx); after != 1 {
			t.Fatalf("retry of %s: %d entries (was %d)", key, after, before)
		}
		t.Logf("lost answer %s: %d entry before the retry, 1 after", key, before)
	}
	if mism, err := ledger.Verify(ctx, c); err != nil || len(mism) != 0 {
		t.Fatalf("Verify: %v %v", mism, err)
	}
}
