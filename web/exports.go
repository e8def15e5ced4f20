package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/graph"
	"sicherkommunal/programme"
	"sicherkommunal/reconcile"
)

// ReconciliationExport serves the reconciliation report as a download:
// GET /exports/reconciliation.csv or .xlsx?programID=…&from=YYYY-MM-DD&to=YYYY-MM-DD
// (from and to may be left out: the programme's start and today)
// with a bearer token of a role that may query reconciliation (auth.Middleware
// answers 401 before this handler runs).
func ReconciliationExport(svc *reconcile.Service, client *ent.Client, now func() time.Time, log *slog.Logger, xlsx bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// The download is the reconciliation query's data: who may ask
		// for one may download the other.
		v := auth.FromContext(ctx)
		if v == nil || !graph.Allows(v.Role, "Query", "reconciliation") {
			exportError(w, log, apperr.New(apperr.Forbidden, "this token may not download the reconciliation"))
			return
		}
		q := r.URL.Query()
		programID := pulid.ID(q.Get("programID"))
		if programID == "" {
			exportError(w, log, apperr.New(apperr.Validation, "the query parameter programID is required"))
			return
		}
		// from and to default to the programme's start and today.
		var bounds [2]*time.Time
		for i, name := range []string{"from", "to"} {
			if q.Get(name) == "" {
				continue
			}
			d, err := time.Parse(time.DateOnly, q.Get(name))
			if err != nil {
				exportError(w, log, apperr.New(apperr.Validation, "the query parameter %s must be a date YYYY-MM-DD", name))
				return
			}
			bounds[i] = &d
		}
		var dates [2]time.Time
		var err error
		dates[0], dates[1], err = programme.PeriodOf(ctx, client, programID, bounds[0], bounds[1], now())
		if err != nil {
			exportError(w, log, err)
			return
		}
		rep, err := svc.Report(ctx, programID, dates[0], dates[1])
		if err != nil {
			exportError(w, log, err)
			return
		}
		// The open items follow the field matrix, as in the query: a role
		// that may not read bank lines (or ledger entries) gets their
		// counts, not the lines.
		omit := reconcile.Omit{
			BankLines: !graph.Allows(v.Role, "ReconciliationRow", "openBankTransactions") ||
				!graph.Allows(v.Role, "Reconciliation", "unattributedBankTransactions"),
			LedgerEntries: !graph.Allows(v.Role, "ReconciliationRow", "unconfirmedEntries"),
		}
		var buf bytes.Buffer
		name := fmt.Sprintf("reconciliation-%s-%s", dates[0].Format(time.DateOnly), dates[1].Format(time.DateOnly))
		if xlsx {
			err = reconcile.WriteXLSX(&buf, rep, omit)
			w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			name += ".xlsx"
		} else {
			err = reconcile.WriteCSV(&buf, rep)
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			name += ".csv"
		}
		if err != nil {
			exportError(w, log, err)
			return
		}
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	})
}

// exportError answers with the status of a domain error's code (one
// table, apperr.HTTPStatus) and the same JSON error shape as /query;
// unexpected errors are logged and shown as INTERNAL.
func exportError(w http.ResponseWriter, log *slog.Logger, err error) {
	code, msg, details, ok := apperr.Presentable(err)
	if !ok {
		log.Error("export failed", "err", err)
	}
	apperr.WriteHTTP(w, code, msg, details)
}
