package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	"sicherkommunal/ent"
	"sicherkommunal/ent/appointment"
	"sicherkommunal/ent/calendarfeed"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/internal/clock"
	"sicherkommunal/ledger"
	"sicherkommunal/programme"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// feedFixture is a seeded store with one participation, two appointments,
// a programme feed (over both) and a municipality feed of a Kommune
// without appointments, served by Feeds on a mux as in the application.
type feedFixture struct {
	db        *store.DB
	svc       *calendar.Service
	mux       *http.ServeMux
	sys       context.Context
	now       time.Time
	counter   *storetest.Counter
	logs      *bytes.Buffer
	apps      []*ent.Appointment
	prog      string // secret of the programme feed
	empty     string // secret of the municipality feed without appointments
	emptyFeed *ent.CalendarFeed
}

func newFeedFixture(t *testing.T) *feedFixture {
	t.Helper()
	f := &feedFixture{counter: &storetest.Counter{}, logs: &bytes.Buffer{},
		now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return f.now }
	f.db = storetest.Open(t, store.Options{Wrap: f.counter.Wrap})
	f.db.Client.Use(schema.Timestamps(now))
	f.sys = auth.SystemContext(context.Background())
	if err := ledger.Install(f.sys, f.db); err != nil {
		t.Fatal(err)
	}
	if err := programme.Seed(f.sys, f.db.Client, f.db.Dialect); err != nil {
		t.Fatal(err)
	}
	c := f.db.Client
	prog := &programme.Service{Now: now}
	f.svc = &calendar.Service{Client: c, Dialect: f.db.Dialect, Now: now, Program: prog,
		Zone: clock.MustLoadZone("Europe/Berlin"), Log: slog.New(slog.NewTextHandler(f.logs, nil))}
	f.svc.SetPublicURL("https://sicherkommunal.example")
	pid := c.Program.Query().OnlyIDX(f.sys)
	munis := c.Municipality.Query().Order(municipality.ByID()).Limit(2).AllX(f.sys)
	pa, err := prog.Register(f.sys, c, pid, munis[0].ID, types.Date(2026, 1, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Auftakt", "Vor-Ort-Termin"} {
		f.now = f.now.Add(time.Minute)
		s := time.Date(2026, 3, 10+i, 8, 0, 0, 0, time.UTC)
		f.apps = append(f.apps, c.Appointment.Create().SetKind(appointment.KindONSITE_VISIT).SetTitle(title).
			SetStartsAt(s).SetEndsAt(s.Add(2*time.Hour)).AddParticipations(pa).SaveX(f.sys))
	}
	f.now = f.now.Add(time.Minute)
	u, _, err := f.svc.CreateFeed(f.sys, c, calendar.FeedInput{Scope: calendarfeed.ScopePROGRAM, ProgramID: &pid})
	if err != nil {
		t.Fatal(err)
	}
	f.prog = strings.TrimSuffix(path.Base(u), ".ics")
	f.now = f.now.Add(time.Minute)
	u, f.emptyFeed, err = f.svc.CreateFeed(f.sys, c, calendar.FeedInput{Scope: calendarfeed.ScopeMUNICIPALITY, MunicipalityID: &munis[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	f.empty = strings.TrimSuffix(path.Base(u), ".ics")
	f.mux = http.NewServeMux()
	f.mux.Handle("GET /calendar/{file}", Feeds(f.svc, f.svc.Log))
	return f
}

// get sends one request; header holds name, value pairs.
func (f *feedFixture) get(t *testing.T, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.counter.Reset()
	f.mux.ServeHTTP(rec, req)
	return rec
}

func feedPath(secret string) string { return "/calendar/" + secret + ".ics" }

// errorCode reads the code of an apperr.WriteHTTP answer.
func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error answer Content-Type %q", ct)
	}
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("error answer %q: %v", rec.Body.String(), err)
	}
	return body.Errors[0].Extensions.Code
}

func TestFeedServed(t *testing.T) {
	f := newFeedFixture(t)
	rec := f.get(t, http.MethodGet, feedPath(f.prog))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}
	// An unconditional request skips the aggregate: the feed and its
	// appointments.
	if n := f.counter.Count(); n != 2 {
		t.Errorf("GET took %d statements, want 2", n)
	}
	h := rec.Header()
	body := rec.Body.String()
	for name, want := range map[string]string{
		"Content-Type":           "text/calendar; charset=utf-8",
		"Cache-Control":          "private, no-cache",
		"Content-Disposition":    `inline; filename="sicherkommunal.ics"`,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(len(body)),
		// The newest updated_at of the appointments: the second one.
		"Last-Modified": f.apps[1].UpdatedAt.UTC().Format(http.TimeFormat),
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if e := h.Get("ETag"); len(e) != 34 || e[0] != '"' || e[33] != '"' {
		t.Errorf("ETag %q is not a strong validator", e)
	}
	if !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || strings.Count(body, "BEGIN:VEVENT") != 2 {
		t.Errorf("body:\n%s", body)
	}
	for _, a := range f.apps {
		if !strings.Contains(body, "UID:"+string(a.ID)+"@sicherkommunal") {
			t.Errorf("appointment %s missing", a.ID)
		}
	}
	// The same request gives the same ETag (rendering is deterministic).
	if again := f.get(t, http.MethodGet, feedPath(f.prog)); again.Header().Get("ETag") != h.Get("ETag") || again.Body.String() != body {
		t.Error("a second GET differs")
	}

	// HEAD: the headers of GET, no body.
	head := f.get(t, http.MethodHead, feedPath(f.prog))
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", head.Code, head.Body.Len())
	}
	for _, name := range []string{"Content-Type", "Content-Length", "ETag", "Last-Modified"} {
		if head.Header().Get(name) != h.Get(name) {
			t.Errorf("HEAD %s: %q, GET %q", name, head.Header().Get(name), h.Get(name))
		}
	}
}

func TestFeedConditional(t *testing.T) {
	f := newFeedFixture(t)
	first := f.get(t, http.MethodGet, feedPath(f.prog))
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	lm, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatal(err)
	}
	before := lm.Add(-time.Second).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	for _, c := range []struct {
		name   string
		header []string
		want   int
	}{
		{"matching ETag", []string{"If-None-Match", etag}, 304},
		{"weak form of the ETag", []string{"If-None-Match", "W/" + etag}, 304},
		{"star", []string{"If-None-Match", "*"}, 304},
		{"ETag in a list", []string{"If-None-Match", `"other", ` + etag}, 304},
		{"ETag in a second header", []string{"If-None-Match", `"other"`, "If-None-Match", etag}, 304},
		{"other ETag", []string{"If-None-Match", `"0123456789abcdef0123456789abcdef"`}, 200},
		{"If-Modified-Since the data", []string{"If-Modified-Since", lastMod}, 304},
		{"If-Modified-Since later", []string{"If-Modified-Since", after}, 304},
		{"If-Modified-Since earlier", []string{"If-Modified-Since", before}, 200},
		{"If-Modified-Since unreadable", []string{"If-Modified-Since", "yesterday"}, 200},
		// If-None-Match decides alone when present.
		{"other ETag, recent If-Modified-Since", []string{"If-None-Match", `"x"`, "If-Modified-Since", after}, 200},
		{"matching ETag, old If-Modified-Since", []string{"If-None-Match", etag, "If-Modified-Since", before}, 304},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := f.get(t, http.MethodGet, feedPath(f.prog), c.header...)
			if rec.Code != c.want {
				t.Fatalf("%d, want %d", rec.Code, c.want)
			}
			if rec.Header().Get("ETag") != etag || rec.Header().Get("Last-Modified") != lastMod {
				t.Errorf("ETag %q Last-Modified %q", rec.Header().Get("ETag"), rec.Header().Get("Last-Modified"))
			}
			switch c.want {
			case 304:
				// The feed and one aggregate, no rendering.
				if n := f.counter.Count(); n != 2 {
					t.Errorf("304 took %d statements, want 2", n)
				}
				if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
					t.Errorf("304 with a body (%d bytes, %q)", rec.Body.Len(), rec.Header().Get("Content-Type"))
				}
			case 200:
				if rec.Body.String() != first.Body.String() {
					t.Error("another body")
				}
			}
		})
	}
}

// TestFeedChanges: a change of an appointment gives a new ETag and
// Last-Modified, so the old validators no longer match.
func TestFeedChanges(t *testing.T) {
	f := newFeedFixture(t)
	first := f.get(t, http.MethodGet, feedPath(f.prog))
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	f.now = f.now.Add(time.Hour)
	f.db.Client.Appointment.UpdateOne(f.apps[0]).SetTitle("Auftakt (verschoben)").AddSequence(1).ExecX(f.sys)
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-Modified-Since", lastMod}} {
		rec := f.get(t, http.MethodGet, feedPath(f.prog), h...)
		if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag || !strings.Contains(rec.Body.String(), "Auftakt (verschoben)") {
			t.Errorf("after a change, %s: %d ETag %s", h[0], rec.Code, rec.Header().Get("ETag"))
		}
		if got, want := rec.Header().Get("Last-Modified"), f.now.Format(http.TimeFormat); got != want {
			t.Errorf("Last-Modified %s, want %s", got, want)
		}
	}
	// The aggregate's state and the rendered state agree.
	rec := f.get(t, http.MethodGet, feedPath(f.prog))
	if again := f.get(t, http.MethodGet, feedPath(f.prog), "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("the new ETag answers %d", again.Code)
	}
}

// TestFeedWithoutAppointments: an empty feed is a calendar without events,
// last modified when the feed was created.
func TestFeedWithoutAppointments(t *testing.T) {
	f := newFeedFixture(t)
	rec := f.get(t, http.MethodGet, feedPath(f.empty))
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "BEGIN:VEVENT") || !strings.Contains(rec.Body.String(), "END:VCALENDAR") {
		t.Fatalf("empty feed: %d\n%s", rec.Code, rec.Body)
	}
	lastMod := rec.Header().Get("Last-Modified")
	if want := f.emptyFeed.CreatedAt.UTC().Format(http.TimeFormat); lastMod != want {
		t.Errorf("Last-Modified %s, want the feed's creation %s", lastMod, want)
	}
	if rec := f.get(t, http.MethodGet, feedPath(f.empty), "If-Modified-Since", lastMod); rec.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", rec.Code)
	}
	if rec.Header().Get("ETag") == f.get(t, http.MethodGet, feedPath(f.prog)).Header().Get("ETag") {
		t.Error("two feeds share an ETag")
	}
}

// TestFeedNotFound: malformed, unknown and revoked secrets all answer 404
// NOT_FOUND without naming the secret; a malformed one is not looked up.
func TestFeedNotFound(t *testing.T) {
	f := newFeedFixture(t)
	for _, c := range []struct {
		name, target string
		lookup       bool
	}{
		{"no .ics", "/calendar/" + f.prog, false},
		{"other extension", "/calendar/" + f.prog + ".ical", false},
		{"no prefix", feedPath(strings.TrimPrefix(f.prog, calendar.FeedSecretPrefix)), false},
		{"API token prefix", feedPath(auth.NewSecret()), false},
		{"too long", feedPath(f.prog + strings.Repeat("x", 100)), false},
		{"unknown", feedPath(calendar.FeedSecretPrefix + "x"), true},
		{"a secret's prefix", feedPath(f.prog[:len(f.prog)-1]), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := f.get(t, http.MethodGet, c.target)
			if rec.Code != http.StatusNotFound || errorCode(t, rec) != "NOT_FOUND" {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), calendar.FeedSecretPrefix) {
				t.Errorf("the answer names the secret: %s", rec.Body)
			}
			if n := f.counter.Count(); (n > 0) != c.lookup {
				t.Errorf("%d statements, lookup %v", n, c.lookup)
			}
		})
	}
	// Revoked: 404 as for an unknown secret, also for a conditional GET
	// and HEAD; the other feed keeps working.
	id := f.db.Client.CalendarFeed.Query().Where(calendarfeed.ScopeEQ(calendarfeed.ScopePROGRAM)).OnlyIDX(f.sys)
	etag := f.get(t, http.MethodGet, feedPath(f.prog)).Header().Get("ETag")
	if _, err := f.svc.RevokeFeed(f.sys, f.db.Client, id); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if rec := f.get(t, method, feedPath(f.prog), "If-None-Match", etag); rec.Code != http.StatusNotFound {
			t.Errorf("revoked feed, %s: %d", method, rec.Code)
		}
	}
	if rec := f.get(t, http.MethodGet, feedPath(f.empty)); rec.Code != http.StatusOK {
		t.Errorf("the other feed: %d", rec.Code)
	}
	if f.logs.Len() != 0 {
		t.Errorf("a 404 was logged: %s", f.logs)
	}
}

// TestFeedInternalError: an unexpected error is logged and answered 500
// INTERNAL without its text.
func TestFeedInternalError(t *testing.T) {
	f := newFeedFixture(t)
	f.db.SQL.Close()
	for _, h := range [][]string{nil, {"If-None-Match", `"x"`}} {
		rec := f.get(t, http.MethodGet, feedPath(f.prog), h...)
		if rec.Code != http.StatusInternalServerError || errorCode(t, rec) != "INTERNAL" {
			t.Fatalf("closed database: %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "closed") {
			t.Errorf("the answer shows the error: %s", rec.Body)
		}
	}
	if !strings.Contains(f.logs.String(), "calendar feed failed") || !strings.Contains(f.logs.String(), "closed") {
		t.Errorf("not logged: %q", f.logs)
	}
}

func TestNotModified(t *testing.T) {
	lm := time.Date(2026, 3, 2, 9, 0, 0, 500_000_000, time.UTC) // sub-second: HTTP dates have whole seconds
	etag := `"abc"`
	for _, c := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"If-None-Match", `"abc"`}, true},
		{[]string{"If-None-Match", ` W/"abc" `}, true},
		{[]string{"If-None-Match", `"ab"`}, false},
		{[]string{"If-None-Match", `abc`}, false},
		{[]string{"If-None-Match", `"x","abc"`}, true},
		{[]string{"If-None-Match", `*`}, true},
		{[]string{"If-Modified-Since", "Mon, 02 Mar 2026 09:00:00 GMT"}, true},
		{[]string{"If-Modified-Since", "Mon, 02 Mar 2026 08:59:59 GMT"}, false},
		{[]string{"If-Modified-Since", "Tue, 03 Mar 2026 00:00:00 GMT"}, true},
		{[]string{"If-Modified-Since", "2026-03-02"}, false},
		{[]string{"If-None-Match", `"x"`, "If-Modified-Since", "Tue, 03 Mar 2026 00:00:00 GMT"}, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for i := 0; i+1 < len(c.header); i += 2 {
			r.Header.Add(c.header[i], c.header[i+1])
		}
		if got := notModified(r, etag, lm); got != c.want {
			t.Errorf("%q: %v, want %v", c.header, got, c.want)
		}
	}
}
