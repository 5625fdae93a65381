package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
)

// maxAttempts bounds how often one command is decided: after another writer appended to its
// stream first, it is decided again on a state that has read the whole log.
const maxAttempts = 50

// poolsLock is the name of the lock commands that allocate from resource pools take: Infrahub's
// namespace of pool locks (its Redis key is "lock.resource_pool.<pool id>"; here one lock covers
// every pool, key "lock.resource_pool").
const poolsLock = "resource_pool"

// writer appends what commands decide, with the one retry policy of the write side.
type writer struct {
	log     Log
	cat     *events.Catalogue
	state   State
	waitFor func(ctx context.Context, pos events.Position) error
	shared  Locker       // across processes; nil: this process only
	local   *locks.Local // in this process: branch turns and resource pools
	hints   sync.Map     // resource pool id → the last resource this process gave from it
	queues  sync.Map     // branch name → *branchQueue: node commands waiting for their turn (group.go)
	def     string       // the default branch
	lim     limits.Limits

	// decoded is Config.Decoded (may be nil)
	decoded func(ctx context.Context, evs []events.Envelope, payloads []any)
	// handing is Config.Handing (may be nil)
	handing func() (done func())
}

// decision is what one attempt at a command decided: events to append to a stream at an expected
// version (none: nothing to write), and the answer's data. payloads, when set, holds what
// decoding each event's payload gives (nil entries: unknown), handed to Config.Decoded.
type decision struct {
	stream   events.StreamID
	version  int64
	events   []events.Envelope
	payloads []any
	data     any
}

// write decides and appends. When the append meets a newer version of the stream (another writer
// got there first), the command is decided again on a state that has read the whole log, at most
// maxAttempts times. A refusal is final only when decided on such a state: the client's previous
// write may not be folded here yet (a branch just created through another server). Once appended,
// write waits until the state has folded what it wrote, so that the client reads its own write.
//
// A command with an id is idempotent: the log keeps the hash of the command and its answer (the
// decision's data) with the id, in the same append. A command whose id the log holds is not
// decided again: it answers the first result (see recorded), or, when it is another command
// reusing the id, is refused. A command that writes nothing leaves no record.
func (w *writer) write(ctx context.Context, cmd Command, decide func() (decision, error)) (Result, error) {
	if res, found, err := w.recorded(ctx, cmd, true); found || err != nil {
		return res, err
	}
	synced := false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
		}
		d, err := decide()
		if err != nil {
			if synced {
				return Result{}, err
			}
			before := w.state.Position()
			if serr := w.sync(ctx); serr != nil {
				return Result{}, fmt.Errorf("%w (then, catching up with the log: %w)", err, serr)
			}
			synced = true
			if w.state.Position() == before {
				return Result{}, err
			}
			continue
		}
		if len(d.events) == 0 {
			return Result{CommandID: cmd.ID, Stream: d.stream, StreamVersion: d.version, Data: d.data}, nil
		}
		info, err := commandInfo(cmd, d.data)
		if err != nil {
			return Result{}, err
		}
		if err := w.stamp(d.events, d.payloads, cmd.ID); err != nil {
			return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
		}
		res, err := w.log.AppendCommand(ctx, d.stream, d.version, info, d.events...)
		if errors.Is(err, events.ErrVersionConflict) && attempt < maxAttempts {
			if err := backoff(ctx, attempt); err != nil {
				return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
			}
			if serr := w.sync(ctx); serr != nil {
				return Result{}, fmt.Errorf("%s: %w", cmd.Type, serr)
			}
			synced = true
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
		}
		if res.Duplicate { // the same id got there first, from another request
			if out, found, err := w.recorded(ctx, cmd, true); found || err != nil {
				return out, err
			}
		}
		w.handOff(ctx, d.stream, d.events, d.payloads, res)
		out := resultOf(d.stream, cmd.ID, res)
		out.Data = d.data
		if n := len(res.Positions); n > 0 {
			if err := w.waitFor(ctx, res.Positions[n-1]); err != nil {
				return out, fmt.Errorf("%s: written at %d, not yet readable: %w", cmd.Type, res.Positions[n-1], err)
			}
		}
		return out, nil
	}
}

// stamp fills in, when the writer hands what it appends to the fold (Config.Decoded), what the
// log would choose for evs (events.Stamp), so that handOff knows the stored events whole.
func (w *writer) stamp(evs []events.Envelope, payloads []any, cmd string) error {
	if w.decoded == nil || payloads == nil {
		return nil
	}
	return events.Stamp(evs, cmd, time.Now())
}

// handOff gives Config.Decoded the events (stamped) an append wrote as res, as the log holds
// them, with their payloads decoded: the fold need not read them back nor decode them.
func (w *writer) handOff(ctx context.Context, stream events.StreamID, evs []events.Envelope, payloads []any, res events.AppendResult) {
	if w.decoded == nil || len(payloads) != len(evs) {
		return
	}
	if stored := events.Stored(evs, stream, res); stored != nil {
		w.decoded(ctx, stored, payloads)
	}
}

// backoff waits before attempt+1 after a lost race: not at all the first times, then a random
// pause of up to attempt milliseconds, so that a writer that keeps losing to a busy neighbour
// (another server appending back to back) gets its turn instead of exhausting its attempts.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 3 {
		return nil
	}
	t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sync waits until the state reflects the whole log.
func (w *writer) sync(ctx context.Context) error {
	head, err := w.log.Head(ctx)
	if err != nil {
		return err
	}
	return w.waitFor(ctx, head)
}

// lock takes this process's turn on each named branch, in order.
func (w *writer) lock(ctx context.Context, names ...string) (func(), error) {
	var held []func()
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for _, name := range names {
		unlock, err := w.local.Lock(ctx, "branch/"+name)
		if err != nil {
			release()
			return nil, fmt.Errorf("waiting for branch %s: %w", name, err)
		}
		held = append(held, unlock)
	}
	return release, nil
}

// lockPools takes the turn of commands that allocate from resource pools: in this process and,
// with a shared Locker, across processes (then it catches up with the log, which other processes
// may have extended while it waited).
func (w *writer) lockPools(ctx context.Context) (func(), error) {
	unlock, err := w.local.Lock(ctx, poolsLock)
	if err != nil {
		return nil, fmt.Errorf("waiting for the resource pools: %w", err)
	}
	if w.shared == nil {
		return unlock, nil
	}
	unlockShared, err := w.shared.Lock(ctx, poolsLock)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("resource pools lock: %w", err)
	}
	both := func() { unlockShared(); unlock() }
	if err := w.sync(ctx); err != nil {
		both()
		return nil, err
	}
	return both, nil
}

// view is the head View of a branch open to writes.
func (w *writer) view(name string) (*nodes.View, error) {
	v, err := w.state.View(name, 0)
	if err != nil {
		return nil, fmt.Errorf("field \"branch\": %w", err)
	}
	if v.Info.Status == branch.StatusMerged {
		return nil, fmt.Errorf("%w: field \"branch\": branch %s is merged: it takes no more changes", ErrInvalid, name)
	}
	return v, nil
}

// nodes decides a node command through a nodetx transaction on branch name (the default branch
// when empty) and appends it; build decides inside the transaction and answers the command's
// data (the Result's Data, kept as its answer). Commands on one branch take turns in this process,
// so that concurrent writers to a branch wait instead of all but one failing their version check
// (other processes still meet the check, and decide again). A transaction that allocates from a
// resource pool is decided again once it holds the pools' turn. A command the log holds already
// is not decided: its Result carries the first answer (see write).
func (w *writer) nodes(ctx context.Context, cmd Command, name string, build func(t *nodetx.Tx) (any, error)) (Result, error) {
	if name == "" {
		name = w.def
	}
	unlock, err := w.lock(ctx, name)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	var unlockPools func()
	defer func() {
		if unlockPools != nil {
			unlockPools()
		}
	}()
	var t *nodetx.Tx
	res, err := w.write(ctx, cmd, func() (decision, error) {
		for {
			v, err := w.view(name)
			if err != nil {
				return decision{}, err
			}
			t = nodetx.New(ctx, v, &w.hints, w.lim)
			data, err := build(t)
			if err != nil {
				return decision{}, err
			}
			if err := authorizeChanges(ctx, t, name == w.def); err != nil {
				return decision{}, err
			}
			if t.Allocates() && unlockPools == nil {
				if unlockPools, err = w.lockPools(ctx); err != nil {
					return decision{}, err
				}
				continue // decide again, in turn
			}
			d, err := t.Decide(w.cat, w.def, metaOf(cmd))
			if err != nil {
				return decision{}, err
			}
			return decision{stream: d.Stream, version: d.Version, events: d.Events, payloads: d.Payloads, data: data}, nil
		}
	})
	if err != nil {
		return res, err
	}
	if t != nil {
		t.Written()
	}
	return res, nil
}
