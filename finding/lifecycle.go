package finding

import (
	"slices"
	"strings"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent/schema/types"
)

// Status is where a finding stands.
type Status = types.FindingStatus

// The statuses of a finding.
const (
	StatusOpen          = types.FindingOpen
	StatusConfirmed     = types.FindingConfirmed
	StatusInRemediation = types.FindingInRemediation
	StatusFixed         = types.FindingFixed
	StatusVerified      = types.FindingVerified
	StatusFalsePositive = types.FindingFalsePositive
	StatusRiskAccepted  = types.FindingRiskAccepted
	StatusReopened      = types.FindingReopened
)

// Statuses are all statuses, in the order of a finding's life.
func Statuses() []Status {
	out := []Status{}
	for _, v := range Status("").Values() {
		out = append(out, Status(v))
	}
	return out
}

// Closed reports whether a finding needs nothing more: fixed (and perhaps
// verified), a false positive, or a risk accepted (until it expires).
// Only open findings have a due date that can pass.
func Closed(s Status) bool {
	return s == StatusFixed || s == StatusVerified || s == StatusFalsePositive || s == StatusRiskAccepted
}

// Change is a change of status asked for by a person.
type Change struct {
	To Status
	// Reason is required for FALSE_POSITIVE and RISK_ACCEPTED.
	Reason string
	// AcceptedBy is who accepts the risk for the Kommune, AcceptedUntil the
	// last day the acceptance holds; both required for RISK_ACCEPTED.
	AcceptedBy    string
	AcceptedUntil *time.Time
	// Retest says the change records a consultant's re-test (the only way
	// to VERIFIED by hand).
	Retest bool
}

// manual is, per status, the statuses a person may move a finding to.
// VERIFIED by hand needs a re-test; a scan's own moves are Seen and
// Missed.
var manual = map[Status][]Status{
	StatusOpen:          {StatusConfirmed, StatusInRemediation, StatusFixed, StatusFalsePositive, StatusRiskAccepted},
	StatusReopened:      {StatusConfirmed, StatusInRemediation, StatusFixed, StatusFalsePositive, StatusRiskAccepted},
	StatusConfirmed:     {StatusInRemediation, StatusFixed, StatusFalsePositive, StatusRiskAccepted},
	StatusInRemediation: {StatusFixed, StatusFalsePositive, StatusRiskAccepted},
	StatusFixed:         {StatusVerified, StatusInRemediation},
	StatusVerified:      {},
	StatusFalsePositive: {StatusOpen},
	StatusRiskAccepted:  {StatusOpen, StatusInRemediation},
}

// deciders are the roles that may move a finding to a status: the
// contractor judges findings and re-tests, the Kommune works on them and
// accepts risks for itself; ADMIN may do everything.
var deciders = map[Status][]types.Role{
	StatusOpen:          {types.RoleAdmin, types.RoleContractor, types.RoleMunicipality},
	StatusConfirmed:     {types.RoleAdmin, types.RoleContractor},
	StatusInRemediation: {types.RoleAdmin, types.RoleContractor, types.RoleMunicipality},
	StatusFixed:         {types.RoleAdmin, types.RoleContractor, types.RoleMunicipality},
	StatusVerified:      {types.RoleAdmin, types.RoleContractor},
	StatusFalsePositive: {types.RoleAdmin, types.RoleContractor},
	StatusRiskAccepted:  {types.RoleAdmin, types.RoleMunicipality},
}

// Next checks a change a person with role asks for, on day today (the
// programme's calendar day), of a finding in status from. Errors:
// CONFLICT for a move the status does not allow (naming the allowed
// ones), FORBIDDEN for a role that may not take it, VALIDATION for a
// missing reason, acceptor or date.
func Next(from Status, c Change, role types.Role, today time.Time) error {
	allowed, known := manual[from]
	if !known {
		return apperr.New(apperr.Validation, "unknown status %q", from)
	}
	if _, known := manual[c.To]; !known {
		return apperr.New(apperr.Validation, "unknown status %q", c.To)
	}
	if !slices.Contains(allowed, c.To) {
		return apperr.New(apperr.Conflict, "a finding %s cannot become %s by hand; it can become %s", from, c.To, orNothing(allowed)).
			With("status", string(from))
	}
	if !slices.Contains(deciders[c.To], role) {
		return apperr.New(apperr.Forbidden, "%s may not set a finding %s", role, c.To)
	}
	switch c.To {
	case StatusVerified:
		if !c.Retest {
			return apperr.New(apperr.Validation, "VERIFIED needs a re-test (retest: true) or a later scan that no longer finds it")
		}
	case StatusFalsePositive:
		if strings.TrimSpace(c.Reason) == "" {
			return apperr.New(apperr.Validation, "FALSE_POSITIVE needs a reason")
		}
	case StatusRiskAccepted:
		switch {
		case strings.TrimSpace(c.Reason) == "":
			return apperr.New(apperr.Validation, "RISK_ACCEPTED needs a reason")
		case strings.TrimSpace(c.AcceptedBy) == "":
			return apperr.New(apperr.Validation, "RISK_ACCEPTED needs who accepts the risk for the Kommune (acceptedBy)")
		case c.AcceptedUntil == nil:
			return apperr.New(apperr.Validation, "RISK_ACCEPTED needs the last day it holds (acceptedUntil)")
		case !types.NormalizeDate(*c.AcceptedUntil).After(types.NormalizeDate(today)):
			return apperr.New(apperr.Validation, "acceptedUntil %s must lie after today (%s)",
				c.AcceptedUntil.Format(time.DateOnly), today.Format(time.DateOnly))
		}
	}
	return nil
}

func orNothing(ss []Status) string {
	if len(ss) == 0 {
		return "nothing (it is final)"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// Seen is the status of a finding that a new test finds again: a fixed or
// verified one is REOPENED; every other keeps its status.
func Seen(s Status) Status {
	if s == StatusFixed || s == StatusVerified {
		return StatusReopened
	}
	return s
}

// Missed is the status of a finding that a newer test of the same scope
// no longer finds: a FIXED one is VERIFIED; every other keeps its status
// (and is marked as not seen, a candidate for a re-test).
func Missed(s Status) Status {
	if s == StatusFixed {
		return StatusVerified
	}
	return s
}

// Expired reports whether a risk acceptance has run out on today: its
// last day lies before today. An expired acceptance goes back to OPEN.
func Expired(s Status, acceptedUntil *time.Time, today time.Time) bool {
	return s == StatusRiskAccepted && acceptedUntil != nil &&
		types.NormalizeDate(*acceptedUntil).Before(types.NormalizeDate(today))
}
