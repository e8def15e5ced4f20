package catalog

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// The columns of a WiBA-Tool spreadsheet export, in the tool's order.
const (
	ColChecklist = "Checkliste WiBA"
	ColNr        = "Nr. in WiBA"
	ColQuestion  = "Prüffrage WiBA"
	ColHelp      = "Hilfsmittel"
	ColEffort    = "Aufwand"
	ColAnswer    = "Umsetzung"
	ColNotes     = "Notizen"
)

// SheetColumns are the columns ReadSheet needs and WriteSheet writes.
var SheetColumns = []string{ColChecklist, ColNr, ColQuestion, ColHelp, ColEffort, ColAnswer, ColNotes}

// The bounds of a spreadsheet ReadSheet reads.
const (
	// MaxSheetRows is the most question rows (non-empty rows after the
	// header) of a sheet.
	MaxSheetRows = 5000
	// MaxCellBytes is the longest cell.
	MaxCellBytes = 20000
	// MaxSheetFileBytes is the largest file; MaxSheetUnzippedBytes the
	// most its parts may unpack to.
	MaxSheetFileBytes     = 32 << 20
	MaxSheetUnzippedBytes = 128 << 20
)

// SheetRow is one question row of a WiBA-Tool spreadsheet: the cells of
// the seven columns, trimmed, line ends as "\n".
type SheetRow struct {
	// Row is the row's number in the spreadsheet, from 1.
	Row                                                  int
	Checklist, Nr, Question, Help, Effort, Answer, Notes string
}

// ReadSheet reads the first worksheet of a WiBA-Tool XLSX export. Its
// first non-empty row is the header: the seven columns (SheetColumns) are
// found by name (white space trimmed and collapsed, case ignored) in any
// order, other columns are ignored. Rows without a value in any of the
// seven columns are skipped.
//
// Errors (VALIDATION): a file that is no XLSX, too large (MaxSheetFileBytes,
// more than MaxSheetRows question rows, a cell longer than MaxCellBytes:
// naming the row and column), or whose header lacks columns (naming them).
func ReadSheet(r io.Reader) ([]SheetRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSheetFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSheetFileBytes {
		return nil, apperr.New(apperr.Validation, "the spreadsheet is larger than %d MiB", MaxSheetFileBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxSheetUnzippedBytes})
	if err != nil {
		return nil, apperr.New(apperr.Validation, "the file is not a readable XLSX spreadsheet: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.New(apperr.Validation, "the spreadsheet has no worksheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, apperr.New(apperr.Validation, "worksheet %q: %v", sheets[0], err)
	}
	defer rows.Close()

	var (
		out    []SheetRow
		header map[string]int // column name → index
		n      int
	)
	for rows.Next() {
		n++
		cells, err := rows.Columns()
		if err != nil {
			return nil, apperr.New(apperr.Validation, "row %d: %v", n, err)
		}
		for i, c := range cells {
			if len(c) > MaxCellBytes {
				col, _ := excelize.ColumnNumberToName(i + 1)
				return nil, apperr.New(apperr.Validation, "row %d, column %s: the cell is %d bytes long, more than %d", n, col, len(c), MaxCellBytes)
			}
		}
		if header == nil {
			if blank(cells) {
				continue
			}
			if header, err = sheetHeader(n, cells); err != nil {
				return nil, err
			}
			continue
		}
		cell := func(name string) string {
			if i := header[name]; i < len(cells) {
				return normalizeText(cells[i])
			}
			return ""
		}
		row := SheetRow{Row: n, Checklist: cell(ColChecklist), Nr: cell(ColNr), Question: cell(ColQuestion),
			Help: cell(ColHelp), Effort: cell(ColEffort), Answer: cell(ColAnswer), Notes: cell(ColNotes)}
		if row == (SheetRow{Row: n}) {
			continue
		}
		if len(out) == MaxSheetRows {
			return nil, apperr.New(apperr.Validation, "row %d: the sheet has more than %d question rows", n, MaxSheetRows)
		}
		out = append(out, row)
	}
	if err := rows.Error(); err != nil {
		return nil, apperr.New(apperr.Validation, "worksheet %q: %v", sheets[0], err)
	}
	if header == nil {
		return nil, apperr.New(apperr.Validation, "the worksheet %q is empty: a header row with the columns %s is expected", sheets[0], quoteAll(SheetColumns))
	}
	return out, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// headerKey is how header cells are compared.
func headerKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// sheetHeader finds the seven columns in the header row n.
func sheetHeader(n int, cells []string) (map[string]int, error) {
	want := map[string]string{} // key → column name
	for _, c := range SheetColumns {
		want[headerKey(c)] = c
	}
	header := map[string]int{}
	for i, c := range cells {
		name, ok := want[headerKey(c)]
		if !ok {
			continue
		}
		if j, dup := header[name]; dup {
			a, _ := excelize.ColumnNumberToName(j + 1)
			b, _ := excelize.ColumnNumberToName(i + 1)
			return nil, apperr.New(apperr.Validation, "row %d (the header): columns %s and %s are both %q", n, a, b, name)
		}
		header[name] = i
	}
	var missing []string
	for _, c := range SheetColumns {
		if _, ok := header[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, apperr.New(apperr.Validation, "row %d (the header) lacks the column(s) %s; a WiBA-Tool export has %s",
			n, quoteAll(missing), quoteAll(SheetColumns))
	}
	return header, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// FromSheet makes a catalogue of the rows of a WiBA-Tool export.
//
// Each row's checklist is one of the 19 (ChecklistNamed: its title, or its
// number and title, "3 Backup"); its "Nr. in WiBA" is a question number
// ("3": the reference is the checklist's short name and the number,
// "Backup-3") or a reference ending in the number ("Backup-3", kept as
// given). The checklists are those the rows name, in the order of their
// numbers, with the BSI's titles and priorities; their questions are in
// the order of their numbers. Answers and notes are not part of a
// catalogue.
//
// Errors (VALIDATION) name the row: an unknown checklist, a number that
// is none, a rule of Catalogue.Problems (an empty question, a reference
// used twice: naming both rows).
func FromSheet(rows []SheetRow, name, version string) (*Catalogue, error) {
	if len(rows) == 0 {
		return nil, apperr.New(apperr.Validation, "the sheet has no question rows")
	}
	type question struct {
		r   Requirement
		row int
	}
	byNumber := map[int][]question{}
	for _, row := range rows {
		cl, err := rowChecklist(row)
		if err != nil {
			return nil, err
		}
		ref, number, err := sheetRef(row, cl)
		if err != nil {
			return nil, err
		}
		byNumber[cl.Number] = append(byNumber[cl.Number], question{row: row.Row, r: Requirement{Ref: ref, Number: number,
			Question: row.Question, Help: row.Help, Effort: strings.Join(strings.Fields(row.Effort), " ")}})
	}
	c := &Catalogue{Name: strings.TrimSpace(name), Version: strings.TrimSpace(version)}
	var rowOf [][]int // group index → question index → spreadsheet row
	for _, cl := range checklists {
		qs := byNumber[cl.Number]
		if len(qs) == 0 {
			continue
		}
		slices.SortStableFunc(qs, func(a, b question) int {
			if a.r.Number != b.r.Number {
				return a.r.Number - b.r.Number
			}
			return strings.Compare(a.r.Ref, b.r.Ref)
		})
		g := Group{Number: cl.Number, Priority: cl.Priority, Title: cl.Title}
		at := make([]int, len(qs))
		for i, q := range qs {
			g.Requirements = append(g.Requirements, q.r)
			at[i] = q.row
		}
		c.Groups = append(c.Groups, g)
		rowOf = append(rowOf, at)
	}
	err := problemsError(c.Problems(), func(p Problem) string {
		if p.Group < 0 || p.Requirement < 0 {
			return c.Place(p)
		}
		at := fmt.Sprintf("row %d", rowOf[p.Group][p.Requirement])
		if col := sheetColumnOf(p.Field); col != "" {
			at += fmt.Sprintf(" (%s)", col)
		}
		if p.OtherGroup >= 0 {
			at += fmt.Sprintf(", as in row %d", rowOf[p.OtherGroup][p.OtherRequirement])
		}
		return at
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// sheetRef is the reference and number of a row's "Nr. in WiBA".
func sheetRef(row SheetRow, cl Checklist) (string, int, error) {
	nr := row.Nr
	if nr == "" {
		return "", 0, apperr.New(apperr.Validation, "row %d: column %q is empty", row.Row, ColNr)
	}
	m := trailingNumber.FindString(nr)
	digits := strings.TrimLeft(m, "0")
	if m == "" || len(digits) > 4 || digits == "" {
		return "", 0, apperr.New(apperr.Validation, "row %d: %q in column %q is neither a question number (1 to 9999) nor a reference ending in one (\"%s-3\")", row.Row, clip(nr), ColNr, cl.Short)
	}
	n, _ := strconv.Atoi(digits)
	if m == nr {
		return fmt.Sprintf("%s-%d", cl.Short, n), n, nil
	}
	return nr, n, nil
}

// sheetColumnOf is the column of a requirement's field.
func sheetColumnOf(field string) string {
	switch field {
	case FieldRef, FieldNumber:
		return ColNr
	case FieldQuestion:
		return ColQuestion
	case FieldHelp:
		return ColHelp
	case FieldEffort:
		return ColEffort
	}
	return ""
}

// SheetAnswer is the answer to one question in a spreadsheet.
type SheetAnswer struct{ Answer, Notes string }

// WriteSheet writes c as a WiBA-Tool-shaped XLSX (one worksheet, the
// header SheetColumns, a row per question in the order of c), with the
// answers and notes of answers by reference. It writes what it is given
// (it does not validate c); an answer to a reference c does not have is
// an error.
func WriteSheet(c *Catalogue, answers map[string]SheetAnswer) ([]byte, error) {
	known := map[string]bool{}
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			known[r.Ref] = true
		}
	}
	for ref := range answers {
		if !known[ref] {
			return nil, apperr.New(apperr.Validation, "an answer to %q, which the catalogue does not have", clip(ref))
		}
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "WiBA"
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	for i, w := range []float64{34, 14, 70, 40, 10, 16, 40} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	head := make([]any, len(SheetColumns))
	for i, h := range SheetColumns {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	n := 1
	for _, g := range c.Groups {
		for _, r := range g.Requirements {
			n++
			a := answers[r.Ref]
			cells := []any{}
			for _, v := range []string{g.Title, r.Ref, r.Question, r.Help, r.Effort, a.Answer, a.Notes} {
				cells = append(cells, excelize.Cell{StyleID: wrap, Value: v})
			}
			if err := sw.SetRow("A"+strconv.Itoa(n), cells); err != nil {
				return nil, err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// answerValues maps the WiBA-Tool's "Umsetzung" values (white space
// collapsed, lower case) to answer statuses.
var answerValues = map[string]types.AnswerStatus{
	"ja":               types.AnswerYes,
	"nein":             types.AnswerNo,
	"teilweise":        types.AnswerPartial,
	"entbehrlich":      types.AnswerNotApplicable,
	"nicht zutreffend": types.AnswerNotApplicable,
	"nicht relevant":   types.AnswerNotApplicable,
	"":                 types.AnswerOpen,
	"offen":            types.AnswerOpen,
	"ungeprüft":        types.AnswerOpen,
}

// AcceptedAnswers lists the accepted "Umsetzung" values, as an error
// message names them.
const AcceptedAnswers = `"ja", "nein", "teilweise", "entbehrlich", "nicht zutreffend", "nicht relevant", "offen", "ungeprüft" or empty`

// MapAnswer maps a WiBA-Tool "Umsetzung" value to an answer status: "ja"
// YES, "nein" NO, "teilweise" PARTIAL, "entbehrlich", "nicht zutreffend"
// and "nicht relevant" NOT_APPLICABLE, "", "offen" and "ungeprüft" OPEN;
// case and white space do not matter. Anything else is a VALIDATION error
// listing the accepted values (the caller adds the row).
func MapAnswer(umsetzung string) (types.AnswerStatus, error) {
	if s, ok := answerValues[strings.ToLower(strings.Join(strings.Fields(umsetzung), " "))]; ok {
		return s, nil
	}
	return "", apperr.New(apperr.Validation, "Umsetzung %q is not one of %s", clip(umsetzung), AcceptedAnswers)
}
