package graphiql

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, h http.Handler, method, target string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

var (
	tagRe  = regexp.MustCompile(`<(script|link)\b([^>]*)>`)
	attrRe = regexp.MustCompile(`\b([a-z-]+)="([^"]*)"`)
)

type pageRef struct {
	tag, rel, url, integrity string
}

func pageRefs(t *testing.T, page []byte) []pageRef {
	t.Helper()
	var refs []pageRef
	for _, m := range tagRe.FindAllStringSubmatch(string(page), -1) {
		r := pageRef{tag: m[1]}
		for _, a := range attrRe.FindAllStringSubmatch(m[2], -1) {
			v := html.UnescapeString(a[2])
			switch a[1] {
			case "src", "href":
				r.url = v
			case "rel":
				r.rel = v
			case "integrity":
				r.integrity = v
			}
		}
		if r.tag == "script" && r.url == "" {
			t.Errorf("inline script on the page: %s", m[0])
		}
		refs = append(refs, r)
	}
	return refs
}

// TestPageAssets: every file the page references is served with 200, the
// content type its tag needs, a long immutable cache, and the integrity the
// page names; the page loads React, ReactDOM, GraphiQL and its own script
// and styles, and nothing else.
func TestPageAssets(t *testing.T) {
	h := Handler("SicherKOMMUNAL", "/query")
	res, page := serve(t, h, "GET", "/", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	want := map[string]string{
		"/graphiql/react@" + ReactVersion + "/umd/react.production.min.js":         "text/javascript; charset=utf-8",
		"/graphiql/react-dom@" + ReactVersion + "/umd/react-dom.production.min.js": "text/javascript; charset=utf-8",
		"/graphiql/graphiql@" + GraphiQLVersion + "/graphiql.min.js":               "text/javascript; charset=utf-8",
		"/graphiql/graphiql@" + GraphiQLVersion + "/graphiql.min.css":              "text/css; charset=utf-8",
	}
	var scripts, styles int
	for _, r := range pageRefs(t, page) {
		if r.tag == "link" && r.rel == "icon" {
			if r.url != "data:," {
				t.Errorf("icon %q: the browser would fetch it", r.url)
			}
			continue
		}
		wantType := "text/javascript; charset=utf-8"
		if r.tag == "link" {
			if r.rel != "stylesheet" {
				t.Errorf("unexpected <link rel=%q href=%q>", r.rel, r.url)
				continue
			}
			wantType = "text/css; charset=utf-8"
			styles++
		} else {
			scripts++
		}
		if !strings.HasPrefix(r.url, AssetPrefix) {
			t.Errorf("%s %q is not under %s", r.tag, r.url, AssetPrefix)
			continue
		}
		res, body := serve(t, h, "GET", r.url, nil)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", r.url, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != wantType {
			t.Errorf("%s: Content-Type %q, want %q", r.url, got, wantType)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", r.url, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", r.url)
		}
		sum := sha512.Sum384(body)
		if r.integrity != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: integrity %q does not match the served body", r.url, r.integrity)
		}
		if len(body) == 0 {
			t.Errorf("%s: empty", r.url)
		}
		delete(want, r.url)
	}
	for p := range want {
		t.Errorf("page does not reference %s", p)
	}
	if scripts != 4 || styles != 2 {
		t.Errorf("page has %d scripts and %d stylesheets, want 4 and 2", scripts, styles)
	}
	// The token field, labelled, above GraphiQL.
	for _, s := range []string{`<label for="sk-token">Bearer token</label>`, `<input id="sk-token"`, `data-endpoint="/query"`} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("page lacks %s", s)
		}
	}
	if i, j := bytes.Index(page, []byte(`id="sk-token"`)), bytes.Index(page, []byte(`id="graphiql"`)); i < 0 || j < 0 || i > j {
		t.Errorf("token field is not above GraphiQL")
	}
}

// TestNoRequestLeavesTheServer: neither the page nor the stylesheets name
// an absolute URL (http:, https: or protocol-relative //host) that a browser
// would load; CSS url()s are data: URLs or local; no @import.
func TestNoRequestLeavesTheServer(t *testing.T) {
	h := Handler("SicherKOMMUNAL", "/query")
	_, page := serve(t, h, "GET", "/", nil)
	if m := regexp.MustCompile(`(?i)https?:|["'(=]\s*//`).Find(page); m != nil {
		t.Errorf("page names an absolute URL (%q):\n%s", m, page)
	}
	urlRe := regexp.MustCompile(`url\(\s*['"]?([^'")]*)`)
	for _, r := range pageRefs(t, page) {
		if r.rel != "stylesheet" {
			continue
		}
		_, css := serve(t, h, "GET", r.url, nil)
		if bytes.Contains(css, []byte("@import")) {
			t.Errorf("%s has @import", r.url)
		}
		for _, m := range urlRe.FindAllSubmatch(css, -1) {
			u := string(m[1])
			if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") {
				continue
			}
			if strings.Contains(u, ":") || strings.HasPrefix(u, "//") {
				t.Errorf("%s loads %q", r.url, u)
			}
		}
	}
}

// TestHeaders: the page's Content-Security-Policy allows scripts, styles
// and connections only from the server itself and no inline script; the
// page is revalidated and can be answered with 304.
func TestHeaders(t *testing.T) {
	h := Handler("SicherKOMMUNAL", "/query")
	res, _ := serve(t, h, "GET", "/", nil)
	csp := res.Header.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"connect-src":     "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	} {
		if directives[name] != want {
			t.Errorf("CSP %s is %q, want %q (CSP %q)", name, directives[name], want, csp)
		}
	}
	for name, value := range directives {
		for _, src := range strings.Fields(value) {
			if src != "'self'" && src != "'none'" && src != "data:" && src != "'unsafe-inline'" {
				t.Errorf("CSP %s allows %s", name, src)
			}
			if src == "'unsafe-inline'" && name != "style-src" {
				t.Errorf("CSP %s allows 'unsafe-inline'", name)
			}
		}
	}
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page headers: %v", res.Header)
	}
	etag := res.Header.Get("ETag")
	if res, _ := serve(t, h, "GET", "/", map[string]string{"If-None-Match": etag}); etag == "" || res.StatusCode != 304 {
		t.Errorf("If-None-Match %q: %d", etag, res.StatusCode)
	}
	if res, body := serve(t, h, "HEAD", "/", nil); res.StatusCode != 200 || len(body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", res.StatusCode, len(body))
	}
	if res, _ := serve(t, h, "POST", "/", nil); res.StatusCode != 405 {
		t.Errorf("POST: %d", res.StatusCode)
	}
}

// TestGzip: compressible assets are sent gzipped to clients that accept it
// (with an ETag of their own) and plain to the others.
func TestGzip(t *testing.T) {
	h := Handler("SicherKOMMUNAL", "/query")
	p := "/graphiql/graphiql@" + GraphiQLVersion + "/graphiql.min.js"
	_, plain := serve(t, h, "GET", p, nil)
	res, gz := serve(t, h, "GET", p, map[string]string{"Accept-Encoding": "br;q=1, gzip;q=0.8"})
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("headers %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("gzipped body differs (%v)", err)
	}
	if len(gz) > len(plain)/2 {
		t.Errorf("gzip: %d of %d bytes", len(gz), len(plain))
	}
	for _, ae := range []string{"", "identity", "gzip;q=0", "br"} {
		res, body := serve(t, h, "GET", p, map[string]string{"Accept-Encoding": ae})
		if res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", ae, res.Header.Get("Content-Encoding"))
		}
	}
	etag := res.Header.Get("ETag")
	if res, _ := serve(t, h, "GET", p, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); res.StatusCode != 304 {
		t.Errorf("If-None-Match on the gzipped variant: %d", res.StatusCode)
	}
}

func TestNotFound(t *testing.T) {
	h := Handler("SicherKOMMUNAL", "/query")
	for _, p := range []string{
		"/graphiql/",
		"/graphiql/nope.js",
		"/graphiql/graphiql@0.0.1/graphiql.min.js",
		"/graphiql/../server.go",
		"/graphiql/sk@000000000000/page.js",
	} {
		if res, _ := serve(t, h, "GET", p, nil); res.StatusCode != 404 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

// TestVersions: assets/VERSIONS names the pinned versions, which the Go
// constants and update-assets.sh agree on, and the sha256 of every vendor
// file; each vendor directory ships its licence.
func TestVersions(t *testing.T) {
	data, err := os.ReadFile("assets/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	packages := map[string]string{}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 5 && f[0] == "package":
			packages[f[1]] = f[2]
			if f[3] != "MIT" {
				t.Errorf("%s is licensed %s", f[1], f[3])
			}
		case len(f) == 3 && f[0] == "file":
			listed[f[1]] = true
			body, err := files.ReadFile("assets/" + f[1])
			if err != nil {
				t.Errorf("VERSIONS lists %s: %v", f[1], err)
				continue
			}
			if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != f[2] {
				t.Errorf("%s differs from the file fetched from npm (sha256 in VERSIONS)", f[1])
			}
		}
	}
	for name, v := range map[string]string{"graphiql": GraphiQLVersion, "react": ReactVersion, "react-dom": ReactVersion} {
		if packages[name] != v {
			t.Errorf("VERSIONS: %s %q, want %q", name, packages[name], v)
		}
		if !listed[name+"@"+v+"/LICENSE"] {
			t.Errorf("no licence for %s@%s", name, v)
		}
	}
	script, err := os.ReadFile("update-assets.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, pin := range []string{"GRAPHIQL_VERSION=" + GraphiQLVersion + "\n", "REACT_VERSION=" + ReactVersion + "\n"} {
		if !bytes.Contains(script, []byte(pin)) {
			t.Errorf("update-assets.sh does not pin %q", strings.TrimSpace(pin))
		}
	}
	h := Handler("SicherKOMMUNAL", "/query")
	for _, p := range []string{"/graphiql/VERSIONS", "/graphiql/THIRD-PARTY-NOTICES", "/graphiql/graphiql@" + GraphiQLVersion + "/LICENSE"} {
		if res, body := serve(t, h, "GET", p, nil); res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" || len(body) == 0 {
			t.Errorf("%s: %d %q", p, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

// TestTitleEscaped: the title and endpoint are HTML-escaped; an endpoint
// that is not a path on this server is refused.
func TestTitleEscaped(t *testing.T) {
	h := Handler(`<b>"x"</b>`, "/q?a=1&b=2")
	_, page := serve(t, h, "GET", "/", nil)
	if bytes.Contains(page, []byte("<b>")) || !bytes.Contains(page, []byte(`data-endpoint="/q?a=1&amp;b=2"`)) {
		t.Errorf("not escaped:\n%s", page)
	}
	for _, ep := range []string{"https://example.org/query", "//example.org/query", "query"} {
		if _, err := newHandler("x", ep); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}
