package commands

import (
	"context"
	"fmt"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Pipelined turns. A turn used to hold its branch until its appends were durable: the commands
// queued meanwhile waited for the sync before being decided, and the CPU idled while it ran. A
// log that tells when an append has committed (committedLog: the SQLite log, which syncs a
// group while the next one commits) lets the turn pass its branch on then: the next turn
// decides on the carried transaction and appends after it (its version check sees the
// committed events, so an append of another writer between them still fails it), while this
// turn's leader waits for the sync, hands what it wrote to the fold after the turn before it
// did, and answers its callers only once their events are durable and folded. A log without
// it (PostgreSQL) answers once durable, and the turns follow one another as before.

// committedLog is a Log that reports an append's outcome as soon as it has committed (in the
// log's order), then returns once it is durable (events/sqlite).
type committedLog interface {
	AppendCommandCommitted(ctx context.Context, stream events.StreamID, expectedVersion int64, cmd events.CommandInfo,
		committed func(events.AppendResult, error), evs ...events.Envelope) (events.AppendResult, error)
}

// pipelined reports whether the turns of a branch overlap (the log is a committedLog).
func (w *writer) pipelined() bool {
	_, ok := w.log.(committedLog)
	return ok
}

// staged is an append of a turn that the log has committed: the turn's leader waits for it to be
// durable (wait, nil when it is) and then hands it to the fold (handoff, nil: nothing to hand).
type staged struct {
	members []int // the commands it carries, by index in the turn
	wait    func() error
	handoff func()
}

type outcome struct {
	res events.AppendResult
	err error
}

// appendUnit appends u. Through a committedLog, a written append returns once committed, with
// wait to call for its durability; a refusal or a duplicate returns once durable, as through
// any other Log.
func (w *writer) appendUnit(u unit) (events.AppendResult, error, func() error) {
	cl, ok := w.log.(committedLog)
	if !ok {
		res, err := w.log.AppendCommand(u.ctx, u.stream, u.version, u.info, u.events...)
		return res, err, nil
	}
	early, final := make(chan outcome, 1), make(chan outcome, 1)
	go func() {
		res, err := cl.AppendCommandCommitted(u.ctx, u.stream, u.version, u.info,
			func(res events.AppendResult, err error) { early <- outcome{res, err} }, u.events...)
		final <- outcome{res, err}
	}()
	select {
	case o := <-early:
		if o.err == nil && !o.res.Duplicate {
			return o.res, nil, func() error { return (<-final).err }
		}
	case o := <-final:
		return o.res, o.err, nil
	}
	o := <-final
	return o.res, o.err, nil
}

// settle waits for the appends a turn wrote to be durable (an append that is not makes its
// commands' answers its error), then, once the turn before has handed its own (prev closed),
// hands them to the fold in order, and closes done. It returns the highest position written
// durably, which the answers wait for the fold of.
func (w *writer) settle(ws []staged, ms []*member, out []answer, last events.Position, prev <-chan struct{}, done chan<- struct{}) events.Position {
	defer close(done)
	failed := false
	var lost events.Position // the first position not durable
	for k, s := range ws {
		if s.wait == nil {
			continue
		}
		if err := s.wait(); err != nil {
			if !failed {
				lost = firstOf(out, s.members)
			}
			failed = true
			ws[k].handoff = nil
			for _, i := range s.members {
				out[i] = answer{err: fmt.Errorf("%s: %w", ms[i].cmd.Type, err)}
			}
		}
	}
	if failed { // an answer read from the log after it (a retry's record) is not durable either
		for i, a := range out {
			if a.err == nil && lost > 0 && lastOf(a.res) >= lost {
				out[i] = answer{err: fmt.Errorf("%s: written at %d after an append that was not made durable: %w", ms[i].cmd.Type, lastOf(a.res), fault.ErrUnavailable)}
			}
		}
	}
	if prev != nil {
		<-prev
	}
	for _, s := range ws {
		if s.handoff == nil {
			if failed {
				break // what follows a gap is left to the fold
			}
			continue
		}
		s.handoff()
	}
	if !failed {
		return last
	}
	last = 0
	for _, a := range out {
		if a.err == nil {
			last = max(last, lastOf(a.res))
		}
	}
	return last
}

// firstOf is the lowest position the answers of members hold (0: none).
func firstOf(out []answer, members []int) events.Position {
	var first events.Position
	for _, i := range members {
		if ps := out[i].res.Positions; len(ps) > 0 && (first == 0 || ps[0] < first) {
			first = ps[0]
		}
	}
	return first
}
