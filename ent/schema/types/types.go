// Package types holds value types shared by the data model, the domain
// packages and the GraphQL layer: enums that appear outside a single entity,
// money in cents, calendar dates and the step template.
package types

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"time"

	"entgo.io/ent/schema/field"
	"github.com/shopspring/decimal"
)

// StepKind is one of the nine project steps (Projektschritte) of a participation.
type StepKind string

// The steps in their natural order.
const (
	StepKickoff             StepKind = "KICKOFF"
	StepOnsiteAssessment    StepKind = "ONSITE_ASSESSMENT"
	StepPolicyReview        StepKind = "POLICY_REVIEW"
	StepTechnicalSpotCheck  StepKind = "TECHNICAL_SPOT_CHECK"
	StepVulnerabilityScan   StepKind = "VULNERABILITY_SCAN"
	StepMeasurePackage      StepKind = "MEASURE_PACKAGE"
	StepMeasuresImplemented StepKind = "MEASURES_IMPLEMENTED"
	StepFinalAcceptance     StepKind = "FINAL_ACCEPTANCE"
	StepBilling             StepKind = "BILLING"
)

// StepKinds lists every step kind in process order.
var StepKinds = []StepKind{
	StepKickoff, StepOnsiteAssessment, StepPolicyReview, StepTechnicalSpotCheck,
	StepVulnerabilityScan, StepMeasurePackage, StepMeasuresImplemented,
	StepFinalAcceptance, StepBilling,
}

// Values implements ent's EnumValues.
func (StepKind) Values() []string {
	out := make([]string, len(StepKinds))
	for i, k := range StepKinds {
		out[i] = string(k)
	}
	return out
}

// Valid reports whether k is a known step kind.
func (k StepKind) Valid() bool {
	for _, v := range StepKinds {
		if v == k {
			return true
		}
	}
	return false
}

// FundingStage is stage 1 (IST-Erhebung) or stage 2 of the funding.
type FundingStage string

// Funding stages.
const (
	Stage1 FundingStage = "STAGE_1"
	Stage2 FundingStage = "STAGE_2"
)

// Values implements ent's EnumValues.
func (FundingStage) Values() []string { return []string{string(Stage1), string(Stage2)} }

// Lengths (in bytes) of a ledger entry's texts; the schema and the
// ledger's input checks share them.
const (
	MaxReferenceLen      = 140
	MaxIdempotencyKeyLen = 200
)

// Role is what a token holder may do; the schema's @allow directives and
// the row matrix in ent/schema/privacy.go say what each role reads.
type Role string

// Roles.
const (
	RoleAdmin        Role = "ADMIN"
	RoleMinistry     Role = "MINISTRY"
	RoleCoordinator  Role = "COORDINATOR"
	RoleContractor   Role = "CONTRACTOR"
	RoleMunicipality Role = "MUNICIPALITY"
	// RoleBSI is the federal office: it reads the programme's anonymised
	// security picture and nothing else.
	RoleBSI Role = "BSI"
)

// Values implements ent's EnumValues.
func (Role) Values() []string {
	return []string{string(RoleAdmin), string(RoleMinistry), string(RoleCoordinator), string(RoleContractor), string(RoleMunicipality), string(RoleBSI)}
}

// AssessmentKind is the occasion of a WiBA assessment.
type AssessmentKind string

// Assessment kinds.
const (
	// AssessmentBaseline is the IST-Erhebung of stage 1.
	AssessmentBaseline AssessmentKind = "BASELINE"
	// AssessmentFollowUp is the assessment after the measures.
	AssessmentFollowUp AssessmentKind = "FOLLOW_UP"
)

// Values implements ent's EnumValues.
func (AssessmentKind) Values() []string {
	return []string{string(AssessmentBaseline), string(AssessmentFollowUp)}
}

// AssessmentStatus is where an assessment stands: the contractor works on
// it (IN_PROGRESS), submits it, and the Kommune confirms or returns it.
type AssessmentStatus string

// Assessment statuses.
const (
	AssessmentInProgress AssessmentStatus = "IN_PROGRESS"
	AssessmentSubmitted  AssessmentStatus = "SUBMITTED"
	AssessmentConfirmed  AssessmentStatus = "CONFIRMED"
	AssessmentReturned   AssessmentStatus = "RETURNED"
)

// Values implements ent's EnumValues.
func (AssessmentStatus) Values() []string {
	return []string{string(AssessmentInProgress), string(AssessmentSubmitted), string(AssessmentConfirmed), string(AssessmentReturned)}
}

// AnswerStatus is the answer to one WiBA check question.
type AnswerStatus string

// Answer statuses. NOT_APPLICABLE needs a justification; OPEN is not yet
// answered.
const (
	AnswerOpen          AnswerStatus = "OPEN"
	AnswerYes           AnswerStatus = "YES"
	AnswerPartial       AnswerStatus = "PARTIAL"
	AnswerNo            AnswerStatus = "NO"
	AnswerNotApplicable AnswerStatus = "NOT_APPLICABLE"
)

// Values implements ent's EnumValues.
func (AnswerStatus) Values() []string {
	return []string{string(AnswerOpen), string(AnswerYes), string(AnswerPartial), string(AnswerNo), string(AnswerNotApplicable)}
}

// StepTemplateItem says when a step of a new participation is due: on DueOn
// if set, otherwise OffsetDays after registration; never after the
// programme's end.
type StepTemplateItem struct {
	Kind       StepKind   `json:"kind"`
	OffsetDays int        `json:"offsetDays"`
	DueOn      *time.Time `json:"dueOn,omitempty"`
}

// MoneyScanner stores a decimal.Decimal as BIGINT cents. Values with more
// than two fraction digits are refused, never rounded.
var MoneyScanner = field.ValueScannerFunc[decimal.Decimal, *sql.NullInt64]{
	V: func(d decimal.Decimal) (driver.Value, error) {
		c, err := Cents(d)
		if err != nil {
			return nil, err
		}
		return c, nil
	},
	S: func(n *sql.NullInt64) (decimal.Decimal, error) {
		if !n.Valid {
			return decimal.Zero, nil
		}
		return decimal.New(n.Int64, -2), nil
	},
}

// OptionalMoneyScanner stores a *decimal.Decimal as nullable BIGINT cents.
var OptionalMoneyScanner = field.ValueScannerFunc[*decimal.Decimal, *sql.NullInt64]{
	V: func(d *decimal.Decimal) (driver.Value, error) {
		if d == nil {
			return nil, nil
		}
		return MoneyScanner.V(*d)
	},
	S: func(n *sql.NullInt64) (*decimal.Decimal, error) {
		if !n.Valid {
			return nil, nil
		}
		d := decimal.New(n.Int64, -2)
		return &d, nil
	},
}

// MaxMoneyCents is the ceiling of every amount of money in the system, in
// cents: 1,000,000,000.00 EUR, far above any cap or budget of the
// programme. Every amount a client sends (the GraphQL Decimal scalar), every
// bank statement line (reconcile) and every value stored (Cents) is at most
// this in absolute value.
//
// The ceiling is what keeps the SQL sums over money columns (BIGINT cents,
// summed as 64-bit integers by SQLite and cast back to bigint by the
// monitoring jobs on PostgreSQL) from overflowing: MaxSummedMoneyValues
// values at the ceiling still fit in int64.
const MaxMoneyCents int64 = 1_000_000_000_00

// MaxSummedMoneyValues is how many amounts at the ceiling an int64 sum of
// cents holds: 92,233,720. A nationwide programme (11,000 Kommunen with
// about 100 measures each, 1.1 million values) stays 80 times below it.
const MaxSummedMoneyValues = math.MaxInt64 / MaxMoneyCents

// MaxMoney is MaxMoneyCents as an amount.
var MaxMoney = decimal.New(MaxMoneyCents, -2)

// ErrAboveMoneyLimit marks an amount whose absolute value is above MaxMoney.
var ErrAboveMoneyLimit = errors.New("above the limit of " + MaxMoney.StringFixed(2) + " EUR for an amount")

// CheckMoneyLimit fails with an error wrapping ErrAboveMoneyLimit, naming
// the amount and the limit, when the absolute value of d is above MaxMoney.
func CheckMoneyLimit(d decimal.Decimal) error {
	if d.Abs().GreaterThan(MaxMoney) {
		return fmt.Errorf("amount %s is %w", clipAmount(d.String()), ErrAboveMoneyLimit)
	}
	return nil
}

func clipAmount(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Cents converts an amount to whole cents; it fails for fractions of a cent
// and for amounts above the ceiling (MaxMoneyCents, ErrAboveMoneyLimit).
func Cents(d decimal.Decimal) (int64, error) {
	if err := CheckMoneyLimit(d); err != nil {
		return 0, err
	}
	c := d.Shift(2)
	if !c.IsInteger() {
		return 0, fmt.Errorf("amount %s has more than two fraction digits", clipAmount(d.String()))
	}
	return c.IntPart(), nil
}

// MoneySchemaType makes money columns BIGINT on every dialect.
var MoneySchemaType = map[string]string{"postgres": "bigint", "sqlite3": "integer"}

// DateSchemaType makes date columns DATE on every dialect.
var DateSchemaType = map[string]string{"postgres": "date", "sqlite3": "date"}

// DefaultTimeZone is the time zone of a new programme, and of an
// installation that has none yet. The zones of programmes are data
// (Program.time_zone), read through programme.InstallationZone, which the
// application passes to every service (calendar, ledger, reconcile,
// monitoring); nothing else names a zone.
const DefaultTimeZone = "Europe/Berlin"

// Date returns the calendar date y-m-d as a time at midnight UTC, the one
// representation of dates used throughout the code.
func Date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// DateOf returns the calendar date of t as seen in loc.
func DateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return Date(y, m, d)
}

// NormalizeDate maps a date read from any store to midnight UTC of the same
// calendar day.
func NormalizeDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return Date(y, m, d)
}
