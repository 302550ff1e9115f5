// Package scheduler runs periodic jobs (SLA re-assignment, overdue
// reminders, digests) once per tick across any number of replicas: every
// replica's cron fires, and the one that records the tick in Postgres runs
// the job, in the same transaction as the job's work.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"
)

// Job is one periodic job.
type Job struct {
	Name string
	// Spec is a cron spec with seconds ("*/15 * * * * *"), in UTC.
	Spec string
	// Tick is the length of one tick: the firing time rounded to it names
	// the tick, the same on every replica.
	Tick time.Duration
	// Run does the work inside tx, as of now, and says what it did.
	Run func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error)
}

// Scheduler runs jobs on their schedule.
type Scheduler struct {
	pool *pgxpool.Pool
	jobs []Job
	log  *slog.Logger
	now  func() time.Time
}

// New returns a scheduler of jobs; now is the clock (time.Now if nil).
func New(pool *pgxpool.Pool, jobs []Job, log *slog.Logger, now func() time.Time) *Scheduler {
	if now == nil {
		now = time.Now
	}
	return &Scheduler{pool: pool, jobs: jobs, log: log, now: now}
}

// Run fires the jobs until ctx ends, then waits for the running ones.
// Errors: a bad spec.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithSeconds(), cron.WithLocation(time.UTC))
	base := context.WithoutCancel(ctx)
	for _, job := range s.jobs {
		if _, err := c.AddFunc(job.Spec, func() {
			jctx, cancel := context.WithTimeout(base, 2*time.Minute)
			defer cancel()
			tick := s.now().Round(job.Tick)
			if _, err := s.RunTick(jctx, job, tick); err != nil {
				s.log.Error("scheduled job failed", "job", job.Name, "tick", tick, "err", err)
			}
		}); err != nil {
			return fmt.Errorf("scheduler: job %s: %w", job.Name, err)
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// RunTick runs job for tick unless some replica already has: it returns
// whether it ran. The claim and the work commit together, so a failed run
// leaves the tick free for another try.
func (s *Scheduler) RunTick(ctx context.Context, job Job, tick time.Time) (bool, error) {
	ran := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO scheduler_runs (job, tick) VALUES ($1, $2) ON CONFLICT DO NOTHING`, job.Name, tick)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		start := time.Now()
		result, err := job.Run(ctx, tx, s.now())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE scheduler_runs SET result = $3 WHERE job = $1 AND tick = $2`, job.Name, tick, result); err != nil {
			return err
		}
		ran = true
		if result != "" {
			s.log.Info("scheduled job", "job", job.Name, "tick", tick, "result", result, "ms", time.Since(start).Milliseconds())
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("job %s at %s: %w", job.Name, tick.Format(time.RFC3339), err)
	}
	return ran, nil
}

// Prune deletes the record of ticks before before; it returns how many.
func Prune(ctx context.Context, tx pgx.Tx, before time.Time) (int, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM scheduler_runs WHERE tick < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune scheduler runs: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
