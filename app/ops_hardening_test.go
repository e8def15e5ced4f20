package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgconn"

	"sicherkommunal/auth"
	"sicherkommunal/ent/apitoken"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// newOpsServer is newTestServer with the given options and, if set, a
// driver wrapper (fault injection).
func newOpsServer(t *testing.T, opts appOptions, wrap func(dialect.Driver) dialect.Driver) *testServer {
	t.Helper()
	return newServerWith(t, storetest.URL(t), opts, store.Options{Wrap: wrap, StatementTimeout: opts.RequestTimeout}, nil)
}

// do sends a request and returns status, headers and body.
func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// errorCode is the extensions.code of the first error of a JSON answer.
func errorCode(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Errors) == 0 {
		t.Fatalf("not a JSON error answer: %.300s", body)
	}
	return r.Errors[0].Code()
}

// TestChunkedBodyOverLimit: a body above -max-body-bytes sent without a
// Content-Length (Transfer-Encoding: chunked) gets 413 with a code and
// the limit, as one with a Content-Length does; a small chunked body
// still works.
func TestChunkedBodyOverLimit(t *testing.T) {
	s := newTestServer(t)
	chunked := func(body []byte) *http.Request {
		// A reader of unknown length: the client sends it chunked.
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", io.MultiReader(bytes.NewReader(body)))
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.Admin)
		return req
	}
	big := []byte(`{"query":"{ viewer { role } }","variables":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`)
	status, _, body := do(t, chunked(big))
	if status != http.StatusRequestEntityTooLarge || errorCode(t, body) != "REQUEST_TOO_LARGE" || !strings.Contains(body, `"limit":1048576`) {
		t.Errorf("2 MiB chunked body: %d %.300s", status, body)
	}
	// Just above the limit.
	over := []byte(`{"query":"{ viewer { role } }","variables":{"x":"` + strings.Repeat("a", 1<<20) + `"}}`)
	if status, _, body := do(t, chunked(over)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB + 50 bytes chunked: %d %.300s", status, body)
	}
	if status, _, body := do(t, chunked([]byte(`{"query":"{ viewer { role } }"}`))); status != http.StatusOK || !strings.Contains(body, `"role":"ADMIN"`) {
		t.Errorf("small chunked body: %d %s", status, body)
	}
	// With a Content-Length the limit is told too.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Admin)
	if status, _, body := do(t, req); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"limit":1048576`) {
		t.Errorf("2 MiB body with Content-Length: %d %.300s", status, body)
	}
}

// TestMetricsAccess: /metrics needs an ADMIN bearer token (401 without
// one, 403 for another role) unless -metrics-public opens it.
func TestMetricsAccess(t *testing.T) {
	s := newTestServer(t)
	ministry := s.token(t, "MINISTRY", "")
	get := func(base, token string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return do(t, req)
	}
	status, h, body := get(s.URL, "")
	if status != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" || errorCode(t, body) != "UNAUTHENTICATED" {
		t.Errorf("/metrics without a token: %d %v %s", status, h, body)
	}
	if status, _, body := get(s.URL, "skt_not-a-token"); status != http.StatusUnauthorized {
		t.Errorf("/metrics with an unknown token: %d %s", status, body)
	}
	if status, _, body := get(s.URL, ministry); status != http.StatusForbidden || errorCode(t, body) != "FORBIDDEN" {
		t.Errorf("/metrics with a MINISTRY token: %d %s", status, body)
	}
	if status, _, body := get(s.URL, s.Admin); status != http.StatusOK || !strings.Contains(body, "go_sql_open_connections") {
		t.Errorf("/metrics with the ADMIN token: %d %.200s", status, body)
	}

	open := newOpsServer(t, appOptions{MetricsPublic: true}, nil)
	if status, _, body := get(open.URL, ""); status != http.StatusOK || !strings.Contains(body, "sk_ledger_batch_postings") {
		t.Errorf("/metrics with -metrics-public: %d %.200s", status, body)
	}

	// The flag and the variable.
	for _, c := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, false},
		{nil, map[string]string{"SK_METRICS_PUBLIC": "on"}, true},
		{nil, map[string]string{"SK_METRICS_PUBLIC": "off"}, false},
		{[]string{"-metrics-public"}, nil, true},
		{[]string{"-metrics-public=false"}, map[string]string{"SK_METRICS_PUBLIC": "on"}, false},
	} {
		cfg, err := parseConfig(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if err != nil || cfg.MetricsPublic != c.want {
			t.Errorf("%v %v: MetricsPublic %v %v, want %v", c.args, c.env, cfg != nil && cfg.MetricsPublic, err, c.want)
		}
	}
}

// TestMetricsLabelsBoundedBySchema: operations are counted by their first
// root field, which the schema bounds: 250 junk operation names neither
// become labels nor push real operations into "other".
func TestMetricsLabelsBoundedBySchema(t *testing.T) {
	s := newTestServer(t)
	for i := 0; i < 250; i++ {
		s.must(t, s.Admin, fmt.Sprintf(`query Junk%d { viewer { role } }`, i), nil, nil)
	}
	s.must(t, s.Admin, `query ListPrograms { programs { totalCount } }`, nil, nil)
	s.must(t, s.Admin, `query Aliased { p: participations(first: 1) { totalCount } viewer { role } }`, nil, nil)
	s.must(t, s.Admin, `query Spread { ...F } fragment F on Query { municipalities(first: 1) { totalCount } }`, nil, nil)
	s.must(t, s.Admin, introspectionQuery, nil, nil)
	s.post(t, s.Admin, `mutation Junk { revokeApiToken(id: "TK01JD3K8Z6W8M2X1Q4R5T7V9B0C") { id } }`, nil)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.Admin)
	_, _, body := do(t, req)
	for _, want := range []string{
		`sk_graphql_operations_total{operation="viewer",outcome="ok",type="query"} 250`,
		`sk_graphql_operations_total{operation="programs",outcome="ok",type="query"} 1`,
		`sk_graphql_operations_total{operation="participations",outcome="ok",type="query"} 1`,
		`sk_graphql_operations_total{operation="municipalities",outcome="ok",type="query"} 1`,
		`sk_graphql_operations_total{operation="__schema",outcome="ok",type="query"} 1`,
		`sk_graphql_operations_total{operation="revokeApiToken",outcome="error",type="mutation"} 1`,
		`sk_graphql_operation_duration_seconds_count{operation="programs",type="query"} 1`,
		`# HELP sk_graphql_operations_total GraphQL operations by their first root field`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s in\n%s", want, grepLines(body, "sk_graphql"))
		}
	}
	for _, leak := range []string{"Junk", "ListPrograms", "Aliased", `operation="p"`, `operation="other"`} {
		if strings.Contains(body, leak) {
			t.Errorf("a client-chosen name is a label (%s):\n%s", leak, grepLines(body, leak))
		}
	}
}

// TestIntrospectionOffLeaksNoNames: with introspection off, validation
// errors suggest no field, argument, type or enum value, and an
// introspection query is refused with INTROSPECTION_DISABLED without an
// ERROR in the log. With introspection on, the same typos get
// suggestions (the typos are ones gqlparser would suggest for).
func TestIntrospectionOffLeaksNoNames(t *testing.T) {
	typos := []string{
		`{ participatons { totalCount } }`,                                                           // field
		`{ participations(frist: 1) { totalCount } }`,                                                // argument
		`{ participations(where: {statsu: REGISTERED}) { totalCount } }`,                             // input field
		`{ participations(where: {status: REGISTERD}) { totalCount } }`,                              // enum value
		`{ participations(first: 1) { edges { node { ...F } } } } fragment F on Participaton { id }`, // type
	}
	on := newTestServer(t)
	for _, q := range typos {
		if r := on.post(t, on.Admin, q, nil); !strings.Contains(r.Raw, "Did you mean") {
			t.Errorf("introspection on, %s: no suggestion (is the typo one?): %s", q, r.Raw)
		}
	}

	s := newOpsServer(t, appOptions{NoIntrospection: true}, nil)
	for _, q := range typos {
		r := s.post(t, s.Admin, q, nil)
		if len(r.Errors) == 0 || strings.Contains(r.Raw, "Did you mean") {
			t.Errorf("introspection off, %s: %s", q, r.Raw)
		}
	}
	for _, q := range []string{
		introspectionQuery,
		`{ __type(name: "Participation") { fields { name } } }`,
		`query { ...I } fragment I on Query { __schema { queryType { name } } }`,
		`{ viewer { role } ... on Query { __schema { types { name } } } }`,
	} {
		e := s.fails(t, s.Admin, q, nil, "INTROSPECTION_DISABLED")
		if strings.Contains(e.Message, "internal") {
			t.Errorf("refusal message %q", e.Message)
		}
	}
	s.must(t, s.Admin, `{ __typename viewer { role } }`, nil, nil)
	if lines := grepLines(s.Logs.String(), "level=ERROR"); lines != "" {
		t.Errorf("refused introspection logged as an error:\n%s", lines)
	}
}

// TestRevokedAdminSecretStaysRevoked: a revoked SK_ADMIN_TOKEN secret
// does not come back at the next start: the program refuses to start,
// says why, and recreates no token.
func TestRevokedAdminSecretStaysRevoked(t *testing.T) {
	dbURL := storetest.URL(t)
	secret := auth.NewSecret()
	env := map[string]string{"SK_ADMIN_TOKEN": secret}
	s := startRun(t, dbURL, nil, env)
	ts := &testServer{URL: s.base}
	var l struct {
		ApiTokens struct {
			Edges []struct{ Node struct{ ID, Name string } }
		}
	}
	ts.must(t, secret, `{ apiTokens { edges { node { id name } } } }`, nil, &l)
	id := ""
	for _, e := range l.ApiTokens.Edges {
		if e.Node.Name == "admin (SK_ADMIN_TOKEN)" {
			id = e.Node.ID
		}
	}
	if id == "" {
		t.Fatalf("no SK_ADMIN_TOKEN token in %+v", l)
	}
	ts.must(t, secret, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, map[string]any{"id": id}, nil)
	if r := ts.post(t, secret, `{ viewer { role } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked secret still works: %d", r.Status)
	}
	s.stop(t)

	getenv := func(k string) string {
		if k == "SK_DATABASE_URL" {
			return dbURL
		}
		return env[k]
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Should it start after all, stop it at once and fail.
	stdout := &stopOnServing{cancel: cancel}
	err := run(ctx, []string{"-listen", "127.0.0.1:0", "-scheduler=false"}, getenv, stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SK_ADMIN_TOKEN was revoked") || !strings.Contains(err.Error(), "new secret") {
		t.Fatalf("start with a revoked SK_ADMIN_TOKEN: %v\n%s", err, stdout.String())
	}
	if strings.Contains(stdout.String(), "GraphiQL") {
		t.Errorf("the server started:\n%s", stdout.String())
	}
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	toks, err := db.Client.APIToken.Query().Where(apitoken.TokenHash(auth.Hash(secret))).All(bg())
	if err != nil || len(toks) != 1 || toks[0].RevokedAt == nil {
		t.Fatalf("tokens with the secret after the refused start: %v %v", toks, err)
	}
}

// stopOnServing collects a program's output and cancels it once it
// serves.
type stopOnServing struct {
	strings.Builder
	cancel context.CancelFunc
}

func (w *stopOnServing) Write(p []byte) (int, error) {
	n, err := w.Builder.Write(p)
	if strings.Contains(w.String(), "GraphiQL") {
		w.cancel()
	}
	return n, err
}

// TestDebugLogLevel: at SK_LOG_LEVEL=debug the program writes its
// configuration at start (secrets redacted) and one line per request
// (method, path, status, duration), never a token or a feed secret; at
// info it writes no debug line.
func TestDebugLogLevel(t *testing.T) {
	for _, level := range []string{"debug", "info"} {
		t.Run(level, func(t *testing.T) {
			secret := auth.NewSecret()
			feed := "skc_" + strings.Repeat("x", 43)
			logs := startLogged(t, storetest.URL(t), map[string]string{"SK_ADMIN_TOKEN": secret, "SK_LOG_LEVEL": level},
				func(base string) {
					(&testServer{URL: base}).must(t, secret, `{ viewer { role } }`, nil, nil)
					res, err := http.Get(base + "/calendar/" + feed + ".ics")
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
				})
			for _, leak := range []string{secret, feed} {
				if strings.Contains(logs, leak) {
					t.Errorf("a secret is in the log:\n%s", grepLines(logs, leak))
				}
			}
			debug := grepLines(logs, "level=DEBUG")
			if level == "info" {
				if debug != "" {
					t.Errorf("debug lines at info:\n%s", debug)
				}
				return
			}
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`level=DEBUG msg=configuration .*database=.*admin_token="set \(redacted\)".*log_level=debug.*request_timeout=30s`),
				regexp.MustCompile(`level=DEBUG msg=request method=POST path=/query status=200 bytes=\d+ duration=\S+`),
				regexp.MustCompile(`level=DEBUG msg=request method=GET path=/calendar/skc_REDACTED.ics status=404 bytes=\d+ duration=\S+`),
			} {
				if !want.MatchString(debug) {
					t.Errorf("no debug line matching %s in\n%s", want, logs)
				}
			}
		})
	}
	// A PostgreSQL password is never written.
	for _, u := range []string{"postgres://sk:s3cret-pw@db.example:5432/sk?sslmode=require", "postgres://db.example/sk?password=s3cret-pw&sslmode=require"} {
		if got := redactDatabaseURL(u); strings.Contains(got, "s3cret-pw") || !strings.Contains(got, "db.example") {
			t.Errorf("redactDatabaseURL(%q) = %q", u, got)
		}
	}
}

// startLogged runs the program as `go run .` does, with stderr captured,
// calls use with its base URL, stops it and returns what it logged.
func startLogged(t *testing.T, dbURL string, env map[string]string, use func(base string)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	logs := &syncBuffer{}
	getenv := func(k string) string {
		if k == "SK_DATABASE_URL" {
			return dbURL
		}
		return env[k]
	}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-listen", "127.0.0.1:0", "-scheduler=false"}, getenv, pw, logs)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	base := ""
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		if m := addr.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" {
		cancel()
		t.Fatalf("server did not start: %v\n%s", <-done, logs.String())
	}
	use(base)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	return logs.String()
}

// TestTransientErrorsDoNotReachClients: a database restart (statements
// and BEGINs failing with 57P01 admin_shutdown or 08006) neither refuses
// the token lookup nor the BEGIN of a mutation: the request succeeds.
// When the database stays away past the request's deadline, the answer
// is 503, not INTERNAL.
func TestTransientErrorsDoNotReachClients(t *testing.T) {
	faults := &storetest.Faults{}
	s := newOpsServer(t, appOptions{RequestTimeout: 5 * time.Second}, faults.Wrap)
	shutdown := &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}

	faults.FailStatements(5, shutdown) // the token lookup
	var v struct{ Viewer struct{ Role string } }
	s.must(t, s.Admin, `{ viewer { role } }`, nil, &v)
	if v.Viewer.Role != "ADMIN" || faults.Failed() != 5 {
		t.Fatalf("viewer %+v after %d faults", v, faults.Failed())
	}

	faults.FailBegins(3, &pgconn.PgError{Severity: "FATAL", Code: "08006", Message: "connection failure"})
	var m struct{ CreateMunicipality struct{ ID string } }
	s.must(t, s.Admin, createMunicipality, map[string]any{"in": map[string]any{"ags": "15090998", "name": "Neustadt", "kind": "EINHEITSGEMEINDE"}}, &m)
	if m.CreateMunicipality.ID == "" || faults.Failed() != 8 {
		t.Fatalf("mutation %+v after %d faults", m, faults.Failed())
	}
	if lines := grepLines(s.Logs.String(), "level=ERROR"); lines != "" {
		t.Errorf("retried errors logged as errors:\n%s", lines)
	}

	// Down for longer than the request may take: 503 with a code.
	short := newOpsServer(t, appOptions{RequestTimeout: 300 * time.Millisecond}, faults.Wrap)
	faults.FailStatements(1<<30, shutdown)
	r := short.post(t, short.Admin, `{ viewer { role } }`, nil)
	faults.FailStatements(0, nil)
	if r.Status != http.StatusServiceUnavailable || len(r.Errors) == 0 || r.Errors[0].Code() == "INTERNAL" {
		t.Fatalf("database away past the deadline: %d %s", r.Status, r.Raw)
	}
}

// TestContractorProgrammeFeed: CONTRACTOR creates and revokes programme
// feeds, as the README's role table says ("programme and consultant
// feeds").
func TestContractorProgrammeFeed(t *testing.T) {
	f := newCalFixture(t)
	url, id := f.feed(t, f.contractor, map[string]any{"scope": "PROGRAM"})
	if res, _ := getFeed(t, url); res.StatusCode != http.StatusOK {
		t.Fatalf("contractor's programme feed: %d", res.StatusCode)
	}
	f.must(t, f.contractor, `mutation($id: ID!) { revokeCalendarFeed(id: $id) { revokedAt } }`, map[string]any{"id": id}, nil)
	if res, _ := getFeed(t, url); res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoked programme feed: %d", res.StatusCode)
	}
	// Still not: another Kommune's feed, and no programme feed for a Kommune.
	f.fails(t, f.contractor, createCalendarFeed, map[string]any{"in": map[string]any{"scope": "MUNICIPALITY", "municipalityID": string(f.muni[0].ID)}}, "FORBIDDEN")
	f.fails(t, f.muniToken[0], createCalendarFeed, map[string]any{"in": map[string]any{"scope": "PROGRAM"}}, "FORBIDDEN")
}
