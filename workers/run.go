package workers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/task"
)

// errLost stops a run whose task another worker took over (or that was cancelled between
// attempts): it appends nothing more.
var errLost = errors.New("the task moved on without this worker")

// appendRetryMax caps the backoff between retries of an append that failed for another reason
// than a version conflict (the log unreachable).
const appendRetryMax = 5 * time.Second

// Run is one claimed task while a worker runs it: the RunFunc reads the task and writes its log
// lines and progress through it. Its methods are safe for concurrent use.
type Run struct {
	// Task is the task as claimed (State RUNNING, Attempt the current attempt). Parameters are
	// the workflow's input: never log them.
	Task task.Task

	p       *Pool
	ctx     context.Context // the run's context, for appends of log lines and progress
	mu      sync.Mutex
	version int64 // of the task's stream, as this worker wrote it
	attempt int
	owner   string // the worker holding the task (this pool's id once claimed)
	kept    int    // log lines the task holds
	dropped int    // log lines over Limits.TaskLogLines in this attempt
	lost    bool
	done    bool // the RunFunc returned: later log lines are dropped
	cancel  context.CancelCauseFunc
}

// Log appends a log line to the task (task.logged); severity is one of task's Severity*
// constants (another is taken as info). Lines beyond Limits.TaskLogLines per task are counted,
// not kept. The message must not hold a secret.
func (r *Run) Log(severity, msg string) {
	switch severity {
	case task.SeverityDebug, task.SeverityInfo, task.SeverityWarning, task.SeverityError, task.SeverityCritical:
	default:
		severity = task.SeverityInfo
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.lost || r.p == nil { // a Run not made by a pool (a direct call) records nothing
		return
	}
	if r.kept >= r.p.lim.TaskLogLines {
		r.dropped++
		return
	}
	if err := r.appendLocked(r.ctx, task.TypeLogged, task.Logged{Message: msg, Severity: severity}); err != nil {
		r.p.noteAppendError(r.ctx, r.Task.ID, task.TypeLogged, err)
		return
	}
	r.kept++
}

// Progress records the task's progress, between 0 and 1 (task.progressed).
func (r *Run) Progress(f float64) {
	if math.IsNaN(f) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.lost || r.p == nil {
		return
	}
	if err := r.appendLocked(r.ctx, task.TypeProgressed, task.Progressed{Progress: min(max(f, 0), 1)}); err != nil {
		r.p.noteAppendError(r.ctx, r.Task.ID, task.TypeProgressed, err)
	}
}

// Attempt is the attempt being run (1 for the first).
func (r *Run) Attempt() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempt
}

// finish stops taking log lines and writes the count of those dropped, if any.
func (r *Run) finish(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	if r.dropped == 0 || r.lost {
		return
	}
	msg := fmt.Sprintf("%d more log lines of attempt %d were dropped: a task keeps at most %d (INFRAHUB_TASK_MAX_LOG_LINES)",
		r.dropped, r.attempt, r.p.lim.TaskLogLines)
	r.dropped = 0
	if err := r.appendLocked(ctx, task.TypeLogged, task.Logged{Message: msg, Severity: task.SeverityWarning}); err != nil {
		r.p.noteAppendError(ctx, r.Task.ID, task.TypeLogged, err)
	}
}

// append appends one event of the task at the version this worker holds.
func (r *Run) append(ctx context.Context, typ string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.appendLocked(ctx, typ, payload)
}

// appendLocked appends at r.version. On a version conflict it reads the task again: while this
// worker still holds it (its attempt, its worker id, not over) the append is tried at the new
// version; otherwise the run is lost (errLost, and the run's context ends). Other failures are
// retried with backoff until ctx ends, except invalid events.
func (r *Run) appendLocked(ctx context.Context, typ string, payload any) error {
	if r.lost {
		return errLost
	}
	env, err := r.p.cat.New(typ, payload, events.Metadata{CorrelationID: r.Task.ID})
	if err != nil {
		return err
	}
	stream := task.Stream(r.Task.ID)
	for attempt := 0; ; attempt++ {
		res, err := r.p.store.Append(ctx, stream, r.version, env)
		if err == nil {
			r.version = res.StreamVersion
			return nil
		}
		if errors.Is(err, events.ErrVersionConflict) {
			t, _, rerr := r.p.read(ctx, r.Task.ID)
			if rerr == nil {
				if !r.owns(t) {
					r.lost = true
					if r.cancel != nil {
						r.cancel(errLost)
					}
					return errLost
				}
				r.version = t.Version
				continue
			}
			err = rerr
		}
		if ctx.Err() != nil || errors.Is(err, events.ErrInvalidEvent) || errors.Is(err, events.ErrUnknownEventType) {
			return err
		}
		if !backoff.Sleep(ctx, backoff.Delay(attempt, appendRetryMax)) {
			return err
		}
	}
}

// owns reports whether t is still held by this run: running or waiting for its retry, in this
// run's attempt, by its owner.
func (r *Run) owns(t task.Task) bool {
	return (t.State == task.StateRunning || t.State == task.StateScheduled) && t.Attempt == r.attempt && t.Worker == r.owner
}
