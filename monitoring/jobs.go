package monitoring

import (
	"context"
	"fmt"
	"time"

	"sicherkommunal/assessment"
	"sicherkommunal/ent"
	"sicherkommunal/ent/flag"
	"sicherkommunal/ent/schema/pulid"
	"sicherkommunal/finding"
	"sicherkommunal/ledger"
	"sicherkommunal/reconcile"
)

// Job names (fixed: operators and runJob use them).
const (
	JobOverdueSteps   = "overdue-steps"
	JobDeadlineWatch  = "deadline-watch"
	JobBudgetOverruns = "budget-overruns"
	JobLedgerAudit    = "ledger-audit"
	JobUnmatched      = "unmatched-payments"
	JobAssessments    = "assessment-missing"
	JobUnconfirmed    = "assessment-unconfirmed"
	JobFindingsDue    = "findings-overdue"
	JobCriticalOpen   = "critical-findings"
	JobAcceptances    = "risk-acceptances"
)

// UnmatchedAfterBankingDays is how long a bank debit may stay unmatched.
const UnmatchedAfterBankingDays = 3

// condition is a set-based query of everything that should have an open
// flag of one kind right now. Its columns: subject_key, severity,
// program_id, participation_id, step_id, measure_id, message.
type condition struct {
	sql  string
	args []any
}

// result counts what a run changed.
type result struct{ raised, resolved int }

// syncFlags makes the open flags of kind equal the condition, in two
// statements whatever the number of subjects: resolve the open flags whose
// subject no longer qualifies or whose severity or message changed, then
// raise a flag for each subject without an open one.
func (r *Runner) syncFlags(ctx context.Context, c *ent.Client, kind flag.Kind, cond condition, now time.Time) (result, error) {
	d := r.dialect()
	// PostgreSQL plans NOT EXISTS as a hash anti join that spills to disk;
	// its NOT IN is hashed only while the set fits work_mem and turns
	// quadratic beyond. SQLite builds an index for NOT IN. (Subject keys
	// and severities contain no '|', so the concatenation is unambiguous.)
	still := `subject_key || '|' || severity || '|' || message NOT IN
  (SELECT c.subject_key || '|' || c.severity || '|' || c.message FROM (` + cond.sql + `) c)`
	if r.Dialect.IsPostgres() {
		still = `NOT EXISTS (SELECT 1 FROM (` + cond.sql + `) c
  WHERE c.subject_key = flags.subject_key AND c.severity = flags.severity AND c.message = flags.message)`
	}
	resolve := d.Rebind(`UPDATE flags SET resolved_at = ? WHERE kind = ? AND resolved_at IS NULL AND ` + still)
	res, err := c.ExecContext(ctx, resolve, append([]any{now, string(kind)}, cond.args...)...)
	if err != nil {
		return result{}, fmt.Errorf("%s: resolve: %w", kind, err)
	}
	resolved, _ := res.RowsAffected()
	raise := d.Rebind(`INSERT INTO flags (id, kind, severity, subject_key, program_id, participation_id, step_id, measure_id, message, raised_at)
SELECT ` + d.NewID("FL") + `, ?, c.severity, c.subject_key, c.program_id, c.participation_id, c.step_id, c.measure_id, c.message, ?
FROM (` + cond.sql + `) c
WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.kind = ? AND f.subject_key = c.subject_key AND f.resolved_at IS NULL)`)
	args := append([]any{string(kind), now}, cond.args...)
	res, err = c.ExecContext(ctx, raise, append(args, string(kind))...)
	if err != nil {
		return result{}, fmt.Errorf("%s: raise: %w", kind, err)
	}
	raised, _ := res.RowsAffected()
	if r.Dialect.IsPostgres() && raised+resolved > 1000 {
		// After a mass change the planner must know the table's new size,
		// or the next run's anti join degenerates into a nested loop.
		if _, err := c.ExecContext(ctx, "ANALYZE flags"); err != nil {
			return result{}, fmt.Errorf("%s: analyze: %w", kind, err)
		}
	}
	return result{raised: int(raised), resolved: int(resolved)}, nil
}

// overdueSteps: a step due on D and not completed is overdue from 00:00
// on D+1 in the programme's time zone.
func (r *Runner) overdueSteps(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	today, arg := d.Date(r.today(now))
	return r.syncFlags(ctx, c, flag.KindSTEP_OVERDUE, condition{sql: `
SELECT s.id AS subject_key, 'WARNING' AS severity, p.program_id AS program_id, s.participation_id AS participation_id,
  s.id AS step_id, NULL AS measure_id,
  'Step ' || s.kind || ' was due on ' || ` + d.DateText("s.due_on") + ` || ' and is not completed' AS message
FROM steps s JOIN participations p ON p.id = s.participation_id
WHERE s.completed_at IS NULL AND s.due_on < ` + today + ` AND p.status NOT IN ('WITHDRAWN', 'SETTLED')`,
		args: []any{arg}}, now)
}

// assessmentMissing: a participation whose step ONSITE_ASSESSMENT is due
// (on or before today in the programme's time zone) or done, without a
// submitted or confirmed BASELINE (assessment.CheckBaselineSubmitted is
// the same rule for completing the step).
func (r *Runner) assessmentMissing(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	today, arg := d.Date(r.today(now))
	return r.syncFlags(ctx, c, flag.KindASSESSMENT_MISSING, condition{sql: `
SELECT s.id AS subject_key, 'WARNING' AS severity, p.program_id AS program_id, s.participation_id AS participation_id,
  s.id AS step_id, NULL AS measure_id,
  'Step ONSITE_ASSESSMENT was due on ' || ` + d.DateText("s.due_on") + ` || '; no BASELINE assessment is submitted' AS message
FROM steps s JOIN participations p ON p.id = s.participation_id
WHERE s.kind = 'ONSITE_ASSESSMENT' AND (s.completed_at IS NOT NULL OR s.due_on <= ` + today + `)
  AND p.status NOT IN ('WITHDRAWN', 'SETTLED')
  AND NOT EXISTS (SELECT 1 FROM assessments a WHERE a.participation_id = p.id AND a.kind = 'BASELINE'
    AND a.status IN ` + assessment.SubmittedSQL + `)`,
		args: []any{arg}}, now)
}

// assessmentUnconfirmed: an assessment SUBMITTED more than
// assessment.ConfirmWithin ago that its Kommune has neither confirmed nor
// returned.
func (r *Runner) assessmentUnconfirmed(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	return r.syncFlags(ctx, c, flag.KindASSESSMENT_UNCONFIRMED, condition{sql: `
SELECT a.id AS subject_key, 'WARNING' AS severity, p.program_id AS program_id, a.participation_id AS participation_id,
  NULL AS step_id, NULL AS measure_id,
  'The ' || a.kind || ' assessment was submitted more than ` + fmt.Sprint(assessment.ConfirmWithinDays) + ` days ago and is neither confirmed nor returned by the Kommune' AS message
FROM assessments a JOIN participations p ON p.id = a.participation_id
WHERE a.status = 'SUBMITTED' AND a.submitted_at < ? AND p.status <> 'WITHDRAWN'`,
		args: []any{now.Add(-assessment.ConfirmWithin)}}, now)
}

// findingsOverdue: a finding past its due date (due before today in the
// programme's time zone) that is not closed (finding.Closed); CRITICAL for
// a critical finding. The message names the finding by its title only:
// staff read flags, not a finding's details.
func (r *Runner) findingsOverdue(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	today, arg := d.Date(r.today(now))
	return r.syncFlags(ctx, c, flag.KindFINDING_OVERDUE, condition{sql: `
SELECT f.id AS subject_key, CASE WHEN f.severity = 'CRITICAL' THEN 'CRITICAL' ELSE 'WARNING' END AS severity,
  p.program_id AS program_id, f.participation_id AS participation_id, NULL AS step_id, NULL AS measure_id,
  'The ' || f.severity || ' finding "' || substr(f.title, 1, 200) || '" was due on ' || ` + d.DateText("f.due_on") + ` || ' and is ' || f.status AS message
FROM findings f JOIN participations p ON p.id = f.participation_id
WHERE f.due_on < ` + today + ` AND f.status NOT IN ` + finding.ClosedSQL + ` AND p.status NOT IN ('WITHDRAWN', 'SETTLED')`,
		args: []any{arg}}, now)
}

// criticalFindings: a CRITICAL finding that is not closed.
func (r *Runner) criticalFindings(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	return r.syncFlags(ctx, c, flag.KindCRITICAL_FINDING_OPEN, condition{sql: `
SELECT f.id AS subject_key, 'CRITICAL' AS severity, p.program_id AS program_id, f.participation_id AS participation_id,
  NULL AS step_id, NULL AS measure_id,
  'The critical finding "' || substr(f.title, 1, 200) || '" is ' || f.status AS message
FROM findings f JOIN participations p ON p.id = f.participation_id
WHERE f.severity = 'CRITICAL' AND f.status NOT IN ` + finding.ClosedSQL + ` AND p.status NOT IN ('WITHDRAWN', 'SETTLED')`}, now)
}

// riskAcceptances moves expired risk acceptances back to OPEN
// (finding.ExpireAcceptances) and flags each such finding until someone
// decides anew (a move by hand clears accepted_until).
func (r *Runner) riskAcceptances(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	day := r.today(now)
	if _, err := finding.ExpireAcceptances(ctx, c, d, day, now); err != nil {
		return result{}, fmt.Errorf("expire acceptances: %w", err)
	}
	today, arg := d.Date(day)
	return r.syncFlags(ctx, c, flag.KindRISK_ACCEPTANCE_EXPIRED, condition{sql: `
SELECT f.id AS subject_key, 'WARNING' AS severity, p.program_id AS program_id, f.participation_id AS participation_id,
  NULL AS step_id, NULL AS measure_id,
  'The risk acceptance of the ' || f.severity || ' finding "' || substr(f.title, 1, 200) || '" ended on ' || ` + d.DateText("f.accepted_until") + ` || '; it is OPEN again' AS message
FROM findings f JOIN participations p ON p.id = f.participation_id
WHERE f.status = 'OPEN' AND f.accepted_until < ` + today + ` AND p.status <> 'WITHDRAWN'`,
		args: []any{arg}}, now)
}

// deadlineWatch: participations not yet accepted with at most 30 days to
// their programme's end (critical once the end has passed).
func (r *Runner) deadlineWatch(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	today := r.today(now)
	todayExpr, todayArg := d.Date(today)
	horizonExpr, horizonArg := d.Date(today.AddDate(0, 0, DeadlineHorizonDays))
	return r.syncFlags(ctx, c, flag.KindDEADLINE_AT_RISK, condition{sql: `
SELECT p.id AS subject_key,
  CASE WHEN g.ends_on < ` + todayExpr + ` THEN 'CRITICAL' ELSE 'WARNING' END AS severity,
  p.program_id AS program_id, p.id AS participation_id, NULL AS step_id, NULL AS measure_id,
  'Final acceptance and billing are due by ' || ` + d.DateText("g.ends_on") + ` || '; the participation is still ' || p.status AS message
FROM participations p JOIN programs g ON g.id = p.program_id
WHERE p.status NOT IN ('ACCEPTED', 'SETTLED', 'WITHDRAWN') AND g.ends_on <= ` + horizonExpr,
		args: []any{todayArg, horizonArg}}, now)
}

// DeadlineHorizonDays is how close to the programme's end a participation
// that is not accepted gets flagged.
const DeadlineHorizonDays = 30

// budgetOverruns: planned measure costs above what can be funded, per
// stage (stage 1: its cap; stage 2: the total cap less what stage 1 got)
// and in total, and planned costs of a programme above its budget.
func (r *Runner) budgetOverruns(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	d := r.dialect()
	return r.syncFlags(ctx, c, flag.KindBUDGET_OVERRUN, condition{sql: `
SELECT m.participation_id || '/' || m.stage AS subject_key, 'WARNING' AS severity, p.program_id AS program_id,
  m.participation_id AS participation_id, NULL AS step_id, NULL AS measure_id,
  'Planned ' || m.stage || ' measures cost ' || ` + d.Money("m.planned") + ` || ' EUR, more than the ' ||
  ` + d.Money("CASE WHEN m.stage = 'STAGE_1' THEN fa.stage1_cap ELSE fa.total_cap - fa.stage1_paid END") + ` || ' EUR that can be funded' AS message
FROM (SELECT participation_id, stage, SUM(planned_cost) AS planned FROM measures WHERE status <> 'CANCELLED'
      GROUP BY participation_id, stage) m
JOIN participations p ON p.id = m.participation_id
JOIN funding_accounts fa ON fa.participation_id = m.participation_id
WHERE p.status <> 'WITHDRAWN'
  AND m.planned > CASE WHEN m.stage = 'STAGE_1' THEN fa.stage1_cap ELSE fa.total_cap - fa.stage1_paid END
UNION ALL
SELECT t.participation_id || '/TOTAL', 'WARNING', p.program_id, t.participation_id, NULL, NULL,
  'Planned measures cost ' || ` + d.Money("t.planned") + ` || ' EUR in total, more than the cap of ' || ` + d.Money("fa.total_cap") + ` || ' EUR'
FROM (SELECT participation_id, SUM(planned_cost) AS planned FROM measures WHERE status <> 'CANCELLED'
      GROUP BY participation_id) t
JOIN participations p ON p.id = t.participation_id
JOIN funding_accounts fa ON fa.participation_id = t.participation_id
WHERE p.status <> 'WITHDRAWN' AND t.planned > fa.total_cap
UNION ALL
SELECT g.id || '/BUDGET', 'CRITICAL', g.id, NULL, NULL, NULL,
  'Planned measures of the programme cost ' || ` + d.Money("x.planned") + ` || ' EUR, more than its budget of ' || ` + d.Money("g.budget") + ` || ' EUR'
FROM programs g
JOIN (SELECT p.program_id, SUM(me.planned_cost) AS planned FROM measures me
      JOIN participations p ON p.id = me.participation_id
      WHERE me.status <> 'CANCELLED' AND p.status <> 'WITHDRAWN' GROUP BY p.program_id) x ON x.program_id = g.id
WHERE g.budget IS NOT NULL AND x.planned > g.budget`}, now)
}

// flagSpec is one flag a Go-side job wants open.
type flagSpec struct {
	severity        flag.Severity
	participationID *pulid.ID
	message         string
}

// syncGo makes the open flags of kind equal want (subject → flag) for jobs
// whose condition is computed in Go from one set-based query: one query
// for the open flags, one update for the cleared ones, bulk inserts for
// the new ones.
func syncGo(ctx context.Context, c *ent.Client, kind flag.Kind, want map[string]flagSpec, now time.Time) (result, error) {
	open, err := c.Flag.Query().Where(flag.KindEQ(kind), flag.ResolvedAtIsNil()).All(ctx)
	if err != nil {
		return result{}, err
	}
	var res result
	var stale []pulid.ID
	for _, f := range open {
		if w, ok := want[f.SubjectKey]; ok && w.severity == f.Severity && w.message == f.Message {
			delete(want, f.SubjectKey)
		} else {
			stale = append(stale, f.ID)
		}
	}
	if len(stale) > 0 {
		n, err := c.Flag.Update().Where(flag.IDIn(stale...)).SetResolvedAt(now).Save(ctx)
		if err != nil {
			return result{}, err
		}
		res.resolved = n
	}
	builders := make([]*ent.FlagCreate, 0, len(want))
	for key, w := range want {
		builders = append(builders, c.Flag.Create().SetKind(kind).SetSeverity(w.severity).SetSubjectKey(key).
			SetNillableParticipationID(w.participationID).SetMessage(w.message).SetRaisedAt(now))
	}
	for len(builders) > 0 { // in chunks: SQLite bounds the variables of a statement
		n := min(len(builders), 500)
		if err := c.Flag.CreateBulk(builders[:n]...).Exec(ctx); err != nil {
			return result{}, err
		}
		res.raised += n
		builders = builders[n:]
	}
	return res, nil
}

// ledgerAudit raises a critical LEDGER_MISMATCH for every funding account
// whose totals differ from the sum of its entries (ledger.Verify).
func (r *Runner) ledgerAudit(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	mism, err := ledger.Verify(ctx, c)
	if err != nil {
		return result{}, err
	}
	want := make(map[string]flagSpec, len(mism))
	for _, m := range mism {
		pid := m.ParticipationID
		want[string(pid)] = flagSpec{severity: flag.SeverityCRITICAL, participationID: &pid, message: "Ledger mismatch: " + m.String()}
	}
	return syncGo(ctx, c, flag.KindLEDGER_MISMATCH, want, now)
}

// unmatchedPayments raises PAYMENT_UNMATCHED for bank debits that no ledger
// entry explains after three banking days.
func (r *Runner) unmatchedPayments(ctx context.Context, c *ent.Client, now time.Time) (result, error) {
	lines, err := (&reconcile.Service{Client: c, Dialect: r.Dialect, Now: r.Now, Zone: r.Location}).Overdue(ctx, r.today(now), UnmatchedAfterBankingDays)
	if err != nil {
		return result{}, err
	}
	want := make(map[string]flagSpec, len(lines))
	for _, l := range lines {
		want[string(l.ID)] = flagSpec{severity: flag.SeverityWARNING, message: fmt.Sprintf(
			"Bank debit of %s %s to %s booked on %s is %s after %d banking days",
			l.Amount.StringFixed(2), l.Currency, orUnknown(l.CounterpartyName), l.BookingDate.Format(time.DateOnly),
			l.Status, UnmatchedAfterBankingDays)}
	}
	return syncGo(ctx, c, flag.KindPAYMENT_UNMATCHED, want, now)
}

func orUnknown(s *string) string {
	if s == nil || *s == "" {
		return "an unknown payee"
	}
	return *s
}
