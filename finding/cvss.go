package finding

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
	"github.com/shopspring/decimal"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// Severity is the qualitative rating of a score (CVSS v3.1 specification
// section 5, CVSS v4.0 specification section 6: the same bands), with
// INFO for the rating None: the severity of a finding.
type Severity = types.Severity

// The ratings, from the highest.
const (
	SeverityCritical = types.SeverityCritical // 9.0 to 10.0
	SeverityHigh     = types.SeverityHigh     // 7.0 to 8.9
	SeverityMedium   = types.SeverityMedium   // 4.0 to 6.9
	SeverityLow      = types.SeverityLow      // 0.1 to 3.9
	SeverityInfo     = types.SeverityInfo     // 0.0 (None)
)

// Severities lists the ratings from the highest to the lowest.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

var (
	bandCritical = decimal.RequireFromString("9.0")
	bandHigh     = decimal.RequireFromString("7.0")
	bandMedium   = decimal.RequireFromString("4.0")
	bandLow      = decimal.RequireFromString("0.1")
)

// SeverityOf rates a score by the lower bounds of the bands: 9.0 and
// above CRITICAL, 7.0 HIGH, 4.0 MEDIUM, 0.1 LOW, anything below 0.1 INFO
// (0.0, and Greenbone's negative markers -1.0 false positive, -2.0 debug,
// -3.0 error). Scores have one decimal; a finer one falls into the band
// of its lower bound (3.95 is LOW).
func SeverityOf(score decimal.Decimal) Severity {
	switch {
	case score.GreaterThanOrEqual(bandCritical):
		return SeverityCritical
	case score.GreaterThanOrEqual(bandHigh):
		return SeverityHigh
	case score.GreaterThanOrEqual(bandMedium):
		return SeverityMedium
	case score.GreaterThanOrEqual(bandLow):
		return SeverityLow
	}
	return SeverityInfo
}

// CVSS is a vector with its base score.
type CVSS struct {
	Version  string          // "3.0", "3.1" or "4.0"
	Vector   string          // canonical: the specification's metric order, metrics set to X (Not Defined) left out
	Base     decimal.Decimal // the base score, one decimal (for 4.0 CVSS-B: threat and environmental metrics ignored)
	Severity Severity        // SeverityOf(Base)
}

// MaxVectorBytes bounds a vector: the longest valid one, with every
// metric of CVSS v4.0 set, has some 170 characters.
const MaxVectorBytes = 512

// The metrics of each version, in the specification's order; the base
// metrics are required.
var (
	cvss3Base  = []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"}
	cvss3Other = []string{"E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"}
	cvss4Base  = []string{"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"}
	cvss4Other = []string{"E", "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
		"S", "AU", "R", "V", "RE", "U"}
)

// ParseCVSS reads a CVSS v3.0, v3.1 or v4.0 vector ("CVSS:3.1/AV:N/…")
// and computes its base score. Metric names and values are case-sensitive,
// as the specifications write them; surrounding white space is ignored. A
// v3.x vector may list its metrics in any order, a v4.0 vector only in the
// specification's order (v4.0 specification section 7).
//
// A CVSS v2 vector ("AV:N/AC:L/Au:N/C:P/I:P/A:P", also with the prefix
// "CVSS:2.0/" or in parentheses) is refused: v2 has another scale of
// ratings and no qualitative None, and FIRST has retired it. Its error has
// the detail "version": "2.0", so that a caller can tell it from a broken
// vector.
//
// Errors: VALIDATION naming what is wrong (the version, a metric that is
// unknown, missing, repeated, out of order or has a value it cannot have).
func ParseCVSS(vector string) (CVSS, error) {
	v := strings.TrimSpace(vector)
	if v == "" {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector is empty")
	}
	if len(v) > MaxVectorBytes {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector is longer than %d bytes", MaxVectorBytes)
	}
	version, body, ok := strings.Cut(v, "/")
	switch {
	case version == "CVSS:3.0" || version == "CVSS:3.1" || version == "CVSS:4.0":
	case isCVSS2(v):
		return CVSS{}, apperr.New(apperr.Validation,
			"the CVSS v2 vector %q is not scored: CVSS 3.0, 3.1 and 4.0 vectors are", clipValue(v)).With("version", "2.0")
	case strings.HasPrefix(version, "CVSS:"):
		return CVSS{}, apperr.New(apperr.Validation,
			"the CVSS version %q is not read: CVSS:3.0, CVSS:3.1 and CVSS:4.0 are", clipValue(version))
	default:
		return CVSS{}, apperr.New(apperr.Validation,
			"%q is not a CVSS vector: it must begin with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/", clipValue(v))
	}
	if !ok || body == "" {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector %q has no metrics", clipValue(v))
	}
	c := CVSS{Version: strings.TrimPrefix(version, "CVSS:")}
	metrics, err := splitMetrics(c.Version, body)
	if err != nil {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector %q: %v", clipValue(v), err)
	}
	var score float64
	if c.Version == "4.0" {
		c.Vector, score, err = score40(metrics)
	} else {
		c.Vector, score, err = score3(c.Version, v)
	}
	if err != nil {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector %q: %v", clipValue(v), err)
	}
	c.Base = decimal.NewFromFloat(score).Round(1)
	if c.Base.IsNegative() || c.Base.GreaterThan(decimal.NewFromInt(10)) {
		return CVSS{}, apperr.New(apperr.Validation, "the CVSS vector %q: its score %s is out of 0.0 to 10.0", clipValue(v), c.Base)
	}
	c.Severity = SeverityOf(c.Base)
	return c, nil
}

// CheckReported parses a vector and tells whether a score reported with
// it agrees with the base score computed from it: equal once the reported
// score is rounded to one decimal (half away from zero). Errors: those of
// ParseCVSS.
func CheckReported(vector string, reported decimal.Decimal) (CVSS, bool, error) {
	c, err := ParseCVSS(vector)
	if err != nil {
		return CVSS{}, false, err
	}
	return c, reported.Round(1).Equal(c.Base), nil
}

// isCVSS2 recognises a CVSS v2 vector by its Authentication metric, which
// no other version has.
func isCVSS2(v string) bool {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
	v = strings.TrimPrefix(v, "CVSS:2.0/")
	for _, m := range strings.Split(v, "/") {
		if strings.HasPrefix(m, "Au:") {
			return true
		}
	}
	return false
}

type cvssMetric struct{ name, value string }

// splitMetrics reads the metrics after the version: each NAME:VALUE, known
// to the version, at most once, every base metric present, and for 4.0 in
// the specification's order. The values are checked by the library.
func splitMetrics(version, body string) ([]cvssMetric, error) {
	base, other := cvss3Base, cvss3Other
	if version == "4.0" {
		base, other = cvss4Base, cvss4Other
	}
	order := append(slices.Clone(base), other...)
	var (
		ms   []cvssMetric
		last = -1
	)
	for i, part := range strings.Split(body, "/") {
		name, value, ok := strings.Cut(part, ":")
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("part %d %q is not a metric like AV:N", i+1, clipValue(part))
		}
		pos := slices.Index(order, name)
		if pos < 0 {
			return nil, fmt.Errorf("unknown metric %q for CVSS v%s", clipValue(name), version)
		}
		if slices.ContainsFunc(ms, func(m cvssMetric) bool { return m.name == name }) {
			return nil, fmt.Errorf("the metric %s appears twice", name)
		}
		if version == "4.0" && pos < last {
			return nil, fmt.Errorf("the metric %s comes after %s: CVSS v4.0 lists metrics in the specification's order (%s, …)",
				name, order[last], strings.Join(base, ", "))
		}
		last = pos
		if err := checkValue(version, name, value); err != nil {
			return nil, err
		}
		ms = append(ms, cvssMetric{name, value})
	}
	for _, b := range base {
		if !slices.ContainsFunc(ms, func(m cvssMetric) bool { return m.name == b }) {
			return nil, fmt.Errorf("the base metric %s is missing (%s are required)", b, strings.Join(base, ", "))
		}
	}
	return ms, nil
}

// checkValue asks the library whether a metric can have the value.
func checkValue(version, name, value string) error {
	var err error
	switch version {
	case "3.0":
		err = new(gocvss30.CVSS30).Set(name, value)
	case "3.1":
		err = new(gocvss31.CVSS31).Set(name, value)
	default:
		err = new(gocvss40.CVSS40).Set(name, value)
	}
	if err != nil {
		return fmt.Errorf("the metric %s cannot have the value %q", name, clipValue(value))
	}
	return nil
}

// score3 is the canonical vector and base score of a checked v3.x vector.
func score3(version, v string) (string, float64, error) {
	if version == "3.0" {
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return "", 0, libError(err)
		}
		return c.Vector(), c.BaseScore(), nil
	}
	c, err := gocvss31.ParseVector(v)
	if err != nil {
		return "", 0, libError(err)
	}
	return c.Vector(), c.BaseScore(), nil
}

// score40 is the canonical vector and the CVSS-B score of a checked v4.0
// vector: the score of its base metrics alone, since the library scores
// a vector with threat or environmental metrics as CVSS-BT/-BE/-BTE.
func score40(ms []cvssMetric) (string, float64, error) {
	var full, base strings.Builder
	full.WriteString("CVSS:4.0")
	base.WriteString("CVSS:4.0")
	for _, m := range ms {
		fmt.Fprintf(&full, "/%s:%s", m.name, m.value)
		if slices.Contains(cvss4Base, m.name) {
			fmt.Fprintf(&base, "/%s:%s", m.name, m.value)
		}
	}
	c, err := gocvss40.ParseVector(full.String())
	if err != nil {
		return "", 0, libError(err)
	}
	b, err := gocvss40.ParseVector(base.String())
	if err != nil {
		return "", 0, libError(err)
	}
	return c.Vector(), b.Score(), nil
}

// libError is what the library refused after splitMetrics accepted the
// vector (which it should not).
func libError(err error) error {
	return errors.New(clipValue(err.Error()))
}
