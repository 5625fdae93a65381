package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/infrahub-go/infrahub/events"
)

const columns = `global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, recorded_at, command_id, correlation_id, causation_id, actor, traceparent, payload`

// visible keeps only rows of transactions that finished before every running one began.
const visible = `transaction_id < pg_snapshot_xmin(pg_current_snapshot())`

// ReadStream implements events.Reader.
func (s *Store) ReadStream(ctx context.Context, stream events.StreamID, after int64, limit int) ([]events.Envelope, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM events
		WHERE stream = $1 AND stream_version > $2 ORDER BY stream_version LIMIT $3`, string(stream), after, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	out, err := scan(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements events.Reader.
func (s *Store) ReadAll(ctx context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM events
		WHERE global_position > $1 AND `+visible+` ORDER BY global_position LIMIT $2`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	out, err := scan(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return out, nil
}

// Head implements events.Reader.
func (s *Store) Head(ctx context.Context) (events.Position, error) {
	var head int64
	err := s.pool.QueryRow(ctx, `SELECT global_position FROM events WHERE `+visible+`
		ORDER BY global_position DESC LIMIT 1`).Scan(&head)
	if err == pgx.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	return events.Position(head), nil
}

func scan(rows pgx.Rows, limit int) ([]events.Envelope, error) {
	defer rows.Close()
	out := make([]events.Envelope, 0, min(limit, 1024))
	var (
		id                         pgtype.UUID
		cmd, corr, cause, act, trc pgtype.Text
		occurred, recorded         time.Time
		position                   int64
		stream                     string
		version                    int32
		payload                    []byte // not *json.RawMessage: pgx would parse every payload
	)
	for rows.Next() {
		var e events.Envelope
		if err := rows.Scan(&position, &stream, &e.StreamVersion, &id, &e.Type, &version,
			&occurred, &recorded, &cmd, &corr, &cause, &act, &trc, &payload); err != nil {
			return nil, err
		}
		e.GlobalPosition, e.Stream = events.Position(position), events.StreamID(stream)
		e.Payload = payload
		payload = nil
		e.EventID = id.Bytes
		e.SchemaVersion = int(version)
		e.OccurredAt, e.RecordedAt = occurred.UTC(), recorded.UTC()
		e.Metadata = events.Metadata{CommandID: cmd.String, CorrelationID: corr.String,
			CausationID: cause.String, Actor: act.String, TraceParent: trc.String}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Subscribe implements events.Store.
func (s *Store) Subscribe(ctx context.Context, after events.Position) (<-chan []events.Envelope, <-chan error) {
	return events.Tail(ctx, s, after, events.TailOptions{Wake: &s.signal, Poll: s.poll})
}

// Command implements events.Commands.
func (s *Store) Command(ctx context.Context, id string) (events.CommandRecord, bool, error) {
	var (
		stream         string
		first, version int64
		count          int32
		hash           pgtype.Text
		answer         []byte
		rec            = events.CommandRecord{ID: id}
	)
	err := s.pool.QueryRow(ctx, `SELECT stream, first_position, event_count, stream_version, payload_hash, answer
		FROM event_commands WHERE command_id = $1`, id).Scan(&stream, &first, &count, &version, &hash, &answer)
	if errors.Is(err, pgx.ErrNoRows) {
		return events.CommandRecord{}, false, nil
	}
	if err != nil {
		return events.CommandRecord{}, false, fmt.Errorf("command %s: %w", id, err)
	}
	rec.Stream, rec.StreamVersion, rec.Hash = events.StreamID(stream), version, hash.String
	rec.Positions = make([]events.Position, count)
	for i := range rec.Positions {
		rec.Positions[i] = events.Position(first + int64(i))
	}
	if len(answer) > 0 {
		rec.Answer = answer
	}
	return rec, true, nil
}

// LoadCheckpoint implements events.Checkpoints.
func (s *Store) LoadCheckpoint(ctx context.Context, name string) (events.Position, int, error) {
	var pos int64
	var ver int32
	err := s.pool.QueryRow(ctx, `SELECT position, version FROM checkpoints WHERE name = $1`, name).Scan(&pos, &ver)
	if err == pgx.ErrNoRows {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("load checkpoint %s: %w", name, err)
	}
	return events.Position(pos), int(ver), nil
}

// SaveCheckpoint implements events.Checkpoints.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, pos events.Position, version int) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO checkpoints (name, position, version, updated_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, version = EXCLUDED.version, updated_at = now()`,
		name, int64(pos), int32(version))
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}
