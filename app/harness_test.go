package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sicherkommunal/auth"
	"sicherkommunal/store"
	"sicherkommunal/store/storetest"
)

// testClock is the injected clock of a test server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// testServer is the whole application behind a real HTTP server, on a
// fresh database of the backend under test.
type testServer struct {
	URL     string
	Admin   string // bearer secret of an ADMIN token
	DB      *store.DB
	App     *app
	Clock   *testClock
	Counter *storetest.Counter
	Logs    *bytes.Buffer
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerOn(t, storetest.URL(t))
}

// newTestServerOn is newTestServer on a given database.
func newTestServerOn(t *testing.T, dbURL string) *testServer {
	t.Helper()
	counter := &storetest.Counter{}
	return newServerWith(t, dbURL, appOptions{CORSOrigins: []string{"https://kitu.example"}}, store.Options{Wrap: counter.Wrap}, counter)
}

// newServerWith starts the application on a database with options.
func newServerWith(t *testing.T, dbURL string, opts appOptions, sopts store.Options, counter *storetest.Counter) *testServer {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	a, err := newApp(ctx, db, log, clock.Now, opts)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	admin := auth.NewSecret()
	if err := a.auth.EnsureAdminToken(auth.SystemContext(ctx), admin); err != nil {
		t.Fatalf("admin token: %v", err)
	}
	srv := httptest.NewServer(a.handler)
	a.calendar.SetPublicURL(srv.URL)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testServer{URL: srv.URL, Admin: admin, DB: db, App: a, Clock: clock, Counter: counter, Logs: &logs.Buffer}
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) Code() string { s, _ := e.Extensions["code"].(string); return s }

type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    string
}

// post sends a GraphQL request over HTTP with a bearer token ("" for none).
func (s *testServer) post(t testing.TB, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, contentType := requestBody(query, vars)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := gqlResponse{Status: res.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
	return out
}

// testUpload is a variable's value sent as a file: post then sends a
// GraphQL multipart request.
type testUpload struct {
	name    string
	content []byte
}

// requestBody is a JSON body, or a multipart one when a variable is a
// testUpload.
func requestBody(query string, vars map[string]any) (io.Reader, string) {
	files := map[string]testUpload{}
	plain := map[string]any{}
	for k, v := range vars {
		if u, ok := v.(testUpload); ok {
			files[k] = u
			plain[k] = nil
			continue
		}
		plain[k] = v
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": plain})
	if len(files) == 0 {
		return bytes.NewReader(body), "application/json"
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("operations", string(body))
	m := map[string][]string{}
	i := 0
	for k := range files {
		m[strconv.Itoa(i)] = []string{"variables." + k}
		i++
	}
	mb, _ := json.Marshal(m)
	_ = mw.WriteField("map", string(mb))
	for part, paths := range m {
		u := files[strings.TrimPrefix(paths[0], "variables.")]
		fw, _ := mw.CreateFormFile(part, u.name)
		_, _ = fw.Write(u.content)
	}
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// must runs a request that must succeed and decodes its data into v.
func (s *testServer) must(t testing.TB, token, query string, vars map[string]any, v any) {
	t.Helper()
	r := s.post(t, token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("request failed (%d): %s\nquery: %s", r.Status, r.Raw, query)
	}
	if v != nil {
		if err := json.Unmarshal(r.Data, v); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

// fails runs a request that must fail with the given extensions.code.
func (s *testServer) fails(t testing.TB, token, query string, vars map[string]any, code string) gqlError {
	t.Helper()
	r := s.post(t, token, query, vars)
	if len(r.Errors) == 0 {
		t.Fatalf("want error %s, got success: %s", code, r.Raw)
	}
	e := r.Errors[0]
	if e.Code() != code {
		t.Fatalf("want error code %s, got %s", code, r.Raw)
	}
	for _, leak := range []string{"SQL", "sql:", "constraint", "UNIQUE", "pq:", "SQLSTATE", "goroutine", ".go:"} {
		if strings.Contains(r.Raw, leak) {
			t.Fatalf("error leaks internals (%q): %s", leak, r.Raw)
		}
	}
	return e
}

// programID returns the ID of the seeded programme.
func (s *testServer) programID(t testing.TB) string {
	t.Helper()
	var d struct {
		Programs struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	s.must(t, s.Admin, `{ programs(first: 1) { edges { node { id } } } }`, nil, &d)
	if len(d.Programs.Edges) != 1 {
		t.Fatalf("no programme seeded")
	}
	return d.Programs.Edges[0].Node.ID
}

// token creates a token of a role and returns its secret.
func (s *testServer) token(t testing.TB, role string, municipalityID string) string {
	t.Helper()
	in := map[string]any{"name": "test " + role, "role": role}
	if municipalityID != "" {
		in["municipalityID"] = municipalityID
	}
	var d struct {
		CreateApiToken struct{ Token string }
	}
	s.must(t, s.Admin, `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) { token } }`,
		map[string]any{"in": in}, &d)
	return d.CreateApiToken.Token
}

func readAll(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func urlQuery(q string) string { return url.QueryEscape(q) }

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// bg is the context of test code that reads the store directly: the
// system viewer, as the data layer allows nothing without a viewer.
func bg() context.Context { return auth.SystemContext(context.Background()) }
