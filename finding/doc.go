// Package finding is about the findings of security tests of a Kommune,
// vulnerability scans first. Its readers of scan reports and its CVSS
// scores, described here, are pure functions without a database; the
// data model and the services of findings build on them.
//
// # Scores
//
//	func ParseCVSS(vector string) (CVSS, error)
//	func CheckReported(vector string, reported decimal.Decimal) (CVSS, bool, error)
//	func SeverityOf(score decimal.Decimal) Severity
//
// ParseCVSS reads a CVSS v3.0, v3.1 or v4.0 vector and computes its base
// score with github.com/pandatix/go-cvss (packages 30, 31 and 40); the
// CVSS it returns has the version, the canonical vector, the base score
// with one decimal and its Severity. A CVSS v2 vector is refused (with the
// detail "version": "2.0"); so is every malformed vector, naming what is
// wrong. CheckReported says whether a score reported with a vector (by a
// scanner, a vendor) is the vector's base score at one decimal; for a
// v4.0 vector with threat or environmental metrics that is its CVSS-B,
// not the CVSS-BT or -BE a tool may report. SeverityOf rates a score on
// the qualitative scale of CVSS v3.1 and v4.0: CRITICAL 9.0–10.0, HIGH
// 7.0–8.9, MEDIUM 4.0–6.9, LOW 0.1–3.9, INFO 0.0 (None). It may differ
// from a Greenbone result's Threat: gvmd without its CVSS v3 ratings calls
// everything from 7.0 High, and Log what is 0.0.
//
// # Greenbone reports
//
//	func ReadGreenboneXML(r io.Reader, fn func(Result) error) (Report, error)
//	func ReadGreenboneCSV(r io.Reader, fn func(Result) error) (Report, error)
//
// Both read a report of Greenbone's vulnerability manager (gvmd, the
// manager of OpenVAS scans) as a stream and give each result to fn, in
// the order of the report, holding one result at a time: the XML report
// (report format "XML", or GMP's get_reports_response) and the CSV results
// export (report format "CSV Results"). They return what the report says
// about itself (Report). An error refuses the whole report, also after fn
// has seen some of its results: a caller that stores results stores them
// only when the reader returns no error (in one transaction, or after
// collecting them). Errors are VALIDATION naming the result or row, its
// line and the element or column; an error of fn is returned unchanged,
// an error of the reader wrapped without a code. The bounds (MaxResults,
// MaxReportBytes, MaxResultBytes, MaxTextBytes, MaxDepth,
// MaxResultElements, MaxColumns, MaxIdentifierBytes) hold for both; an
// XML report with a document type declaration is refused, so it can
// define no entity.
//
// A Result is the same from both formats, with these differences, which
// come from what gvmd writes into the CSV export:
//
//   - Port and Protocol: the export writes no port for results on
//     general/… (general/tcp, general/icmp, general/CPE-T) and package, and
//     then no protocol either: both are empty, where the XML report gives
//     "general" and "tcp", or "package" and "".
//   - CVSSVector and CWEs: the export has neither; they are empty.
//   - Name: the export removes apostrophes from NVT names.
//   - Hostname: the export takes it from the host details of the report,
//     the XML result from its host element; they agree in reports of gvmd.
//   - Report: the export has no report id and no scan times.
//
// Result.ID is new in every scan; the same finding in two scans of the
// same scope has the same RuleID, Host, Port and Protocol. Summary falls
// back to the description, as the CSV export does; impact, insight,
// affected and solution given as "N/A" are empty, as in the export.
// Severity and Threat are the report's, that is after the overrides gvmd
// applied; CVSSVector is unchecked until ParseCVSS (it may be CVSS v2).
package finding
