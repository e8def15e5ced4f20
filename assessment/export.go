package assessment

// The downloads of the security picture: the scores of every Kommune per
// checklist (KommuneRows, WriteKommuneCSV, WriteKommuneXLSX), the
// anonymised picture as a workbook (WritePictureXLSX), and one assessment
// as OSCAL assessment results (Results).

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/municipality"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/oscal"
	"sicherkommunal/reconcile"
	"sicherkommunal/store"
)

// TopGaps is how many questions most often answered NO the anonymised
// download lists: as many as the programSecurity resolver asks for.
const TopGaps = 10

// KommuneRow is one checklist of a Kommune's submitted (or confirmed)
// assessment of one kind.
type KommuneRow struct {
	ParticipationID  pulid.ID
	Municipality     string
	AGS              string // empty for a Kommune without one
	MunicipalityKind municipality.Kind
	Kind             types.AssessmentKind
	Status           types.AssessmentStatus
	// SubmittedOn is the day of submission in the zone given to
	// KommuneRows (the programme's).
	SubmittedOn *time.Time
	Checklist   GroupScore
}

// kommuneRowsQuery are the answer counts per checklist of the submitted
// and confirmed assessments of a programme (as countsQuery), of the given
// kinds, with the Kommune and the assessment's status.
const kommuneRowsQuery = `SELECT p.id, m.name, m.ags, m.kind, s.kind, s.status, s.submitted_at, g.id, g.number, g.title, g.priority,
  SUM(CASE WHEN a.status = 'OPEN' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'YES' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'PARTIAL' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'NO' THEN 1 ELSE 0 END),
  SUM(CASE WHEN a.status = 'NOT_APPLICABLE' THEN 1 ELSE 0 END)
FROM assessments s
JOIN participations p ON p.id = s.participation_id
JOIN municipalities m ON m.id = p.municipality_id
JOIN answers a ON a.assessment_id = s.id
JOIN requirements r ON r.id = a.requirement_id
JOIN catalog_groups g ON g.id = r.group_id
WHERE p.program_id = ? AND s.status IN ` + SubmittedSQL + ` AND s.kind IN (%s)
GROUP BY p.id, m.name, m.ags, m.kind, s.id, s.kind, s.status, s.submitted_at, g.id, g.number, g.title, g.priority`

// KommuneRows are the rows of the per-Kommune download: one per Kommune,
// assessment kind (nil: both) and checklist, of the submitted and
// confirmed assessments, ordered by participation, kind and checklist
// number; submission days in zone. Two statements whatever the number of
// Kommunen: the programme (read with the viewer's rights; NOT_FOUND) and
// the counts, in SQL that passes no row rule: the caller decides who may
// (the field matrix of perKommune).
func KommuneRows(ctx context.Context, c *ent.Client, d store.Dialect, programID pulid.ID, kind *types.AssessmentKind, zone *time.Location) ([]KommuneRow, error) {
	if _, err := c.Program.Get(ctx, programID); ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "programme %s not found", programID)
	} else if err != nil {
		return nil, err
	}
	kinds := types.AssessmentKind("").Values()
	if kind != nil {
		kinds = []string{string(*kind)}
	}
	args := []any{string(programID)}
	for _, k := range kinds {
		args = append(args, k)
	}
	rs, err := c.QueryContext(ctx, d.Rebind(fmt.Sprintf(kommuneRowsQuery, store.Placeholders(len(kinds)))), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []KommuneRow{}
	for rs.Next() {
		var (
			r                        KommuneRow
			pid, mk, ak, status, gid string
			ags                      sql.NullString
			submitted                sql.NullTime
			cn                       = &r.Checklist.Counts
		)
		if err := rs.Scan(&pid, &r.Municipality, &ags, &mk, &ak, &status, &submitted, &gid,
			&r.Checklist.Number, &r.Checklist.Title, &r.Checklist.Priority,
			&cn.Open, &cn.Yes, &cn.Partial, &cn.No, &cn.NotApplicable); err != nil {
			return nil, err
		}
		r.ParticipationID, r.AGS, r.MunicipalityKind = pulid.ID(pid), ags.String, municipality.Kind(mk)
		r.Kind, r.Status, r.Checklist.GroupID = types.AssessmentKind(ak), types.AssessmentStatus(status), pulid.ID(gid)
		if submitted.Valid {
			day := types.DateOf(submitted.Time, zone)
			r.SubmittedOn = &day
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b KommuneRow) int {
		if n := strings.Compare(string(a.ParticipationID), string(b.ParticipationID)); n != 0 {
			return n
		}
		if n := strings.Compare(string(a.Kind), string(b.Kind)); n != 0 {
			return n
		}
		return a.Checklist.Number - b.Checklist.Number
	})
	return out, nil
}

// KommuneColumns are the columns of the per-Kommune download.
var KommuneColumns = []string{
	"participation_id", "municipality", "ags", "municipality_kind", "assessment_kind",
	"checklist", "checklist_title", "priority",
	"yes", "partial", "no", "not_applicable", "open",
	"fulfilled_percent", "complete", "status", "submitted_on",
}

// cells are the row's values in the order of KommuneColumns: counts as
// ints, the share fulfilled as the exact Ratio.Percent (nil when no
// applicable question is answered), complete as a bool, the day as a
// time (nil if none).
func (r KommuneRow) cells() []any {
	g := r.Checklist
	var submitted any
	if r.SubmittedOn != nil {
		submitted = *r.SubmittedOn
	}
	return []any{string(r.ParticipationID), r.Municipality, r.AGS, string(r.MunicipalityKind), string(r.Kind),
		g.Number, g.Title, g.Priority,
		g.Counts.Yes, g.Counts.Partial, g.Counts.No, g.Counts.NotApplicable, g.Counts.Open,
		g.Counts.Fulfilled().Percent(), g.Counts.Complete(), string(r.Status), submitted}
}

// WriteKommuneCSV writes the rows as CSV (RFC 4180, UTF-8, a header row):
// counts as integers, fulfilled_percent with a decimal point and two
// places (empty when no applicable question is answered), complete as
// true or false, submitted_on as YYYY-MM-DD. Text cells that a spreadsheet
// would take for a formula start with a single quote (reconcile.CSVText);
// numbers the server formats itself are written as they are.
func WriteKommuneCSV(w io.Writer, rows []KommuneRow) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(KommuneColumns))
	for i, c := range KommuneColumns {
		head[i] = reconcile.CSVText(c)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range rows {
		var rec []string
		for _, v := range r.cells() {
			switch v := v.(type) {
			case nil:
				rec = append(rec, "")
			case string:
				rec = append(rec, reconcile.CSVText(v))
			case int:
				rec = append(rec, strconv.Itoa(v))
			case bool:
				rec = append(rec, strconv.FormatBool(v))
			case *decimal.Decimal:
				if v == nil {
					rec = append(rec, "")
				} else {
					rec = append(rec, v.StringFixed(2))
				}
			case time.Time:
				rec = append(rec, v.Format(time.DateOnly))
			default:
				return fmt.Errorf("csv: unsupported value %T", v)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// XLSX sheet names.
const (
	SheetKommunen    = "Kommunen"
	SheetSummary     = "Summary"
	SheetChecklists  = "Checklists"
	SheetByKind      = "By kind"
	SheetMostOftenNo = "Most often NO"
	SheetChange      = "Change"
)

// WriteKommuneXLSX writes the rows as a workbook with one sheet, Kommunen:
// the CSV's header (bold) and rows, counts as numbers, fulfilled_percent
// as a number with two places written from its exact decimal text,
// complete as a boolean, submitted_on as a date; names are text cells,
// never formulas.
func WriteKommuneXLSX(w io.Writer, rows []KommuneRow) error {
	x := newSheets(SheetKommunen)
	defer x.f.Close()
	x.header(SheetKommunen, KommuneColumns...)
	for i, r := range rows {
		x.row(SheetKommunen, i+2, r.cells()...)
	}
	x.width(SheetKommunen, "A", "A", 30)
	x.width(SheetKommunen, "B", "B", 36)
	x.width(SheetKommunen, "G", "G", 36)
	return x.write(w)
}

// WritePictureXLSX writes a picture's figures as a workbook, the fields of
// the programSecurity query and nothing else (never PerKommune or Own):
// Summary (kind, anonymised, minimum group, Kommunen), Checklists, By
// kind (one row per kind and checklist; a withheld kind in one row with
// its reason), Most often NO and Change. A figure that is withheld is an
// empty cell beside its reason; shares are numbers in percent with two
// places, counts numbers.
func WritePictureXLSX(w io.Writer, p *Picture) error {
	x := newSheets(SheetSummary)
	defer x.f.Close()
	x.row(SheetSummary, 1, "kind", string(p.Kind))
	x.row(SheetSummary, 2, "anonymised", p.Anonymised)
	x.row(SheetSummary, 3, "minimum_group", p.MinimumGroup())
	x.row(SheetSummary, 4, "kommunen", p.Kommunen)
	x.width(SheetSummary, "A", "B", 18)

	figures := []string{"number", "title", "priority", "kommunen", "min", "q1", "median", "q3", "max", "fully_fulfilled", "withheld"}
	x.sheet(SheetChecklists)
	x.header(SheetChecklists, figures...)
	for i, f := range p.Checklists {
		x.row(SheetChecklists, i+2, f.cells()...)
	}
	x.width(SheetChecklists, "B", "B", 36)
	x.width(SheetChecklists, "K", "K", 50)

	x.sheet(SheetByKind)
	x.header(SheetByKind, append([]string{"municipality_kind", "kind_kommunen", "kind_withheld"}, figures...)...)
	n := 2
	for _, k := range p.ByKind {
		kind := []any{string(k.MunicipalityKind), k.Kommunen, k.Withheld}
		if len(k.Checklists) == 0 {
			x.row(SheetByKind, n, kind...)
			n++
		}
		for _, f := range k.Checklists {
			x.row(SheetByKind, n, append(kind, f.cells()...)...)
			n++
		}
	}
	x.width(SheetByKind, "A", "A", 20)
	x.width(SheetByKind, "C", "C", 50)
	x.width(SheetByKind, "E", "E", 36)
	x.width(SheetByKind, "N", "N", 50)

	x.sheet(SheetMostOftenNo)
	x.header(SheetMostOftenNo, "ref", "question", "checklist", "kommunen", "withheld")
	for i, g := range p.MostOftenNo {
		x.row(SheetMostOftenNo, i+2, g.Ref, g.Question, g.Checklist, g.Kommunen, g.Withheld)
	}
	x.width(SheetMostOftenNo, "B", "B", 60)
	x.width(SheetMostOftenNo, "E", "E", 50)

	x.sheet(SheetChange)
	x.header(SheetChange, "number", "title", "kommunen", "baseline_median", "follow_up_median", "median_change",
		"improved", "unchanged", "worse", "withheld")
	for i, c := range p.Change {
		x.row(SheetChange, i+2, c.Number, c.Title, c.Kommunen, c.BaselineMedian, c.FollowUpMedian, c.MedianChange,
			c.Improved, c.Unchanged, c.Worse, c.Withheld)
	}
	x.width(SheetChange, "B", "B", 36)
	x.width(SheetChange, "J", "J", 50)
	return x.write(w)
}

// cells are a checklist's figures from number to withheld.
func (f *ChecklistFigures) cells() []any {
	out := []any{f.Number, f.Title, f.Priority, f.Kommunen}
	if d := f.Fulfilled; d != nil {
		out = append(out, d.Min, d.Q1, d.Median, d.Q3, d.Max)
	} else {
		out = append(out, nil, nil, nil, nil, nil)
	}
	return append(out, f.FullyFulfilled, f.Withheld)
}

// sheets writes cells into a workbook and keeps the first error.
type sheets struct {
	f                  *excelize.File
	err                error
	bold, percent, day int
}

// newSheets is a workbook whose first sheet is named first, with the
// styles of header rows, shares and days.
func newSheets(first string) *sheets {
	x := &sheets{f: excelize.NewFile()}
	x.err = x.f.SetSheetName("Sheet1", first)
	pct, day := "0.00", "yyyy-mm-dd"
	x.bold = x.style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	x.percent = x.style(&excelize.Style{CustomNumFmt: &pct})
	x.day = x.style(&excelize.Style{CustomNumFmt: &day})
	return x
}

func (x *sheets) style(s *excelize.Style) int {
	if x.err != nil {
		return 0
	}
	id, err := x.f.NewStyle(s)
	x.err = err
	return id
}

func (x *sheets) sheet(name string) {
	if x.err == nil {
		_, x.err = x.f.NewSheet(name)
	}
}

func (x *sheets) width(sheet, from, to string, w float64) {
	if x.err == nil {
		x.err = x.f.SetColWidth(sheet, from, to, w)
	}
}

// header writes row 1 in bold.
func (x *sheets) header(sheet string, names ...string) {
	for i, name := range names {
		if x.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if x.err = x.f.SetCellStr(sheet, cell, name); x.err == nil {
			x.err = x.f.SetCellStyle(sheet, cell, cell, x.bold)
		}
	}
}

// row writes values from column A on: text as text cells (never a
// formula), ints and decimals as numbers (a decimal from its exact text,
// no float), bools as booleans, times as days; nil (or a nil pointer) is
// an empty cell.
func (x *sheets) row(sheet string, n int, values ...any) {
	for i, v := range values {
		if x.err != nil {
			return
		}
		cell, err := excelize.CoordinatesToCellName(i+1, n)
		if err != nil {
			x.err = err
			return
		}
		switch v := v.(type) {
		case nil:
		case string:
			x.err = x.f.SetCellStr(sheet, cell, v)
		case *string:
			if v != nil {
				x.err = x.f.SetCellStr(sheet, cell, *v)
			}
		case int:
			x.err = x.f.SetCellInt(sheet, cell, int64(v))
		case *int:
			if v != nil {
				x.err = x.f.SetCellInt(sheet, cell, int64(*v))
			}
		case bool:
			x.err = x.f.SetCellBool(sheet, cell, v)
		case decimal.Decimal:
			x.decimal(sheet, cell, v)
		case *decimal.Decimal:
			if v != nil {
				x.decimal(sheet, cell, *v)
			}
		case time.Time:
			if x.err = x.f.SetCellValue(sheet, cell, v); x.err == nil {
				x.err = x.f.SetCellStyle(sheet, cell, cell, x.day)
			}
		default:
			x.err = fmt.Errorf("xlsx: unsupported value %T", v)
		}
	}
}

func (x *sheets) decimal(sheet, cell string, d decimal.Decimal) {
	if x.err = x.f.SetCellDefault(sheet, cell, d.StringFixed(2)); x.err == nil {
		x.err = x.f.SetCellStyle(sheet, cell, cell, x.percent)
	}
}

func (x *sheets) write(w io.Writer) error {
	if x.err != nil {
		return x.err
	}
	return x.f.Write(w)
}

// Results reads one assessment as OSCAL assessment results
// (oscal.WriteAssessmentResults), with the viewer's rights (ent privacy):
// the assessment with its Kommune (name, AGS), catalogue and consultant,
// and every answer in catalogue order with who answered it last and when
// (the answer's answered_by and answered_at, written with each of its
// changes). At most eight statements, whatever the number of answers.
// NOT_FOUND for an assessment the viewer may not read, the same as for
// one that does not exist.
func Results(ctx context.Context, c *ent.Client, id pulid.ID, generated time.Time) (oscal.AssessmentResults, error) {
	a, err := c.Assessment.Query().Where(assessment.ID(id)).
		WithParticipation(func(q *ent.ParticipationQuery) { q.WithMunicipality() }).
		WithCatalog().WithConsultant().Only(ctx)
	if ent.IsNotFound(err) {
		return oscal.AssessmentResults{}, apperr.New(apperr.NotFound, "assessment %s not found", id)
	} else if err != nil {
		return oscal.AssessmentResults{}, err
	}
	p, cat := a.Edges.Participation, a.Edges.Catalog
	if p == nil || p.Edges.Municipality == nil || cat == nil {
		return oscal.AssessmentResults{}, apperr.New(apperr.NotFound, "assessment %s not found", id)
	}
	m := p.Edges.Municipality
	ar := oscal.AssessmentResults{
		Catalog: oscal.CatalogRef{ID: string(cat.ID), Name: cat.Name, Version: cat.Version},
		Assessment: oscal.Assessment{ID: string(a.ID), Kind: a.Kind, Status: a.Status, Started: a.CreatedAt,
			SubmittedAt: a.SubmittedAt, ConfirmedAt: a.ConfirmedAt},
		Kommune:   oscal.Kommune{Name: m.Name, AGS: deref(m.Ags)},
		Answers:   []oscal.Answer{},
		Generated: generated,
	}
	if a.Edges.Consultant != nil {
		ar.Assessment.Consultant = a.Edges.Consultant.Name
	}
	groups, err := Groups(ctx, c, a)
	if err != nil {
		return oscal.AssessmentResults{}, err
	}
	for _, g := range groups {
		refs := make(map[pulid.ID]string, len(g.Group.Edges.Requirements))
		for _, r := range g.Group.Edges.Requirements {
			refs[r.ID] = r.Ref
		}
		for _, an := range g.Answers {
			ar.Answers = append(ar.Answers, oscal.Answer{Ref: refs[an.RequirementID], Status: an.Status,
				Note: deref(an.Note), Justification: deref(an.Justification),
				AnsweredBy: deref(an.AnsweredBy), AnsweredAt: an.AnsweredAt})
		}
	}
	return ar, nil
}
