package finding

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// The columns of gvmd's CSV results export (report format "CSV Results")
// that are read; csvNames names the fields of a result by them.
const (
	colIP           = "IP"
	colHostname     = "Hostname"
	colPort         = "Port"
	colProtocol     = "Port Protocol"
	colCVSS         = "CVSS"
	colSeverity     = "Severity"
	colQoD          = "QoD"
	colSolutionType = "Solution Type"
	colNVTName      = "NVT Name"
	colSummary      = "Summary"
	colResult       = "Specific Result"
	colOID          = "NVT OID"
	colCVEs         = "CVEs"
	colTaskID       = "Task ID"
	colTaskName     = "Task Name"
	colResultID     = "Result ID"
	colImpact       = "Impact"
	colSolution     = "Solution"
	colAffected     = "Affected Software/OS"
	colInsight      = "Vulnerability Insight"
)

var (
	// csvRequired are in every version of the export since 2010.
	csvRequired = []string{colIP, colPort, colProtocol, colCVSS, colSeverity, colNVTName, colOID}
	csvOptional = []string{colHostname, colQoD, colSolutionType, colSummary, colResult, colCVEs, colTaskID, colTaskName,
		colResultID, colImpact, colSolution, colAffected, colInsight}

	csvNames = map[resultField]string{
		fieldID: colResultID, fieldRule: colOID, fieldName: colNVTName, fieldHost: colIP, fieldHostname: colHostname,
		fieldPort: colPort, fieldProtocol: colProtocol, fieldThreat: colSeverity, fieldSeverity: colCVSS,
		fieldVector: "CVSS vector", fieldCVE: colCVEs, fieldCWE: "CWEs", fieldSummary: colSummary,
		fieldInsight: colInsight, fieldImpact: colImpact, fieldSolution: colSolution, fieldSolutionType: colSolutionType,
		fieldAffected: colAffected, fieldDescription: colResult, fieldQoD: colQoD,
	}
)

// noDescription is what the export writes as the Specific Result of a
// result without a description.
const noDescription = "Vulnerability was detected according to the Vulnerability Detection Method."

// ReadGreenboneCSV reads gvmd's CSV results export (report format "CSV
// Results") as a stream and calls fn with each row's result in the order
// of the file; only one row is held at a time.
//
// The first row names the columns, in any order and any case; the
// columns IP, Port, Port Protocol, CVSS, Severity (the threat level), NVT
// Name and NVT OID are required, and QoD, Solution Type, Summary,
// Specific Result, CVEs (comma-separated), Task ID, Task Name, Result ID,
// Impact, Solution, Affected Software/OS, Vulnerability Insight and
// Hostname are read when present. Other columns (Timestamp, Vulnerability
// Detection Method, Product Detection Result, BIDs, CERTs, Other
// References, and what later versions add) are not read. The separator is
// the comma, or the semicolon when the first row has more of them (a file
// saved again by a spreadsheet); quoting as RFC 4180; UTF-8, a byte-order
// mark ignored. The apostrophe gvmd puts before a value beginning with =,
// @, + or - (against formulas in spreadsheets) is removed, and the Specific
// Result the export writes for a result without a description ("Vulnerability
// was detected according to the Vulnerability Detection Method.") is none.
// Every row must have as many fields as the first; a file holds the
// results of one task.
//
// Bounds: MaxColumns columns, MaxResultBytes a row, MaxTextBytes a field,
// MaxResults rows, MaxReportBytes the file.
//
// fn, the errors and the Report are as for ReadGreenboneXML; errors name
// the row, its line and the column ("row 12 (line 340), column Port: …").
// The Report of a CSV export has no ID and no scan times.
func ReadGreenboneCSV(r io.Reader, fn func(Result) error) (Report, error) {
	src := newReportSource(r, MaxResultBytes)
	p := &csvParser{src: src, fn: fn}
	if err := p.file(bufio.NewReaderSize(src, 64<<10)); err != nil {
		return Report{}, readerError(err, p.describe)
	}
	return p.rep, nil
}

type csvParser struct {
	src  *reportSource
	fn   func(Result) error
	rep  Report
	cols map[string]int // column name → index
	row  int            // data rows read
	line int            // line of the row being read
}

// describe is the VALIDATION error of what stopped the reader.
func (p *csvParser) describe(err error) error {
	var (
		pe *csv.ParseError
		fe *fieldError
	)
	switch {
	case errors.As(err, &fe):
		return invalidReport("row %d (line %d), column %s: %v", p.row, p.line, csvNames[fe.field], fe.err)
	case errors.Is(err, errTokenTooLarge) && p.cols == nil:
		return invalidReport("line 1: the header row is longer than %d bytes", MaxResultBytes)
	case errors.Is(err, errTokenTooLarge):
		return invalidReport("row %d: the row is longer than %d bytes", p.row+1, MaxResultBytes)
	case errors.As(err, &pe):
		return invalidReport("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return invalidReport("%s", clipValue(err.Error()))
}

func (p *csvParser) file(br *bufio.Reader) error {
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	if len(head) == 0 {
		return invalidReport("the CSV file is empty")
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	if bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		cr.Comma = ';'
	}
	cr.ReuseRecord = true
	rec, err := cr.Read()
	p.src.mark()
	if err == io.EOF {
		return invalidReport("the CSV file is empty")
	}
	if err != nil {
		return err
	}
	if err := p.header(rec); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		p.src.mark()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p.row++
		p.line, _ = cr.FieldPos(0)
		if p.row > MaxResults {
			return invalidReport("the report has more than %d results", MaxResults)
		}
		if err := p.result(rec); err != nil {
			return err
		}
	}
}

// header maps the columns read; a column read must not appear twice, and
// the required ones must be there.
func (p *csvParser) header(head []string) error {
	if len(head) > MaxColumns {
		return invalidReport("line 1: %d columns, more than %d", len(head), MaxColumns)
	}
	known := map[string]string{}
	for _, c := range append(append([]string{}, csvRequired...), csvOptional...) {
		known[strings.ToLower(c)] = c
	}
	p.cols = map[string]int{}
	for i, h := range head {
		name, ok := known[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			continue
		}
		if _, dup := p.cols[name]; dup {
			return invalidReport("line 1: the column %s appears twice", name)
		}
		p.cols[name] = i
	}
	for _, c := range csvRequired {
		if _, ok := p.cols[c]; !ok {
			return invalidReport("line 1: the column %s is missing: is it gvmd's CSV results export? (columns required: %s)",
				c, strings.Join(csvRequired, ", "))
		}
	}
	return nil
}

// get is a column's value, without the apostrophe gvmd's export puts
// before a formula; a column the file does not have is empty.
func (p *csvParser) get(rec []string, col string) string {
	i, ok := p.cols[col]
	if !ok {
		return ""
	}
	s := rec[i]
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte("=@+-", s[1]) >= 0 {
		s = s[1:]
	}
	return s
}

// opt is a column's value, nil when the file does not have the column.
func (p *csvParser) opt(rec []string, col string) *string {
	if _, ok := p.cols[col]; !ok {
		return nil
	}
	s := p.get(rec, col)
	return &s
}

func (p *csvParser) result(rec []string) error {
	raw := &rawResult{
		id: p.get(rec, colResultID), rule: p.get(rec, colOID), name: p.get(rec, colNVTName),
		host: p.get(rec, colIP), hostname: p.get(rec, colHostname),
		port: p.get(rec, colPort), protocol: p.get(rec, colProtocol), threat: p.get(rec, colSeverity),
		severity: p.opt(rec, colCVSS), qod: p.opt(rec, colQoD), cves: splitIDList(p.get(rec, colCVEs)),
		summary: p.get(rec, colSummary), insight: p.get(rec, colInsight), impact: p.get(rec, colImpact),
		solution: p.get(rec, colSolution), solutionType: p.get(rec, colSolutionType),
		affected: p.get(rec, colAffected), description: p.get(rec, colResult),
	}
	if strings.TrimSpace(raw.description) == noDescription {
		raw.description = ""
	}
	res, err := normalizeResult(raw)
	if err != nil {
		return err
	}
	if err := p.task(rec); err != nil {
		return err
	}
	if err := p.fn(res); err != nil {
		return &fnError{err}
	}
	p.rep.Results++
	return nil
}

// task takes the task from the first row that names it; a later row
// naming another is refused: the file would mix the results of scans.
func (p *csvParser) task(rec []string) error {
	id, err := cleanID(p.get(rec, colTaskID))
	if err != nil {
		return invalidReport("row %d (line %d), column %s: %v", p.row, p.line, colTaskID, err)
	}
	name, err := cleanText(p.get(rec, colTaskName))
	if err != nil {
		return invalidReport("row %d (line %d), column %s: %v", p.row, p.line, colTaskName, err)
	}
	if id == "" && name == "" {
		return nil
	}
	if p.rep.TaskID == "" && p.rep.TaskName == "" {
		p.rep.TaskID, p.rep.TaskName = id, name
		return nil
	}
	if id != p.rep.TaskID || name != p.rep.TaskName {
		return invalidReport("row %d (line %d), column %s: the task %s (%q) differs from the task %s (%q) of the rows before: a file holds the results of one task",
			p.row, p.line, colTaskID, clipValue(id), clipValue(name), clipValue(p.rep.TaskID), clipValue(p.rep.TaskName))
	}
	return nil
}
