package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/infrahub-go/infrahub/events"
)

// appendArgs is one validated append.
type appendArgs struct {
	stream   events.StreamID
	expected int64
	evs      []events.Envelope
	cmd      events.CommandInfo // Hash and Answer kept with the command id
}

// Append writes evs to stream through the group commit; see events.Appender.
func (s *Store) Append(ctx context.Context, stream events.StreamID, expectedVersion int64, evs ...events.Envelope) (events.AppendResult, error) {
	return s.AppendCommand(ctx, stream, expectedVersion, events.CommandInfo{}, evs...)
}

// AppendCommand writes the events of one command through the group commit, keeping cmd's hash
// and answer with its id; see events.Commands.
func (s *Store) AppendCommand(ctx context.Context, stream events.StreamID, expectedVersion int64, cmd events.CommandInfo, evs ...events.Envelope) (events.AppendResult, error) {
	args, err := s.prepareAppend(ctx, stream, expectedVersion, evs, cmd)
	if err != nil {
		return events.AppendResult{}, err
	}
	req := newAppendRequest(ctx, args)
	s.callers.Enter()
	defer s.callers.Leave()
	if err := req.send(s.reqs, s.closing); err != nil {
		return events.AppendResult{}, err
	}
	return req.wait(s.loopDone)
}

// AppendCommandStaged is AppendCommand returning once the writer has committed the append,
// while the syncer makes it durable; see events.Staged.
func (s *Store) AppendCommandStaged(ctx context.Context, stream events.StreamID, expectedVersion int64, cmd events.CommandInfo, evs ...events.Envelope) (events.AppendResult, func() error, error) {
	args, err := s.prepareAppend(ctx, stream, expectedVersion, evs, cmd)
	if err != nil {
		return events.AppendResult{}, nil, err
	}
	req := newAppendRequest(ctx, args)
	req.committed = make(chan appendResponse, 1)
	s.callers.Enter()
	defer s.callers.Leave()
	if err := req.send(s.reqs, s.closing); err != nil {
		return events.AppendResult{}, nil, err
	}
	var res events.AppendResult
	select {
	case c := <-req.committed:
		if c.err == nil && !c.res.Duplicate {
			return c.res, func() error { _, err := req.final(); return err }, nil
		}
		res, err = req.final()
	case <-ctx.Done():
		res, err = req.giveUp(ctx.Err())
	case <-s.loopDone:
		res, err = req.giveUp(events.ErrClosed)
	}
	return res, nil, err
}

// send hands r to the writer (reqs) unless its caller's context or the store (closing) ends
// first.
func (r *appendRequest) send(reqs chan<- *appendRequest, closing <-chan struct{}) error {
	select {
	case reqs <- r:
		return nil
	case <-r.ctx.Done():
		return appendErr(r.stream, r.ctx.Err())
	case <-closing:
		return appendErr(r.stream, events.ErrClosed)
	}
}

// prepareAppend checks the call and returns a copy of evs with ids and times filled in, so that
// the caller's slice is neither changed nor shared with the writer.
func (s *Store) prepareAppend(ctx context.Context, stream events.StreamID, expected int64, evs []events.Envelope, cmd events.CommandInfo) (appendArgs, error) {
	if err := ctx.Err(); err != nil {
		return appendArgs{}, appendErr(stream, err)
	}
	if err := s.checkOpen(); err != nil {
		return appendArgs{}, appendErr(stream, err)
	}
	evs = slices.Clone(evs)
	if err := events.WithCommand(evs, cmd.ID); err != nil {
		return appendArgs{}, appendErr(stream, err)
	}
	if err := events.Prepare(stream, expected, evs, time.Now()); err != nil {
		return appendArgs{}, appendErr(stream, err)
	}
	return appendArgs{stream: stream, expected: expected, evs: evs, cmd: cmd}, nil
}

func appendErr(stream events.StreamID, err error) error {
	return fmt.Errorf("sqlite event store: append to %q: %w", stream, err)
}

// AppendHeld performs an append in a write transaction that stays open, holding the writer
// connection and so blocking every other write, until commit is called. The contract suite
// uses it to check that readers never skip a slow, lower position. If ctx ends first, the
// transaction is rolled back and commit reports it.
func (s *Store) AppendHeld(ctx context.Context, stream events.StreamID, expectedVersion int64, evs ...events.Envelope) (commit func() (events.AppendResult, error), err error) {
	args, err := s.prepareAppend(ctx, stream, expectedVersion, evs, events.CommandInfo{})
	if err != nil {
		return nil, err
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, appendErr(stream, fmt.Errorf("begin: %w", err))
	}
	st := s.ws.in(ctx, tx)
	next, err := lastPosition(ctx, st)
	if err != nil {
		_ = tx.Rollback()
		return nil, appendErr(stream, err)
	}
	res, err := applyAppend(ctx, st, args, next+1, time.Now())
	if err != nil {
		_ = tx.Rollback()
		return nil, appendErr(stream, err)
	}
	return func() (events.AppendResult, error) {
		if err := tx.Commit(); err != nil {
			return events.AppendResult{}, appendErr(stream, fmt.Errorf("commit: %w", err))
		}
		if err := s.wal.syncTo(s.wal.commit()); err != nil {
			return events.AppendResult{}, appendErr(stream, err)
		}
		s.durable(res.Last())
		return res, nil
	}, nil
}

// applyAppend writes one append inside the open transaction of st, giving its events the
// positions from next on. A duplicate command id wins over the version check.
func applyAppend(ctx context.Context, st *writeStmts, a appendArgs, next events.Position, now time.Time) (events.AppendResult, error) {
	cmd := a.evs[0].Metadata.CommandID
	if cmd != "" {
		res, found, err := lookupCommand(ctx, st, cmd)
		if err != nil || found {
			return res, err
		}
	}
	current, err := streamVersion(ctx, st, a.stream)
	if err != nil {
		return events.AppendResult{}, err
	}
	if a.expected != events.AnyVersion && a.expected != current {
		return events.AppendResult{}, &events.VersionConflictError{Stream: a.stream, Expected: a.expected, Actual: current}
	}
	res := events.AppendResult{Positions: make([]events.Position, len(a.evs)), StreamVersion: current + int64(len(a.evs))}
	res.RecordedAt = time.UnixMicro(now.UnixMicro()).UTC()
	for i := range res.Positions {
		res.Positions[i] = next + events.Position(i)
	}
	if err := insertEvents(ctx, st, a.evs, next, current+1, now.UnixMicro()); err != nil {
		return events.AppendResult{}, err
	}
	if cmd != "" {
		var answer any
		if len(a.cmd.Answer) > 0 {
			answer = []byte(a.cmd.Answer)
		}
		if _, err := st.insertCommand.ExecContext(ctx, cmd, int64(next), len(a.evs), nullable(a.cmd.Hash), answer); err != nil {
			return events.AppendResult{}, fmt.Errorf("record command %q: %w", cmd, err)
		}
	}
	return res, nil
}

// insertEvents writes evs from position next and stream version version on, insertRows rows per
// statement and the rest one by one.
func insertEvents(ctx context.Context, st *writeStmts, evs []events.Envelope, next events.Position, version, recorded int64) error {
	args := make([]any, 0, insertRows*insertEventColumns)
	for done := 0; done < len(evs); {
		stmt, n := st.insertEvents, insertRows
		if len(evs)-done < insertRows {
			stmt, n = st.insertEvent, 1
		}
		args = args[:0]
		for i := done; i < done+n; i++ {
			args = appendEventArgs(args, &evs[i], next+events.Position(i), version+int64(i), recorded)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return insertError(done, n, err)
		}
		done += n
	}
	return nil
}

func appendEventArgs(args []any, e *events.Envelope, pos events.Position, version, recorded int64) []any {
	return appendEventValues(append(args, int64(pos)), e, version, recorded)
}

// appendEventValues appends the values of eventValueColumns: every column but the position.
func appendEventValues(args []any, e *events.Envelope, version, recorded int64) []any {
	m := &e.Metadata
	return append(args, string(e.Stream), version, e.EventID[:], e.Type, int64(e.SchemaVersion),
		e.OccurredAt.UnixMicro(), recorded, nullable(m.CommandID), nullable(m.CorrelationID),
		nullable(m.CausationID), nullable(m.Actor), nullable(m.TraceParent), []byte(e.Payload))
}

// insertError explains a failed insert of events first..first+n-1 of an append. A unique
// violation can only come from an event id already in the log or repeated in the append.
func insertError(first, n int, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("events %d..%d: an event id is already in the log or repeated: %w: %w", first, first+n-1, events.ErrInvalidEvent, err)
	}
	return fmt.Errorf("insert events %d..%d: %w", first, first+n-1, err)
}

func lookupCommand(ctx context.Context, st *writeStmts, cmd string) (events.AppendResult, bool, error) {
	var first, count, version int64
	err := st.lookupCommand.QueryRowContext(ctx, cmd).Scan(&first, &count, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return events.AppendResult{}, false, nil
	case err != nil:
		return events.AppendResult{}, false, fmt.Errorf("look up command %q: %w", cmd, err)
	}
	res := events.AppendResult{Positions: make([]events.Position, count), StreamVersion: version, Duplicate: true}
	for i := range res.Positions {
		res.Positions[i] = events.Position(first + int64(i))
	}
	return res, true, nil
}

func streamVersion(ctx context.Context, st *writeStmts, stream events.StreamID) (int64, error) {
	var v int64
	err := st.streamVersion.QueryRowContext(ctx, string(stream)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read version of stream %q: %w", stream, err)
	}
	return v, nil
}

func lastPosition(ctx context.Context, st *writeStmts) (events.Position, error) {
	var last int64
	if err := st.lastPosition.QueryRowContext(ctx).Scan(&last); err != nil {
		return 0, fmt.Errorf("read last position: %w", err)
	}
	return events.Position(last), nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isUniqueViolation(err error) bool {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// Command answers what the log keeps of the append of command id; see events.Commands. It reads
// from the reader pool: an append that returned is visible to it.
func (s *Store) Command(ctx context.Context, id string) (events.CommandRecord, bool, error) {
	if err := s.readable(ctx); err != nil {
		return events.CommandRecord{}, false, fmt.Errorf("sqlite event store: command %q: %w", id, err)
	}
	var (
		stream                string
		first, count, version int64
		rec                   = events.CommandRecord{ID: id}
		answer                []byte
	)
	err := s.rs.command.QueryRowContext(ctx, id).Scan(&stream, &first, &count, &version, &rec.Hash, &answer)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return events.CommandRecord{}, false, nil
	case err != nil:
		return events.CommandRecord{}, false, fmt.Errorf("sqlite event store: command %q: %w", id, err)
	}
	rec.Stream, rec.StreamVersion = events.StreamID(stream), version
	rec.Positions = make([]events.Position, count)
	for i := range rec.Positions {
		rec.Positions[i] = events.Position(first + int64(i))
	}
	if len(answer) > 0 {
		rec.Answer = answer
	}
	return rec, true, nil
}
