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
func (w *writer) group(ctx context.Context, name string, q *branchQueue, ms []*member) (out []answer, last events.Position) {
	out = make([]answer, len(ms))
	fail := func(open []int, err error) ([]answer, events.Position) {
		for _, i := range open {
			out[i] = answer{err: err}
		}
		return out, last
	}
	// A command whose id an earlier one of the turn has (a retry sent while the first waits) is
	// not decided: it answers the first's record once the turn is written (see sameIDs).
	var all, same []int
	ids := map[string]bool{}
	for i, m := range ms {
		if id := m.cmd.ID; id != "" && ids[id] {
			same = append(same, i)
			continue
		} else if id != "" {
			ids[id] = true
		}
		all = append(all, i)
	}
	defer w.sameIDs(ctx, ms, same, out)
	unlock, err := w.lock(ctx, name)
	if err != nil {
		return fail(all, err)
	}
	defer unlock()
	// A panic while deciding one command (a bug) answers the turn's unwritten commands with it
	// instead of leaving them, and every later command of the branch, waiting.
	defer func() {
		if r := recover(); r != nil {
			q.carry = nil
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
	open, synced := all, false
	for attempt := 1; len(open) > 0; attempt++ {
		skip := map[int]bool{}
		plans, t, base, err := w.decideGroup(ctx, name, q, ms, open, skip, &unlockPools, out)
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
	return out, last
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

// decideGroup decides the open members in order in one transaction: the one the branch's last
// turn carried (q.carry), else a new one on branch name's head. A member refused (or deferred)
// gets its answer in out and a mark in skip, and the others are decided again without it, in a
// new transaction on the head once it holds what the carried one wrote. Members that write
// nothing get their answer in out; the others a plan, in order. base is the events the
// transaction carried. An error is the branch's (every open member's refusal).
func (w *writer) decideGroup(ctx context.Context, name string, q *branchQueue, ms []*member, open []int, skip map[int]bool, unlockPools *func(), out []answer) (plans []plan, t *nodetx.Tx, base int, err error) {
	c := q.carry
	q.carry = nil
	carried := c != nil && c.events < maxCarry && w.state.Position() < c.upTo
	for {
		plans, base = nil, 0
		var next int64
		if carried {
			t, next, base = c.t, c.next, c.events
		} else {
			if c != nil {
				if err := w.waitFor(ctx, c.upTo); err != nil {
					return nil, nil, 0, err
				}
			}
			v, err := w.view(name)
			if err != nil {
				return nil, nil, 0, err
			}
			if c != nil {
				q.sizes = nodetx.SizesOf(c.t)
			}
			t = nodetx.New(ctx, v, &w.hints, w.lim)
			q.sizes.Reserve(t)
		}
		restart := false
		var before map[string]nodetx.Outcome // one map for every member: each refills it
		// the members' events are encoded by enc while the next member is decided; planJob is
		// each plan's number among the decisions enc encodes
		var enc nodetx.Encoder
		var planJob []int
		jobs := 0
		for _, i := range open {
			if skip[i] {
				continue
			}
			m := ms[i]
			before = copyOutcomes(t.Outcomes(), before)
			mark := t.Mark()
			data, err := m.build(t)
			if err == nil {
				err = authorizeSince(m.ctx, t, before, name == w.def)
			}
			if err == nil && t.Allocates() && *unlockPools == nil {
				if *unlockPools, err = w.lockPools(ctx); err != nil {
					enc.Wait(nil)
					return nil, nil, 0, err
				}
				restart = true // decide again, in turn
				break
			}
			var d nodetx.Decision
			job := -1
			if err == nil {
				if d, err = enc.DecideSince(t, w.cat, w.def, metaOf(m.cmd), mark); err == nil && len(d.Events) > 0 {
					job, jobs = jobs, jobs+1
				}
			}
			if err == nil && len(plans) > 0 && len(d.Events) > 0 && d.Stream != plans[0].stream {
				err = errDeferred
			}
			if err != nil && carried {
				restart = true // decide again in a new transaction, without what this one did
				break
			}
			if err != nil && len(plans) > 0 && !errors.Is(err, errDeferred) && len(d.Events) == 0 && isMixing(t) {
				err = errDeferred // alone, it may go to its own stream
			}
			var info events.CommandInfo
			if err == nil && len(d.Events) > 0 {
				info, err = commandInfo(m.cmd, data)
			}
			if err != nil {
				out[i], skip[i], restart = answer{err: err}, true, true
				break
			}
			if len(plans) == 0 && !carried {
				next = d.Version
			}
			if len(d.Events) == 0 {
				version := d.Version
				if len(plans) > 0 || carried {
					version = next
				}
				out[i] = answer{res: Result{CommandID: m.cmd.ID, Stream: d.Stream, StreamVersion: version, Data: data}}
				continue
			}
			plans = append(plans, plan{i: i, ctx: context.WithoutCancel(m.ctx), stream: d.Stream, version: next,
				events: d.Events, payload: d.Payloads, info: info, data: data})
			planJob = append(planJob, job)
			next += int64(len(d.Events))
		}
		if errs := enc.Wait(t); errs != nil && !restart {
			// a member's events did not encode: refused as DecideSince would have refused it
			for k, p := range plans {
				if j := planJob[k]; j >= 0 && j < len(errs) && errs[j] != nil {
					if !carried {
						out[p.i], skip[p.i] = answer{err: errs[j]}, true
					}
					restart = true
					break
				}
			}
		}
		if !restart {
			if carried && len(plans) == 0 {
				q.carry = c // nothing written: the next turn still decides on it
			}
			return plans, t, base, nil
		}
		carried = false
	}
}

// isMixing reports whether t changed both branch-agnostic and branch-aware nodes off the
// default branch, which one append cannot carry.
func isMixing(t *nodetx.Tx) bool {
	_, err := t.DecideSince(nil, "", events.Metadata{}, t.Mark())
	return err != nil
}
