package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/events"
)

// Group commit. One goroutine takes the queued appends; while fewer than MaxInFlight calls run,
// it sends at once what is queued (so a lone client waits for nothing), and while they run, new
// appends queue up and leave together in the next call: one transaction, one round trip and one
// commit for many appends. Two appends to the same stream or with the same command id never
// share a call (the second waits for the next one), so each keeps its own version check.

const (
	maxCallAppends = 256     // appends in one call
	maxCallBytes   = 4 << 20 // approximate payload bytes in one call
)

func (s *Store) committer(ctx context.Context) {
	defer s.wg.Done()
	var pending []*appendReq
	for {
		var first *appendReq
		if len(pending) > 0 {
			first, pending = pending[0], pending[1:]
		} else {
			select {
			case first = <-s.queue:
			case <-ctx.Done():
				s.drain(pending)
				return
			}
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			s.drain(append(pending, first))
			return
		}
		var batch []*appendReq
		batch, pending = s.collect(first, pending)
		if len(batch) == 0 {
			<-s.slots
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			s.execute(context.WithoutCancel(ctx), batch)
		}()
	}
}

// collect builds one call from first, the deferred appends and what is queued now. It returns
// the call and the appends deferred to a later one.
func (s *Store) collect(first *appendReq, pending []*appendReq) (batch, rest []*appendReq) {
	streams := map[events.StreamID]bool{}
	cmds := map[string]bool{}
	bytes := 0
	take := func(r *appendReq) bool {
		if err := r.ctx.Err(); err != nil { // the caller left before we started: write nothing
			r.answer(events.AppendResult{}, fmt.Errorf("append to %s: %w", r.stream, err))
			return true
		}
		cmd := r.evs[0].Metadata.CommandID
		if len(batch) > 0 && (len(batch) >= maxCallAppends || bytes+r.bytes > maxCallBytes ||
			streams[r.stream] || (cmd != "" && cmds[cmd])) {
			return false
		}
		batch = append(batch, r)
		streams[r.stream] = true
		if cmd != "" {
			cmds[cmd] = true
		}
		bytes += r.bytes
		return true
	}
	take(first)
	for _, r := range pending {
		if !take(r) {
			rest = append(rest, r)
		}
	}
	for len(batch) < maxCallAppends {
		select {
		case r := <-s.queue:
			if !take(r) {
				rest = append(rest, r)
			}
		default:
			return batch, rest
		}
	}
	return batch, rest
}

// execute runs one call and answers its appends. When the call fails as a whole (one bad
// event), each append is retried alone so that only the bad one fails.
func (s *Store) execute(ctx context.Context, batch []*appendReq) {
	s.calls.Add(1)
	s.grouped.Add(int64(len(batch)))
	outs, err := callAppend(ctx, s.pool, batch) // ctx outlives Close: in-flight calls finish
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.execute(ctx, []*appendReq{r})
		}
		return
	}
	if err != nil {
		r := batch[0]
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = events.ErrClosed
		}
		r.answer(events.AppendResult{}, translate(r.ctx, r.stream, err))
		return
	}
	wrote := false
	for i, r := range batch {
		r.answer(outs[i].res, outs[i].err)
		wrote = wrote || (outs[i].err == nil && !outs[i].res.Duplicate)
	}
	if wrote {
		s.committed()
	}
}

func (s *Store) drain(reqs []*appendReq) {
	for _, r := range reqs {
		r.answer(events.AppendResult{}, fmt.Errorf("append to %s: %w", r.stream, events.ErrClosed))
	}
	for {
		select {
		case r := <-s.queue:
			r.answer(events.AppendResult{}, fmt.Errorf("append to %s: %w", r.stream, events.ErrClosed))
		default:
			return
		}
	}
}

// CommitStats counts the group commit's work.
type CommitStats struct {
	Calls   int64 // infrahub_append calls (transactions)
	Appends int64 // appends they carried
}

// CommitStats reports how many appends the calls carried so far.
func (s *Store) CommitStats() CommitStats {
	return CommitStats{Calls: s.calls.Load(), Appends: s.grouped.Load()}
}
