package commands

import (
	"context"
	"errors"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
)

// decider decides the members of a turn in order in one transaction: the one the branch's last
// turn carried (q.carry), else a new one on the branch's head. A member refused (or deferred)
// gets its answer in out and a mark in skip, and the others are decided again without it (a
// new pass), in a new transaction on the head once it holds what the carried one wrote. Members
// that write nothing get their answer in out; the others a plan, in order. A turn's first
// decider decides each member as the turn takes it (early), while the others are on their way;
// run decides the rest.
type decider struct {
	w           *writer
	ctx         context.Context
	name        string
	q           *branchQueue
	ms          *[]*member
	out         []answer // by member index
	skip        map[int]bool
	unlockPools *func()

	c       *carry
	carried bool
	err     error // the branch's: every open member's refusal

	// the pass: its transaction, what it decided, whether it must start again
	begun, restart bool
	decided        map[int]bool
	t              *nodetx.Tx
	base           int // the events the transaction carried
	next           int64
	plans          []plan
	before         map[string]nodetx.Outcome // one map for every member: each refills it
	// the members' events are encoded by enc while the next member is decided; planJob is
	// each plan's number among the decisions enc encodes
	enc     nodetx.Encoder
	planJob []int
	jobs    int
}

// newDecider takes the transaction the branch's last turn carried, if any.
func (w *writer) newDecider(ctx context.Context, name string, q *branchQueue, ms *[]*member, out []answer, unlockPools *func()) *decider {
	c := q.carry
	q.carry = nil
	return &decider{w: w, ctx: ctx, name: name, q: q, ms: ms, out: out, skip: map[int]bool{}, unlockPools: unlockPools,
		c: c, carried: c != nil && c.events < maxCarry && w.state.Position() < c.upTo}
}

// early decides member i now, unless the pass must start again (run does it then).
func (d *decider) early(i int) {
	if d.err != nil || d.restart {
		return
	}
	if !d.begun {
		if d.err = d.begin(); d.err != nil {
			return
		}
	}
	d.err = d.add(i)
}

// run decides the open members not decided yet and returns the plans, the transaction and the
// events it carried; an error is the branch's.
func (d *decider) run(open []int) (plans []plan, t *nodetx.Tx, base int, err error) {
	for {
		if d.err != nil {
			return nil, nil, 0, d.err
		}
		if !d.begun {
			if err := d.begin(); err != nil {
				return nil, nil, 0, err
			}
		}
		for _, i := range open {
			if d.restart {
				break
			}
			if d.skip[i] || d.decided[i] {
				continue
			}
			if err := d.add(i); err != nil {
				return nil, nil, 0, err
			}
		}
		if !d.finish() {
			if d.carried && len(d.plans) == 0 {
				d.q.carry = d.c // nothing written: the next turn still decides on it
			}
			return d.plans, d.t, d.base, nil
		}
		d.carried, d.begun = false, false
	}
}

// begin starts a pass: on the carried transaction, else on a new one.
func (d *decider) begin() error {
	w, q, c := d.w, d.q, d.c
	d.restart, d.decided, d.plans, d.base, d.next = false, map[int]bool{}, nil, 0, 0
	d.enc, d.planJob, d.jobs = nodetx.Encoder{}, nil, 0
	if d.carried {
		d.t, d.next, d.base = c.t, c.next, c.events
	} else {
		if c != nil {
			if err := w.waitFor(d.ctx, c.upTo); err != nil {
				return err
			}
		}
		v, err := w.view(d.name)
		if err != nil {
			return err
		}
		if c != nil {
			q.sizes = nodetx.SizesOf(c.t)
		}
		d.t = nodetx.New(d.ctx, v, &w.hints, w.lim)
		q.sizes.Reserve(d.t)
	}
	d.begun = true
	return nil
}

// add decides member i in the pass; a refusal or a member that must go alone ends the pass
// (restart). An error is the branch's.
func (d *decider) add(i int) error {
	w, t := d.w, d.t
	m := (*d.ms)[i]
	d.decided[i] = true
	d.before = copyOutcomes(t.Outcomes(), d.before)
	mark := t.Mark()
	data, err := m.build(t)
	if err == nil {
		err = authorizeSince(m.ctx, t, d.before, d.name == w.def)
	}
	if err == nil && t.Allocates() && *d.unlockPools == nil {
		if *d.unlockPools, err = w.lockPools(d.ctx); err != nil {
			d.enc.Wait(nil)
			return err
		}
		d.restart = true // decide again, in turn
		return nil
	}
	var dec nodetx.Decision
	job := -1
	if err == nil {
		if dec, err = d.enc.DecideSince(t, w.cat, w.def, metaOf(m.cmd), mark); err == nil && len(dec.Events) > 0 {
			job, d.jobs = d.jobs, d.jobs+1
		}
	}
	if err == nil && len(d.plans) > 0 && len(dec.Events) > 0 && dec.Stream != d.plans[0].stream {
		err = errDeferred
	}
	if err != nil && d.carried {
		d.restart = true // decide again in a new transaction, without what this one did
		return nil
	}
	if err != nil && len(d.plans) > 0 && !errors.Is(err, errDeferred) && len(dec.Events) == 0 && isMixing(t) {
		err = errDeferred // alone, it may go to its own stream
	}
	var info events.CommandInfo
	if err == nil && len(dec.Events) > 0 {
		info, err = commandInfo(m.cmd, data)
	}
	if err != nil {
		d.out[i], d.skip[i], d.restart = answer{err: err}, true, true
		return nil
	}
	if len(d.plans) == 0 && !d.carried {
		d.next = dec.Version
	}
	if len(dec.Events) == 0 {
		version := dec.Version
		if len(d.plans) > 0 || d.carried {
			version = d.next
		}
		d.out[i] = answer{res: Result{CommandID: m.cmd.ID, Stream: dec.Stream, StreamVersion: version, Data: data}}
		return nil
	}
	d.plans = append(d.plans, plan{i: i, ctx: context.WithoutCancel(m.ctx), stream: dec.Stream, version: d.next,
		events: dec.Events, payload: dec.Payloads, info: info, data: data})
	d.planJob = append(d.planJob, job)
	d.next += int64(len(dec.Events))
	return nil
}

// finish waits for the pass's encodings and tells whether the pass must start again.
func (d *decider) finish() (restart bool) {
	if errs := d.enc.Wait(d.t); errs != nil && !d.restart {
		// a member's events did not encode: refused as DecideSince would have refused it
		for k, p := range d.plans {
			if j := d.planJob[k]; j >= 0 && j < len(errs) && errs[j] != nil {
				if !d.carried {
					d.out[p.i], d.skip[p.i] = answer{err: errs[j]}, true
				}
				d.restart = true
				break
			}
		}
	}
	return d.restart
}

// isMixing reports whether t changed both branch-agnostic and branch-aware nodes off the
// default branch, which one append cannot carry.
func isMixing(t *nodetx.Tx) bool {
	_, err := t.DecideSince(nil, "", events.Metadata{}, t.Mark())
	return err != nil
}
