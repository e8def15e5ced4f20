// Package web is the HTTP surface around GraphQL: middleware (request
// log, CORS, time limit, body limits), the downloads, health and metrics
// endpoints. Errors are answered through apperr's one code-to-status
// table.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/calendar"
	"sicherkommunal/internal/clock"
	"strings"
	"time"
)

// LogRequests writes one debug line per request: method, path (secrets
// in it redacted), status, bytes and duration. Never headers, never the
// query string.
func LogRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := clock.System()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			log.DebugContext(r.Context(), "request", "method", r.Method, "path", redactPath(r.URL.Path),
				"status", status, "bytes", sw.bytes, "duration", clock.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactPath hides the secrets a path may carry: a calendar feed's URL
// is its credential.
func redactPath(p string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		for _, prefix := range []string{calendar.FeedSecretPrefix, auth.SecretPrefix} {
			if strings.HasPrefix(seg, prefix) {
				ext := ""
				if j := strings.LastIndexByte(seg, '.'); j > 0 {
					ext = seg[j:]
				}
				parts[i] = prefix + "REDACTED" + ext
			}
		}
	}
	return strings.Join(parts, "/")
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushing,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// CORS lets the listed browser origins call the API (no wildcard): they
// may send Authorization and Content-Type with GET and POST.
func CORS(origins []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && allowed[origin] {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Timeout bounds the time a request may spend in the resolvers and the
// database.
func Timeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// LimitBody answers 413 for request bodies above n bytes, whether the
// client announced the length (Content-Length) or not (chunked);
// multipart requests (file uploads) are bounded by upload instead.
func LimitBody(n, upload int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
		n := n
		if multipart {
			n = upload // file uploads have their own, larger limit
		}
		if r.ContentLength > n {
			bodyTooLarge(w, n)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		if r.ContentLength < 0 {
			// Unknown length: read it now (at most n bytes), so that an
			// oversized body is refused here and not half-read later;
			// an upload goes to a temporary file, never into memory.
			var buf io.ReadWriter = &bytes.Buffer{}
			if multipart {
				f, err := os.CreateTemp("", "sk-upload-")
				if err != nil {
					apperr.WriteHTTP(w, apperr.Internal, "internal error", nil)
					return
				}
				defer os.Remove(f.Name())
				defer f.Close()
				buf = f
			}
			size, err := io.Copy(buf, r.Body)
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				bodyTooLarge(w, n)
				return
			case err != nil:
				apperr.WriteHTTP(w, apperr.BadRequest, "the request body could not be read", nil)
				return
			}
			if f, ok := buf.(*os.File); ok {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					apperr.WriteHTTP(w, apperr.Internal, "internal error", nil)
					return
				}
				r.Body = io.NopCloser(f)
			} else {
				r.Body = io.NopCloser(buf)
			}
			r.ContentLength = size
		}
		next.ServeHTTP(w, r)
	})
}

func bodyTooLarge(w http.ResponseWriter, n int64) {
	apperr.WriteHTTP(w, apperr.RequestTooLarge,
		fmt.Sprintf("request body too large: the limit is %d bytes", n), map[string]any{"limit": n})
}
