package finding

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// xmlNames name the fields of a result in the messages of the XML reader.
var xmlNames = map[resultField]string{
	fieldID: "@id", fieldRule: "nvt/@oid", fieldName: "nvt/name", fieldHost: "host", fieldHostname: "host/hostname",
	fieldPort: "port", fieldProtocol: "port", fieldThreat: "threat", fieldSeverity: "severity",
	fieldVector: "the CVSS vector (nvt/severities, nvt/tags cvss_base_vector)", fieldCVE: "nvt/refs/ref type cve",
	fieldCWE: "nvt/refs/ref type cwe", fieldSummary: "nvt/tags summary", fieldInsight: "nvt/tags insight",
	fieldImpact: "nvt/tags impact", fieldSolution: "nvt/solution", fieldSolutionType: "nvt/solution/@type",
	fieldAffected: "nvt/tags affected", fieldDescription: "description", fieldQoD: "qod/value",
}

// The shapes of one result, decoded on its own; the rest of the report is
// walked token by token.
type gbResult struct {
	ID          string  `xml:"id,attr"`
	Name        string  `xml:"name"`
	Host        gbHost  `xml:"host"`
	Port        string  `xml:"port"`
	NVT         *gbNVT  `xml:"nvt"`
	Threat      string  `xml:"threat"`
	Severity    *string `xml:"severity"`
	QoD         *string `xml:"qod>value"`
	Description string  `xml:"description"`
}

type gbHost struct {
	Text     string `xml:",chardata"` // the address, before the asset and hostname children
	Hostname string `xml:"hostname"`
}

type gbNVT struct {
	OID        string       `xml:"oid,attr"`
	Name       string       `xml:"name"`
	Severities []gbSeverity `xml:"severities>severity"`
	Tags       string       `xml:"tags"`
	Solution   *gbSolution  `xml:"solution"`
	Refs       []gbRef      `xml:"refs>ref"`
	CVE        string       `xml:"cve"` // reports before GMP 8 list CVEs here, comma-separated
}

type gbSeverity struct {
	Type  string `xml:"type,attr"`
	Value string `xml:"value"`
}

type gbSolution struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type gbRef struct {
	Type string `xml:"type,attr"`
	ID   string `xml:"id,attr"`
}

// raw reads the decoded result's fields: the tags of the NVT fill what
// its elements do not have, "N/A" is nothing (as gvmd's CSV export has
// it), and the port "443/tcp" is split into number and protocol.
func (x *gbResult) raw() (*rawResult, error) {
	r := &rawResult{
		id: x.ID, host: strings.TrimSpace(x.Host.Text), hostname: x.Host.Hostname,
		threat: x.Threat, severity: x.Severity, qod: x.QoD, description: x.Description,
		name: x.Name,
	}
	r.port, r.protocol = splitPort(x.Port)
	n := x.NVT
	if n == nil || strings.TrimSpace(n.OID) == "" {
		return nil, refuseField(fieldRule, "is missing")
	}
	r.rule = n.OID
	if strings.TrimSpace(n.Name) != "" {
		r.name = n.Name
	}
	tags := parseTags(n.Tags)
	r.summary = tags["summary"]
	r.insight = notNA(tags["insight"])
	r.impact = notNA(tags["impact"])
	r.affected = notNA(tags["affected"])
	r.solution, r.solutionType = notNA(tags["solution"]), tags["solution_type"]
	if n.Solution != nil {
		if strings.TrimSpace(n.Solution.Text) != "" {
			r.solution = notNA(n.Solution.Text)
		}
		if strings.TrimSpace(n.Solution.Type) != "" {
			r.solutionType = n.Solution.Type
		}
	}
	vectors := make([]string, 0, len(n.Severities)+1)
	for _, s := range n.Severities {
		vectors = append(vectors, s.Value)
	}
	r.vector = bestVector(append(vectors, tags["cvss_base_vector"])...)
	r.cves = splitIDList(n.CVE)
	for _, ref := range n.Refs {
		switch strings.ToLower(strings.TrimSpace(ref.Type)) {
		case "cve":
			r.cves = append(r.cves, ref.ID)
		case "cwe":
			r.cwes = append(r.cwes, ref.ID)
		}
	}
	return r, nil
}

// parseTags reads an NVT's tags, "name=value|name=value"; of a name given
// twice the first value counts.
func parseTags(s string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(s, "|") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if _, seen := tags[k]; ok && !seen {
			tags[k] = v
		}
	}
	return tags
}

func notNA(s string) string {
	if strings.TrimSpace(s) == "N/A" {
		return ""
	}
	return s
}

// splitPort splits "443/tcp" into 443 and tcp, "general/tcp" into
// general and tcp; "package" has no protocol. The form of old reports,
// "https (443/tcp)", is read as 443/tcp.
func splitPort(s string) (port, protocol string) {
	s = strings.TrimSpace(s)
	if open := strings.LastIndexByte(s, '('); open >= 0 && strings.HasSuffix(s, ")") {
		s = strings.TrimSpace(s[open+1 : len(s)-1])
	}
	port, protocol, _ = strings.Cut(s, "/")
	return strings.TrimSpace(port), strings.TrimSpace(protocol)
}

// ReadGreenboneXML reads a Greenbone (gvmd) report in its XML format as a
// stream and calls fn with each result in the order of the report; only
// one result is held at a time. The document is either the report (a
// report downloaded with the report format XML: <report> with the report
// nested in it, or a bare <report>) or GMP's answer to get_reports
// (<get_reports_response> with one <report>). Of the report it reads
// <scan_start>, <scan_end>, <task> and every <result> of <results>;
// everything else is skipped.
//
// The document must be UTF-8 (or declare no other encoding); a document
// type declaration (<!DOCTYPE …>) is refused, so no entity but XML's own
// five is ever defined. Elements nest at most MaxDepth deep, an element's
// text has at most MaxTextBytes, a result at most MaxResultBytes and
// MaxResultElements elements, a report at most MaxResults results and
// MaxReportBytes bytes.
//
// fn is called for every result before the rest of the report is read:
// when ReadGreenboneXML returns an error, the report is refused as a
// whole and whatever fn did with its results must be undone. An error of
// fn stops the walk and is returned as it is, an error of r wrapped and
// without a code; every other error is VALIDATION, naming the result, its
// line and the element ("result 12 (line 340): port: …").
func ReadGreenboneXML(r io.Reader, fn func(Result) error) (Report, error) {
	src := newReportSource(r, MaxTextBytes+64<<10)
	inner := xml.NewDecoder(src)
	var charset string
	inner.CharsetReader = func(name string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(name, "utf-8") || strings.EqualFold(name, "utf8") {
			return input, nil
		}
		charset = name
		return nil, fmt.Errorf("encoding %q is not supported (UTF-8 only)", name)
	}
	toks := &gbTokens{dec: inner, src: src}
	p := &gbParser{dec: xml.NewTokenDecoder(toks), toks: toks, fn: fn}
	if err := p.document(); err != nil {
		if charset != "" {
			return Report{}, invalidReport("the encoding %q is not read: Greenbone reports are UTF-8", clipValue(charset))
		}
		return Report{}, readerError(err, p.describe)
	}
	return p.rep, nil
}

// limitError is a bound or rule of gbTokens that stopped the walk.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// gbTokens is the parser's token source: the tokens of the decoder, each
// checked as it passes (also inside the result the parser decodes whole)
// for the bounds of ReadGreenboneXML.
type gbTokens struct {
	dec  *xml.Decoder
	src  *reportSource
	path []string // local names from the root to the current element
	text []int    // bytes of text of each element on path

	inResult bool  // between enterResult and leaveResult
	start    int64 // the result's offset in the input
	elements int   // elements inside the result
}

func (t *gbTokens) fail(format string, args ...any) error {
	line, _ := t.dec.InputPos()
	return &limitError{fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}
}

func (t *gbTokens) where() string { return clipValue(strings.Join(t.path, "/")) }

func (t *gbTokens) Token() (xml.Token, error) {
	before, _ := t.dec.InputPos()
	tok, err := t.dec.Token()
	t.src.mark()
	if err != nil {
		return nil, err
	}
	if t.inResult && t.dec.InputOffset()-t.start > MaxResultBytes {
		return nil, t.fail("the result is larger than %d bytes", MaxResultBytes)
	}
	switch x := tok.(type) {
	case xml.StartElement:
		if len(t.path) == MaxDepth {
			return nil, t.fail("element %s is nested deeper than %d elements", clipValue(x.Name.Local), MaxDepth)
		}
		if t.inResult {
			if t.elements++; t.elements > MaxResultElements {
				return nil, t.fail("the result has more than %d elements", MaxResultElements)
			}
		}
		t.path = append(t.path, x.Name.Local)
		t.text = append(t.text, 0)
	case xml.EndElement:
		if n := len(t.path); n > 0 {
			t.path, t.text = t.path[:n-1], t.text[:n-1]
		}
	case xml.CharData:
		if n := len(t.text); n > 0 {
			if t.text[n-1] += len(x); t.text[n-1] > MaxTextBytes {
				return nil, t.fail("the text of %s is longer than %d bytes", t.where(), MaxTextBytes)
			}
		}
	case xml.Directive:
		// Named by the line it begins on.
		if bytes.HasPrefix(bytes.TrimSpace(x), []byte("DOCTYPE")) {
			return nil, &limitError{fmt.Sprintf("line %d: a document type declaration (<!DOCTYPE …>) is not read: Greenbone reports have none", before)}
		}
		name := "…"
		if f := bytes.Fields(x); len(f) > 0 {
			name = string(f[0]) + " …"
		}
		return nil, &limitError{fmt.Sprintf("line %d: the declaration <!%s> is not read", before, clipValue(name))}
	}
	return tok, nil
}

func (t *gbTokens) enterResult() {
	t.inResult, t.start, t.elements = true, t.dec.InputOffset(), 0
}

func (t *gbTokens) leaveResult() { t.inResult = false }

// gbParser walks the report: dec reads from toks.
type gbParser struct {
	dec  *xml.Decoder
	toks *gbTokens
	fn   func(Result) error
	rep  Report

	n     int    // results seen
	where string // "result n (line l)" while a result is read
}

// describe is the VALIDATION error of what stopped the walk, inside a
// result prefixed with it.
func (p *gbParser) describe(err error) error {
	var (
		se *xml.SyntaxError
		le *limitError
		fe *fieldError
	)
	var msg string
	switch {
	case errors.As(err, &fe):
		msg = fmt.Sprintf("%s: %v", xmlNames[fe.field], fe.err)
	case errors.As(err, &le):
		msg = le.msg
	case errors.Is(err, errTokenTooLarge):
		line, _ := p.toks.dec.InputPos()
		msg = fmt.Sprintf("line %d: a text, tag or comment is longer than %d bytes", line, MaxTextBytes)
	case errors.As(err, &se):
		msg = fmt.Sprintf("not well-formed XML: line %d: %s", se.Line, clipValue(se.Msg))
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		msg = "not well-formed XML: the document ends early"
	default:
		msg = "not well-formed XML: " + clipValue(err.Error())
	}
	if p.where != "" {
		return invalidReport("%s: %s", p.where, msg)
	}
	return invalidReport("%s", msg)
}

// document reads the whole input: what may come before the root, the
// root, and what may follow it.
func (p *gbParser) document() error {
	root, err := p.prolog()
	if err != nil {
		return err
	}
	switch root.Name.Local {
	case "report":
		err = p.report(root)
	case "get_reports_response":
		err = p.response(root)
	default:
		return invalidReport("the root element is %s, not report or get_reports_response: is it a Greenbone report in XML?", clipValue(root.Name.Local))
	}
	if err != nil {
		return err
	}
	return p.epilog()
}

// prolog reads up to the root element: the XML declaration, comments,
// processing instructions and white space may come before it.
func (p *gbParser) prolog() (*xml.StartElement, error) {
	empty := true
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if empty {
				return nil, invalidReport("the report is empty")
			}
			return nil, invalidReport("the report has no root element")
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, invalidReport("text before the root element: is it a Greenbone report in XML?")
			}
		case xml.StartElement:
			return &t, nil
		default:
			empty = false
		}
	}
}

// epilog reads to the end of the input: only white space, comments and
// processing instructions may follow the root.
func (p *gbParser) epilog() error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return invalidReport("element %s after the root element", clipValue(t.Name.Local))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return invalidReport("text after the root element")
			}
		}
	}
}

func xmlAttr(t *xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// response reads GMP's get_reports_response: a status other than 200 is
// an error of the manager, and exactly one report is read.
func (p *gbParser) response(t *xml.StartElement) error {
	if status, ok := xmlAttr(t, "status"); ok && strings.TrimSpace(status) != "200" {
		text, _ := xmlAttr(t, "status_text")
		return invalidReport("get_reports_response has the status %q (%q), not 200: it holds no report", clipValue(status), clipValue(text))
	}
	reports := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if x.Name.Local != "report" {
				if err := p.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			if reports++; reports > 1 {
				return invalidReport("get_reports_response holds more than one report: ask for one report at a time")
			}
			if err := p.report(&x); err != nil {
				return err
			}
		case xml.EndElement:
			if reports == 0 {
				return invalidReport("get_reports_response holds no report")
			}
			return nil
		}
	}
}

// report reads a report element, and the report nested in it.
func (p *gbParser) report(t *xml.StartElement) error {
	if ct, ok := xmlAttr(t, "content_type"); ok && strings.TrimSpace(ct) != "text/xml" {
		return invalidReport("the report is in the format %q, not text/xml: download it with the report format XML", clipValue(ct))
	}
	if id, _ := xmlAttr(t, "id"); p.rep.ID == "" {
		var err error
		if p.rep.ID, err = cleanID(id); err != nil {
			return invalidReport("report/@id %v", err)
		}
	}
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "report":
				err = p.report(&x)
			case "results":
				err = p.results()
			case "scan_start":
				err = p.time(&x, &p.rep.ScanStart)
			case "scan_end":
				err = p.time(&x, &p.rep.ScanEnd)
			case "task":
				err = p.task(&x)
			default:
				err = p.dec.Skip()
			}
			if err != nil {
				return err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(x)) > 0 {
				return invalidReport("the report element holds text: is it a report in another format than XML?")
			}
		case xml.EndElement:
			return nil
		}
	}
}

// time reads scan_start or scan_end, an ISO 8601 date-time; an empty one
// (a scan not ended) is none. Of a report nested in another the first
// counts.
func (p *gbParser) time(t *xml.StartElement, into **time.Time) error {
	var s string
	if err := p.dec.DecodeElement(&s, t); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" || *into != nil {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return invalidReport("%s %q is not a date-time like 2026-03-02T08:00:00Z", t.Name.Local, clipValue(s))
	}
	*into = &v
	return nil
}

// task reads the task's id and name, the first ones given.
func (p *gbParser) task(t *xml.StartElement) error {
	var x struct {
		ID   string `xml:"id,attr"`
		Name string `xml:"name"`
	}
	if err := p.dec.DecodeElement(&x, t); err != nil {
		return err
	}
	if p.rep.TaskID != "" || p.rep.TaskName != "" {
		return nil
	}
	var err error
	if p.rep.TaskID, err = cleanID(x.ID); err != nil {
		return invalidReport("task/@id %v", err)
	}
	if p.rep.TaskName, err = cleanText(x.Name); err != nil {
		return invalidReport("task/name %v", err)
	}
	return nil
}

// results reads the results element: each result on its own.
func (p *gbParser) results() error {
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if x.Name.Local == "result" {
				err = p.result(&x)
			} else {
				err = p.dec.Skip()
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// result decodes one result, the only part of the report held whole,
// checks it and gives it to fn.
func (p *gbParser) result(t *xml.StartElement) error {
	p.n++
	line, _ := p.toks.dec.InputPos()
	p.where = fmt.Sprintf("result %d (line %d)", p.n, line)
	if p.n > MaxResults {
		return invalidReport("the report has more than %d results", MaxResults)
	}
	p.toks.enterResult()
	var x gbResult
	if err := p.dec.DecodeElement(&x, t); err != nil {
		return err
	}
	p.toks.leaveResult()
	raw, err := x.raw()
	if err != nil {
		return err
	}
	res, err := normalizeResult(raw)
	if err != nil {
		return err
	}
	if err := p.fn(res); err != nil {
		return &fnError{err}
	}
	p.where = ""
	p.rep.Results++
	return nil
}
