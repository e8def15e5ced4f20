package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// lastQuery remembers the last SELECT sent through the driver, to replay
// the exact statement that loads a feed's events.
type lastQuery struct {
	dialect.Driver
	mu   sync.Mutex
	q    string
	args []any
}

func (d *lastQuery) Query(ctx context.Context, q string, args, v any) error {
	d.mu.Lock()
	d.q, d.args = q, args.([]any)
	d.mu.Unlock()
	return d.Driver.Query(ctx, q, args, v)
}

// BenchmarkFeed serves a programme feed of 10,000 events end to end over
// HTTP and compares it, in the same run, with the bare SQL query that
// loads those events (the floor); it also measures the 304 path.
//
//	go test -run '^$' -bench BenchmarkFeed -benchtime 10x .
func BenchmarkFeed(b *testing.B) {
	const events = 10000
	counter := &storetest.Counter{}
	last := &lastQuery{}
	db := storetest.OpenEmpty(b, store.Options{Wrap: func(d dialect.Driver) dialect.Driver {
		last.Driver = counter.Wrap(d)
		return last
	}})
	ctx := bg()
	now := func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) }
	a, err := newApp(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), now, appOptions{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	a.calendar.SetPublicURL(srv.URL)
	sys := auth.SystemContext(ctx)
	c := db.Client
	url := seedFeed(b, sys, c, a, events)

	get := func(etag string) (int, string, int) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("ETag"), int(n)
	}
	code, etag, size := get("")
	if code != 200 {
		b.Fatalf("feed: %d", code)
	}
	last.mu.Lock()
	loadQ, loadArgs := last.q, last.args
	last.mu.Unlock()
	if !strings.Contains(loadQ, "ORDER BY") {
		b.Fatalf("did not capture the load query: %s", loadQ)
	}
	bare := func() int {
		rows, err := db.SQL.QueryContext(ctx, loadQ, loadArgs...)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return n
	}
	if n := bare(); n != events {
		b.Fatalf("bare query loaded %d rows", n)
	}

	var full, floor, notMod time.Duration
	var stmts int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if code, _, _ := get(""); code != 200 {
			b.Fatal(code)
		}
		t1 := time.Now()
		bare()
		t2 := time.Now()
		counter.Reset()
		if code, _, _ := get(etag); code != http.StatusNotModified {
			b.Fatalf("304 path: %d", code)
		}
		stmts += counter.Count()
		t3 := time.Now()
		full += t1.Sub(t0)
		floor += t2.Sub(t1)
		notMod += t3.Sub(t2)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(events*n/full.Seconds(), "feed-events/s")
	b.ReportMetric(events*n/floor.Seconds(), "bare-query-events/s")
	b.ReportMetric(full.Seconds()/floor.Seconds(), "feed/bare-ratio")
	b.ReportMetric(float64(stmts)/n, "sql-stmts/304")
	b.ReportMetric(float64(notMod.Nanoseconds())/n, "ns/304")
	b.ReportMetric(float64(size), "feed-bytes")
	if stmts > 2*int64(b.N) {
		b.Errorf("304 took %.1f statements", float64(stmts)/n)
	}
}

// seedFeed adds 40 participations and n appointments (bulk, bypassing the
// rules) and returns a programme feed URL.
func seedFeed(b *testing.B, ctx context.Context, c *ent.Client, a *app, n int) string {
	b.Helper()
	pid := c.Program.Query().OnlyIDX(ctx)
	munis := c.Municipality.Query().Order(municipality.ByID()).Limit(40).AllX(ctx)
	var pas []*ent.Participation
	for _, m := range munis {
		pa, err := a.program.Register(ctx, c, pid, m.ID, types.Date(2026, 1, 5))
		if err != nil {
			b.Fatal(err)
		}
		pas = append(pas, pa)
	}
	co := c.Consultant.Create().SetName("Bench").SetEmail("bench@bechtle.example").SaveX(ctx)
	desc := "Vor-Ort-Termin zur IST-Erhebung: Begehung, Interviews mit IT-Leitung und ISB; bitte Netzplan, Serverliste und Notfallhandbuch bereithalten.\nAnsprechpartner: KITU."
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	for i := 0; i < n; {
		var bulk []*ent.AppointmentCreate
		for ; i < n && len(bulk) < 500; i++ {
			s := start.Add(time.Duration(i) * 30 * time.Minute)
			loc := fmt.Sprintf("Rathaus %d, Marktplatz %d", i%40, i%17)
			bulk = append(bulk, c.Appointment.Create().SetKind(appointment.KindONSITE_VISIT).
				SetTitle(fmt.Sprintf("Vor-Ort-Termin IST-Erhebung – Kommune %d", i%40)).SetDescription(desc).SetLocation(loc).
				SetStartsAt(s).SetEndsAt(s.Add(25*time.Minute)).SetStatus(appointment.StatusCONFIRMED).SetSequence(i%3).
				AddParticipations(pas[i%len(pas)]).AddConsultants(co).
				SetCreatedAt(start).SetUpdatedAt(start.Add(time.Duration(i)*time.Second)))
		}
		if err := c.Appointment.CreateBulk(bulk...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	url, _, err := a.calendar.CreateFeed(ctx, c, calendar.FeedInput{Scope: calendarfeed.ScopePROGRAM, ProgramID: &pid})
	if err != nil {
		b.Fatal(err)
	}
	return url
}
