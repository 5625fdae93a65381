package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// Request states: the caller may abandon a request only while the writer has not taken it.
const (
	statePending int32 = iota
	stateTaken
	stateAbandoned
)

// appendRequest is one Append waiting for the writer.
type appendRequest struct {
	appendArgs
	rows  requestRows     // built by the caller, copied by the writer
	ctx   context.Context // the caller's: checked before writing, never used for SQL
	size  int             // bytes, to bound a batch
	state atomic.Int32
	done  chan appendResponse // buffered: the writer never blocks answering
	// committed, when set (AppendCommandStaged), has the outcome once the writer committed it
	// (or failed to), before done has it durable; buffered
	committed chan appendResponse
}

type appendResponse struct {
	res events.AppendResult
	err error
}

func newAppendRequest(ctx context.Context, a appendArgs) *appendRequest {
	size := 0
	for i := range a.evs {
		size += len(a.evs[i].Payload) + len(a.evs[i].Type) + 128
	}
	return &appendRequest{appendArgs: a, rows: buildRows(a), ctx: ctx, size: size, done: make(chan appendResponse, 1)}
}

// wait returns the writer's answer, or the context's error when the caller gives up before the
// writer took the request (then nothing is written), or events.ErrClosed when the writer stopped
// (stopped closed) without taking it.
func (r *appendRequest) wait(stopped <-chan struct{}) (events.AppendResult, error) {
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-r.ctx.Done():
		return r.giveUp(r.ctx.Err())
	case <-stopped:
		return r.giveUp(events.ErrClosed)
	}
}

// giveUp abandons the request with err unless the writer has taken it: then the answer comes
// with the group's sync.
func (r *appendRequest) giveUp(err error) (events.AppendResult, error) {
	if r.state.CompareAndSwap(statePending, stateAbandoned) {
		return events.AppendResult{}, appendErr(r.stream, err)
	}
	return r.final()
}

// final waits for the answer of a request the writer took.
func (r *appendRequest) final() (events.AppendResult, error) {
	resp := <-r.done
	return resp.res, resp.err
}

// staged tells a staged caller what the writer committed for it (err: nothing).
func (r *appendRequest) staged(res events.AppendResult, err error) {
	if r.committed != nil {
		r.committed <- appendResponse{res: res, err: err}
	}
}

func (r *appendRequest) take() bool { return r.state.CompareAndSwap(statePending, stateTaken) }

func (r *appendRequest) answer(res events.AppendResult, err error) {
	if err != nil {
		err = appendErr(r.stream, err)
		res = events.AppendResult{}
	}
	r.done <- appendResponse{res: res, err: err}
}

// run is the writer goroutine: it commits batches until Close.
func (s *Store) run() {
	defer close(s.loopDone)
	for {
		select {
		case first := <-s.reqs:
			s.commitBatch(s.collect(first))
		case <-s.closing:
			return
		}
	}
}

// collect gathers the requests already waiting (and, with a batch window, those arriving
// within it) up to the batch bounds, then waits for the group to fill (see fill.go).
func (s *Store) collect(first *appendRequest) []*appendRequest {
	batch := []*appendRequest{first}
	size := first.size
	var window <-chan time.Time
	if s.window > 0 {
		t := time.NewTimer(s.window)
		defer t.Stop()
		window = t.C
	}
	for len(batch) < maxBatchRequests && size < maxBatchBytes {
		r, ok := s.nextRequest(window)
		if !ok {
			break
		}
		batch = append(batch, r)
		size += r.size
	}
	peak := s.callers.Expected(time.Now())
	want := min(peak-int(s.wal.answering.Load()), max((peak+1)/2, minCohort), maxBatchRequests)
	if len(batch) >= want || size >= maxBatchBytes {
		return batch
	}
	fill := time.NewTimer(fillWait)
	defer fill.Stop()
	for len(batch) < want && size < maxBatchBytes {
		r, ok := s.nextRequest(fill.C)
		if !ok {
			break
		}
		batch = append(batch, r)
		size += r.size
	}
	return batch
}

// nextRequest returns a request already waiting or, when window is set, one arriving before it
// fires.
func (s *Store) nextRequest(window <-chan time.Time) (*appendRequest, bool) {
	if window == nil {
		select {
		case r := <-s.reqs:
			return r, true
		default:
			return nil, false
		}
	}
	select {
	case r := <-s.reqs:
		return r, true
	case <-window:
	case <-s.closing:
	}
	return nil, false
}

// outcome is one request's answer, held until the batch commits.
type outcome struct {
	req *appendRequest
	res events.AppendResult
	err error
}

// commitBatch applies batch in one transaction (set-based, or one savepoint per request should
// that fail), commits once and hands the answers to the WAL syncer, which gives them once the
// commit is durable.
func (s *Store) commitBatch(batch []*appendRequest) {
	ctx := context.Background() // never a caller's: cancelling one must not roll back the others
	outcomes, wrote, err := s.applyBatch(ctx, batch)
	if err != nil {
		s.log.Error("event store: batch failed", slog.Int("requests", len(batch)), slog.Any("error", err))
		for _, o := range outcomes {
			o.req.staged(events.AppendResult{}, err)
			o.req.answer(events.AppendResult{}, err)
		}
		return
	}
	// Even a group that wrote nothing waits for the sync of what it read (a duplicate's first
	// append, the version a conflict reports).
	seq := s.wal.seq()
	if wrote > 0 {
		seq = s.wal.commit()
	}
	s.log.Debug("event store: batch done", slog.Int("requests", len(outcomes)), slog.Int64("head", int64(wrote)))
	s.wal.submit(syncItem{seq: seq, last: wrote, outcomes: outcomes})
	// After the hand-over to the syncer, so that a staged caller is the goroutine this one
	// readied last: it runs next here, without waiting behind every goroutine runnable.
	for _, o := range outcomes {
		o.req.staged(o.res, o.err)
	}
	if s.tailDue {
		s.tailDue = false
		if err := s.ckpt.copyTail(ctx, s.wdb); err != nil {
			s.log.Warn("event store: writer checkpoint failed", slog.Any("error", err))
		}
	}
}

// applyBatch returns the outcome of every request it took and the highest position committed
// (0 when nothing was written). An error means nothing was committed.
func (s *Store) applyBatch(ctx context.Context, batch []*appendRequest) ([]outcome, events.Position, error) {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return takeAll(batch), 0, fmt.Errorf("writer connection: %w", err)
	}
	defer func() { _ = conn.Close() }() // back to the pool
	var (
		outcomes []outcome
		gaveUp   []error
		last     events.Position
		again    bool
	)
	// The set-based modes run whole below database/sql, their BEGIN and COMMIT included: see
	// groupStmts.
	err = conn.Raw(func(dc any) error {
		if err := s.gs.on(ctx, dc); err != nil {
			return err
		}
		for mode := groupOptimistic; mode < oneByOne; mode++ {
			if err := s.gs.exec(ctx, s.gs.begin, nil); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			if outcomes == nil {
				// The requests are taken once the transaction has begun: until then their callers
				// may still give up (the writer connection may be held by a slow transaction).
				outcomes, gaveUp = takeOutcomes(batch)
			} else {
				resetOutcomes(outcomes, gaveUp)
			}
			var err error
			if last, err = s.applySet(ctx, outcomes, mode); !errors.Is(err, errApplyAgain) {
				return err
			}
		}
		again = true
		return nil
	})
	if outcomes == nil {
		outcomes = takeAll(batch)
	}
	if err != nil || !again {
		return outcomes, last, err
	}
	resetOutcomes(outcomes, gaveUp)
	last, err = s.applyOneByOne(ctx, conn, outcomes)
	return outcomes, last, err
}

// takeOutcomes takes the requests still pending; gaveUp holds the error of those whose caller
// has given up meanwhile (nil for the others), which are answered with it.
func takeOutcomes(batch []*appendRequest) (outcomes []outcome, gaveUp []error) {
	outcomes = takeAll(batch) // a request the caller gave up on is not taken: nothing to answer
	gaveUp = make([]error, len(outcomes))
	for i := range outcomes {
		outcomes[i].err = outcomes[i].req.ctx.Err()
		gaveUp[i] = outcomes[i].err
	}
	return outcomes, gaveUp
}

// resetOutcomes clears what a group applied again had decided.
func resetOutcomes(outcomes []outcome, gaveUp []error) {
	for i := range outcomes {
		outcomes[i].res, outcomes[i].err = events.AppendResult{}, gaveUp[i]
	}
}

// durable records that the log is durable up to position last and wakes the subscribers.
func (s *Store) durable(last events.Position) {
	for {
		cur := s.head.Load()
		if int64(last) <= cur || s.head.CompareAndSwap(cur, int64(last)) {
			break
		}
	}
	s.signal.Notify()
}
