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
	ctx   context.Context // the caller's: checked before writing, never used for SQL
	size  int             // bytes, to bound a batch
	state atomic.Int32
	done  chan appendResponse // buffered: the writer never blocks answering
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
	return &appendRequest{appendArgs: a, ctx: ctx, size: size, done: make(chan appendResponse, 1)}
}

// wait returns the writer's answer, or the context's error when the caller gives up before the
// writer took the request (then nothing is written).
func (r *appendRequest) wait() (events.AppendResult, error) {
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-r.ctx.Done():
		if r.state.CompareAndSwap(statePending, stateAbandoned) {
			return events.AppendResult{}, appendErr(r.stream, r.ctx.Err())
		}
		resp := <-r.done // taken: the answer comes with the batch's commit
		return resp.res, resp.err
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
// within it) up to the batch bounds.
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

// commitBatch applies batch in one transaction, each request in its own savepoint, commits once
// and hands the answers to the WAL syncer, which gives them once the commit is durable.
func (s *Store) commitBatch(batch []*appendRequest) {
	ctx := context.Background() // never a caller's: cancelling one must not roll back the others
	outcomes, wrote, err := s.applyBatch(ctx, batch)
	if err != nil {
		s.log.Error("event store: batch failed", slog.Int("requests", len(batch)), slog.Any("error", err))
		for _, o := range outcomes {
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
	s.wal.queue <- syncItem{seq: seq, last: wrote, outcomes: outcomes}
}

// applyBatch returns the outcome of every request it took and the highest position committed
// (0 when nothing was written). An error means nothing was committed.
func (s *Store) applyBatch(ctx context.Context, batch []*appendRequest) (outcomes []outcome, last events.Position, err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return takeAll(batch), 0, fmt.Errorf("begin: %w", err)
	}
	st := s.ws.in(ctx, tx)
	last, err = lastPosition(ctx, st)
	if err != nil {
		_ = tx.Rollback()
		return takeAll(batch), 0, err
	}
	first := last
	outcomes = make([]outcome, 0, len(batch))
	for i, req := range batch {
		if !req.take() {
			continue // the caller gave up; nothing to answer
		}
		o := outcome{req: req}
		if o.err = req.ctx.Err(); o.err == nil {
			o.res, o.err, err = applyInSavepoint(ctx, st, req.appendArgs, last+1)
		}
		outcomes = append(outcomes, o)
		if err != nil {
			_ = tx.Rollback()
			return append(outcomes, takeAll(batch[i+1:])...), 0, err
		}
		if o.err == nil && !o.res.Duplicate {
			last = o.res.Last()
		}
	}
	if last == first {
		return outcomes, 0, tx.Rollback() // nothing written: no sync needed
	}
	if err := tx.Commit(); err != nil {
		return outcomes, 0, fmt.Errorf("commit: %w", err)
	}
	return outcomes, last, nil
}

// takeAll takes every request still pending, for answering them all with one error.
func takeAll(batch []*appendRequest) []outcome {
	var out []outcome
	for _, r := range batch {
		if r.take() {
			out = append(out, outcome{req: r})
		}
	}
	return out
}

// applyInSavepoint applies one request so that its failure undoes only its own writes. reqErr is
// the request's own failure (a conflict, a duplicate event id, ...); fatal means the transaction
// itself is lost and the whole batch must fail.
func applyInSavepoint(ctx context.Context, st *writeStmts, a appendArgs, next events.Position) (res events.AppendResult, reqErr, fatal error) {
	if _, err := st.savepoint.ExecContext(ctx); err != nil {
		return res, nil, fmt.Errorf("savepoint: %w", err)
	}
	res, reqErr = applyAppend(ctx, st, a, next, time.Now())
	if reqErr != nil {
		if _, err := st.rollbackTo.ExecContext(ctx); err != nil {
			return res, reqErr, errors.Join(reqErr, fmt.Errorf("rollback to savepoint: %w", err))
		}
	}
	if _, err := st.release.ExecContext(ctx); err != nil {
		return res, reqErr, fmt.Errorf("release savepoint: %w", err)
	}
	return res, reqErr, nil
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
