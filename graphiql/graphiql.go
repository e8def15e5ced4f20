// Package graphiql serves GraphiQL from the binary: the page at GET / and
// GraphiQL with React under /graphiql/, all embedded, so that the page works
// without internet access and makes no request to another host.
//
// The vendor files in assets/ are GraphiQL's and React's browser builds at
// the versions below, copied unchanged from npm by update-assets.sh, which
// also writes assets/VERSIONS (versions, npm integrity, sha256 of each file)
// and assets/THIRD-PARTY-NOTICES (licences of what GraphiQL bundles). They
// are served at versioned paths (/graphiql/graphiql@3.8.3/…) and the page's
// own script and stylesheet at paths with their content hash, all with a
// one-year immutable cache and subresource integrity on the page. The page
// itself is never cached without revalidation and carries a strict
// Content-Security-Policy: scripts, styles and connections only from the
// server itself, no inline script.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The pinned versions; they name the directories in assets/ and must match
// update-assets.sh (a test checks both against assets/VERSIONS).
const (
	GraphiQLVersion = "3.8.3"
	ReactVersion    = "18.3.1"
)

// AssetPrefix is the path under which the handler serves its files.
const AssetPrefix = "/graphiql/"

// ContentSecurityPolicy is sent with the page. Styles allow 'unsafe-inline'
// because GraphiQL's dialogs (Radix, react-remove-scroll) insert <style>
// elements at run time that no hash or nonce can cover; scripts allow only
// the files served here.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"font-src 'self' data:; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

//go:embed assets ui
var files embed.FS

const immutable = "public, max-age=31536000, immutable"

type asset struct {
	body        []byte
	contentType string
	etag        string
	cache       string

	gzipOnce sync.Once
	gzipped  []byte // nil when gzip does not make it smaller
}

type handler struct {
	page     []byte
	pageETag string
	assets   map[string]*asset // by URL path
}

type ref struct {
	Path      string
	Integrity string
}

// Handler serves the GraphiQL page for the GraphQL endpoint at endpoint
// (a path on the same server, such as "/query") at GET /, and its files
// under AssetPrefix. Mount it at both:
//
//	ui := graphiql.Handler("SicherKOMMUNAL", "/query")
//	mux.Handle("GET /{$}", ui)
//	mux.Handle("GET /graphiql/", ui)
//
// It panics if the embedded files are incomplete, which the package's tests
// rule out.
func Handler(title, endpoint string) http.Handler {
	h, err := newHandler(title, endpoint)
	if err != nil {
		panic("graphiql: " + err.Error())
	}
	return h
}

func newHandler(title, endpoint string) (*handler, error) {
	if !strings.HasPrefix(endpoint, "/") || strings.HasPrefix(endpoint, "//") {
		return nil, fmt.Errorf("endpoint %q is not a path on this server", endpoint)
	}
	h := &handler{assets: map[string]*asset{}}
	// Vendor files: versioned by their directory (graphiql@3.8.3/…).
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "assets/")
		cache := "no-cache"
		if strings.Contains(strings.SplitN(rel, "/", 2)[0], "@") {
			cache = immutable
		}
		h.add(AssetPrefix+rel, body, cache)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The page's own files: versioned by their content.
	own := map[string]string{}
	for _, name := range []string{"page.js", "page.css"} {
		body, err := files.ReadFile("ui/" + name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		p := AssetPrefix + "sk@" + hex.EncodeToString(sum[:6]) + "/" + name
		h.add(p, body, immutable)
		own[name] = p
	}
	use := func(p string) (ref, error) {
		a, ok := h.assets[p]
		if !ok {
			return ref{}, fmt.Errorf("%s is not embedded (run graphiql/update-assets.sh)", p)
		}
		sum := sha512.Sum384(a.body)
		return ref{Path: p, Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sum[:])}, nil
	}
	var data struct {
		Title, Endpoint string
		Styles, Scripts []ref
	}
	data.Title, data.Endpoint = title, endpoint
	for _, p := range []string{
		AssetPrefix + "graphiql@" + GraphiQLVersion + "/graphiql.min.css",
		own["page.css"],
	} {
		r, err := use(p)
		if err != nil {
			return nil, err
		}
		data.Styles = append(data.Styles, r)
	}
	for _, p := range []string{
		AssetPrefix + "react@" + ReactVersion + "/umd/react.production.min.js",
		AssetPrefix + "react-dom@" + ReactVersion + "/umd/react-dom.production.min.js",
		AssetPrefix + "graphiql@" + GraphiQLVersion + "/graphiql.min.js",
		own["page.js"],
	} {
		r, err := use(p)
		if err != nil {
			return nil, err
		}
		data.Scripts = append(data.Scripts, r)
	}
	tmpl, err := template.ParseFS(files, "ui/index.html")
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, data); err != nil {
		return nil, err
	}
	h.page = page.Bytes()
	sum := sha256.Sum256(h.page)
	h.pageETag = `"` + hex.EncodeToString(sum[:12]) + `"`
	return h, nil
}

func (h *handler) add(urlPath string, body []byte, cache string) {
	ct := "text/plain; charset=utf-8"
	switch path.Ext(urlPath) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	}
	sum := sha256.Sum256(body)
	h.assets[urlPath] = &asset{body: body, contentType: ct, cache: cache, etag: hex.EncodeToString(sum[:12])}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.URL.Path == "/" {
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", h.pageETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
		return
	}
	a, ok := h.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", a.cache)
	hd.Set("Vary", "Accept-Encoding")
	body, etag := a.body, `"`+a.etag+`"`
	if acceptsGzip(r) {
		if gz := a.gzip(); gz != nil {
			hd.Set("Content-Encoding", "gzip")
			body, etag = gz, `"`+a.etag+`-gzip"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// gzip compresses the asset once, on first use.
func (a *asset) gzip() []byte {
	a.gzipOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(a.body)
		if zw.Close() == nil && b.Len() < len(a.body)*9/10 {
			a.gzipped = b.Bytes()
		}
	})
	return a.gzipped
}

// acceptsGzip reports whether Accept-Encoding allows gzip (q > 0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "*" {
				continue
			}
			q := 1.0
			if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					q = f
				}
			}
			return q > 0
		}
	}
	return false
}
