package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/infrahub-go/infrahub/events"
)

// appendReq is one Append waiting for its group commit.
type appendReq struct {
	ctx      context.Context
	stream   events.StreamID
	expected int64
	evs      []events.Envelope
	cmd      events.CommandInfo // Hash and Answer kept with the command id
	bytes    int
	done     chan appendOutcome // buffered: the committer never waits for a caller that left
}

type appendOutcome struct {
	res events.AppendResult
	err error
}

// Append implements events.Appender. Concurrent appends are grouped into one transaction and
// one round trip (see committer), each keeping its own answer.
func (s *Store) Append(ctx context.Context, stream events.StreamID, expected int64, evs ...events.Envelope) (events.AppendResult, error) {
	return s.AppendCommand(ctx, stream, expected, events.CommandInfo{}, evs...)
}

// AppendCommand implements events.Commands: Append, keeping cmd's hash and answer with its id.
func (s *Store) AppendCommand(ctx context.Context, stream events.StreamID, expected int64, cmd events.CommandInfo, evs ...events.Envelope) (events.AppendResult, error) {
	req, err := newAppendReq(ctx, stream, expected, evs, cmd)
	if err != nil {
		return events.AppendResult{}, err
	}
	// Nothing queued and a call free: run it here, without handing it to the committer.
	if len(s.queue) == 0 {
		select {
		case s.slots <- struct{}{}:
			s.execute(context.WithoutCancel(ctx), []*appendReq{req})
			<-s.slots
			out := <-req.done
			return out.res, out.err
		default:
		}
	}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ctx.Err())
	case <-s.closed:
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, events.ErrClosed)
	}
	select {
	case out := <-req.done:
		return out.res, out.err
	case <-ctx.Done():
		// The append may still commit; a retry with the same command id is answered once.
		return events.AppendResult{}, fmt.Errorf("append to %s: outcome unknown: %w", stream, ctx.Err())
	}
}

func newAppendReq(ctx context.Context, stream events.StreamID, expected int64, evs []events.Envelope, cmd events.CommandInfo) (*appendReq, error) {
	evs = append([]events.Envelope(nil), evs...) // Prepare fills ids and times: not in the caller's slice
	if err := events.WithCommand(evs, cmd.ID); err != nil {
		return nil, err
	}
	if err := events.Prepare(stream, expected, evs, time.Now()); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	n := len(cmd.Answer)
	for i := range evs {
		n += len(evs[i].Payload) + 200
	}
	return &appendReq{ctx: ctx, stream: stream, expected: expected, evs: evs, cmd: cmd, bytes: n, done: make(chan appendOutcome, 1)}, nil
}

func (r *appendReq) answer(res events.AppendResult, err error) { r.done <- appendOutcome{res, err} }

// AppendHeld runs an append in a transaction left open until commit is called. The contract
// suite uses it to hold a low position uncommitted while another append commits.
func (s *Store) AppendHeld(ctx context.Context, stream events.StreamID, expected int64, evs ...events.Envelope) (func() (events.AppendResult, error), error) {
	req, err := newAppendReq(ctx, stream, expected, evs, events.CommandInfo{})
	if err != nil {
		return nil, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	outs, err := callAppend(ctx, tx, []*appendReq{req})
	if err == nil {
		err = outs[0].err
	}
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, translate(ctx, stream, err)
	}
	return func() (events.AppendResult, error) {
		if err := tx.Commit(ctx); err != nil {
			return events.AppendResult{}, fmt.Errorf("commit: %w", err)
		}
		s.committed()
		return outs[0].res, nil
	}, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// callAppend runs infrahub_append for reqs (distinct streams and command ids) and returns one
// outcome per request. An error means the whole call failed and nothing was written.
func callAppend(ctx context.Context, q querier, reqs []*appendReq) ([]appendOutcome, error) {
	n, m := len(reqs), 0
	for _, r := range reqs {
		m += len(r.evs)
	}
	var (
		streams  = make([]string, n)
		expected = make([]int64, n)
		cmds     = make([]pgtype.Text, n)
		hashes   = make([]pgtype.Text, n)
		answers  = make([][]byte, n)
		counts   = make([]int32, n)
		evReq    = make([]int32, 0, m)
		evIndex  = make([]int32, 0, m)
		ids      = make([]pgtype.UUID, 0, m)
		types    = make([]string, 0, m)
		versions = make([]int32, 0, m)
		occurred = make([]time.Time, 0, m)
		corr     = make([]pgtype.Text, 0, m)
		cause    = make([]pgtype.Text, 0, m)
		actors   = make([]pgtype.Text, 0, m)
		traces   = make([]pgtype.Text, 0, m)
		payloads = make([]string, 0, m)
	)
	for i, r := range reqs {
		streams[i], expected[i], counts[i] = string(r.stream), r.expected, int32(len(r.evs))
		cmds[i] = text(r.evs[0].Metadata.CommandID)
		hashes[i] = text(r.cmd.Hash)
		if len(r.cmd.Answer) > 0 {
			answers[i] = r.cmd.Answer
		}
		for j, e := range r.evs {
			evReq = append(evReq, int32(i+1))
			evIndex = append(evIndex, int32(j+1))
			ids = append(ids, pgtype.UUID{Bytes: e.EventID, Valid: true})
			types = append(types, e.Type)
			versions = append(versions, int32(e.SchemaVersion))
			occurred = append(occurred, e.OccurredAt)
			corr = append(corr, text(e.Metadata.CorrelationID))
			cause = append(cause, text(e.Metadata.CausationID))
			actors = append(actors, text(e.Metadata.Actor))
			traces = append(traces, text(e.Metadata.TraceParent))
			payloads = append(payloads, string(e.Payload))
		}
	}
	rows, err := q.Query(ctx, `SELECT status, first_position, event_count, stream_version, now() FROM infrahub_append(
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::json[], $16, $17)`,
		streams, expected, cmds, counts, evReq, evIndex, ids, types, versions, occurred,
		corr, cause, actors, traces, payloads, hashes, answers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	outs := make([]appendOutcome, 0, n)
	for rows.Next() {
		var (
			status         string
			first, version int64
			count          int32
			recorded       time.Time // the recorded_at default of the events: the transaction's start
		)
		if err := rows.Scan(&status, &first, &count, &version, &recorded); err != nil {
			return nil, err
		}
		r := reqs[len(outs)]
		switch status {
		case "conflict":
			outs = append(outs, appendOutcome{err: &events.VersionConflictError{Stream: r.stream, Expected: r.expected, Actual: version}})
		default:
			res := events.AppendResult{Positions: make([]events.Position, count), StreamVersion: version, Duplicate: status == "duplicate"}
			if !res.Duplicate {
				res.RecordedAt = recorded.UTC()
			}
			for k := range res.Positions {
				res.Positions[k] = events.Position(first + int64(k))
			}
			outs = append(outs, appendOutcome{res: res})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(outs) != n {
		return nil, fmt.Errorf("infrahub_append answered %d of %d appends", len(outs), n)
	}
	return outs, nil
}

// translate maps driver errors to the port's errors by SQLSTATE, never by message text.
func translate(ctx context.Context, stream events.StreamID, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "22P02", "22023", "23505": // invalid text (JSON), invalid parameter, duplicate event id
			return fmt.Errorf("append to %s: %s: %w", stream, pgErr.Message, events.ErrInvalidEvent)
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("append to %s: %w (%v)", stream, ctxErr, err)
	}
	return fmt.Errorf("append to %s: %w", stream, err)
}
