package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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
	info    events.CommandInfo
	data    any
}

// group decides and appends the commands of one turn on branch name and answers each (an
// answer with errDeferred: left for the next turn). It follows write's policy: a refusal is
// final only when decided on a state that has read the whole log; an append that meets another
// writer's is decided again (at most maxAttempts times); every answer waits until the state has
// folded what the turn wrote.
func (w *writer) group(ctx context.Context, name string, ms []*member) []answer {
	out := make([]answer, len(ms))
	fail := func(open []int, err error) []answer {
		for _, i := range open {
			out[i] = answer{err: err}
		}
		return out
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
	var unlockPools func()
	defer func() {
		if unlockPools != nil {
			unlockPools()
		}
	}()
	var last events.Position // the highest position the turn wrote
	open, synced := all, false
	for attempt := 1; len(open) > 0; attempt++ {
		skip := map[int]bool{}
		plans, t, err := w.decideGroup(ctx, name, ms, open, skip, &unlockPools, out)
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
		rest, foreign, pos := w.appendGroup(plans, ms, out)
		last = max(last, pos)
		if len(rest) == 0 {
			if t != nil {
				t.Written()
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
	if last > 0 {
		if err := w.waitFor(ctx, last); err != nil {
			for i := range out {
				if out[i].err == nil && len(out[i].res.Positions) > 0 && !out[i].res.Duplicate {
					out[i].err = fmt.Errorf("%s: written at %d, not yet readable: %w", ms[i].cmd.Type, out[i].res.Positions[len(out[i].res.Positions)-1], err)
				}
			}
		}
	}
	return out
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

// decideGroup decides the open members in order in one transaction on branch name's head. A
// member refused (or deferred) gets its answer in out and a mark in skip, and the others are
// decided again without it, in a new transaction. Members that write nothing get their answer
// in out; the others a plan, in order. An error is the branch's (every open member's refusal).
func (w *writer) decideGroup(ctx context.Context, name string, ms []*member, open []int, skip map[int]bool, unlockPools *func(), out []answer) ([]plan, *nodetx.Tx, error) {
	for {
		v, err := w.view(name)
		if err != nil {
			return nil, nil, err
		}
		t := nodetx.New(ctx, v, &w.hints, w.lim)
		var plans []plan
		var next int64
		restart := false
		for _, i := range open {
			if skip[i] {
				continue
			}
			m := ms[i]
			before := copyOutcomes(t.Outcomes())
			mark := t.Mark()
			data, err := m.build(t)
			if err == nil {
				err = authorizeSince(m.ctx, t, before, name == w.def)
			}
			if err == nil && t.Allocates() && *unlockPools == nil {
				if *unlockPools, err = w.lockPools(ctx); err != nil {
					return nil, nil, err
				}
				restart = true // decide again, in turn
				break
			}
			var d nodetx.Decision
			if err == nil {
				d, err = t.DecideSince(w.cat, w.def, metaOf(m.cmd), mark)
			}
			if err == nil && len(plans) > 0 && len(d.Events) > 0 && d.Stream != plans[0].stream {
				err = errDeferred
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
			if len(plans) == 0 {
				next = d.Version
			}
			if len(d.Events) == 0 {
				version := d.Version
				if len(plans) > 0 {
					version = next
				}
				out[i] = answer{res: Result{CommandID: m.cmd.ID, Stream: d.Stream, StreamVersion: version, Data: data}}
				continue
			}
			plans = append(plans, plan{i: i, ctx: context.WithoutCancel(m.ctx), stream: d.Stream, version: next,
				events: d.Events, info: info, data: data})
			next += int64(len(d.Events))
		}
		if !restart {
			return plans, t, nil
		}
	}
}

// isMixing reports whether t changed both branch-agnostic and branch-aware nodes off the
// default branch, which one append cannot carry.
func isMixing(t *nodetx.Tx) bool {
	_, err := t.DecideSince(nil, "", events.Metadata{}, t.Mark())
	return err != nil
}

// unit is one append of a turn: the plans of one command with an id (its own command record),
// or of consecutive commands without one (nothing to record: one append carries them all).
type unit struct {
	plans   []plan
	stream  events.StreamID
	version int64
	events  []events.Envelope
	info    events.CommandInfo
	ctx     context.Context
}

// units groups plans into appends, in order.
func units(plans []plan, ms []*member) []unit {
	var out []unit
	for _, p := range plans {
		alone := ms[p.i].cmd.ID != ""
		if n := len(out); !alone && n > 0 && out[n-1].info.ID == "" && ms[out[n-1].plans[0].i].cmd.ID == "" {
			u := &out[n-1]
			u.plans = append(u.plans, p)
			u.events = append(u.events, p.events...)
			continue
		}
		out = append(out, unit{plans: []plan{p}, stream: p.stream, version: p.version,
			events: append([]events.Envelope(nil), p.events...), info: p.info, ctx: p.ctx})
	}
	return out
}

// appendGroup appends the plans at the versions that follow each other: the commands without an
// id together in one append, each command with an id in its own with its command record, all
// sent at once so that the log commits them together. An append that arrives before the one it
// follows meets a version conflict and is sent again. It answers the members it wrote (out),
// and returns those left to decide again (from the first that could not be written on: another
// writer's append, a duplicate command id or a failure), whether another writer got there
// first, and the highest position written.
func (w *writer) appendGroup(plans []plan, ms []*member, out []answer) (rest []int, foreign bool, last events.Position) {
	us := units(plans, ms)
	for len(us) > 0 {
		results := appendAll(w.log, us)
		var again []unit
		broken := false
		leave := func(u unit) {
			for _, p := range u.plans {
				rest = append(rest, p.i)
			}
		}
		for k, u := range us {
			r := results[k]
			switch {
			case r.err == nil && !r.res.Duplicate: // written (after a break: cannot happen without another writer)
				last = max(last, r.res.Last())
				split(u, ms, r.res, out)
			case broken:
				leave(u)
			case errors.Is(r.err, events.ErrVersionConflict):
				if k == 0 { // every append it follows was written before: another writer's is there
					foreign, broken = true, true
					leave(u)
					continue
				}
				again = append(again, u)
			case r.err == nil: // the same command id got there first, from another request
				cmd := ms[u.plans[0].i].cmd
				res, _, err := w.recorded(u.ctx, cmd, false)
				out[u.plans[0].i] = answer{res: res, err: err}
				last = max(last, lastOf(res))
				broken = true
			default:
				for _, p := range u.plans {
					out[p.i] = answer{err: fmt.Errorf("%s: %w", ms[p.i].cmd.Type, r.err)}
				}
				broken = true
			}
		}
		if broken {
			for _, u := range again {
				leave(u)
			}
			slices.Sort(rest)
			return rest, foreign, last
		}
		us = again
	}
	return nil, false, last
}

// split answers each command of a unit written as res: its own events' positions and the
// stream's version after them.
func split(u unit, ms []*member, res events.AppendResult, out []answer) {
	off := 0
	for _, p := range u.plans {
		n := len(p.events)
		one := events.AppendResult{StreamVersion: p.version + int64(n)}
		if off+n <= len(res.Positions) {
			one.Positions = res.Positions[off : off+n]
		}
		off += n
		out[p.i] = answer{res: written(p, ms[p.i].cmd, one)}
	}
}

func written(p plan, cmd Command, res events.AppendResult) Result {
	out := resultOf(p.stream, cmd.ID, res)
	out.Data = p.data
	return out
}

func lastOf(res Result) events.Position {
	if n := len(res.Positions); n > 0 {
		return res.Positions[n-1]
	}
	return 0
}

type appended struct {
	res events.AppendResult
	err error
}

// appendAll sends the appends of us at once, in order as far as the scheduler keeps it: each
// append's goroutine starts the next one's just before it appends.
func appendAll(log Log, us []unit) []appended {
	if len(us) == 1 {
		u := us[0]
		res, err := log.AppendCommand(u.ctx, u.stream, u.version, u.info, u.events...)
		return []appended{{res, err}}
	}
	out := make([]appended, len(us))
	var wg sync.WaitGroup
	var start func(k int)
	start = func(k int) {
		if k == len(us) {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start(k + 1)
			u := us[k]
			out[k].res, out[k].err = log.AppendCommand(u.ctx, u.stream, u.version, u.info, u.events...)
		}()
	}
	start(0)
	wg.Wait()
	return out
}
