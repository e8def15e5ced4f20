package finding

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
)

// Result is one result of a Greenbone (OpenVAS) scan report, as the
// report has it: the same fields from the XML report and the CSV results
// export (see the package documentation for where they differ).
type Result struct {
	ID       string // the result's id (a UUID, new in every scan); may be empty in a CSV export
	RuleID   string // the NVT's OID, never empty
	Name     string // the NVT's name
	Host     string // an IP address in canonical form (or the text of the report when it is none), never empty
	Hostname string
	Port     string // "443", "general", "package"; empty for general and package results of a CSV export
	Protocol string // "tcp", "udp", "icmp", …; empty when the port has none
	Threat   string // Critical, High, Medium, Low, Log, Debug, Alarm, False Positive, Error, or empty

	// Severity is the result's score, -3.0 to 10.0 (below 0.0 the markers
	// of gvmd: -1.0 false positive, -2.0 debug, -3.0 error), or nil when
	// the result has none.
	Severity *decimal.Decimal
	// CVSSVector is the best vector the result carries (unchecked: see
	// ParseCVSS): a v4.0 vector before a v3.x one before any other (CVSS
	// v2), and among equals one of nvt/severities before the tags'
	// cvss_base_vector. Empty when there is none (always in a CSV export).
	CVSSVector string
	CVEs       []string // "CVE-2014-0160", unique, sorted by year and number
	CWEs       []string // "CWE-79", unique, sorted by number; always empty in a CSV export

	Summary      string // the NVT's summary, else (as gvmd's CSV export does) the description
	Insight      string
	Impact       string
	Solution     string
	SolutionType string // VendorFix, Workaround, Mitigation, NoneAvailable, WillNotFix, …
	Affected     string
	Description  string // what the scan found on this host ("Specific Result" of the CSV export)
	QoD          *int   // quality of detection, 0 to 100, or nil when absent
}

// Report is what a report says about itself.
type Report struct {
	ID        string     // the report's id; empty for a CSV export
	TaskID    string     // the scan task's id, when the report names it
	TaskName  string     // the scan task's name, when the report names it
	ScanStart *time.Time // nil when absent or empty (always for a CSV export)
	ScanEnd   *time.Time // nil when absent or empty (a scan still running; always for a CSV export)
	Results   int        // the results given to fn
}

// Limits of what the readers accept; past them the report is refused.
const (
	// MaxResults bounds the results of one report.
	MaxResults = 200_000
	// MaxReportBytes bounds the bytes read of one report.
	MaxReportBytes = 1 << 30
	// MaxResultBytes bounds one result: its XML element or its CSV row.
	MaxResultBytes = 4 << 20
	// MaxTextBytes bounds the text of one XML element or one CSV field.
	MaxTextBytes = 1 << 20
	// MaxDepth bounds the nesting of XML elements (a report of gvmd nests
	// some ten deep).
	MaxDepth = 32
	// MaxResultElements bounds the XML elements inside one result.
	MaxResultElements = 10_000
	// MaxColumns bounds the columns of a CSV export.
	MaxColumns = 256
	// MaxIdentifierBytes bounds an identifier: an id, OID, host name,
	// port, protocol, CVE, CWE, task id.
	MaxIdentifierBytes = 255
)

// resultField names a field of a result in messages; xmlNames and csvNames say
// where each comes from.
type resultField int

const (
	fieldID resultField = iota
	fieldRule
	fieldName
	fieldHost
	fieldHostname
	fieldPort
	fieldProtocol
	fieldThreat
	fieldSeverity
	fieldVector
	fieldCVE
	fieldCWE
	fieldSummary
	fieldInsight
	fieldImpact
	fieldSolution
	fieldSolutionType
	fieldAffected
	fieldDescription
	fieldQoD
)

// rawResult is a result as read, before normalizeResult.
type rawResult struct {
	id, rule, name, host, hostname, port, protocol, threat string
	severity, qod                                          *string
	vector                                                 string
	cves, cwes                                             []string
	summary, insight, impact, solution, solutionType       string
	affected, description                                  string
}

// fieldError is a refusal of one field, placed by the reader.
type fieldError struct {
	field resultField
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }

func refuseField(f resultField, format string, args ...any) error {
	return &fieldError{f, fmt.Errorf(format, args...)}
}

// normalizeResult checks a raw result and gives it the form both readers share.
func normalizeResult(raw *rawResult) (Result, error) {
	var (
		r   Result
		err error
	)
	ids := []struct {
		f    resultField
		in   string
		out  *string
		need bool
	}{
		{fieldID, raw.id, &r.ID, false},
		{fieldRule, raw.rule, &r.RuleID, true},
		{fieldHostname, raw.hostname, &r.Hostname, false},
		{fieldPort, raw.port, &r.Port, false},
		{fieldProtocol, raw.protocol, &r.Protocol, false},
	}
	for _, x := range ids {
		if *x.out, err = cleanID(x.in); err != nil {
			return Result{}, &fieldError{x.f, err}
		}
		if x.need && *x.out == "" {
			return Result{}, refuseField(x.f, "is missing")
		}
	}
	if r.Host, err = cleanHost(raw.host); err != nil {
		return Result{}, &fieldError{fieldHost, err}
	}
	if err := checkPort(r.Port); err != nil {
		return Result{}, &fieldError{fieldPort, err}
	}
	if r.Threat, err = parseThreat(raw.threat); err != nil {
		return Result{}, &fieldError{fieldThreat, err}
	}
	if r.Severity, err = parseSeverity(raw.severity); err != nil {
		return Result{}, &fieldError{fieldSeverity, err}
	}
	if r.QoD, err = parseQoD(raw.qod); err != nil {
		return Result{}, &fieldError{fieldQoD, err}
	}
	if r.CVSSVector, err = cleanToken(raw.vector, MaxVectorBytes); err != nil {
		return Result{}, &fieldError{fieldVector, err}
	}
	if r.CVEs, err = normCVEs(raw.cves); err != nil {
		return Result{}, &fieldError{fieldCVE, err}
	}
	if r.CWEs, err = normCWEs(raw.cwes); err != nil {
		return Result{}, &fieldError{fieldCWE, err}
	}
	texts := []struct {
		f   resultField
		in  string
		out *string
	}{
		{fieldName, raw.name, &r.Name},
		{fieldSummary, raw.summary, &r.Summary},
		{fieldInsight, raw.insight, &r.Insight},
		{fieldImpact, raw.impact, &r.Impact},
		{fieldSolution, raw.solution, &r.Solution},
		{fieldSolutionType, raw.solutionType, &r.SolutionType},
		{fieldAffected, raw.affected, &r.Affected},
		{fieldDescription, raw.description, &r.Description},
	}
	for _, x := range texts {
		if *x.out, err = cleanText(x.in); err != nil {
			return Result{}, &fieldError{x.f, err}
		}
	}
	if r.Summary == "" {
		r.Summary = r.Description
	}
	return r, nil
}

// cleanID checks an identifier: UTF-8, no white space or control
// characters, at most MaxIdentifierBytes.
func cleanID(s string) (string, error) { return cleanToken(s, MaxIdentifierBytes) }

// cleanToken checks a value without spaces of at most max bytes.
func cleanToken(s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errors.New("is not valid UTF-8")
	}
	if len(s) > max {
		return "", fmt.Errorf("%q is longer than %d bytes", clipValue(s), max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", fmt.Errorf("%q contains white space or control characters", clipValue(s))
	}
	return s, nil
}

// cleanText checks free text: UTF-8, no control characters but tab and line
// breaks, at most MaxTextBytes; white space at its end and line breaks at
// its beginning are dropped (indentation of its first line is kept).
func cleanText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("is not valid UTF-8")
	}
	if len(s) > MaxTextBytes {
		return "", fmt.Errorf("is longer than %d bytes", MaxTextBytes)
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
	}) {
		return "", errors.New("contains control characters")
	}
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	return strings.TrimLeft(s, "\r\n"), nil
}

// cleanHost is an IP address in canonical form (2001:db8::1, not 2001:DB8:0::1)
// so that scans compare; a host that is not an address is kept as an
// identifier.
func cleanHost(s string) (string, error) {
	s, err := cleanID(s)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("is missing")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), nil
	}
	return s, nil
}

// checkPort refuses a port number out of 0 to 65535; a port that is not
// a number (general, package) is a name.
func checkPort(p string) error {
	if p == "" || p[0] < '0' || p[0] > '9' {
		return nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n > 65535 || strconv.Itoa(n) != p {
		return fmt.Errorf("%q is not a port number", clipValue(p))
	}
	return nil
}

// threatLevels are gvmd's threat levels, by their lower-case names.
var threatLevels = map[string]string{}

func init() {
	for _, t := range []string{"Critical", "High", "Medium", "Low", "Log", "Debug", "Alarm", "False Positive", "Error"} {
		threatLevels[strings.ToLower(t)] = t
	}
}

func parseThreat(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if t, ok := threatLevels[strings.ToLower(s)]; ok {
		return t, nil
	}
	return "", fmt.Errorf("%q is not a threat level (Critical, High, Medium, Low, Log, Debug, Alarm, False Positive, Error)", clipValue(s))
}

var (
	severityPattern = regexp.MustCompile(`^-?[0-9]{1,2}(\.[0-9]{1,3})?$`)
	minSeverity     = decimal.NewFromInt(-3)
	maxSeverity     = decimal.NewFromInt(10)
)

// parseSeverity reads a score: nil when absent or empty, else a decimal from
// -3.0 to 10.0 (never through a float).
func parseSeverity(s *string) (*decimal.Decimal, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	v := strings.TrimSpace(*s)
	if !severityPattern.MatchString(v) {
		return nil, fmt.Errorf("%q is not a score like 7.5", clipValue(v))
	}
	d, err := decimal.NewFromString(v)
	if err != nil || d.LessThan(minSeverity) || d.GreaterThan(maxSeverity) {
		return nil, fmt.Errorf("%q is out of -3.0 to 10.0", clipValue(v))
	}
	return &d, nil
}

func parseQoD(s *string) (*int, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	v := strings.TrimSpace(*s)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100 || len(v) > 3 {
		return nil, fmt.Errorf("%q is not a quality of detection from 0 to 100", clipValue(v))
	}
	return &n, nil
}

var (
	cvePattern = regexp.MustCompile(`^CVE-([0-9]{4})-([0-9]{4,19})$`)
	cwePattern = regexp.MustCompile(`^(?:CWE-)?([0-9]{1,9})$`)
)

// normCVEs normalises CVE ids (upper case, trimmed), refuses what is none,
// and sorts them by year and number (CVE-2014-9999 before
// CVE-2014-10000) without repeats. NOCVE, which old reports write for
// none, is none.
func normCVEs(in []string) ([]string, error) {
	type cve struct {
		id           string
		year, number uint64
	}
	var out []cve
	for _, s := range in {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" || s == "NOCVE" {
			continue
		}
		m := cvePattern.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%q is not a CVE id like CVE-2014-0160", clipValue(s))
		}
		year, _ := strconv.ParseUint(m[1], 10, 64)
		number, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CVE id like CVE-2014-0160", clipValue(s))
		}
		out = append(out, cve{fmt.Sprintf("CVE-%s-%0*d", m[1], 4, number), year, number})
	}
	slices.SortFunc(out, func(a, b cve) int {
		return cmp.Or(cmp.Compare(a.year, b.year), cmp.Compare(a.number, b.number))
	})
	out = slices.CompactFunc(out, func(a, b cve) bool { return a.id == b.id })
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]string, len(out))
	for i, c := range out {
		ids[i] = c.id
	}
	return ids, nil
}

// normCWEs normalises CWE ids to CWE-<number> (CWE-079 and 79 are CWE-79),
// sorted by number without repeats. NVD's placeholders NVD-CWE-Other and
// NVD-CWE-noinfo name no weakness and are left out.
func normCWEs(in []string) ([]string, error) {
	var nums []uint64
	for _, s := range in {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" || s == "NVD-CWE-OTHER" || s == "NVD-CWE-NOINFO" {
			continue
		}
		m := cwePattern.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%q is not a CWE id like CWE-79", clipValue(s))
		}
		n, _ := strconv.ParseUint(m[1], 10, 64)
		nums = append(nums, n)
	}
	slices.Sort(nums)
	nums = slices.Compact(nums)
	if len(nums) == 0 {
		return nil, nil
	}
	ids := make([]string, len(nums))
	for i, n := range nums {
		ids[i] = "CWE-" + strconv.FormatUint(n, 10)
	}
	return ids, nil
}

// splitIDList splits a list of ids written with commas or white space.
func splitIDList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// vectorRank orders vectors for Result.CVSSVector: v4.0, then v3.x, then
// anything else.
func vectorRank(v string) int {
	switch {
	case v == "":
		return 0
	case strings.HasPrefix(v, "CVSS:4.0/"):
		return 3
	case strings.HasPrefix(v, "CVSS:3."):
		return 2
	}
	return 1
}

// bestVector is the first vector of the highest rank.
func bestVector(vs ...string) string {
	best := ""
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if vectorRank(v) > vectorRank(best) {
			best = v
		}
	}
	return best
}

// Errors of the stream: past the report's bound, past the bound of one
// token or row, and an error of the reader itself.
var (
	errTooLarge      = errors.New("the report is too large")
	errTokenTooLarge = errors.New("a token is too large")
)

type readError struct{ err error }

func (e *readError) Error() string { return "reading the report: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// fnError carries an error of the caller's function through the walk.
type fnError struct{ err error }

func (e *fnError) Error() string { return e.err.Error() }
func (e *fnError) Unwrap() error { return e.err }

// reportSource reads at most max bytes of r, and at most gap bytes between two
// calls of mark (one token, one CSV row): so that one text, tag or row
// is never held whole above its bound, whatever the decoder buffers.
type reportSource struct {
	r         io.Reader
	max, gap  int64
	read, run int64
}

func newReportSource(r io.Reader, gap int64) *reportSource {
	return &reportSource{r: r, max: MaxReportBytes, gap: gap}
}

func (s *reportSource) mark() { s.run = 0 }

func (s *reportSource) Read(p []byte) (int, error) {
	switch {
	case s.read > s.max:
		return 0, errTooLarge
	case s.run > s.gap:
		return 0, errTokenTooLarge
	}
	if room := s.max + 1 - s.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.read += int64(n)
	s.run += int64(n)
	switch {
	case s.read > s.max:
		return n, errTooLarge
	case err != nil && err != io.EOF:
		return n, &readError{err}
	}
	return n, err
}

// readerError turns what stopped a reader into its error: the caller's and the
// reader's own errors unchanged, everything else VALIDATION.
func readerError(err error, describe func(error) error) error {
	var (
		fe *fnError
		re *readError
	)
	switch {
	case errors.As(err, &fe):
		return fe.err
	case errors.As(err, &re):
		return re
	case errors.Is(err, errTooLarge):
		return invalidReport("the report is larger than %d bytes", MaxReportBytes)
	case apperr.CodeOf(err) != "":
		return err
	}
	return describe(err)
}

func invalidReport(format string, args ...any) error {
	return apperr.New(apperr.Validation, format, args...)
}

// clipValue shortens a value quoted in a message.
func clipValue(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > 80 {
		return strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}
