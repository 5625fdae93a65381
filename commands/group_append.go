package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/events"
)

// unit is one append of a turn: the plans of one command with an id (its own command record),
// or of consecutive commands without one (nothing to record: one append carries them all).
type unit struct {
	plans   []plan
	stream  events.StreamID
	version int64
	events  []events.Envelope
	payload []any // decoded payloads of events (nil: unknown)
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
			if u.payload != nil && len(p.payload) == len(p.events) {
				u.payload = append(u.payload, p.payload...)
			} else {
				u.payload = nil
			}
			continue
		}
		var payload []any
		if len(p.payload) == len(p.events) {
			payload = append([]any(nil), p.payload...)
		}
		out = append(out, unit{plans: []plan{p}, stream: p.stream, version: p.version,
			events: append([]events.Envelope(nil), p.events...), payload: payload, info: p.info, ctx: p.ctx})
	}
	return out
}

// appendGroup appends the plans at the versions that follow each other: the commands without an
// id together in one append, each command with an id in its own with its command record, one
// after another (appendAll). It answers the members it wrote (out),
// and returns those left to decide again (from the first that could not be written on: another
// writer's append, a duplicate command id or a failure), whether another writer got there
// first, and the highest position written.
func (w *writer) appendGroup(plans []plan, ms []*member, out []answer, later *[]func() func()) (rest []int, foreign bool, last events.Position) {
	us := units(plans, ms)
	results := w.appendAll(us, ms, out, later)
	broken := false
	for k, u := range us {
		r := results[k]
		switch {
		case r.err == nil && !r.res.Duplicate: // written
			last = max(last, r.res.Last())
			split(u, ms, r.res, out)
			continue
		case broken: // unsent
		case errors.Is(r.err, events.ErrVersionConflict): // every append before it was written: another writer's is there
			foreign = true
		case r.err == nil: // the same command id got there first, from another request
			cmd := ms[u.plans[0].i].cmd
			res, _, err := w.recorded(u.ctx, cmd, false)
			out[u.plans[0].i] = answer{res: res, err: err}
			last = max(last, lastOf(res))
			broken = true
			continue
		default:
			for _, p := range u.plans {
				out[p.i] = answer{err: fmt.Errorf("%s: %w", ms[p.i].cmd.Type, r.err)}
			}
			broken = true
			continue
		}
		broken = true
		for _, p := range u.plans {
			rest = append(rest, p.i)
		}
	}
	slices.Sort(rest)
	return rest, foreign, last
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

// errNotSent marks an append of a turn left unsent because one before it was not written.
var errNotSent = errors.New("not sent: an earlier append of the turn was not written")

// appendAll sends the appends of us one after another, each once the one before it is written:
// an append decided on top of another must never land on a stream that another writer moved
// (its expected version could match another writer's events of the same length). The first one
// not written leaves the rest unsent (errNotSent). Concurrent turns of other branches and
// processes still share the log's group commits.
//
// What each append wrote is handed to the fold (handOff) in order, by the caller through later
// once it has let the branch's next turn start (so that it decides meanwhile). With a staged
// log (events.Staged) an append returns once committed: the next turn decides and commits, and
// the fold takes it, while the sync runs (the log's other readers may read a commit up to one
// sync before it is durable too); the settle func later returns waits until it is durable
// before the caller answers, and makes the answers of the unit's commands the error (out)
// should the sync fail.
func (w *writer) appendAll(us []unit, ms []*member, out []answer, later *[]func() func()) []appended {
	res := make([]appended, len(us))
	staged, _ := w.log.(events.Staged)
	if w.decoded == nil {
		staged = nil // acknowledged once durable: nothing to wait for later
	}
	for k, u := range us {
		done := func() {}
		if w.decoded != nil && w.handing != nil && len(u.payload) == len(u.events) {
			done = w.handing()
		}
		var durable func() error
		if err := w.stamp(u.events, u.payload, u.info.ID); err != nil {
			res[k].err = err
		} else if staged != nil {
			res[k].res, durable, res[k].err = staged.AppendCommandStaged(u.ctx, u.stream, u.version, u.info, u.events...)
		} else {
			res[k].res, res[k].err = w.log.AppendCommand(u.ctx, u.stream, u.version, u.info, u.events...)
		}
		if res[k].err != nil || res[k].res.Duplicate {
			done()
			for j := k + 1; j < len(us); j++ {
				res[j].err = errNotSent
			}
			break
		}
		if w.decoded == nil {
			done()
			continue
		}
		r := res[k].res
		*later = append(*later, func() (settle func()) {
			w.handOff(u.ctx, u.stream, u.events, u.payload, r)
			done()
			if durable == nil {
				return nil
			}
			return func() {
				if err := durable(); err != nil {
					for _, p := range u.plans {
						out[p.i] = answer{err: fmt.Errorf("%s: %w", ms[p.i].cmd.Type, err)}
					}
				}
			}
		})
	}
	return res
}
