package nodes

import (
	"context"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/events"
)

// A long batch is folded in two stages that run at the same time: a goroutine decodes the node
// events (unless given decoded) and makes their graph changes, chunk by chunk, while the caller's
// goroutine folds the events in order, each node event with the changes made for it. Making the
// changes reads only the payload and the Store's caches of names, actors and values, which
// nothing else uses meanwhile: the batches that would (merges and rebases make changes of their
// own) are folded in one stage. The result is the sequential fold's, errors included: an event
// that cannot be made into changes fails when its turn comes, after the events before it.

const (
	pipeChunk = 32 // events per chunk
	pipeDepth = 4  // chunks made ahead at most (each with its scratch)
)

// prepared is what the first stage made of a node event.
type prepared struct {
	cs  []graph.Change
	err error
}

func isNodeEvent(typ string) bool {
	return typ == TypeCreated || typ == TypeUpdated || typ == TypeDeleted
}

// pipelines reports whether batch is folded in two stages: long enough, and without an event
// whose fold uses the caches the first stage uses.
func pipelines(batch []events.Envelope) bool {
	if len(batch) < 2*pipeChunk {
		return false
	}
	for i := range batch {
		if t := batch[i].Type; t == branch.TypeMerged || t == branch.TypeRebased {
			return false
		}
	}
	return true
}

// applyPrepared folds a node event with the changes made for it ahead.
func (s *Store) applyPrepared(e *events.Envelope, pre *prepared) error {
	name, err := nodeBranch(e)
	if err != nil {
		return err
	}
	if pre.err != nil {
		return pre.err
	}
	return s.g.Apply(name, int64(e.GlobalPosition), e.RecordedAt, pre.cs...)
}

// applyPipelined is ApplyDecoded's loop in two stages (see above); the caller holds the lock.
func (s *Store) applyPipelined(ctx context.Context, batch []events.Envelope, payloads []any) error {
	n := len(batch)
	chunks := (n + pipeChunk - 1) / pipeChunk
	bounds := func(k int) (int, int) { return k * pipeChunk, min(n, (k+1)*pipeChunk) }
	payload := func(i int) any {
		if payloads == nil {
			return nil
		}
		return payloads[i]
	}
	pre := make([]prepared, n)
	// free holds a token per scratch the first stage may fill; ready names the chunks made.
	// Neither send blocks: at most pipeDepth chunks are made and not yet folded.
	ready := make(chan struct{}, pipeDepth)
	free := make(chan struct{}, pipeDepth)
	for range pipeDepth {
		free <- struct{}{}
	}
	done := make(chan struct{})
	var stop atomic.Bool // the fold stopped: what is made no longer matters
	go func() {
		defer close(done)
		for k := range chunks {
			if _, ok := <-free; !ok || stop.Load() {
				return
			}
			buf := &s.pipe[k%pipeDepth]
			buf.cs, buf.peers = buf.cs[:0], buf.peers[:0]
			from, to := bounds(k)
			for i := from; i < to; i++ {
				if isNodeEvent(batch[i].Type) {
					pre[i].cs, pre[i].err = s.nodeChanges(&batch[i], payload(i), buf)
				}
			}
			ready <- struct{}{}
		}
	}()
	var err error
	for k := 0; k < chunks && err == nil; k++ {
		<-ready
		from, to := bounds(k)
		for i := from; i < to && err == nil; i++ {
			if i+1 < to && pre[i+1].err == nil && len(pre[i+1].cs) > 0 {
				s.g.Prefetch(pre[i+1].cs) // the next event's index places arrive meanwhile
			}
			var p *prepared
			if isNodeEvent(batch[i].Type) {
				p = &pre[i]
			}
			err = s.applyEvent(ctx, batch, i, payload(i), p)
		}
		clear(s.pipe[k%pipeDepth].cs) // the graph keeps the values, not the slice
		free <- struct{}{}
	}
	stop.Store(true)
	close(free)
	<-done // the first stage uses the Store's caches: it ends before the lock is let go
	return err
}
