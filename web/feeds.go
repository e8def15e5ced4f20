package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/calendar"
)

// Feeds answers GET (and HEAD) /calendar/{file} where file is
// "<secret>.ics"; the secret in the path is the credential, no bearer
// token is needed. An unknown, revoked or malformed secret is 404
// NOT_FOUND. The answer carries a strong ETag and Last-Modified; a
// matching If-None-Match (or, without one, an If-Modified-Since not older
// than the data) gets 304 after two SQL statements (the feed by its token
// hash, one aggregate over its appointments) and no rendering. Otherwise
// one more statement loads the appointments and the feed is rendered; an
// unconditional request skips the aggregate. Unexpected errors are logged
// and answered 500 INTERNAL.
func Feeds(svc *calendar.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		secret, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
		if !ok {
			apperr.WriteHTTP(w, apperr.NotFound, "calendar feed not found", nil)
			return
		}
		f, err := svc.FeedBySecret(ctx, secret)
		if err != nil {
			feedError(w, r, log, err)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "private, no-cache")
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			st, err := svc.FeedState(ctx, f)
			if err != nil {
				feedError(w, r, log, err)
				return
			}
			if notModified(r, st.ETag(), st.LastModified()) {
				h.Set("ETag", st.ETag())
				h.Set("Last-Modified", st.LastModified().Format(http.TimeFormat))
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		body, st, err := svc.RenderFeed(ctx, f)
		if err != nil {
			feedError(w, r, log, err)
			return
		}
		h.Set("Content-Type", calendar.ContentType)
		h.Set("ETag", st.ETag())
		h.Set("Last-Modified", st.LastModified().Format(http.TimeFormat))
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Content-Disposition", `inline; filename="sicherkommunal.ics"`)
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

// feedError answers with the status of a domain error's code (one table,
// apperr.HTTPStatus); unexpected errors are logged and shown as INTERNAL.
func feedError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, msg, details, ok := apperr.Presentable(err)
	if !ok && log != nil {
		log.ErrorContext(r.Context(), "calendar feed failed", "err", err)
	}
	apperr.WriteHTTP(w, code, msg, details)
}

// notModified evaluates If-None-Match (weak comparison, RFC 9110 13.1.2)
// and, only without it, If-Modified-Since.
func notModified(r *http.Request, etag string, lastModified time.Time) bool {
	if inm := strings.Join(r.Header.Values("If-None-Match"), ","); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil {
			return !lastModified.Truncate(time.Second).After(t)
		}
	}
	return false
}
