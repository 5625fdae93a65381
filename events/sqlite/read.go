package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// ReadAll returns up to limit events with a position above after, in order. Positions are
// given by the single writer in commit order, so no lower position can commit later. A limit
// of 0 or less reads nothing.
func (s *Store) ReadAll(ctx context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	if err := s.readable(ctx); err != nil {
		return nil, fmt.Errorf("sqlite event store: read after %d: %w", after, err)
	}
	if limit <= 0 {
		return nil, nil
	}
	// Size the result from the last head this process committed; append grows it if others wrote.
	hint := min(int64(limit), max(s.head.Load()-int64(after), 16))
	out, err := s.query(ctx, s.rs.readAll, int(hint), int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite event store: read after %d: %w", after, err)
	}
	return out, nil
}

// ReadStream returns up to limit events of stream with a version above afterVersion.
func (s *Store) ReadStream(ctx context.Context, stream events.StreamID, afterVersion int64, limit int) ([]events.Envelope, error) {
	if err := s.readable(ctx); err != nil {
		return nil, fmt.Errorf("sqlite event store: read stream %q: %w", stream, err)
	}
	if limit <= 0 {
		return nil, nil
	}
	out, err := s.query(ctx, s.rs.readStream, min(limit, 64), string(stream), afterVersion, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite event store: read stream %q after version %d: %w", stream, afterVersion, err)
	}
	return out, nil
}

// Head is the highest committed position, 0 when the log is empty.
func (s *Store) Head(ctx context.Context) (events.Position, error) {
	if err := s.readable(ctx); err != nil {
		return 0, fmt.Errorf("sqlite event store: head: %w", err)
	}
	var head int64
	if err := s.rs.head.QueryRowContext(ctx).Scan(&head); err != nil {
		return 0, fmt.Errorf("sqlite event store: head: %w", err)
	}
	return events.Position(head), nil
}

func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.checkOpen()
}

// query runs a statement selecting envelopeColumns and scans every row.
func (s *Store) query(ctx context.Context, st *sql.Stmt, capHint int, args ...any) ([]events.Envelope, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]events.Envelope, 0, capHint)
	var sc envelopeScanner
	for rows.Next() {
		out = append(out, events.Envelope{})
		if err := sc.scan(rows, &out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// envelopeScanner holds the scan destinations, reused from row to row.
type envelopeScanner struct {
	id                 sql.RawBytes
	position           int64
	stream             string
	schemaVersion      int64
	occurred, recorded int64
	payload            []byte
}

func (sc *envelopeScanner) scan(rows *sql.Rows, e *events.Envelope) error {
	m := &e.Metadata
	if err := rows.Scan(&sc.position, &sc.stream, &e.StreamVersion, &sc.id, &e.Type, &sc.schemaVersion,
		&sc.occurred, &sc.recorded, &m.CommandID, &m.CorrelationID, &m.CausationID, &m.Actor,
		&m.TraceParent, &sc.payload); err != nil {
		return err
	}
	e.GlobalPosition, e.Stream = events.Position(sc.position), events.StreamID(sc.stream)
	if len(sc.id) != len(e.EventID) {
		return fmt.Errorf("event at position %d: event id has %d bytes, want %d", e.GlobalPosition, len(sc.id), len(e.EventID))
	}
	copy(e.EventID[:], sc.id)
	e.SchemaVersion = int(sc.schemaVersion)
	e.OccurredAt = time.UnixMicro(sc.occurred).UTC()
	e.RecordedAt = time.UnixMicro(sc.recorded).UTC()
	e.Payload = json.RawMessage(sc.payload)
	return nil
}
