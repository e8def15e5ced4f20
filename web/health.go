package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/graph"
)

// Health answers 200 while the process runs (GET /healthz).
func Health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
}

// Ready answers 200 when the database answers within 2 s, else 503
// (GET /readyz).
func Ready(ping func(context.Context) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ping(ctx); err != nil {
			log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "database unreachable\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
}

// ClientSchema serves the client SDL (also committed as
// api/schema.graphql) for client tools; like introspection, it is off
// with -introspection=off (the caller puts it behind a token).
func ClientSchema(introspection bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !introspection {
			apperr.WriteHTTP(w, apperr.IntrospectionDisabled, "schema introspection is disabled on this server", nil)
			return
		}
		w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
		_, _ = w.Write(graph.ClientSDL())
	})
}
