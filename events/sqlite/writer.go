package sqlite

import (
	"context"
	"database/sql"
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
	resp := <-r.done
	return resp.res, resp.err
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
	peak := s.callers.expected(time.Now())
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
}

// applyBatch returns the outcome of every request it took and the highest position committed
// (0 when nothing was written). An error means nothing was committed.
func (s *Store) applyBatch(ctx context.Context, batch []*appendRequest) ([]outcome, events.Position, error) {
	// The requests are taken once the transaction has begun: until then their callers may still
	// give up (the writer connection may be held by a slow transaction).
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return takeAll(batch), 0, fmt.Errorf("begin: %w", err)
	}
	outcomes := takeAll(batch) // a request the caller gave up on is not taken: nothing to answer
	gaveUp := make([]error, len(outcomes))
	for i := range outcomes {
		outcomes[i].err = outcomes[i].req.ctx.Err()
		gaveUp[i] = outcomes[i].err
	}
	last, err := s.applyTx(ctx, tx, outcomes, true)
	if errors.Is(err, errOneByOne) {
		for i := range outcomes {
			outcomes[i].res, outcomes[i].err = events.AppendResult{}, gaveUp[i]
		}
		if tx, err = s.wdb.BeginTx(ctx, nil); err != nil {
			return outcomes, 0, fmt.Errorf("begin: %w", err)
		}
		last, err = s.applyTx(ctx, tx, outcomes, false)
	}
	return outcomes, last, err
}

// errOneByOne asks for a group to be applied again one request per savepoint.
var errOneByOne = errors.New("a statement of the set-based group failed")

// applyTx applies the requests of outcomes without an error in tx, set-based or one request per
// savepoint, and commits it (or rolls it back when nothing was written or on an error).
func (s *Store) applyTx(ctx context.Context, tx *sql.Tx, outcomes []outcome, setBased bool) (events.Position, error) {
	first, err := lastPosition(ctx, &writeStmts{lastPosition: tx.StmtContext(ctx, s.ws.lastPosition)})
	if err != nil {
		_ = tx.Rollback()
		return 0, err
	}
	last := first
	if setBased {
		var ok bool
		if last, ok = applyGroup(ctx, tx, &s.gs, &s.plan, outcomes, first+1); !ok {
			_ = tx.Rollback()
			return 0, errOneByOne
		}
	} else {
		st := s.ws.in(ctx, tx)
		for i := range outcomes {
			o := &outcomes[i]
			if o.err != nil {
				continue
			}
			var fatal error
			if o.res, o.err, fatal = applyInSavepoint(ctx, st, o.req.appendArgs, last+1); fatal != nil {
				_ = tx.Rollback()
				return 0, fatal
			}
			if o.err == nil && !o.res.Duplicate {
				last = o.res.Last()
			}
		}
	}
	if last == first {
		return 0, tx.Rollback() // nothing written: no sync needed
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return last, nil
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
