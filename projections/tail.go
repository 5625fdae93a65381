package projections

import (
	"context"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// On SQLite, the forwarder read back from the log every event a command had just appended (about
// 5 µs an event of the HTTP create bench, most of it in SQLite) although the writer had handed it
// to the Runner already (Handoff). Tail lets the forwarder take the next events from there: it
// reads the log only for what was not handed (appends without decoded payloads, the start from a
// checkpoint, a position missing from the log).

// A commit wakes Tail, which used to read the log once after taking the commit's events from the
// hand-off, only to find nothing more (one query per turn of node commands, ~3 % of the server's
// CPU in the HTTP create bench). When the log tells how far this process has made it durable
// (durableHead) and the handed events reach that far, the commit is covered: no read.

// durableHead is a log that knows the highest position this process made durable (the SQLite
// store): it is set before Commits is notified.
type durableHead interface {
	DurableHead() events.Position
}

// Tail defaults.
const (
	// tailGrace is how long, after a commit, Tail waits for the writer to hand the next event
	// before it reads the log instead: the writer hands what it appended right after the commit,
	// so this only delays events that are never handed.
	tailGrace = 10 * time.Millisecond
	tailPoll  = time.Second
	tailBatch = 1000
)

// Tail returns log whose Subscribe delivers the events after a position as events.Tail does, but
// takes the next events from those handed to r when it holds them and reads log only otherwise.
// commits must be notified after each commit of log (what log's own Subscribe is woken by).
func (r *Runner) Tail(log events.Store, commits *events.Signal) events.Store {
	return tailStore{Store: log, r: r, commits: commits, grace: tailGrace}
}

type tailStore struct {
	events.Store
	r       *Runner
	commits *events.Signal
	grace   time.Duration
}

// Subscribe delivers the events after `after`, then new ones as they commit. A read of the log
// that fails closes the channel after sending the error, as events.Tail does.
func (t tailStore) Subscribe(ctx context.Context, after events.Position) (<-chan []events.Envelope, <-chan error) {
	out := make(chan []events.Envelope, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		if err := t.run(ctx, after, out); err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	return out, errc
}

// run sends batches after pos until ctx ends or a read of the log fails. stale says the log may
// hold events after pos that were not handed: it is set at the start, by a commit and by the poll,
// and cleared by a read of the log that finds nothing more, or, when only commits of this process
// set it (not the start or the poll: another process may have written), by handed events that
// reach the log's durable head.
func (t tailStore) run(ctx context.Context, pos events.Position, out chan<- []events.Envelope) error {
	send := func(batch []events.Envelope) bool {
		pos = batch[len(batch)-1].GlobalPosition
		select {
		case out <- batch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	poll := time.NewTimer(tailPoll)
	defer poll.Stop()
	grace := time.NewTimer(t.grace)
	defer grace.Stop()
	// waiting: the grace timer runs for the event after pos; behind: the last read of the log
	// was full
	stale, waiting, behind := true, false, false
	polled := true // stale was set by the start or the poll, not only by commits of this process
	dh, _ := t.Store.(durableHead)
	committed := t.commits.C()
	for ctx.Err() == nil {
		// Take the next wake-ups before reading, so that none is missed; a commit since the last
		// look makes the log stale again.
		handed, next := t.r.handed.sig.C(), t.commits.C()
		select {
		case <-committed:
			stale = true
		default:
		}
		committed = next
		if batch := t.r.handed.after(pos, tailBatch); len(batch) > 0 {
			waiting = false
			if !send(batch) {
				return nil
			}
			if stale && !polled && dh != nil && pos >= dh.DurableHead() {
				stale = false // the commits that set it are covered (the head is set before they notify)
			}
			continue
		}
		if stale && !polled && dh != nil && pos >= dh.DurableHead() {
			// Only commits of this process set it, and the events handed reach what it made
			// durable: a commit made durable after its events were handed (the hand-off may come
			// first) is covered too.
			stale = false
		}
		if stale {
			// The next event may still be on its way to Handoff: while a hand-off is announced
			// (Expect), give it a moment (from when it was first missed, however many later
			// events are handed meanwhile), then read the log.
			ended := t.r.handed.ended.C() // before the count, so that no end is missed
			if !behind && t.r.handed.expected.Load() > 0 {
				if !waiting {
					resetTimer(grace, t.grace)
					waiting = true
				}
				select {
				case <-ctx.Done():
					return nil
				case <-handed:
					continue
				case <-ended:
					continue
				case <-grace.C:
				}
				waiting = false
			}
			batch, err := t.Store.ReadAll(ctx, pos, tailBatch)
			if err != nil {
				return err
			}
			behind = len(batch) == tailBatch // more to read at once (a start from a checkpoint)
			if len(batch) > 0 {
				if !send(batch) {
					return nil
				}
				continue
			}
			stale, polled = false, false
		}
		resetTimer(poll, tailPoll)
		select {
		case <-ctx.Done():
			return nil
		case <-handed:
		case <-committed:
			stale = true
		case <-poll.C:
			stale, polled = true, true
		}
	}
	return nil
}

// resetTimer makes t fire after d, dropping a firing it has not delivered.
func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}
