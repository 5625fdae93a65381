package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/task"
)

// Metadata of task messages.
const (
	// MetadataRequeued marks a message published by Requeue: like a redelivered message, it
	// takes over a task left running or waiting for a retry.
	MetadataRequeued = "requeued"
	// MetadataTask, MetadataAttempt and MetadataErrorCode are set on dead letters.
	MetadataTask      = "task"
	MetadataAttempt   = "attempt"
	MetadataErrorCode = "error_code"
)

// MaxErrorBytes bounds the error message a task.retried or task.failed event keeps.
const MaxErrorBytes = 4096

// OutcomeTimeout bounds the append of a completed run's outcome, and the publish of a dead
// letter, once the pool is stopping: a run that finished is still recorded.
const OutcomeTimeout = 10 * time.Second

var errTimeout = errors.New("run timed out")

// Retryable reports whether a run that failed with err may succeed when tried again: not for an
// error of kind fault.ErrInvalid, ErrNotFound, ErrForbidden, ErrConflict or ErrTooLarge.
func Retryable(err error) bool {
	for _, kind := range []error{fault.ErrInvalid, fault.ErrNotFound, fault.ErrForbidden, fault.ErrConflict, fault.ErrTooLarge} {
		if errors.Is(err, kind) {
			return false
		}
	}
	return true
}

// DecodeTask answers the task.created event a work message (or a dead letter) carries: the
// body of forward.RouteMessage.
func DecodeTask(msg *message.Message) (events.Envelope, error) {
	env, err := forward.DecodeEvent(msg)
	if err != nil {
		return env, err
	}
	if id, ok := task.IDOf(env.Stream); env.Type != task.TypeCreated || !ok || id == "" {
		return env, fmt.Errorf("%w: message %s holds a %q event of stream %q, not a task.created", task.ErrInvalid, msg.UUID, env.Type, env.Stream)
	}
	return env, nil
}

// handle runs the task of msg, then acks msg, or nacks it when the pool stopped first.
func (p *Pool) handle(ctx context.Context, msg *message.Message) {
	env, err := DecodeTask(msg)
	id, _ := task.IDOf(env.Stream)
	if err != nil {
		// Neither the body nor the parameters are logged: they may hold what must not be.
		p.log.Error("workers: dropping a message that is not a task", "message", msg.UUID, "err", err)
		p.bogus.Add(1)
		msg.Ack()
		return
	}
	if !p.activate(id) {
		p.skip.Add(1) // a duplicate: another run of this pool holds the task
		msg.Ack()
		return
	}
	defer p.deactivate(id)
	takeover := bus.Redelivered(msg) || msg.Metadata.Get(MetadataRequeued) == "true"
	if p.process(ctx, msg, env, takeover) {
		msg.Ack()
	} else {
		msg.Nack()
	}
}

// process claims and runs the task of env; it answers whether the message is settled (ack) or must go
// back to the queue (the pool is stopping).
func (p *Pool) process(ctx context.Context, msg *message.Message, env events.Envelope, takeover bool) bool {
	r, ok, settled := p.claim(ctx, msg, env, takeover)
	if !ok {
		return settled
	}
	fn, found := p.reg.Lookup(r.Task.Workflow)
	maxAttempts := r.Task.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = p.lim.TaskAttempts
	}
	for {
		var res json.RawMessage
		var err error
		if found {
			res, err = p.execute(ctx, r, fn)
		} else {
			err = fmt.Errorf("%w: workflow %q is not run by worker %s", task.ErrInvalid, r.Task.Workflow, p.id)
		}
		r.mu.Lock()
		lost := r.lost
		r.mu.Unlock()
		if lost {
			p.skip.Add(1)
			return true
		}
		if err != nil && ctx.Err() != nil {
			return false // stopping: no outcome, the message goes back
		}
		octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), OutcomeTimeout)
		r.finish(octx)
		cancel()
		if err == nil {
			return p.complete(ctx, r, res)
		}
		if !Retryable(err) || r.attempt >= maxAttempts {
			return p.fail(ctx, r, msg, err)
		}
		delay := backoff.Delay(r.attempt-1, p.lim.TaskRetryDelay)
		if err := r.append(ctx, task.TypeRetried, task.Retried{Attempt: r.attempt, Error: errorText(err), Delay: delay}); err != nil {
			return p.unsettled(ctx, r, task.TypeRetried, err)
		}
		p.retried.Add(1)
		p.log.Info("workers: task failed, retrying", "task", r.Task.ID, "attempt", r.attempt, "retry_in", delay, "err", redact.Error(err))
		if !backoff.Sleep(ctx, delay) {
			return false
		}
		if err := r.append(ctx, task.TypeStarted, task.Started{Attempt: r.attempt + 1, Worker: p.id}); err != nil {
			return p.unsettled(ctx, r, task.TypeStarted, err)
		}
		r.mu.Lock()
		r.attempt++
		r.Task.Attempt, r.Task.State, r.done = r.attempt, task.StateRunning, false
		r.mu.Unlock()
	}
}

// execute runs one attempt of r with its deadline; a panic is an error.
func (p *Pool) execute(ctx context.Context, r *Run, fn RunFunc) (res json.RawMessage, err error) {
	rctx, cancelTimeout := context.WithTimeoutCause(ctx, p.lim.TaskTimeout, errTimeout)
	defer cancelTimeout()
	rctx, cancel := context.WithCancelCause(rctx)
	defer cancel(nil)
	r.mu.Lock()
	r.ctx, r.cancel = rctx, cancel
	r.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("workflow %s panicked: %v", r.Task.Workflow, v)
		}
		if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), errTimeout) {
			err = fmt.Errorf("%w: the run took longer than %s (INFRAHUB_TASK_TIMEOUT): %w", fault.ErrUnavailable, p.lim.TaskTimeout, err)
		}
		if err == nil && len(res) > 0 && !json.Valid(res) {
			err = fmt.Errorf("%w: workflow %s answered a result that is not JSON", task.ErrInvalid, r.Task.Workflow)
		}
	}()
	return fn(rctx, r)
}

// complete appends task.completed (even when the pool is stopping: the run is over).
func (p *Pool) complete(ctx context.Context, r *Run, res json.RawMessage) bool {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), OutcomeTimeout)
	defer cancel()
	if err := r.append(octx, task.TypeCompleted, task.Completed{Result: res}); err != nil {
		return p.unsettled(ctx, r, task.TypeCompleted, err)
	}
	p.done.Add(1)
	return true
}

// fail appends task.failed (dead-lettered), then publishes msg to the dead-letter topic.
func (p *Pool) fail(ctx context.Context, r *Run, msg *message.Message, cause error) bool {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), OutcomeTimeout)
	defer cancel()
	code := fault.Classify(cause).Code
	if err := r.append(octx, task.TypeFailed, task.Failed{Attempt: r.attempt, Error: errorText(cause), Code: code, DeadLettered: true}); err != nil {
		return p.unsettled(ctx, r, task.TypeFailed, err)
	}
	p.failed.Add(1)
	p.log.Warn("workers: task failed", "task", r.Task.ID, "workflow", r.Task.Workflow, "attempt", r.attempt, "err", redact.Error(cause))
	return p.deadLetter(octx, msg, r.Task.ID, r.attempt, code)
}

// unsettled handles an outcome that could not be appended: a lost run is settled (another
// worker holds the task); otherwise the message goes back to the queue.
func (p *Pool) unsettled(ctx context.Context, r *Run, typ string, err error) bool {
	if errors.Is(err, errLost) {
		p.skip.Add(1)
		return true
	}
	if ctx.Err() == nil {
		p.log.Error("workers: could not append the task's outcome; its message goes back to the queue", "task", r.Task.ID, "event", typ, "err", err)
	}
	return false
}

// deadLetter publishes a copy of msg to the dead-letter topic; false when that failed (the
// message then comes back and the dead letter is published again).
func (p *Pool) deadLetter(ctx context.Context, msg *message.Message, id string, attempt int, code string) bool {
	dl := message.NewMessage(msg.UUID, msg.Payload)
	for k, v := range msg.Metadata {
		dl.Metadata.Set(k, v)
	}
	dl.Metadata.Set(MetadataTask, id)
	dl.Metadata.Set(MetadataAttempt, strconv.Itoa(attempt))
	dl.Metadata.Set(MetadataErrorCode, code)
	dl.SetContext(ctx)
	for i := 0; ; i++ {
		err := p.queue.Publisher().Publish(p.dead, dl)
		if err == nil {
			return true
		}
		if !backoff.Sleep(ctx, backoff.Delay(i, appendRetryMax)) {
			p.log.Error("workers: could not publish a dead letter; its message goes back to the queue", "task", id, "err", err)
			return false
		}
	}
}

// deadLettered reports whether the task's last failure was dead-lettered.
func deadLettered(p *Pool, evs []events.Envelope) bool {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != task.TypeFailed {
			continue
		}
		v, err := p.cat.Decode(evs[i])
		f, ok := v.(task.Failed)
		return err == nil && ok && f.DeadLettered
	}
	return false
}

// errorText is err's message for an event: secrets hidden, at most MaxErrorBytes.
func errorText(err error) string {
	s := redact.String(err.Error())
	if len(s) > MaxErrorBytes {
		s = s[:MaxErrorBytes] + "…"
	}
	return s
}
