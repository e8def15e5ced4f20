package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/emersion/go-ical"

	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store/storetest"
)

const scheduleAppointment = `mutation($in: ScheduleAppointmentInput!) {
  scheduleAppointment(input: $in) {
    id kind title startsAt endsAt location status sequence
    participations { id } consultants { id } step { id }
  }
}`

const rescheduleAppointment = `mutation($in: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $in) { id startsAt endsAt status sequence }
}`

const cancelAppointment = `mutation($in: CancelAppointmentInput!) {
  cancelAppointment(input: $in) { id status sequence }
}`

const createCalendarFeed = `mutation($in: CreateCalendarFeedInput!) {
  createCalendarFeed(input: $in) { url feed { id scope name revokedAt } }
}`

// appt is an appointment as the mutations return it.
type appt struct {
	ID, Kind, Title, StartsAt, EndsAt, Status string
	Location                                  *string
	Sequence                                  int
	Participations, Consultants               []struct{ ID string }
	Step                                      *struct{ ID string }
}

// calFixture is a test server with three registered Kommunen, two
// consultants and tokens of every role that schedules or confirms.
type calFixture struct {
	*testServer
	muni        []*ent.Municipality
	pa          []*ent.Participation
	co          []*ent.Consultant
	contractor  string
	muniToken   []string
	ministry    string
	coordinator string
}

func newCalFixture(t *testing.T) *calFixture {
	t.Helper()
	s := newTestServer(t)
	ctx := bg()
	c := s.DB.Client
	f := &calFixture{testServer: s}
	pid := c.Program.Query().OnlyIDX(ctx)
	for _, ags := range []string{"15001000", "15002000", "15003000"} {
		m := c.Municipality.Query().Where(municipality.Ags(ags)).OnlyX(ctx)
		pa, err := s.App.program.Register(ctx, c, pid, m.ID, types.Date(2026, 1, 5))
		if err != nil {
			t.Fatal(err)
		}
		f.muni = append(f.muni, m)
		f.pa = append(f.pa, pa)
		f.muniToken = append(f.muniToken, s.token(t, "MUNICIPALITY", string(m.ID)))
	}
	for i, name := range []string{"Anna Schulze", "Jonas Weber"} {
		f.co = append(f.co, c.Consultant.Create().SetName(name).SetEmail(fmt.Sprintf("c%d@bechtle.example", i)).SaveX(ctx))
	}
	f.contractor = s.token(t, "CONTRACTOR", "")
	f.ministry = s.token(t, "MINISTRY", "")
	f.coordinator = s.token(t, "COORDINATOR", "")
	return f
}

// berlin returns an RFC 3339 time for a wall-clock time in Europe/Berlin.
func berlin(y int, m time.Month, d, hh, mm int) string {
	loc, _ := time.LoadLocation("Europe/Berlin")
	return time.Date(y, m, d, hh, mm, 0, 0, loc).Format(time.RFC3339)
}

func (f *calFixture) in(title, start, end string, pas []*ent.Participation, cos []*ent.Consultant) map[string]any {
	in := map[string]any{"kind": "ONSITE_VISIT", "title": title, "startsAt": start, "endsAt": end}
	var pids, cids []string
	for _, p := range pas {
		pids = append(pids, string(p.ID))
	}
	for _, c := range cos {
		cids = append(cids, string(c.ID))
	}
	in["participationIDs"] = pids
	if cids != nil {
		in["consultantIDs"] = cids
	}
	return in
}

func (f *calFixture) schedule(t *testing.T, in map[string]any) appt {
	t.Helper()
	var d struct{ ScheduleAppointment appt }
	f.must(t, f.contractor, scheduleAppointment, map[string]any{"in": in}, &d)
	return d.ScheduleAppointment
}

// TestAppointmentRules covers every scheduling rule with its error code.
func TestAppointmentRules(t *testing.T) {
	f := newCalFixture(t)
	ctx := bg()
	A, B, C := f.pa[0], f.pa[1], f.pa[2]
	co1, co2 := f.co[0], f.co[1]

	// A valid appointment on Monday 2026-03-30, linked to A's on-site step.
	st := A.QuerySteps().AllX(ctx)
	var onsite string
	for _, s := range st {
		if s.Kind == types.StepOnsiteAssessment {
			onsite = string(s.ID)
		}
	}
	in := f.in("Vor-Ort-Termin Dessau-Roßlau", berlin(2026, 3, 30, 9, 0), berlin(2026, 3, 30, 12, 0), []*ent.Participation{A}, []*ent.Consultant{co1})
	in["stepID"] = onsite
	in["location"] = "Rathaus, Zerbster Straße 4"
	a1 := f.schedule(t, in)
	if a1.Status != "TENTATIVE" || a1.Sequence != 0 || a1.StartsAt != "2026-03-30T07:00:00Z" ||
		len(a1.Participations) != 1 || len(a1.Consultants) != 1 || a1.Step == nil || a1.Step.ID != onsite {
		t.Fatalf("scheduled %+v", a1)
	}

	// endsAt after startsAt.
	e := f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("x", berlin(2026, 4, 1, 12, 0), berlin(2026, 4, 1, 12, 0), []*ent.Participation{B}, nil)}, "VALIDATION")
	if e.Extensions["field"] != "endsAt" {
		t.Errorf("endsAt error: %+v", e)
	}
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("x", berlin(2026, 4, 1, 12, 0), berlin(2026, 4, 1, 11, 0), []*ent.Participation{B}, nil)}, "VALIDATION")

	// Weekends and Sachsen-Anhalt holidays, unless allowed.
	for _, day := range []struct {
		d    time.Time
		want string
	}{
		{time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC), "Saturday"},
		{time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), "Heilige Drei Könige"},
		{time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC), "Karfreitag"},
		{time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "Tag der Arbeit"},
		{time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC), "Saturday"},
		{time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC), "Weihnacht"},
	} {
		in := f.in("Feiertag?", berlin(day.d.Year(), day.d.Month(), day.d.Day(), 10, 0), berlin(day.d.Year(), day.d.Month(), day.d.Day(), 11, 0), []*ent.Participation{B}, nil)
		e := f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": in}, "NON_WORKING_DAY")
		if e.Extensions["date"] != day.d.Format(time.DateOnly) || !strings.Contains(e.Message, day.want) {
			t.Errorf("%s: %+v", day.d.Format(time.DateOnly), e)
		}
	}
	// A workshop from Friday to Monday touches the weekend.
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("lang", berlin(2026, 4, 24, 9, 0), berlin(2026, 4, 27, 17, 0), []*ent.Participation{B}, nil)}, "NON_WORKING_DAY")
	inSat := f.in("Samstagsschulung", berlin(2026, 3, 28, 10, 0), berlin(2026, 3, 28, 12, 0), []*ent.Participation{B}, nil)
	inSat["allowNonWorkingDay"] = true
	f.schedule(t, inSat)

	// Within the programme period (2025-12-02 to 2026-12-31).
	e = f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("zu spät", berlin(2027, 1, 4, 10, 0), berlin(2027, 1, 4, 11, 0), []*ent.Participation{B}, nil)}, "OUTSIDE_PROGRAM_PERIOD")
	if e.Extensions["endsOn"] != "2026-12-31" {
		t.Errorf("period error: %+v", e)
	}
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("zu früh", berlin(2025, 12, 1, 10, 0), berlin(2025, 12, 1, 11, 0), []*ent.Participation{B}, nil)}, "OUTSIDE_PROGRAM_PERIOD")
	// The last evening of the programme is fine; New Year's Eve is a working day.
	f.schedule(t, f.in("Abschluss", berlin(2026, 12, 31, 9, 0), berlin(2026, 12, 31, 11, 0), []*ent.Participation{C}, nil))

	// Conflicts: the consultant, then the participation, overlapping a1.
	e = f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("Doppelt (Berater)", berlin(2026, 3, 30, 11, 0), berlin(2026, 3, 30, 13, 0), []*ent.Participation{B}, []*ent.Consultant{co1})}, "APPOINTMENT_CONFLICT")
	if e.Extensions["appointmentID"] != a1.ID || !slices.Contains(anyStrings(e.Extensions["consultantIDs"]), string(co1.ID)) || !strings.Contains(e.Message, a1.ID) {
		t.Errorf("conflict does not name the other appointment and consultant: %+v", e)
	}
	e = f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("Doppelt (Kommune)", berlin(2026, 3, 30, 8, 0), berlin(2026, 3, 30, 9, 30), []*ent.Participation{A}, []*ent.Consultant{co2})}, "APPOINTMENT_CONFLICT")
	if e.Extensions["appointmentID"] != a1.ID || !slices.Contains(anyStrings(e.Extensions["participationIDs"]), string(A.ID)) {
		t.Errorf("conflict does not name the participation: %+v", e)
	}
	// Back to back is no overlap; another consultant and Kommune are free.
	a2 := f.schedule(t, f.in("Anschlusstermin", berlin(2026, 3, 30, 12, 0), berlin(2026, 3, 30, 14, 0), []*ent.Participation{B}, []*ent.Consultant{co1}))
	f.schedule(t, f.in("Parallel", berlin(2026, 3, 30, 9, 0), berlin(2026, 3, 30, 12, 0), []*ent.Participation{C}, []*ent.Consultant{co2}))

	// Not found, withdrawn, wrong step, empty participations, roles.
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": map[string]any{"kind": "OTHER", "title": "x", "startsAt": berlin(2026, 4, 1, 9, 0), "endsAt": berlin(2026, 4, 1, 10, 0), "participationIDs": []string{"PA01JD3K8Z6W8M2X1Q4R5T7V9B0C"}}}, "NOT_FOUND")
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": map[string]any{"kind": "OTHER", "title": "x", "startsAt": berlin(2026, 4, 1, 9, 0), "endsAt": berlin(2026, 4, 1, 10, 0), "participationIDs": []string{string(B.ID)}, "consultantIDs": []string{"CO01JD3K8Z6W8M2X1Q4R5T7V9B0C"}}}, "NOT_FOUND")
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": map[string]any{"kind": "OTHER", "title": "x", "startsAt": berlin(2026, 4, 1, 9, 0), "endsAt": berlin(2026, 4, 1, 10, 0), "participationIDs": []string{}}}, "VALIDATION")
	wrongStep := f.in("x", berlin(2026, 4, 1, 9, 0), berlin(2026, 4, 1, 10, 0), []*ent.Participation{B}, nil)
	wrongStep["stepID"] = onsite
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": wrongStep}, "VALIDATION")
	for _, tok := range []string{f.muniToken[0], f.ministry} {
		f.fails(t, tok, scheduleAppointment, map[string]any{"in": f.in("x", berlin(2026, 4, 1, 9, 0), berlin(2026, 4, 1, 10, 0), []*ent.Participation{A}, nil)}, "FORBIDDEN")
	}

	// Reschedule: into a conflict fails; a valid move raises the sequence
	// and makes the appointment tentative again.
	f.fails(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 3, 30, 11, 0), "endsAt": berlin(2026, 3, 30, 13, 0)}}, "APPOINTMENT_CONFLICT")
	f.fails(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 4, 6, 11, 0), "endsAt": berlin(2026, 4, 6, 13, 0)}}, "NON_WORKING_DAY") // Ostermontag
	f.fails(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 4, 7, 13, 0), "endsAt": berlin(2026, 4, 7, 11, 0)}}, "VALIDATION")
	var rs struct{ RescheduleAppointment appt }
	f.must(t, f.contractor, `mutation($id: ID!) { confirmAppointment(id: $id) { status sequence } }`, map[string]any{"id": a2.ID}, nil)
	f.must(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 4, 7, 11, 0), "endsAt": berlin(2026, 4, 7, 13, 0)}}, &rs)
	if r := rs.RescheduleAppointment; r.Sequence != 2 || r.Status != "TENTATIVE" || r.StartsAt != "2026-04-07T09:00:00Z" {
		t.Errorf("rescheduled %+v", r)
	}
	// Rescheduling keeps the appointment's own slot free of itself.
	f.must(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 4, 7, 11, 30), "endsAt": berlin(2026, 4, 7, 13, 30)}}, &rs)

	// Confirm: a municipality only its own; others see nothing.
	confirm := `mutation($id: ID!) { confirmAppointment(id: $id) { status sequence } }`
	f.fails(t, f.muniToken[1], confirm, map[string]any{"id": a1.ID}, "NOT_FOUND")
	f.fails(t, f.ministry, confirm, map[string]any{"id": a1.ID}, "FORBIDDEN")
	var cf struct{ ConfirmAppointment appt }
	f.must(t, f.muniToken[0], confirm, map[string]any{"id": a1.ID}, &cf)
	if cf.ConfirmAppointment.Status != "CONFIRMED" || cf.ConfirmAppointment.Sequence != 1 {
		t.Errorf("confirmed %+v", cf.ConfirmAppointment)
	}
	f.must(t, f.muniToken[0], confirm, map[string]any{"id": a1.ID}, &cf) // again: no change
	if cf.ConfirmAppointment.Sequence != 1 {
		t.Errorf("confirming twice changed the sequence: %+v", cf.ConfirmAppointment)
	}

	// Complete: not before the start; then the linked step is completed.
	complete := `mutation($id: ID!) { completeAppointment(id: $id) { status sequence step { completedAt } } }`
	f.Clock.Set(time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC))
	f.fails(t, f.contractor, complete, map[string]any{"id": a1.ID}, "VALIDATION")
	f.Clock.Set(time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC))
	var done struct {
		CompleteAppointment struct {
			Status   string
			Sequence int
			Step     struct{ CompletedAt *string }
		}
	}
	// The on-site step needs a submitted baseline: until then the
	// appointment stays as it is.
	f.fails(t, f.contractor, complete, map[string]any{"id": a1.ID}, "ASSESSMENT_REQUIRED")
	if st := f.DB.Client.Appointment.GetX(ctx, pulid.ID(a1.ID)).Status; st.String() != "CONFIRMED" {
		t.Fatalf("the refused completion left the appointment %s", st)
	}
	cat := f.seedCatalog(t, "1", 1)
	var as struct{ CreateAssessment struct{ ID string } }
	f.must(t, f.contractor, `mutation($in: CreateAssessmentInput!) { createAssessment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"participationID": A.ID, "catalogID": cat.ID, "kind": "BASELINE", "appointmentID": a1.ID}}, &as)
	f.saveAnswers(t, f.contractor, as.CreateAssessment.ID, answers(append(cat.Backup, cat.Drucker...), "YES"))
	f.must(t, f.contractor, `mutation($id: ID!) { submitAssessment(id: $id) { id } }`, map[string]any{"id": as.CreateAssessment.ID}, nil)
	f.must(t, f.contractor, complete, map[string]any{"id": a1.ID}, &done)
	if d := done.CompleteAppointment; d.Status != "COMPLETED" || d.Sequence != 2 || d.Step.CompletedAt == nil || *d.Step.CompletedAt != "2026-03-30T10:00:00Z" {
		t.Errorf("completed %+v", d)
	}
	f.fails(t, f.contractor, complete, map[string]any{"id": a1.ID}, "CONFLICT")
	f.fails(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": a1.ID, "reason": "zu spät"}}, "CONFLICT")

	// Cancel: needs a reason; frees the slot; cannot be repeated.
	f.fails(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "reason": "  "}}, "VALIDATION")
	var cc struct{ CancelAppointment appt }
	f.must(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "reason": "Krankheit"}}, &cc)
	if cc.CancelAppointment.Status != "CANCELLED" || cc.CancelAppointment.Sequence != 4 {
		t.Errorf("cancelled %+v", cc.CancelAppointment)
	}
	f.fails(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "reason": "nochmal"}}, "CONFLICT")
	f.fails(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": a2.ID, "startsAt": berlin(2026, 4, 8, 11, 0), "endsAt": berlin(2026, 4, 8, 13, 0)}}, "CONFLICT")
	f.fails(t, f.contractor, confirm, map[string]any{"id": a2.ID}, "CONFLICT")
	f.schedule(t, f.in("Ersatz", berlin(2026, 4, 7, 11, 0), berlin(2026, 4, 7, 13, 0), []*ent.Participation{B}, []*ent.Consultant{co1}))
	f.fails(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": "AP01JD3K8Z6W8M2X1Q4R5T7V9B0C", "reason": "x"}}, "NOT_FOUND")

	// A withdrawn participation gets no new appointments.
	f.must(t, f.coordinator, `mutation($id: ID!) { withdrawParticipation(id: $id, reason: "kein Personal") { id } }`, map[string]any{"id": string(C.ID)}, nil)
	f.fails(t, f.contractor, scheduleAppointment, map[string]any{"in": f.in("x", berlin(2026, 4, 1, 9, 0), berlin(2026, 4, 1, 10, 0), []*ent.Participation{C}, nil)}, "CONFLICT")
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestConcurrentSchedulingConflict: many requests book the same
// consultant for overlapping times at once; exactly one wins, the others
// get APPOINTMENT_CONFLICT (SQLite: immediate transactions; PostgreSQL:
// row locks on the consultant and participations).
func TestConcurrentSchedulingConflict(t *testing.T) {
	f := newCalFixture(t)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok      int
		codes   = map[string]int{}
		pas     = f.pa
		consult = f.co[0]
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := f.in(fmt.Sprintf("Termin %d", i), berlin(2026, 6, 2, 9, i), berlin(2026, 6, 2, 11, i), []*ent.Participation{pas[i%3]}, []*ent.Consultant{consult})
			r := f.post(t, f.contractor, scheduleAppointment, map[string]any{"in": in})
			mu.Lock()
			defer mu.Unlock()
			if len(r.Errors) == 0 {
				ok++
			} else {
				codes[r.Errors[0].Code()]++
			}
		}(i)
	}
	wg.Wait()
	if ok != 1 || codes["APPOINTMENT_CONFLICT"] != n-1 {
		t.Fatalf("want 1 success and %d conflicts, got %d successes and %v", n-1, ok, codes)
	}
	cnt, err := f.DB.Client.Appointment.Query().Count(bg())
	if err != nil || cnt != 1 {
		t.Fatalf("%d appointments stored, %v", cnt, err)
	}
}

// feed fetches a feed; header pairs are set on the request.
func getFeed(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	return res, readAll(res)
}

// parseFeed parses a feed with go-ical and indexes its events by UID.
func parseFeed(t *testing.T, body string) (*ical.Calendar, map[string]ical.Event) {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	events := map[string]ical.Event{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(ical.PropUID)
		events[uid] = e
	}
	return cal, events
}

func (f *calFixture) feed(t *testing.T, token string, in map[string]any) (url, id string) {
	t.Helper()
	var d struct {
		CreateCalendarFeed struct {
			URL  string
			Feed struct{ ID, Scope, Name string }
		}
	}
	f.must(t, token, createCalendarFeed, map[string]any{"in": in}, &d)
	if !strings.HasPrefix(d.CreateCalendarFeed.URL, f.URL+"/calendar/skc_") || !strings.HasSuffix(d.CreateCalendarFeed.URL, ".ics") {
		t.Fatalf("feed URL %q", d.CreateCalendarFeed.URL)
	}
	return d.CreateCalendarFeed.URL, d.CreateCalendarFeed.Feed.ID
}

func propText(t *testing.T, e ical.Event, name string) string {
	t.Helper()
	s, err := e.Props.Text(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// TestCalendarFeeds checks the feeds as a subscriber's calendar app sees
// them, parsed back with go-ical.
func TestCalendarFeeds(t *testing.T) {
	f := newCalFixture(t)
	A, B := f.pa[0], f.pa[1]
	co1, co2 := f.co[0], f.co[1]

	// An empty feed is a valid calendar.
	emptyURL, _ := f.feed(t, f.contractor, map[string]any{"scope": "CONSULTANT", "consultantID": string(co2.ID)})
	res, body := getFeed(t, emptyURL)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("empty feed: %d %v", res.StatusCode, res.Header)
	}
	cal, events := parseFeed(t, body)
	if len(events) != 0 || len(cal.Children) != 1 || cal.Children[0].Name != "VTIMEZONE" {
		t.Fatalf("empty feed has %d events and %d components", len(events), len(cal.Children))
	}
	for _, p := range []string{"VERSION", "PRODID", "CALSCALE", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"} {
		if cal.Props.Get(p) == nil {
			t.Errorf("calendar lacks %s", p)
		}
	}
	if v := cal.Props.Get("VERSION").Value; v != "2.0" {
		t.Errorf("VERSION %s", v)
	}
	if !strings.Contains(body, "BEGIN:DAYLIGHT") || !strings.Contains(body, "BEGIN:STANDARD") ||
		!strings.Contains(body, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU") || !strings.Contains(body, "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU") {
		t.Errorf("VTIMEZONE incomplete:\n%s", body)
	}

	// Appointments around both DST changes of 2026, given in UTC.
	type dst struct {
		name, startUTC, endUTC, wallStart, wallEnd string
		allow                                      bool
	}
	cases := []dst{
		{"Fr vor Sommerzeit", "2026-03-27T08:00:00Z", "2026-03-27T10:00:00Z", "20260327T090000", "20260327T110000", false},
		{"Nacht der Umstellung März", "2026-03-28T21:00:00Z", "2026-03-29T02:00:00Z", "20260328T220000", "20260329T040000", true},
		{"Mo nach Sommerzeit", "2026-03-30T07:00:00Z", "2026-03-30T09:00:00Z", "20260330T090000", "20260330T110000", false},
		{"Fr vor Winterzeit", "2026-10-23T07:00:00Z", "2026-10-23T09:00:00Z", "20261023T090000", "20261023T110000", false},
		{"Nacht der Umstellung Oktober", "2026-10-24T20:00:00Z", "2026-10-25T03:00:00Z", "20261024T220000", "20261025T040000", true},
		{"Mo nach Winterzeit", "2026-10-26T08:00:00Z", "2026-10-26T10:00:00Z", "20261026T090000", "20261026T110000", false},
	}
	ids := map[string]string{}
	for _, c := range cases {
		in := f.in(c.name, c.startUTC, c.endUTC, []*ent.Participation{A}, []*ent.Consultant{co1})
		if c.allow {
			in["allowNonWorkingDay"] = true
		}
		ids[c.name] = f.schedule(t, in).ID
	}
	// A kickoff event shared by A and B, and an appointment of B only,
	// with long German text.
	long := "Auftaktveranstaltung für die Kommunen der Gruppe Süd; Themen: Informationssicherheitsleitlinie, " +
		"Rollen (ISB, IT-Leitung), Zeitplan; Rückfragen bitte an die KITU.\nAnfahrt: Straßenbahn 1, Haltestelle „Alter Markt“; " +
		"Parkplätze sind knapp, bitte Fahrgemeinschaften bilden!\n\nBackslash \\ und Tab\tbleiben erhalten. Größenordnung: ÄÖÜäöüß€ – ≥ 3 Stunden."
	kick := f.in("Auftakt Gruppe Süd; Magdeburg, Landeshaus", berlin(2026, 5, 5, 10, 0), berlin(2026, 5, 5, 13, 0), []*ent.Participation{A, B}, []*ent.Consultant{co1})
	kick["kind"] = "KICKOFF_EVENT"
	kick["description"] = long
	kick["location"] = "Magdeburg, Landeshaus, Domplatz 6; Saal „Elbe“"
	kickID := f.schedule(t, kick).ID
	bOnly := f.schedule(t, f.in("Nur Halle", berlin(2026, 5, 6, 10, 0), berlin(2026, 5, 6, 12, 0), []*ent.Participation{B}, []*ent.Consultant{co2})).ID

	progURL, _ := f.feed(t, f.coordinator, map[string]any{"scope": "PROGRAM"})
	aURL, aFeedID := f.feed(t, f.muniToken[0], map[string]any{"scope": "MUNICIPALITY", "municipalityID": string(f.muni[0].ID)})
	coURL, _ := f.feed(t, f.contractor, map[string]any{"scope": "CONSULTANT", "consultantID": string(co1.ID)})

	res, body = getFeed(t, aURL)
	if res.StatusCode != 200 {
		t.Fatalf("municipality feed: %d %s", res.StatusCode, body)
	}
	// Lines: CRLF, at most 75 octets, never split inside a character.
	for _, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) || strings.ContainsAny(line, "\r\n") {
			t.Errorf("bad content line (%d octets): %q", len(line), line)
		}
	}
	_, events = parseFeed(t, body)
	if len(events) != len(cases)+1 {
		t.Fatalf("A's feed has %d events, want %d", len(events), len(cases)+1)
	}
	for _, c := range cases {
		e, ok := events[ids[c.name]+"@sicherkommunal"]
		if !ok {
			t.Fatalf("%s missing", c.name)
		}
		for prop, wall := range map[string]string{"DTSTART": c.wallStart, "DTEND": c.wallEnd} {
			p := e.Props.Get(prop)
			if p.Params.Get("TZID") != "Europe/Berlin" || p.Value != wall {
				t.Errorf("%s %s = %s;TZID=%s, want %s", c.name, prop, p.Value, p.Params.Get("TZID"), wall)
			}
		}
		start, err1 := e.DateTimeStart(nil)
		end, err2 := e.DateTimeEnd(nil)
		if err1 != nil || err2 != nil || start.UTC().Format(time.RFC3339) != c.startUTC || end.UTC().Format(time.RFC3339) != c.endUTC {
			t.Errorf("%s parsed back as %v–%v (%v %v), want %s–%s", c.name, start.UTC(), end.UTC(), err1, err2, c.startUTC, c.endUTC)
		}
		for _, p := range []string{"UID", "DTSTAMP", "SUMMARY", "STATUS", "SEQUENCE", "LAST-MODIFIED", "CREATED", "CATEGORIES"} {
			if e.Props.Get(p) == nil {
				t.Errorf("%s lacks %s", c.name, p)
			}
		}
		if st := e.Props.Get("DTSTAMP").Value; !strings.HasSuffix(st, "Z") {
			t.Errorf("DTSTAMP %s not in UTC", st)
		}
	}
	// The long text round-trips exactly, escaped in the raw feed.
	ke := events[kickID+"@sicherkommunal"]
	if got := propText(t, ke, "DESCRIPTION"); got != long {
		t.Errorf("DESCRIPTION round trip:\n got %q\nwant %q", got, long)
	}
	if got := propText(t, ke, "SUMMARY"); got != "Auftakt Gruppe Süd; Magdeburg, Landeshaus" {
		t.Errorf("SUMMARY %q", got)
	}
	if got := propText(t, ke, "LOCATION"); got != "Magdeburg, Landeshaus, Domplatz 6; Saal „Elbe“" {
		t.Errorf("LOCATION %q", got)
	}
	unfolded := strings.ReplaceAll(body, "\r\n ", "")
	for _, want := range []string{`Süd\; Themen: Informationssicherheitsleitlinie\,`, `KITU.\nAnfahrt`, `bilden!\n\nBackslash \\ und`, "CATEGORIES:SicherKOMMUNAL,Auftaktveranstaltung"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q", want)
		}
	}
	// Scope isolation: nothing of B, although B shares the kickoff.
	for _, leak := range []string{bOnly, string(B.ID), f.muni[1].Name, string(f.muni[1].ID), "Nur Halle"} {
		if strings.Contains(body, leak) {
			t.Errorf("A's feed shows %q", leak)
		}
	}
	_, pe := parseFeed(t, mustBody(t, progURL))
	if len(pe) != len(cases)+2 {
		t.Errorf("programme feed has %d events, want %d", len(pe), len(cases)+2)
	}
	_, ce := parseFeed(t, mustBody(t, coURL))
	if _, ok := ce[bOnly+"@sicherkommunal"]; ok || len(ce) != len(cases)+1 {
		t.Errorf("consultant feed has %d events (B-only included: %v)", len(ce), ok)
	}

	// ETag and 304: two statements (feed and aggregate), no body.
	res, body2 := getFeed(t, aURL)
	etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	if body2 != body || etag == "" || strings.HasPrefix(etag, "W/") || lastMod == "" {
		t.Fatalf("unchanged feed changed or lacks a strong ETag: %q %q", etag, lastMod)
	}
	f.Counter.Reset()
	res, nm := getFeed(t, aURL, "If-None-Match", etag)
	if res.StatusCode != http.StatusNotModified || nm != "" || res.Header.Get("ETag") != etag {
		t.Fatalf("If-None-Match: %d %q", res.StatusCode, nm)
	}
	if n := f.Counter.Count(); n > 2 {
		t.Errorf("304 cost %d SQL statements, want at most 2", n)
	}
	res, _ = getFeed(t, aURL, "If-None-Match", `"other", W/`+etag)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d", res.StatusCode)
	}
	res, _ = getFeed(t, aURL, "If-Modified-Since", lastMod)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", res.StatusCode)
	}
	res, _ = getFeed(t, aURL, "If-None-Match", `"stale"`)
	if res.StatusCode != 200 {
		t.Errorf("stale ETag: %d", res.StatusCode)
	}

	// A reschedule raises SEQUENCE, keeps the UID and changes the ETag.
	monday := ids["Mo nach Sommerzeit"]
	uid := monday + "@sicherkommunal"
	seq0 := events[uid].Props.Get("SEQUENCE").Value
	f.Clock.Set(f.Clock.Now().Add(time.Minute))
	f.must(t, f.contractor, rescheduleAppointment, map[string]any{"in": map[string]any{"id": monday, "startsAt": berlin(2026, 3, 31, 14, 0), "endsAt": berlin(2026, 3, 31, 16, 0)}}, nil)
	res, body = getFeed(t, aURL, "If-None-Match", etag)
	if res.StatusCode != 200 || res.Header.Get("ETag") == etag {
		t.Fatalf("after a reschedule: %d, ETag %s", res.StatusCode, res.Header.Get("ETag"))
	}
	_, events = parseFeed(t, body)
	e := events[uid]
	if e.Props.Get("SEQUENCE").Value != "1" || seq0 != "0" || e.Props.Get("DTSTART").Value != "20260331T140000" ||
		e.Props.Get("STATUS").Value != "TENTATIVE" {
		t.Errorf("rescheduled event: SEQUENCE %s→%s DTSTART %s STATUS %s", seq0, e.Props.Get("SEQUENCE").Value,
			e.Props.Get("DTSTART").Value, e.Props.Get("STATUS").Value)
	}
	if lm := e.Props.Get("LAST-MODIFIED").Value; lm != f.Clock.Now().UTC().Format("20060102T150405Z") {
		t.Errorf("LAST-MODIFIED %s", lm)
	}
	// Even without the clock moving, any change changes the ETag.
	etag = res.Header.Get("ETag")
	f.must(t, f.muniToken[0], `mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, map[string]any{"id": monday}, nil)
	res, body = getFeed(t, aURL, "If-None-Match", etag)
	if res.StatusCode != 200 {
		t.Fatalf("after a confirmation: %d", res.StatusCode)
	}
	_, events = parseFeed(t, body)
	if e := events[uid]; e.Props.Get("SEQUENCE").Value != "2" || e.Props.Get("STATUS").Value != "CONFIRMED" {
		t.Errorf("confirmed event: %v", e.Props)
	}

	// A cancellation stays in the feed as CANCELLED with a higher SEQUENCE.
	f.must(t, f.contractor, cancelAppointment, map[string]any{"in": map[string]any{"id": kickID, "reason": "Saal nicht verfügbar, neuer Termin folgt"}}, nil)
	for _, u := range []string{aURL, progURL, coURL} {
		_, events = parseFeed(t, mustBody(t, u))
		e, ok := events[kickID+"@sicherkommunal"]
		if !ok || e.Props.Get("STATUS").Value != "CANCELLED" || e.Props.Get("SEQUENCE").Value != "1" ||
			!strings.HasPrefix(propText(t, e, "DESCRIPTION"), "Abgesagt: Saal nicht verfügbar, neuer Termin folgt") {
			t.Errorf("cancelled kickoff in %s: %v", u, e.Props)
		}
	}

	// Revocation: 404, as for unknown and malformed tokens.
	f.fails(t, f.muniToken[1], `mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }`, map[string]any{"id": aFeedID}, "NOT_FOUND")
	var rv struct{ RevokeCalendarFeed struct{ RevokedAt *string } }
	f.must(t, f.muniToken[0], `mutation($id: ID!) { revokeCalendarFeed(id: $id) { revokedAt } }`, map[string]any{"id": aFeedID}, &rv)
	if rv.RevokeCalendarFeed.RevokedAt == nil {
		t.Fatal("not revoked")
	}
	for _, u := range []string{aURL, f.URL + "/calendar/" + auth.NewSecret() + ".ics", f.URL + "/calendar/skc_x.ics", strings.TrimSuffix(progURL, ".ics"), f.URL + "/calendar/"} {
		if res, _ := getFeed(t, u); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", u, res.StatusCode)
		}
	}
	if res, _ := getFeed(t, progURL); res.StatusCode != 200 {
		t.Errorf("other feeds stop working: %d", res.StatusCode)
	}
	// Only hashes are stored.
	for _, fd := range f.DB.Client.CalendarFeed.Query().AllX(bg()) {
		if len(fd.TokenHash) != 64 || strings.Contains(aURL, fd.TokenHash) {
			t.Errorf("feed secret stored in clear: %q", fd.TokenHash)
		}
	}
}

func mustBody(t *testing.T, url string) string {
	t.Helper()
	res, body := getFeed(t, url)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	return body
}

// TestCalendarFeedPermissions: who may create and revoke which feed.
func TestCalendarFeedPermissions(t *testing.T) {
	f := newCalFixture(t)
	own := map[string]any{"scope": "MUNICIPALITY", "municipalityID": string(f.muni[0].ID)}
	other := map[string]any{"scope": "MUNICIPALITY", "municipalityID": string(f.muni[1].ID)}
	prog := map[string]any{"scope": "PROGRAM"}
	cons := map[string]any{"scope": "CONSULTANT", "consultantID": string(f.co[0].ID)}
	f.feed(t, f.muniToken[0], own)
	f.fails(t, f.muniToken[0], createCalendarFeed, map[string]any{"in": other}, "FORBIDDEN") // refused from the request alone: the same answer whether it exists or not
	f.fails(t, f.muniToken[0], createCalendarFeed, map[string]any{"in": prog}, "FORBIDDEN")
	f.fails(t, f.muniToken[0], createCalendarFeed, map[string]any{"in": cons}, "FORBIDDEN")
	f.feed(t, f.contractor, prog)
	f.fails(t, f.contractor, createCalendarFeed, map[string]any{"in": own}, "FORBIDDEN")
	f.fails(t, f.ministry, createCalendarFeed, map[string]any{"in": cons}, "FORBIDDEN")
	f.feed(t, f.contractor, cons)
	f.feed(t, f.coordinator, prog)
	f.feed(t, f.Admin, other)
	f.fails(t, f.coordinator, createCalendarFeed, map[string]any{"in": map[string]any{"scope": "MUNICIPALITY"}}, "VALIDATION")
	f.fails(t, f.coordinator, createCalendarFeed, map[string]any{"in": map[string]any{"scope": "CONSULTANT", "consultantID": "CO01JD3K8Z6W8M2X1Q4R5T7V9B0C"}}, "NOT_FOUND")
	f.fails(t, f.coordinator, createCalendarFeed, map[string]any{"in": map[string]any{"scope": "PROGRAM", "municipalityID": string(f.muni[0].ID)}}, "VALIDATION")
	// A municipality lists only its own feeds.
	var l struct{ CalendarFeeds struct{ TotalCount int } }
	f.must(t, f.muniToken[0], `{ calendarFeeds { totalCount } }`, nil, &l)
	if l.CalendarFeeds.TotalCount != 1 {
		t.Errorf("municipality sees %d feeds", l.CalendarFeeds.TotalCount)
	}
	f.must(t, f.coordinator, `{ calendarFeeds { totalCount } }`, nil, &l)
	if l.CalendarFeeds.TotalCount != 5 {
		t.Errorf("coordinator sees %d feeds", l.CalendarFeeds.TotalCount)
	}
}

// TestDemoFeeds: `-demo` prints one working feed URL per scope.
func TestDemoFeeds(t *testing.T) {
	s := startRun(t, storetest.URL(t), []string{"-demo"}, nil)
	var urls []string
	for _, l := range s.lines {
		if i := strings.Index(l, "Calendar feed ("); i >= 0 {
			urls = append(urls, l[strings.LastIndex(l, " ")+1:])
		}
	}
	if len(urls) != 3 {
		t.Fatalf("want 3 feed URLs, got:\n%s", strings.Join(s.lines, "\n"))
	}
	for _, u := range urls {
		_, events := parseFeed(t, mustBody(t, u))
		if len(events) == 0 {
			t.Errorf("%s: empty demo feed", u)
		}
	}
}
