package monitoring_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
	"sicherkommunal/monitoring"
	"sicherkommunal/programme"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// BenchmarkJobs runs each monitoring job on a nationwide-sized programme
// (10,800 participations with nine steps each, as in a WiBA rollout to all
// Gemeinden) and on one tenth of it, and reports SQL statements and time
// per run. The statements per run must not grow with the participations.
// go test -run '^$' -bench Jobs -benchtime 5x ./scheduler
func BenchmarkJobs(b *testing.B) {
	for _, n := range []int{1080, 10800} {
		b.Run(fmt.Sprintf("participations=%d", n), func(b *testing.B) {
			counter := &storetest.Counter{}
			db := storetest.Open(b, store.Options{Wrap: counter.Wrap})
			ctx := auth.SystemContext(context.Background())
			if err := programme.Seed(ctx, db.Client, db.Dialect); err != nil {
				b.Fatal(err)
			}
			seedNationwide(b, db, n)
			loc := clock.MustLoadZone("Europe/Berlin")
			now := time.Date(2026, 12, 5, 9, 0, 0, 0, loc)
			r := &monitoring.Runner{Client: db.Client, Dialect: db.Dialect, Now: func() time.Time { return now },
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: loc}
			for _, job := range monitoring.Jobs() {
				// The first run raises; the measured runs are the steady state.
				first, err := r.RunTick(ctx, job, nil, "bench")
				if err != nil {
					b.Fatal(err)
				}
				b.Run(job, func(b *testing.B) {
					counter.Reset()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if _, err := r.RunTick(ctx, job, nil, "bench"); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/run")
					b.ReportMetric(float64(first.Raised), "flags_raised_first_run")
				})
			}
		})
	}
}

// seedNationwide inserts n municipalities and participations with nine
// steps each (a third of them due in the past), a funding account each and
// one measure each (every tenth above the cap), in multi-row INSERTs.
func seedNationwide(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := auth.SystemContext(context.Background())
	p := db.Client.Program.Query().OnlyX(ctx)
	now := time.Now().UTC()
	var munis, pas, accounts, steps, measures [][]any
	for i := 0; i < n; i++ {
		mu, pa := pulid.New("MU"), pulid.New("PA")
		munis = append(munis, []any{string(mu), now, now, fmt.Sprintf("15%06d", 100000+i), fmt.Sprintf("Gemeinde %d", i), "EINHEITSGEMEINDE"})
		pas = append(pas, []any{string(pa), now, now, "STAGE1", types.Date(2026, 1, 5), string(mu), string(p.ID)})
		accounts = append(accounts, []any{string(pulid.New("FA")), 0, 0, 1610000, 3000000, now, string(pa)})
		for k, kind := range types.StepKinds {
			due := types.Date(2026, 11, 1).AddDate(0, 0, (i+k*7)%60)
			steps = append(steps, []any{string(pulid.New("ST")), now, now, string(kind), due, string(pa)})
		}
		cost := 1200000
		if i%10 == 0 {
			cost = 3100000
		}
		measures = append(measures, []any{string(pulid.New("ME")), now, now, "TECHNICAL", "Maßnahme", "STAGE_2", cost, "PLANNED", string(pa)})
	}
	bulkInsert(b, db, "municipalities", "id, created_at, updated_at, ags, name, kind", munis)
	bulkInsert(b, db, "participations", "id, created_at, updated_at, status, registered_on, municipality_id, program_id", pas)
	bulkInsert(b, db, "funding_accounts", "id, stage1_paid, stage2_paid, stage1_cap, total_cap, updated_at, participation_id", accounts)
	bulkInsert(b, db, "steps", "id, created_at, updated_at, kind, due_on, participation_id", steps)
	bulkInsert(b, db, "measures", "id, created_at, updated_at, kind, title, stage, planned_cost, status, participation_id", measures)
	if db.Dialect.IsPostgres() { // as autovacuum would have by the time jobs run
		if _, err := db.SQL.ExecContext(context.Background(), "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
}

func bulkInsert(b *testing.B, db *store.DB, table, cols string, rows [][]any) {
	b.Helper()
	const chunk = 400
	for start := 0; start < len(rows); start += chunk {
		end := min(start+chunk, len(rows))
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, cols)
		var args []any
		for i, row := range rows[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j, v := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				if db.Dialect.IsPostgres() {
					fmt.Fprintf(&q, "$%d", len(args))
				} else {
					q.WriteString("?")
				}
			}
			q.WriteString(")")
		}
		if _, err := db.SQL.ExecContext(auth.SystemContext(context.Background()), q.String(), args...); err != nil {
			b.Fatalf("insert into %s: %v", table, err)
		}
	}
}
