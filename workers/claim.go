package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/task"
)

// activate records that a run of this pool holds task id; false when one already does.
func (p *Pool) activate(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active[id] {
		return false
	}
	p.active[id] = true
	return true
}

func (p *Pool) deactivate(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, id)
}

// claim appends task.started for the task of env (the task.created event its message carries).
// ok is false when there is nothing to run; settled then says whether to ack.
//
// First it appends right after env, without reading: the common case of a task nobody touched
// yet. When the stream moved on, it reads and folds the task and decides: a task that is over
// is skipped; one running or waiting for a retry is skipped too, unless the message comes back
// (takeover: its holder stopped) or names this pool as the holder while no run of it holds the
// task (an append whose outcome was unknown); otherwise it appends at the version read, and
// looks again after a version conflict.
func (p *Pool) claim(ctx context.Context, msg *message.Message, env events.Envelope, takeover bool) (r *Run, ok, settled bool) {
	id, _ := task.IDOf(env.Stream)
	if r, err := p.claimFirst(ctx, env); r != nil {
		return r, true, false
	} else if err != nil && !errors.Is(err, events.ErrVersionConflict) {
		if ctx.Err() == nil {
			p.log.Warn("workers: claiming a task failed; its message goes back to the queue", "task", id, "err", err)
			backoff.Sleep(ctx, backoff.Delay(0, appendRetryMax))
		}
		return nil, false, false
	}
	for attempt := 0; ; attempt++ {
		t, evs, err := p.read(ctx, id)
		switch {
		case errors.Is(err, task.ErrNotFound) || errors.Is(err, task.ErrTransition) || errors.Is(err, events.ErrUnknownEventType):
			p.log.Error("workers: dropping the message of a task that cannot be read", "task", id, "err", err)
			p.bogus.Add(1)
			return nil, false, true
		case err != nil:
			if ctx.Err() != nil || !backoff.Sleep(ctx, backoff.Delay(attempt, appendRetryMax)) {
				return nil, false, false
			}
			p.log.Warn("workers: reading a task failed, retrying", "task", id, "err", err)
			continue
		case t.State.Final():
			p.skip.Add(1)
			if takeover && t.State == task.StateFailed && deadLettered(p, evs) {
				// Its worker may have died between appending the failure and publishing it.
				return nil, false, p.deadLetter(ctx, msg, t.ID, t.Attempt, t.ErrorCode)
			}
			return nil, false, true
		case (t.State == task.StateRunning || t.State == task.StateScheduled) && !takeover && t.Worker != p.id:
			p.skip.Add(1) // a duplicate: the worker holding the other message runs it
			return nil, false, true
		}
		maxAttempts := t.MaxAttempts
		if maxAttempts <= 0 {
			maxAttempts = p.lim.TaskAttempts
		}
		r = &Run{Task: t, p: p, ctx: ctx, version: t.Version, attempt: t.Attempt, owner: t.Worker, kept: len(t.Logs)}
		if t.State != task.StatePending && t.Attempt >= maxAttempts {
			// Taken over after its last attempt: the worker that ran it stopped or died. The
			// failure is appended for that worker's attempt.
			lost := fmt.Errorf("%w: the worker running attempt %d of %d stopped before it ended", fault.ErrUnavailable, t.Attempt, maxAttempts)
			return nil, false, p.fail(ctx, r, msg, lost)
		}
		started, err := p.cat.New(task.TypeStarted, task.Started{Attempt: t.Attempt + 1, Worker: p.id}, events.Metadata{CorrelationID: id})
		if err != nil {
			p.log.Error("workers: task.started", "task", id, "err", err)
			return nil, false, false
		}
		res, err := p.store.Append(ctx, task.Stream(id), t.Version, started)
		if errors.Is(err, events.ErrVersionConflict) {
			continue // another worker or a cancel got there first: look again
		}
		if err != nil {
			if ctx.Err() != nil || !backoff.Sleep(ctx, backoff.Delay(attempt, appendRetryMax)) {
				return nil, false, false
			}
			continue
		}
		r.version, r.attempt, r.owner = res.StreamVersion, t.Attempt+1, p.id
		r.Task.State, r.Task.Attempt, r.Task.Worker = task.StateRunning, r.attempt, p.id
		return r, true, false
	}
}

// claimFirst appends task.started for attempt 1 at the version of env, the task's created
// event: it succeeds only while the stream holds nothing else. Neither a run nor an error
// (an event it cannot decode): the task's stream decides.
func (p *Pool) claimFirst(ctx context.Context, env events.Envelope) (*Run, error) {
	v, err := p.cat.Decode(env)
	if err != nil {
		return nil, nil
	}
	var t task.Task
	if err := t.Apply(&env, v); err != nil {
		return nil, nil
	}
	started, err := p.cat.New(task.TypeStarted, task.Started{Attempt: 1, Worker: p.id}, events.Metadata{CorrelationID: t.ID})
	if err != nil {
		return nil, err
	}
	res, err := p.store.Append(ctx, env.Stream, env.StreamVersion, started)
	if err != nil {
		return nil, err
	}
	t.State, t.Attempt, t.Worker, t.Version = task.StateRunning, 1, p.id, res.StreamVersion
	return &Run{Task: t, p: p, ctx: ctx, version: res.StreamVersion, attempt: 1, owner: p.id}, nil
}
