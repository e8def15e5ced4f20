package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"sicherkommunal/auth"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/ledger"
	"sicherkommunal/store"
)

const posters = 16

// BenchmarkPostDisbursement measures postings/s with 16 concurrent posters
// (on distinct participants, and all on one) and, in the same run on the
// same database, the raw single-row insert-and-commit/s with 16 concurrent
// writers: the floor any durable posting pays. It reports their ratio.
// Postings are written as in production, with the audit trail; the
// "unbatched" variants post every payment in a transaction of its own.
// On SQLite: go test -bench PostDisbursement ./ledger; on PostgreSQL set
// SK_TEST_POSTGRES_URL.
func BenchmarkPostDisbursement(b *testing.B) {
	for _, name := range []string{"distinct", "one", "distinct-unbatched", "one-unbatched"} {
		mode, unbatched := strings.CutSuffix(name, "-unbatched")
		b.Run(name, func(b *testing.B) {
			now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
			db, svc, pas := fixture(b, posters, now)
			svc.Unbatched = unbatched
			ctx := auth.SystemContext(context.Background())
			raw := rawCommitsPerSecond(b, db, max(b.N, 200))

			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < posters; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						pa := pas[w]
						if mode == "one" {
							pa = pas[0]
						}
						_, err := svc.PostDisbursement(ctx, ledger.Disbursement{
							ParticipationID: pa, Stage: types.Stage1, Amount: decimal.New(1, -2),
							ValueDate: types.Date(2026, 3, 1), Reference: "bench", IdempotencyKey: fmt.Sprintf("b%d-%d", w, i),
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			postings := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(postings, "postings/s")
			b.ReportMetric(raw, "raw_commits/s")
			b.ReportMetric(postings/raw, "ratio")
			if mism, err := ledger.Verify(ctx, db.Client); err != nil || len(mism) > 0 {
				b.Fatalf("Verify: %v %v", mism, err)
			}
		})
	}
}

// rawCommitsPerSecond inserts n single rows, each in its own committed
// transaction, from 16 concurrent writers.
func rawCommitsPerSecond(b *testing.B, db *store.DB, n int) float64 {
	b.Helper()
	ctx := auth.SystemContext(context.Background())
	ddl := "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY AUTOINCREMENT, v BIGINT NOT NULL)"
	insert := "INSERT INTO bench_raw (v) VALUES (?)"
	if db.Dialect.IsPostgres() {
		ddl = "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, v BIGINT NOT NULL)"
		insert = "INSERT INTO bench_raw (v) VALUES ($1)"
	}
	if _, err := db.SQL.ExecContext(ctx, ddl); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < posters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				err := func() error {
					tx, err := db.SQL.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, insert, 1); err != nil {
						_ = tx.Rollback()
						return err
					}
					return tx.Commit()
				}()
				if err != nil && !store.IsTransient(err) {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
