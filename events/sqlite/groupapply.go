package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// The transactions of a group commit: set-based (applySet), or one request per savepoint
// (applyOneByOne) should that fail; applyBatch (writer.go) picks the mode.

// applyMode is how applyBatch applies a group; a group the faster mode could not apply is applied
// again in the next.
type applyMode int

const (
	// groupOptimistic applies the group set-based without looking its command ids up: a retry
	// of a command already in the log then fails the insert of its command record (or of its
	// events), which undoes the group, or, when its expected version no longer matches, makes
	// the group be applied again with the lookup.
	groupOptimistic applyMode = iota
	// groupLookup applies the group set-based after looking its command ids up.
	groupLookup
	// oneByOne applies each request in a savepoint of its own, so that a failing write fails
	// only its request.
	oneByOne
)

// errApplyAgain asks for a group to be applied again in the next applyMode.
var errApplyAgain = errors.New("the group must be applied again")

// applySet applies the requests of outcomes without an error set-based, in the transaction the
// caller began on the driver connection of s.gs, and commits it (or rolls it back when nothing
// was written or on an error); errApplyAgain asks for the next applyMode. It runs inside
// conn.Raw.
func (s *Store) applySet(ctx context.Context, outcomes []outcome, mode applyMode) (events.Position, error) {
	head, err := s.gs.readLastPosition(ctx)
	if err != nil {
		s.gs.rollback(ctx)
		return 0, err
	}
	first := events.Position(head)
	s.plan.cache.check(first)
	last, ok := applyGroup(ctx, &s.gs, &s.plan, outcomes, first+1, mode == groupLookup)
	if !ok {
		s.gs.rollback(ctx)
		return 0, errApplyAgain
	}
	if last == first {
		s.gs.rollback(ctx) // nothing written: no sync needed
		return 0, nil
	}
	if err := s.gs.exec(ctx, s.gs.commit, nil); err != nil {
		s.gs.rollback(ctx) // should the transaction still be open
		s.plan.cache.forget()
		return 0, fmt.Errorf("commit: %w", err)
	}
	s.plan.cache.committed(&s.plan, last)
	s.countFrames(s.gs.conn)
	return last, nil
}

// applyOneByOne applies each request of outcomes without an error in a savepoint of its own, in
// one transaction, and commits it (or rolls it back when nothing was written or on an error).
func (s *Store) applyOneByOne(ctx context.Context, conn *sql.Conn, outcomes []outcome) (events.Position, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	first, err := lastPosition(ctx, &writeStmts{lastPosition: tx.StmtContext(ctx, s.ws.lastPosition)})
	if err != nil {
		_ = tx.Rollback()
		return 0, err
	}
	last := first
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
	if last == first {
		return 0, tx.Rollback() // nothing written: no sync needed
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	if err := conn.Raw(func(dc any) error { s.countFrames(dc); return nil }); err != nil {
		s.log.Warn("event store: count WAL frames", slog.Any("error", err))
	}
	return last, nil
}

// countFrames adds the WAL frames the writer connection wrote since the last count to the
// checkpointer's and notes whether the writer must copy the tail of the WAL after this group.
// It runs inside conn.Raw, with the driver connection dc.
func (s *Store) countFrames(dc any) {
	frames, err := framesWritten(dc)
	if err != nil {
		s.log.Warn("event store: count WAL frames", slog.Any("error", err))
		return
	}
	s.tailDue = s.ckpt.wrote(frames) || s.tailDue
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
