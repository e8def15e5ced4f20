package app

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/store/storetest"
)

// started is a server started through run(), as `go run .` does.
type started struct {
	base, token string
	lines       []string
	done        chan error
	cancel      context.CancelFunc
}

func startRun(t *testing.T, dbURL string, args []string, env map[string]string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	getenv := func(k string) string {
		if k == "SK_DATABASE_URL" {
			return dbURL
		}
		return env[k]
	}
	s := &started{done: make(chan error, 1), cancel: cancel}
	go func() {
		err := run(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), getenv, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	tok := regexp.MustCompile(`Admin token \(shown once, store it now\): (skt_\S+)`)
	sc := bufio.NewScanner(pr)
	deadline := time.AfterFunc(60*time.Second, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		s.lines = append(s.lines, line)
		if m := addr.FindStringSubmatch(line); m != nil {
			s.base = m[1]
		}
		if m := tok.FindStringSubmatch(line); m != nil {
			s.token = m[1]
		}
		if strings.Contains(line, "curl ") || strings.Contains(line, "SK_ADMIN_TOKEN") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if s.base == "" {
		cancel()
		t.Fatalf("server did not start: %v\n%s", <-s.done, strings.Join(s.lines, "\n"))
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *started) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("run returned %v after shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server did not shut down")
	}
}

// TestDemo starts the program as `go run . -demo` does and uses the
// printed token: the demo has ~40 participations in every state,
// consultants, appointments in the coming weeks, measures with planned
// costs, completed and late steps.
func TestDemo(t *testing.T) {
	dbURL := storetest.URL(t)
	s := startRun(t, dbURL, []string{"-demo"}, nil)
	if s.token == "" {
		t.Fatalf("no token printed:\n%s", strings.Join(s.lines, "\n"))
	}
	ts := &testServer{URL: s.base}
	var d struct {
		Participations struct {
			TotalCount int
			Edges      []struct{ Node struct{ Status string } }
		}
		Consultants  struct{ TotalCount int }
		Appointments struct{ TotalCount int }
		Measures     struct {
			TotalCount int
			Edges      []struct{ Node struct{ PlannedCost string } }
		}
		Completed struct{ TotalCount int }
		Late      struct{ TotalCount int }
		Stage1    struct{ TotalCount int }
		Stage2    struct{ TotalCount int }
		Reversals struct{ TotalCount int }
		Flags     struct{ TotalCount int }
	}
	today := time.Now().Format(time.DateOnly)
	ts.must(t, s.token, `query($today: Date!) {
	  participations(first: 100) { totalCount edges { node { status } } }
	  consultants { totalCount }
	  appointments(where: {startsAtGT: "`+time.Now().UTC().Format(time.RFC3339)+`"}) { totalCount }
	  measures(first: 1) { totalCount edges { node { plannedCost } } }
	  completed: steps(where: {completedAtNotNil: true}) { totalCount }
	  late: steps(where: {completedAtIsNil: true, dueOnLT: $today}) { totalCount }
	  stage1: ledgerEntries(where: {stage: STAGE_1, kind: DISBURSEMENT}) { totalCount }
	  stage2: ledgerEntries(where: {stage: STAGE_2, kind: DISBURSEMENT}) { totalCount }
	  reversals: ledgerEntries(where: {kind: REVERSAL}) { totalCount }
	  flags(open: true) { totalCount }
	}`, map[string]any{"today": today}, &d)
	states := map[string]int{}
	for _, e := range d.Participations.Edges {
		states[e.Node.Status]++
	}
	t.Logf("demo: %d participations %v, %d consultants, %d upcoming appointments, %d measures, %d completed and %d late steps, %d stage-1 and %d stage-2 payments, %d reversals",
		d.Participations.TotalCount, states, d.Consultants.TotalCount, d.Appointments.TotalCount, d.Measures.TotalCount,
		d.Completed.TotalCount, d.Late.TotalCount, d.Stage1.TotalCount, d.Stage2.TotalCount, d.Reversals.TotalCount)
	if d.Flags.TotalCount == 0 {
		t.Errorf("the demo shows no open flags")
	}
	t.Logf("demo: %d open flags", d.Flags.TotalCount)
	if d.Stage1.TotalCount < d.Participations.TotalCount/2 || d.Stage2.TotalCount == 0 || d.Reversals.TotalCount == 0 {
		t.Errorf("demo ledger incomplete: %+v", d)
	}
	if d.Participations.TotalCount < 35 || len(states) != 6 {
		t.Errorf("want ~40 participations in all 6 states, got %d in %v", d.Participations.TotalCount, states)
	}
	if d.Consultants.TotalCount < 3 || d.Appointments.TotalCount < 20 || d.Measures.TotalCount < 20 ||
		d.Completed.TotalCount == 0 || d.Late.TotalCount == 0 || d.Measures.Edges[0].Node.PlannedCost == "" {
		t.Errorf("demo data incomplete: %+v", d)
	}
	// GraphiQL is served.
	res, err := http.Get(s.base + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GraphiQL: %v %v", res, err)
	}
	res.Body.Close()
	s.stop(t)

	// A second demo start keeps the data, prints a new working token and
	// revokes the old one.
	s2 := startRun(t, dbURL, []string{"-demo"}, nil)
	ts2 := &testServer{URL: s2.base}
	var again struct {
		Participations struct{ TotalCount int }
	}
	ts2.must(t, s2.token, `{ participations { totalCount } }`, nil, &again)
	if again.Participations.TotalCount != d.Participations.TotalCount {
		t.Errorf("second start changed the demo: %d participations", again.Participations.TotalCount)
	}
	if r := ts2.post(t, s.token, `{ viewer { role } }`, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("old demo token still works: %d", r.Status)
	}
}

// TestFirstStartTokens: without SK_ADMIN_TOKEN the first start prints an
// admin token and later starts do not; with it, exactly that secret works.
func TestFirstStartTokens(t *testing.T) {
	dbURL := storetest.URL(t)
	s := startRun(t, dbURL, nil, nil)
	if s.token == "" {
		t.Fatalf("first start printed no token:\n%s", strings.Join(s.lines, "\n"))
	}
	(&testServer{URL: s.base}).must(t, s.token, `{ viewer { role } }`, nil, nil)
	s.stop(t)

	secret := auth.NewSecret()
	s2 := startRun(t, dbURL, nil, map[string]string{"SK_ADMIN_TOKEN": secret})
	if s2.token != "" {
		t.Fatalf("a token was printed although SK_ADMIN_TOKEN is set")
	}
	ts := &testServer{URL: s2.base}
	var v struct {
		Viewer struct{ Role string }
	}
	ts.must(t, secret, `{ viewer { role } }`, nil, &v)
	ts.must(t, s.token, `{ viewer { role } }`, nil, nil) // the first token still works
	if v.Viewer.Role != "ADMIN" {
		t.Fatalf("SK_ADMIN_TOKEN role %s", v.Viewer.Role)
	}
	for _, l := range s2.lines {
		if strings.Contains(l, secret) {
			t.Fatalf("SK_ADMIN_TOKEN printed: %s", l)
		}
	}
}

func TestHelpListsConfiguration(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, io.Discard, &out)
	if err == nil {
		t.Fatal("-h did not stop")
	}
	for _, want := range []string{"SK_LISTEN", "SK_DATABASE_URL", "SK_ADMIN_TOKEN", "-demo", "127.0.0.1:8080"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %s:\n%s", want, out.String())
		}
	}
}
