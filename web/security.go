package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/assessment"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/graph"
	"sicherkommunal/oscal"
)

// The content types of the downloads.
const (
	contentCSV  = "text/csv; charset=utf-8"
	contentXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	contentJSON = "application/json; charset=utf-8"
)

// SecurityExport serves the security picture per Kommune and checklist as
// a download: GET /exports/security.csv or .xlsx?programID=…[&kind=BASELINE|FOLLOW_UP]
// (without kind both kinds; assessment.KommuneRows, WriteKommuneCSV,
// WriteKommuneXLSX), with a bearer token of a role that may read the
// picture's perKommune (auth.Middleware answers 401 before this handler
// runs). zone gives the submission days. Errors: FORBIDDEN for another
// role, VALIDATION for a missing programID or an unknown kind, NOT_FOUND
// for an unknown programme.
func SecurityExport(svc *assessment.Service, client *ent.Client, zone *time.Location, log *slog.Logger, xlsx bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// The download is perKommune of the programSecurity query: who may
		// select that field may download it.
		v := auth.FromContext(ctx)
		if v == nil || !graph.Allows(v.Role, "Query", "programSecurity") || !graph.Allows(v.Role, "ProgramSecurity", "perKommune") {
			exportError(w, log, apperr.New(apperr.Forbidden, "this token may not download the security picture per Kommune"))
			return
		}
		programID, kind, err := pictureParams(r.URL.Query())
		if err != nil {
			exportError(w, log, err)
			return
		}
		rows, err := assessment.KommuneRows(ctx, client, svc.Dialect, programID, kind, zone)
		if err != nil {
			exportError(w, log, err)
			return
		}
		var buf bytes.Buffer
		name := "security"
		if kind != nil {
			name += "-" + strings.ToLower(string(*kind))
		}
		typ := contentCSV
		if xlsx {
			err = assessment.WriteKommuneXLSX(&buf, rows)
			typ, name = contentXLSX, name+".xlsx"
		} else {
			err = assessment.WriteKommuneCSV(&buf, rows)
			name += ".csv"
		}
		if err != nil {
			exportError(w, log, err)
			return
		}
		download(w, typ, name, buf.Bytes())
	})
}

// AnonymisedSecurityExport serves the anonymised picture as a workbook:
// GET /exports/security-anonymised.xlsx?programID=…[&kind=BASELINE|FOLLOW_UP]
// (kind BASELINE if left out), the figures the programSecurity query
// gives the BSI (assessment.ProgramPicture, anonymised, with the
// questions most often NO; WritePictureXLSX), for every role that may
// query programSecurity. Errors: FORBIDDEN for another role, VALIDATION
// for a missing programID or an unknown kind, NOT_FOUND for an unknown
// programme.
func AnonymisedSecurityExport(svc *assessment.Service, client *ent.Client, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := auth.FromContext(ctx)
		if v == nil || !graph.Allows(v.Role, "Query", "programSecurity") {
			exportError(w, log, apperr.New(apperr.Forbidden, "this token may not download the security picture"))
			return
		}
		programID, kind, err := pictureParams(r.URL.Query())
		if err != nil {
			exportError(w, log, err)
			return
		}
		if kind == nil {
			k := types.AssessmentBaseline
			kind = &k
		}
		pic, err := assessment.ProgramPicture(ctx, client, svc.Dialect, assessment.PictureInput{
			ProgramID: programID, Kind: *kind, Anonymised: true, TopGaps: assessment.TopGaps})
		if err != nil {
			exportError(w, log, err)
			return
		}
		var buf bytes.Buffer
		if err := assessment.WritePictureXLSX(&buf, pic); err != nil {
			exportError(w, log, err)
			return
		}
		download(w, contentXLSX, "security-anonymised-"+strings.ToLower(string(*kind))+".xlsx", buf.Bytes())
	})
}

// AssessmentOSCAL serves one assessment as OSCAL assessment results:
// GET /exports/assessments/{file} where file is "<id>.oscal.json"
// (assessment.Results, oscal.WriteAssessmentResults), read with the
// viewer's rights, for a role that may query assessments. Errors:
// FORBIDDEN for another role; NOT_FOUND for a malformed name, an unknown
// assessment and one the viewer may not read alike.
func AssessmentOSCAL(svc *assessment.Service, client *ent.Client, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		v := auth.FromContext(ctx)
		if v == nil || !graph.Allows(v.Role, "Query", "assessments") {
			exportError(w, log, apperr.New(apperr.Forbidden, "this token may not download assessments"))
			return
		}
		id, ok := strings.CutSuffix(r.PathValue("file"), ".oscal.json")
		if !ok || id == "" {
			exportError(w, log, apperr.New(apperr.NotFound, "assessment not found"))
			return
		}
		ar, err := assessment.Results(ctx, client, pulid.ID(id), svc.Now())
		if err != nil {
			exportError(w, log, err)
			return
		}
		doc, err := oscal.WriteAssessmentResults(ar, oscal.NewUUID)
		if err != nil {
			exportError(w, log, err)
			return
		}
		download(w, contentJSON, ar.Assessment.ID+".oscal.json", doc)
	})
}

// pictureParams are the query parameters of the picture's downloads:
// programID (required) and kind (nil if absent).
func pictureParams(q url.Values) (pulid.ID, *types.AssessmentKind, error) {
	id := pulid.ID(q.Get("programID"))
	if id == "" {
		return "", nil, apperr.New(apperr.Validation, "the query parameter programID is required")
	}
	s := q.Get("kind")
	if s == "" {
		return id, nil, nil
	}
	values := types.AssessmentKind("").Values()
	if !slices.Contains(values, s) {
		return "", nil, apperr.New(apperr.Validation, "the query parameter kind must be one of %s", strings.Join(values, ", "))
	}
	k := types.AssessmentKind(s)
	return id, &k, nil
}

// download writes a whole file as an attachment that is not cached.
func download(w http.ResponseWriter, contentType, name string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
