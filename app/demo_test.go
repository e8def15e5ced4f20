package app

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sicherkommunal/calendar"
	"sicherkommunal/monitoring"
	"sicherkommunal/store/storetest"
)

// demoCountsQuery counts what the demo consists of, with aliases named as
// the keys of demoCounts. Every connection asks for one row: only
// totalCount matters.
func demoCountsQuery() string {
	var b strings.Builder
	b.WriteString("query($today: Date!) {\n")
	add := func(alias, field, where string) {
		if where != "" {
			where = ", where: {" + where + "}"
		}
		fmt.Fprintf(&b, "  %s: %s(first: 1%s) { totalCount }\n", alias, field, where)
	}
	add("participations", "participations", "")
	for _, st := range []string{"REGISTERED", "STAGE1", "STAGE2", "ACCEPTED", "SETTLED", "WITHDRAWN"} {
		add("participations_"+st, "participations", "status: "+st)
	}
	add("municipalities", "municipalities", "")
	add("municipalities_withIBAN", "municipalities", "ibanNotNil: true")
	add("municipalities_withContactEmail", "municipalities", "contactEmailNotNil: true")
	add("consultants", "consultants", "")
	add("steps", "steps", "")
	add("steps_completed", "steps", "completedAtNotNil: true")
	add("steps_late", "steps", "completedAtIsNil: true, dueOnLT: $today")
	add("appointments", "appointments", "")
	for _, st := range []string{"TENTATIVE", "CONFIRMED", "CANCELLED", "COMPLETED"} {
		add("appointments_"+st, "appointments", "status: "+st)
	}
	add("appointments_KICKOFF_EVENT", "appointments", "kind: KICKOFF_EVENT")
	add("measures", "measures", "")
	for _, st := range []string{"PLANNED", "IN_PROGRESS", "DONE", "CANCELLED"} {
		add("measures_"+st, "measures", "status: "+st)
	}
	add("catalogs", "catalogs", "")
	for _, k := range []string{"BASELINE", "FOLLOW_UP"} {
		for _, st := range []string{"IN_PROGRESS", "SUBMITTED", "CONFIRMED", "RETURNED"} {
			add("assessments_"+k+"_"+st, "assessments", "kind: "+k+", status: "+st)
		}
	}
	add("ledger_stage1Disbursements", "ledgerEntries", "stage: STAGE_1, kind: DISBURSEMENT")
	add("ledger_stage2Disbursements", "ledgerEntries", "stage: STAGE_2, kind: DISBURSEMENT")
	add("ledger_reversals", "ledgerEntries", "kind: REVERSAL")
	add("bankStatementImports", "bankStatementImports", "")
	add("bankTransactions", "bankTransactions", "")
	for _, st := range []string{"MATCHED", "AMBIGUOUS", "UNMATCHED", "AMOUNT_MISMATCH"} {
		add("bankTransactions_"+st, "bankTransactions", "status: "+st)
	}
	add("calendarFeeds_active", "calendarFeeds", "revokedAtIsNil: true")
	for _, sc := range []string{"PROGRAM", "MUNICIPALITY", "CONSULTANT"} {
		add("calendarFeeds_active_"+sc, "calendarFeeds", "revokedAtIsNil: true, scope: "+sc)
	}
	for _, r := range []string{"ADMIN", "MINISTRY", "COORDINATOR", "CONTRACTOR", "MUNICIPALITY"} {
		add("apiTokens_active_"+r, "apiTokens", "revokedAtIsNil: true, role: "+r)
	}
	fmt.Fprintf(&b, "  flags_open: flags(first: 1, open: true) { totalCount }\n")
	for _, k := range []string{"STEP_OVERDUE", "DEADLINE_AT_RISK", "BUDGET_OVERRUN", "LEDGER_MISMATCH", "PAYMENT_UNMATCHED", "ASSESSMENT_MISSING", "ASSESSMENT_UNCONFIRMED"} {
		fmt.Fprintf(&b, "  flags_open_%s: flags(first: 1, open: true, where: {kind: %s}) { totalCount }\n", k, k)
	}
	b.WriteString("}")
	return b.String()
}

// demoCounts runs demoCountsQuery: alias → totalCount.
func demoCounts(t *testing.T, s *testServer, token string, today time.Time) map[string]int {
	t.Helper()
	var raw map[string]struct{ TotalCount int }
	s.must(t, token, demoCountsQuery(), map[string]any{"today": today.Format(time.DateOnly)}, &raw)
	out := make(map[string]int, len(raw))
	for k, v := range raw {
		out[k] = v.TotalCount
	}
	return out
}

// without returns counts without the keys that start with one of the
// prefixes.
func without(counts map[string]int, prefixes ...string) map[string]int {
	out := maps.Clone(counts)
	for k := range out {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				delete(out, k)
			}
		}
	}
	return out
}

func diffCounts(want, got map[string]int) string {
	var d []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			d = append(d, fmt.Sprintf("%s: %d, want %d", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: %d, not expected", k, got[k]))
		}
	}
	return strings.Join(d, "\n")
}

// demoContent is what -demo puts into a fresh database, whatever the date
// within the programme (from mid-February 2026 on): the README states it.
var demoContent = map[string]int{
	"participations": 40, "participations_REGISTERED": 5, "participations_STAGE1": 10, "participations_STAGE2": 10,
	"participations_ACCEPTED": 5, "participations_SETTLED": 5, "participations_WITHDRAWN": 5,
	"municipalities": 133, "municipalities_withIBAN": 8, "municipalities_withContactEmail": 14,
	"consultants":  6,
	"steps":        360,
	"appointments": 36, "appointments_TENTATIVE": 22, "appointments_CONFIRMED": 13, "appointments_CANCELLED": 1,
	"appointments_COMPLETED": 0, "appointments_KICKOFF_EVENT": 1,
	"measures": 91, "measures_PLANNED": 38, "measures_IN_PROGRESS": 20, "measures_DONE": 33, "measures_CANCELLED": 0,
	"ledger_stage1Disbursements": 35, "ledger_stage2Disbursements": 20, "ledger_reversals": 1,
	"bankStatementImports": 1, "bankTransactions": 9,
	"bankTransactions_MATCHED": 7, "bankTransactions_AMBIGUOUS": 0, "bankTransactions_UNMATCHED": 1, "bankTransactions_AMOUNT_MISMATCH": 1,
	"catalogs":             1,
	"calendarFeeds_active": 3, "calendarFeeds_active_PROGRAM": 1, "calendarFeeds_active_MUNICIPALITY": 1, "calendarFeeds_active_CONSULTANT": 1,
}

// demoOn26November is what depends on the date, on 2026-11-26 at 10:00 in
// Berlin: steps done or late, the assessments they imply, and the flags
// the monitoring jobs raise.
var demoOn26November = map[string]int{
	"steps_completed": 165, "steps_late": 61,
	"flags_open": 59, "flags_open_STEP_OVERDUE": 39, "flags_open_DEADLINE_AT_RISK": 0, "flags_open_BUDGET_OVERRUN": 5,
	"flags_open_LEDGER_MISMATCH": 0, "flags_open_PAYMENT_UNMATCHED": 0, "flags_open_ASSESSMENT_MISSING": 11, "flags_open_ASSESSMENT_UNCONFIRMED": 4,
	"assessments_BASELINE_IN_PROGRESS": 8, "assessments_BASELINE_SUBMITTED": 4, "assessments_BASELINE_CONFIRMED": 16, "assessments_BASELINE_RETURNED": 2,
	"assessments_FOLLOW_UP_IN_PROGRESS": 0, "assessments_FOLLOW_UP_SUBMITTED": 0, "assessments_FOLLOW_UP_CONFIRMED": 9, "assessments_FOLLOW_UP_RETURNED": 0,
}

// loadDemoAt runs what `-demo` does at the test server's clock: the demo
// data, one run of every monitoring job, the feeds.
func loadDemoAt(t *testing.T, s *testServer) (bool, []demoFeed) {
	t.Helper()
	ctx := bg()
	added, err := loadDemo(ctx, s.DB.Client, s.App.program, s.App.ledger, s.Clock.Now())
	if err != nil {
		t.Fatalf("loadDemo at %v: %v", s.Clock.Now(), err)
	}
	for _, job := range monitoring.Jobs() {
		if _, err := s.App.monitoring.RunTick(ctx, job, nil, "test"); err != nil {
			t.Fatalf("job %s: %v", job, err)
		}
	}
	feeds, err := demoFeeds(ctx, s.DB.Client, s.App.calendar)
	if err != nil {
		t.Fatalf("demoFeeds: %v", err)
	}
	return added, feeds
}

// TestDemoContent counts exactly what the demo puts into a fresh database
// (the README's figures), checks that a second run adds nothing, and that
// the demo's feeds carry only Europe/Berlin times (what .ci/ical's ical.js
// check requires).
func TestDemoContent(t *testing.T) {
	s := newTestServer(t)
	s.Clock.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	today := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	added, feeds := loadDemoAt(t, s)
	if !added {
		t.Fatal("the demo added nothing to a fresh database")
	}
	got := demoCounts(t, s, s.Admin, today)
	t.Logf("demo on a fresh database: %v", got)
	// The test server's own ADMIN token is not the demo's.
	want := maps.Clone(demoContent)
	maps.Copy(want, demoOn26November)
	maps.Copy(want, map[string]int{"apiTokens_active_ADMIN": 1, "apiTokens_active_MINISTRY": 0, "apiTokens_active_COORDINATOR": 0,
		"apiTokens_active_CONTRACTOR": 0, "apiTokens_active_MUNICIPALITY": 0})
	if d := diffCounts(want, got); d != "" {
		t.Errorf("demo content:\n%s", d)
	}

	// Its feeds: one per scope, none empty, every time with TZID (the
	// demo has no appointment in the night of a DST change).
	if len(feeds) != 3 {
		t.Fatalf("%d feeds", len(feeds))
	}
	for _, f := range feeds {
		_, events := parseFeed(t, mustBody(t, f.URL))
		if len(events) == 0 {
			t.Errorf("%s feed is empty", f.Scope)
		}
		for uid, e := range events {
			for _, name := range []string{"DTSTART", "DTEND"} {
				if p := e.Props.Get(name); p.Params.Get("TZID") != "Europe/Berlin" {
					t.Errorf("%s feed, %s: %s %v:%s", f.Scope, uid, name, p.Params, p.Value)
				}
			}
		}
	}
	for _, a := range s.DB.Client.Appointment.Query().AllX(bg()) {
		if !calendar.LocalTimeSafe(a.StartsAt, berlinLoc) || !calendar.LocalTimeSafe(a.EndsAt, berlinLoc) {
			t.Errorf("demo appointment %q at %v–%v would be written in UTC", a.Title, a.StartsAt, a.EndsAt)
		}
	}

	// Run again, a week later: nothing is added, nothing duplicated (but
	// three more feeds exist).
	s.Clock.Set(s.Clock.Now().AddDate(0, 0, 7))
	added, _ = loadDemoAt(t, s)
	if added {
		t.Error("a second run added demo data")
	}
	again := demoCounts(t, s, s.Admin, today)
	if d := diffCounts(without(got, "flags_", "steps_late", "calendarFeeds_"), without(again, "flags_", "steps_late", "calendarFeeds_")); d != "" {
		t.Errorf("the second run changed the data:\n%s", d)
	}
	if again["calendarFeeds_active"] != got["calendarFeeds_active"]+3 {
		t.Errorf("%d feeds after the second run, want %d", again["calendarFeeds_active"], got["calendarFeeds_active"]+3)
	}
}

// TestDemoContentAnyDate: the demo loads on any date, before, during and
// after the programme; from mid-February 2026 on its content is the same.
func TestDemoContentAnyDate(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		same bool // the content of demoContent
	}{
		{time.Date(2025, 11, 15, 9, 0, 0, 0, time.UTC), false}, // before the programme: no payments, no approval
		{time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC), true}, // after the programme's end
	} {
		t.Run(c.at.Format(time.DateOnly), func(t *testing.T) {
			s := newTestServer(t)
			s.Clock.Set(c.at)
			if added, _ := loadDemoAt(t, s); !added {
				t.Fatal("nothing added")
			}
			got := without(demoCounts(t, s, s.Admin, c.at.Truncate(24*time.Hour)), "flags_", "steps_", "apiTokens_", "assessments_")
			want := without(demoContent, "steps_")
			if !c.same {
				if got["participations"] != 40 || got["appointments"] != 36 || got["ledger_stage1Disbursements"] != 0 {
					t.Errorf("before the programme: %v", got)
				}
				return
			}
			if d := diffCounts(without(want, "steps_"), got); d != "" {
				t.Errorf("demo content on %s:\n%s", c.at.Format(time.DateOnly), d)
			}
		})
	}
}

// readmeExample does what the README's worked example does (a Kommune of
// its own, registered), and adds rows that collide with the demo's unique
// keys: a consultant with the e-mail of the demo's first consultant and a
// participation of the demo's first Kommune. It returns the IDs.
func readmeExample(t *testing.T, s *testServer, token string) (testhausen, dessau, consultant string) {
	t.Helper()
	program := s.programID(t)
	var m struct{ CreateMunicipality struct{ ID string } }
	s.must(t, token, `mutation($in: CreateMunicipalityInput!) { createMunicipality(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"ags": "15090999", "name": "Testhausen", "kind": "EINHEITSGEMEINDE", "contactEmail": "it@testhausen.example"}}, &m)
	register := func(muni string) string {
		var r struct{ RegisterParticipation struct{ ID, Status string } }
		s.must(t, token, `mutation($in: RegisterParticipationInput!) { registerParticipation(input: $in) { id status } }`,
			map[string]any{"in": map[string]any{"programID": program, "municipalityID": muni, "registeredOn": "2026-11-02"}}, &r)
		return r.RegisterParticipation.ID
	}
	testhausen = register(m.CreateMunicipality.ID)
	var d struct {
		Municipalities struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.must(t, token, `{ municipalities(first: 1, where: {ags: "15001000"}) { edges { node { id } } } }`, nil, &d)
	dessau = register(d.Municipalities.Edges[0].Node.ID)
	var co struct{ CreateConsultant struct{ ID string } }
	s.must(t, token, `mutation($in: CreateConsultantInput!) { createConsultant(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "A. Schulze (extern)", "email": "anna.schulze@bechtle.example", "organization": "Extern GmbH"}}, &co)
	return testhausen, dessau, co.CreateConsultant.ID
}

// untouched checks that the README example's rows are as it left them.
func untouched(t *testing.T, s *testServer, token, testhausen, dessau, consultant string) {
	t.Helper()
	var d struct {
		Nodes []json.RawMessage
	}
	s.must(t, token, `query($ids: [ID!]!) { nodes(ids: $ids) {
	  ... on Participation { status municipality { name } steps { completedAt } measures(first: 1) { totalCount } ledgerEntries(first: 1) { totalCount } }
	  ... on Consultant { name organization }
	} }`, map[string]any{"ids": []string{testhausen, dessau, consultant}}, &d)
	want := []string{
		`{"status":"REGISTERED","municipality":{"name":"Testhausen"},"steps":[{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null}],"measures":{"totalCount":0},"ledgerEntries":{"totalCount":0}}`,
		`{"status":"REGISTERED","municipality":{"name":"Dessau-Roßlau"},"steps":[{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null},{"completedAt":null}],"measures":{"totalCount":0},"ledgerEntries":{"totalCount":0}}`,
		`{"name":"A. Schulze (extern)","organization":"Extern GmbH"}`,
	}
	for i, w := range want {
		if i >= len(d.Nodes) || string(d.Nodes[i]) != w {
			t.Errorf("the README example's row %d changed:\n got %s\nwant %s", i, d.Nodes, w)
			return
		}
	}
}

var (
	printedBase   = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	printedSecret = regexp.MustCompile(`(skt|skc)_[A-Za-z0-9_-]+`)
)

// feedURLs returns the feed URLs a start printed, by scope.
func feedURLs(t *testing.T, s *started) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`^  Calendar feed \(([A-Z]+)\): (\S+)$`)
	out := map[string]string{}
	for _, l := range s.lines {
		if m := re.FindStringSubmatch(l); m != nil {
			out[m[1]] = m[2]
		}
	}
	if len(out) != 3 {
		t.Fatalf("want 3 feed URLs, got:\n%s", strings.Join(s.lines, "\n"))
	}
	return out
}

// TestDemoTwiceAfterReadmeExample runs the README's example and then
// `-demo` twice on the same database, as a user would: both starts print
// the same lines (but for secrets and port), serve the demo data with the
// printed token, leave the README's data alone, and the second start adds
// nothing.
func TestDemoTwiceAfterReadmeExample(t *testing.T) {
	dbURL := storetest.URL(t)
	secret := "my-local-admin-secret-123"
	s0 := startRun(t, dbURL, []string{"-scheduler=false"}, map[string]string{"SK_ADMIN_TOKEN": secret})
	ts0 := &testServer{URL: s0.base, Admin: secret}
	testhausen, dessau, consultant := readmeExample(t, ts0, secret)
	before := demoCounts(t, ts0, secret, time.Now())
	s0.stop(t)

	today := time.Now()
	type start struct {
		s      *started
		counts map[string]int
		feeds  map[string]string
		names  map[string]string
	}
	var runs []start
	for i := range 2 {
		s := startRun(t, dbURL, []string{"-demo"}, nil)
		if s.token == "" {
			t.Fatalf("start %d printed no token:\n%s", i+1, strings.Join(s.lines, "\n"))
		}
		ts := &testServer{URL: s.base}
		r := start{s: s, counts: demoCounts(t, ts, s.token, today), feeds: feedURLs(t, s), names: map[string]string{}}
		for scope, u := range r.feeds {
			cal, events := parseFeed(t, mustBody(t, u))
			if len(events) == 0 {
				t.Errorf("start %d: %s feed is empty", i+1, scope)
			}
			r.names[scope], _ = cal.Props.Text("X-WR-CALNAME")
		}
		untouched(t, ts, s.token, testhausen, dessau, consultant)
		if i == 1 {
			// The first start's token is revoked, its feeds still work.
			if res := ts.post(t, runs[0].s.token, `{ viewer { role } }`, nil); res.Status != 401 {
				t.Errorf("the first demo token answers %d", res.Status)
			}
			for scope, u := range runs[0].feeds {
				p, _ := url.Parse(u)
				if res, _ := getFeed(t, s.base+p.Path); res.StatusCode != 200 {
					t.Errorf("the first start's %s feed answers %d", scope, res.StatusCode)
				}
			}
		}
		runs = append(runs, r)
		s.stop(t)
	}
	first, second := runs[0], runs[1]
	t.Logf("after the README example: %v", before)
	t.Logf("after -demo: %v", first.counts)

	// The demo was added next to the README's data: its 40 Kommunen but
	// Dessau-Roßlau, which the README example registered; the consultant
	// with the demo's e-mail is used, not duplicated.
	if first.counts["participations"] != before["participations"]+39 || first.counts["consultants"] != before["consultants"]+5 ||
		first.counts["municipalities"] != before["municipalities"] || first.counts["appointments"] != 35 ||
		first.counts["ledger_stage1Disbursements"] == 0 || first.counts["bankTransactions"] != 9 {
		t.Errorf("demo data next to the README example:\nbefore %v\nafter  %v", before, first.counts)
	}
	// The second start adds nothing; only feeds (3 per start) and the
	// flags of the day may differ.
	if d := diffCounts(without(first.counts, "flags_", "calendarFeeds_"), without(second.counts, "flags_", "calendarFeeds_")); d != "" {
		t.Errorf("the second demo start changed the data:\n%s", d)
	}
	if second.counts["calendarFeeds_active"] != first.counts["calendarFeeds_active"]+3 {
		t.Errorf("feeds: %d after the first start, %d after the second", first.counts["calendarFeeds_active"], second.counts["calendarFeeds_active"])
	}
	if first.counts["apiTokens_active_ADMIN"] != 2 { // SK_ADMIN_TOKEN's and the demo's
		t.Errorf("%d active ADMIN tokens", first.counts["apiTokens_active_ADMIN"])
	}
	// Both starts print the same, but for the port and the secrets, and
	// their feeds are of the same Kommune and consultant.
	norm := func(lines []string) string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = printedSecret.ReplaceAllString(printedBase.ReplaceAllString(l, "http://ADDRESS"), "${1}_SECRET")
		}
		return strings.Join(out, "\n")
	}
	if a, b := norm(first.s.lines), norm(second.s.lines); a != b {
		t.Errorf("the starts print differently:\n%s\n---\n%s", a, b)
	}
	if !maps.Equal(first.names, second.names) {
		t.Errorf("feeds of the starts: %v, then %v", first.names, second.names)
	}
	for _, want := range []string{"GraphiQL: http://ADDRESS/", "Calendar feed (MUNICIPALITY): http://ADDRESS/calendar/skc_SECRET.ics", "Admin token (shown once, store it now): skt_SECRET"} {
		if !strings.Contains(norm(first.s.lines), want) {
			t.Errorf("the demo start does not print %q:\n%s", want, norm(first.s.lines))
		}
	}
}
