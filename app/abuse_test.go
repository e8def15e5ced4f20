package app

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAbuse: oversized, deep, expensive and malformed requests each get a
// clear error with a code, and the server stays healthy.
func TestAbuse(t *testing.T) {
	s := newTestServer(t)
	raw := func(contentType string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+s.Admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// A 2 MiB body.
	big := []byte(`{"query":"{ viewer { role } }","variables":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`)
	if code, body := raw("application/json", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "REQUEST_TOO_LARGE") {
		t.Errorf("2 MiB body: %d %.200s", code, body)
	}
	// Malformed JSON and wrong content types.
	for _, c := range []struct{ ct, body string }{
		{"application/json", `{"query": "{ viewer { role } }"`},
		{"application/json", `not json at all`},
		{"text/plain", `{ viewer { role } }`},
		{"application/xml", `<query/>`},
		{"", `{"query":"{ viewer { role } }"}`},
	} {
		code, body := raw(c.ct, []byte(c.body))
		if code < 400 || code >= 500 || !strings.Contains(body, "errors") {
			t.Errorf("%q %q: %d %s", c.ct, c.body, code, body)
		}
	}
	// More than 30 levels deep.
	inner := "id"
	for i := 0; i < 8; i++ {
		inner = "program { participations { edges { node { " + inner + " } } } }"
	}
	deep := "{ participations { edges { node { " + inner + " } } } }"
	if e := s.fails(t, s.Admin, deep, nil, "QUERY_TOO_DEEP"); e.Extensions["limit"] == nil {
		t.Errorf("depth error without the limit: %+v", e)
	}
	// first: 100000.
	s.fails(t, s.Admin, `{ participations(first: 100000) { totalCount } }`, nil, "PAGE_TOO_LARGE")
	s.fails(t, s.Admin, `query($n: Int) { municipalities(last: $n) { totalCount } }`, map[string]any{"n": 5000}, "PAGE_TOO_LARGE")
	// Cost multiplied past the limit by nested pages.
	e := s.fails(t, s.Admin, `{ participations(first: 1000) { edges { node { measures(first: 1000) { edges { node { id title } } } } } } }`, nil, "QUERY_TOO_COMPLEX")
	if e.Extensions["cost"] == nil {
		t.Errorf("complexity error without the cost: %+v", e)
	}
	// A duplicate AGS: a conflict, no constraint name.
	s.fails(t, s.Admin, createMunicipality, map[string]any{"in": map[string]any{"ags": "15003000", "name": "Magdeburg 2", "kind": "KREISFREIE_STADT"}}, "CONFLICT")
	// Still healthy.
	res, err := http.Get(s.URL + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz after abuse: %v %v", res, err)
	}
	res.Body.Close()
	var v struct{ Viewer struct{ Role string } }
	s.must(t, s.Admin, `{ viewer { role } }`, nil, &v)
	// GraphiQL's introspection query fits the limits.
	s.must(t, s.Admin, introspectionQuery, nil, nil)
}

// TestCORS: only configured origins get CORS headers.
func TestCORS(t *testing.T) {
	s := newTestServer(t) // allows https://kitu.example
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := pre("https://kitu.example"); res.StatusCode != http.StatusNoContent ||
		res.Header.Get("Access-Control-Allow-Origin") != "https://kitu.example" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("allowed origin: %d %v", res.StatusCode, res.Header)
	}
	if res := pre("https://evil.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin got CORS headers: %v", res.Header)
	}
}

const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
