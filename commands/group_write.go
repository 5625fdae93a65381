package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
)

// plan is the append one command of a turn decided: its events at the version that follows the
// earlier commands' of the turn.
type plan struct {
	i       int // the member's index in the turn
	ctx     context.Context
	stream  events.StreamID
	version int64
	events  []events.Envelope
	payload []any // decoded payloads of events (nil: unknown)
	info    events.CommandInfo
	data    any
}

// maxCarry bounds the events a transaction carried from turn to turn may hold: then the next
// turn waits for the fold and starts from a new View.
const maxCarry = 4096

// carry is the transaction of a branch's last turn, kept while the state has not folded what it
// wrote: the next turn decides on it (it holds every change the turn appended) instead of
// waiting for the fold. Only the holder of the branch's turn (w.lock) uses it.
type carry struct {
	t      *nodetx.Tx
	next   int64           // the stream's version after the turn's appends
	upTo   events.Position // the last position it wrote
	events int             // events it decided, over every turn it served
}

// group decides and appends the commands of one turn on branch name and answers each (an
// answer with errDeferred: left for the next turn), and the highest position it wrote, which
// the answers must wait for (turn waits, once the next turn may start). It follows write's
// policy: a refusal is final only when decided on a state that has read the whole log; an append
// that meets another writer's is decided again (at most maxAttempts times).
func (w *writer) group(ctx context.Context, name string, q *branchQueue) (ms []*member, out []answer, last events.Position) {
	ms, out = make([]*member, 0, maxGroup), make([]answer, maxGroup)
	fail := func(open []int, err error) ([]*member, []answer, events.Position) {
		for _, i := range open {
			out[i] = answer{err: err}
		}
		return ms, out, last
	}
	// A command whose id an earlier one of the turn has (a retry sent while the first waits) is
	// not decided: it answers the first's record once the turn is written (see sameIDs).
	var all, same []int
	defer func() { w.sameIDs(ctx, ms, same, out) }()
	unlock, lockErr := w.lock(ctx, name)
	if lockErr == nil {
		defer unlock()
	}
	// A panic while deciding one command (a bug) answers the turn's unwritten commands with it
	// instead of leaving them, and every later command of the branch, waiting.
	defer func() {
		if r := recover(); r != nil {
			q.carry = nil
			out = out[:len(ms)]
			for i := range out {
				if len(out[i].res.Positions) == 0 {
					out[i] = answer{err: fmt.Errorf("%s: deciding a turn of node commands failed: %v", ms[i].cmd.Type, r)}
				}
			}
		}
	}()
	var unlockPools func()
	defer func() {
		if unlockPools != nil {
			unlockPools()
		}
	}()
	var first *decider
	if lockErr == nil {
		first = w.newDecider(ctx, name, q, &ms, out, &unlockPools)
	}
	ids := map[string]bool{}
	q.gather(&ms, func(i int) {
		if id := ms[i].cmd.ID; id != "" && ids[id] {
			same = append(same, i)
			return
		} else if id != "" {
			ids[id] = true
		}
		all = append(all, i)
		if first != nil {
			first.early(i)
		}
	})
	out = out[:len(ms)]
	if lockErr != nil {
		return fail(all, lockErr)
	}
	open, synced := all, false
	for attempt := 1; len(open) > 0; attempt++ {
		d := first
		if attempt > 1 {
			d = w.newDecider(ctx, name, q, &ms, out, &unlockPools)
		}
		plans, t, base, err := d.run(open)
		skip := d.skip
		refused := err != nil
		for i := range skip {
			refused = refused || !errors.Is(out[i].err, errDeferred)
		}
		if refused && !synced {
			before := w.state.Position()
			if serr := w.sync(ctx); serr != nil {
				if err == nil {
					err = serr
				}
				return fail(open, err)
			}
			synced = true
			if w.state.Position() != before {
				continue // decide them all again on the newer state
			}
		}
		if err != nil {
			return fail(open, err)
		}
		rest, foreign, pos := w.appendGroup(plans, ms, out, &q.handoffs)
		last = max(last, pos)
		if len(rest) == 0 {
			if t != nil {
				t.Written()
			}
			if n := len(plans); n > 0 && pos > 0 {
				lp := plans[n-1]
				q.carry = &carry{t: t, next: lp.version + int64(len(lp.events)), upTo: pos, events: base + int(lp.version-plans[0].version) + len(lp.events)}
			}
			break
		}
		if foreign && attempt >= maxAttempts {
			for _, p := range rest {
				out[p] = answer{err: fmt.Errorf("%s: %w", ms[p].cmd.Type, events.ErrVersionConflict)}
			}
			break
		}
		if foreign {
			if err := backoff(ctx, attempt); err != nil {
				return fail(rest, err)
			}
		}
		if err := w.sync(ctx); err != nil {
			return fail(rest, err)
		}
		open, synced = rest, true
	}
	return ms, out, last
}

// readable waits until the state has folded last, what a turn wrote, and makes the answers of
// the commands written an error when it does not come.
func (w *writer) readable(ctx context.Context, ms []*member, out []answer, last events.Position) {
	if last == 0 {
		return
	}
	if err := w.waitFor(ctx, last); err != nil {
		for i := range out {
			if out[i].err == nil && len(out[i].res.Positions) > 0 && !out[i].res.Duplicate {
				out[i].err = fmt.Errorf("%s: written at %d, not yet readable: %w", ms[i].cmd.Type, out[i].res.Positions[len(out[i].res.Positions)-1], err)
			}
		}
	}
}

// sameIDs answers the members whose id an earlier member of the turn had: the record the log
// holds, else (the first wrote nothing) they are decided in the next turn. A member refused
// whose id the log holds (the same command written meanwhile through another process, which the
// refusal met) answers that record too.
func (w *writer) sameIDs(ctx context.Context, ms []*member, same []int, out []answer) {
	for i, a := range out {
		if a.err == nil || errors.Is(a.err, errDeferred) || ms[i].cmd.ID == "" || slices.Contains(same, i) {
			continue
		}
		if res, found, err := w.recorded(ctx, ms[i].cmd, true); found || err != nil {
			out[i] = answer{res: res, err: err}
		}
	}
	for _, i := range same {
		res, found, err := w.recorded(ctx, ms[i].cmd, true)
		if !found && err == nil {
			err = errDeferred
		}
		out[i] = answer{res: res, err: err}
	}
}
