package types

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Severity is how severe a finding is; the bands of the CVSS qualitative
// rating scale, INFO for a score of 0 or a finding without one.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "CRITICAL"
	SeverityHigh     Severity = "HIGH"
	SeverityMedium   Severity = "MEDIUM"
	SeverityLow      Severity = "LOW"
	SeverityInfo     Severity = "INFO"
)

// Values implements ent's EnumValues.
func (Severity) Values() []string {
	return []string{string(SeverityCritical), string(SeverityHigh), string(SeverityMedium), string(SeverityLow), string(SeverityInfo)}
}

// FindingStatus is where a finding stands (the rules: package finding).
type FindingStatus string

// Finding statuses.
const (
	FindingOpen          FindingStatus = "OPEN"
	FindingConfirmed     FindingStatus = "CONFIRMED"
	FindingInRemediation FindingStatus = "IN_REMEDIATION"
	FindingFixed         FindingStatus = "FIXED"
	FindingVerified      FindingStatus = "VERIFIED"
	FindingFalsePositive FindingStatus = "FALSE_POSITIVE"
	FindingRiskAccepted  FindingStatus = "RISK_ACCEPTED"
	FindingReopened      FindingStatus = "REOPENED"
)

// Values implements ent's EnumValues, in the order of a finding's life.
func (FindingStatus) Values() []string {
	return []string{string(FindingOpen), string(FindingConfirmed), string(FindingInRemediation), string(FindingFixed),
		string(FindingVerified), string(FindingFalsePositive), string(FindingRiskAccepted), string(FindingReopened)}
}

// TestKind is the kind of a security test.
type TestKind string

// Test kinds.
const (
	TestVulnerabilityScan TestKind = "VULNERABILITY_SCAN"
	TestPenetrationTest   TestKind = "PENETRATION_TEST"
	TestSpotCheck         TestKind = "SPOT_CHECK"
	TestPolicyReview      TestKind = "POLICY_REVIEW"
)

// Values implements ent's EnumValues.
func (TestKind) Values() []string {
	return []string{string(TestVulnerabilityScan), string(TestPenetrationTest), string(TestSpotCheck), string(TestPolicyReview)}
}

// MarshalGQL implements graphql.Marshaler.
func (s Severity) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *Severity) UnmarshalGQL(x any) (err error) {
	*s, err = unmarshalEnum[Severity](x, Severity("").Values(), "Severity")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s FindingStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *FindingStatus) UnmarshalGQL(x any) (err error) {
	*s, err = unmarshalEnum[FindingStatus](x, FindingStatus("").Values(), "FindingStatus")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (k TestKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *TestKind) UnmarshalGQL(x any) (err error) {
	*k, err = unmarshalEnum[TestKind](x, TestKind("").Values(), "TestKind")
	return err
}

// RemediationDays are the days a Kommune has to remedy a finding, by
// severity: programme data (Program.remediation_days); INFO findings have
// no due date.
type RemediationDays struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
}

// DefaultRemediationDays are the days of a new programme: 7, 30, 90 and
// 180 for critical, high, medium and low findings.
var DefaultRemediationDays = RemediationDays{Critical: 7, High: 30, Medium: 90, Low: 180}

// Problem is what is wrong with the days ("" for nothing): each 1 to
// 3650, and never more time for a more severe finding than for a less
// severe one.
func (d RemediationDays) Problem() string {
	ds := []int{d.Critical, d.High, d.Medium, d.Low}
	for i, n := range ds {
		if n < 1 || n > 3650 {
			return fmt.Sprintf("remediation days must be 1 to 3650, got %d", n)
		}
		if i > 0 && n < ds[i-1] {
			return fmt.Sprintf("remediation days must not shrink with the severity: %v", ds)
		}
	}
	return ""
}

// DueOn is the day a finding of severity must be remedied by, counted
// from since (the day it was first seen, or reopened); nil for INFO.
func (d RemediationDays) DueOn(severity Severity, since time.Time) *time.Time {
	days := map[Severity]int{SeverityCritical: d.Critical, SeverityHigh: d.High, SeverityMedium: d.Medium, SeverityLow: d.Low}[severity]
	if days == 0 {
		return nil
	}
	due := NormalizeDate(since).AddDate(0, 0, days)
	return &due
}

// String shows the days as "7/30/90/180".
func (d RemediationDays) String() string {
	return fmt.Sprintf("%d/%d/%d/%d", d.Critical, d.High, d.Medium, d.Low)
}
