package assessment

import (
	"context"
	"slices"
	"time"

	"sicherkommunal/apperr"
	"sicherkommunal/ent"
	"sicherkommunal/ent/assessment"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/ent/schema/types"
)

// Action is a step of an assessment's life.
type Action string

// Actions. Who may take each is checked by the Service (mayConduct,
// mayConfirm); where it leads by Next.
const (
	Submit  Action = "submit"  // the contractor hands it to the Kommune
	Confirm Action = "confirm" // the Kommune agrees
	Return  Action = "return"  // the Kommune sends it back, with a reason
	Reopen  Action = "reopen"  // the contractor works on a returned one again
)

// transitions is the assessment's life: IN_PROGRESS → SUBMITTED →
// CONFIRMED, or SUBMITTED → RETURNED → IN_PROGRESS.
var transitions = map[types.AssessmentStatus]map[Action]types.AssessmentStatus{
	types.AssessmentInProgress: {Submit: types.AssessmentSubmitted},
	types.AssessmentSubmitted:  {Confirm: types.AssessmentConfirmed, Return: types.AssessmentReturned},
	types.AssessmentReturned:   {Reopen: types.AssessmentInProgress},
}

// Next is the status an action leads to from status, or a CONFLICT error
// naming what the action needs.
func Next(status types.AssessmentStatus, a Action) (types.AssessmentStatus, error) {
	if to, ok := transitions[status][a]; ok {
		return to, nil
	}
	var from []string
	for st, acts := range transitions {
		if _, ok := acts[a]; ok {
			from = append(from, string(st))
		}
	}
	slices.Sort(from)
	return "", apperr.New(apperr.Conflict, "an assessment can %s only when %v; this one is %s", a, from, status).
		With("status", string(status))
}

// Editable reports whether answers may change: only while IN_PROGRESS.
func Editable(status types.AssessmentStatus) bool { return status == types.AssessmentInProgress }

// Submitted reports whether the contractor has handed the assessment over
// (SUBMITTED, or CONFIRMED by the Kommune since).
func Submitted(status types.AssessmentStatus) bool {
	return slices.Contains(submitted, status)
}

// submitted are the statuses Submitted reports.
var submitted = []types.AssessmentStatus{types.AssessmentSubmitted, types.AssessmentConfirmed}

// SubmittedSQL is the same as an SQL list, for queries: status IN
// SubmittedSQL.
const SubmittedSQL = "('SUBMITTED', 'CONFIRMED')"

// CheckBaselineSubmitted is the rule of the step ONSITE_ASSESSMENT: it is
// complete only with a submitted (or confirmed) BASELINE assessment of
// the participation. CONFLICT (code ASSESSMENT_REQUIRED) otherwise.
func CheckBaselineSubmitted(ctx context.Context, c *ent.Client, participationID pulid.ID) error {
	n, err := c.Assessment.Query().Where(assessment.ParticipationID(participationID),
		assessment.KindEQ(types.AssessmentBaseline),
		assessment.StatusIn(types.AssessmentSubmitted, types.AssessmentConfirmed)).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.New(AssessmentRequired, "the on-site assessment is complete only with a submitted BASELINE assessment (submitAssessment)")
	}
	return nil
}

// AssessmentRequired is the code of a step that needs a submitted
// assessment first.
const AssessmentRequired = "ASSESSMENT_REQUIRED"

// ConfirmWithinDays is how long a submitted assessment may wait for its
// Kommune to confirm or return it before the monitoring flags it
// (ASSESSMENT_UNCONFIRMED); ConfirmWithin the same as a duration.
const (
	ConfirmWithinDays = 14
	ConfirmWithin     = ConfirmWithinDays * 24 * time.Hour
)
