// Package monitoring runs the monitoring jobs on robfig/cron: overdue steps,
// deadlines at risk, budget overruns, the ledger audit, unmatched payments
// assessments missing or unconfirmed, and findings overdue, critical or
// with an expired risk acceptance. Each job is a
// few set-based statements plus an idempotent raise/resolve of flags, runs
// in one transaction, and is recorded as a JobRun. Time comes from the
// injected clock. With several replicas on PostgreSQL each tick of each job
// runs once: a transaction-scoped advisory lock per job plus a unique
// (job, tick) JobRun; on SQLite one process owns the schedule.
package monitoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"sicherkommunal/apperr"
	"sicherkommunal/auth"
	"sicherkommunal/ent"
	"sicherkommunal/ent/jobrun"
	"sicherkommunal/ent/schema/types"
	"sicherkommunal/store"
)

// DefaultSchedules are cron specs in the programme's time zone
// (Runner.Location); none lies between 02:00 and 03:00, the hour in which
// the DST changes of European zones happen.
var DefaultSchedules = map[string]string{
	JobOverdueSteps:   "*/15 * * * *",
	JobDeadlineWatch:  "0 6 * * *",
	JobBudgetOverruns: "5 6 * * *",
	JobLedgerAudit:    "40 * * * *",
	JobUnmatched:      "20 7 * * 1-5",
	JobAssessments:    "10 6 * * *",
	JobUnconfirmed:    "15 6 * * *",
	JobFindingsDue:    "20 6 * * *",
	JobCriticalOpen:   "*/30 * * * *",
	JobAcceptances:    "1 0 * * *",
}

// ScheduleEnv names the environment variable that overrides a job's
// schedule: SK_SCHEDULE_OVERDUE_STEPS and so on.
func ScheduleEnv(job string) string {
	return "SK_SCHEDULE_" + strings.ToUpper(strings.ReplaceAll(job, "-", "_"))
}

// Runner runs the jobs.
type Runner struct {
	Client  *ent.Client
	Dialect store.Dialect
	Now     func() time.Time
	Log     *slog.Logger
	// Location is the programme's time zone for due dates and schedules.
	Location *time.Location

	cron *cron.Cron
}

type jobFunc func(r *Runner, ctx context.Context, c *ent.Client, now time.Time) (result, error)

var jobs = map[string]jobFunc{
	JobOverdueSteps:   (*Runner).overdueSteps,
	JobDeadlineWatch:  (*Runner).deadlineWatch,
	JobBudgetOverruns: (*Runner).budgetOverruns,
	JobLedgerAudit:    (*Runner).ledgerAudit,
	JobUnmatched:      (*Runner).unmatchedPayments,
	JobAssessments:    (*Runner).assessmentMissing,
	JobUnconfirmed:    (*Runner).assessmentUnconfirmed,
	JobFindingsDue:    (*Runner).findingsOverdue,
	JobCriticalOpen:   (*Runner).criticalFindings,
	JobAcceptances:    (*Runner).riskAcceptances,
}

// Jobs lists the job names in a stable order.
func Jobs() []string {
	out := make([]string, 0, len(jobs))
	for name := range jobs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (r *Runner) dialect() store.Dialect { return r.Dialect }

func (r *Runner) today(now time.Time) time.Time { return types.DateOf(now, r.Location) }

// ErrSkipped reports a tick that another replica runs or ran, or a job
// that is running right now elsewhere.
var ErrSkipped = apperr.New(apperr.Conflict, "the job is running or ran for this tick already")

// RunTick runs a job for a scheduled tick (nil: on demand) and records it.
// A tick already run, or a job running right now in another process, is
// skipped with ErrSkipped. Errors: NOT_FOUND for an unknown job.
func (r *Runner) RunTick(ctx context.Context, job string, tick *time.Time, trigger string) (*ent.JobRun, error) {
	fn, ok := jobs[job]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no job %q; jobs: %s", job, strings.Join(Jobs(), ", "))
	}
	// Jobs read and write everything, whoever started them.
	ctx = auth.SystemContext(ctx)
	started := r.Now()
	var run *ent.JobRun
	err := store.InTx(ctx, r.Client, func(ctx context.Context, c *ent.Client) error {
		if r.Dialect.IsPostgres() {
			rows, err := c.QueryContext(ctx, // per schema: several deployments may share a database
				r.Dialect.Rebind("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ?))"), ":sicherkommunal-job:"+job)
			if err != nil {
				return err
			}
			var got bool
			if rows.Next() {
				err = rows.Scan(&got)
			}
			rows.Close()
			if err != nil {
				return err
			}
			if !got {
				return ErrSkipped
			}
		}
		if tick != nil {
			taken, err := c.JobRun.Query().Where(jobrun.Job(job), jobrun.Tick(*tick)).Exist(ctx)
			if err != nil {
				return err
			}
			if taken {
				return ErrSkipped
			}
		}
		res, err := fn(r, ctx, c, started)
		if err != nil {
			return err
		}
		run, err = c.JobRun.Create().SetJob(job).SetNillableTick(tick).SetStartedAt(started).
			SetFinishedAt(r.Now()).SetRaised(res.raised).SetResolved(res.resolved).SetTriggeredBy(trigger).Save(ctx)
		return err
	})
	if errors.Is(err, ErrSkipped) {
		return nil, err
	}
	if err != nil {
		r.Log.ErrorContext(ctx, "job failed", "job", job, "err", err)
		// Record the failure on its own; the job's changes were rolled back.
		msg := err.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
		failed, ferr := r.Client.JobRun.Create().SetJob(job).SetNillableTick(tick).SetStartedAt(started).
			SetFinishedAt(r.Now()).SetError(msg).SetTriggeredBy(trigger).Save(ctx)
		if ferr != nil {
			r.Log.ErrorContext(ctx, "recording failed job run", "job", job, "err", ferr)
		}
		return failed, fmt.Errorf("job %s: %w", job, err)
	}
	if ent.TxFromContext(ctx) == nil {
		run = run.Unwrap()
	}
	r.Log.InfoContext(ctx, "job run", "job", job, "raised", run.Raised, "resolved", run.Resolved, "trigger", trigger)
	return run, nil
}

// tickOf is the scheduled minute a cron activation belongs to.
func tickOf(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// Start runs every job once to catch up on ticks missed while no server
// ran, then starts the cron schedule. schedules maps job → cron spec;
// missing jobs get DefaultSchedules.
func (r *Runner) Start(ctx context.Context, schedules map[string]string) error {
	logger := cron.PrintfLogger(slog.NewLogLogger(r.Log.Handler(), slog.LevelInfo))
	r.cron = cron.New(cron.WithLocation(r.Location),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, job := range Jobs() {
		spec := schedules[job]
		if spec == "" {
			spec = DefaultSchedules[job]
		}
		if _, err := r.cron.AddFunc(spec, func() {
			tick := tickOf(r.Now())
			if _, err := r.RunTick(ctx, job, &tick, "schedule"); err != nil && !errors.Is(err, ErrSkipped) {
				r.Log.Error("scheduled job failed", "job", job, "err", err)
			}
		}); err != nil {
			return fmt.Errorf("schedule of %s (%q): %w", job, spec, err)
		}
	}
	tick := tickOf(r.Now())
	for _, job := range Jobs() {
		if _, err := r.RunTick(ctx, job, &tick, "startup"); err != nil && !errors.Is(err, ErrSkipped) {
			r.Log.Error("catch-up run failed", "job", job, "err", err)
		}
	}
	r.cron.Start()
	return nil
}

// Stop stops the schedule and waits for running jobs.
func (r *Runner) Stop() {
	if r.cron != nil {
		<-r.cron.Stop().Done()
		r.cron = nil
	}
}
