package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// LoadCheckpoint returns the position and version saved under name, or 0, 0 when none was. It
// reads from the reader pool: a save that returned is visible to the next load.
func (s *Store) LoadCheckpoint(ctx context.Context, name string) (position events.Position, version int, err error) {
	if err := s.readable(ctx); err != nil {
		return 0, 0, fmt.Errorf("sqlite event store: load checkpoint %q: %w", name, err)
	}
	var pos int64
	err = s.rs.loadCheckpoint.QueryRowContext(ctx, name).Scan(&pos, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, 0, nil
	case err != nil:
		return 0, 0, fmt.Errorf("sqlite event store: load checkpoint %q: %w", name, err)
	}
	return events.Position(pos), version, nil
}

// SaveCheckpoint stores position and version under name, replacing what was there, durably. It
// goes through the writer connection, between two group commits.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, position events.Position, version int) error {
	if err := s.readable(ctx); err != nil {
		return fmt.Errorf("sqlite event store: save checkpoint %q: %w", name, err)
	}
	if name == "" {
		return errors.New("sqlite event store: save checkpoint: name is empty")
	}
	if _, err := s.ws.saveCheckpoint.ExecContext(ctx, name, int64(position), version, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlite event store: save checkpoint %q at %d: %w", name, position, err)
	}
	if err := s.wal.syncTo(s.wal.commit()); err != nil {
		return fmt.Errorf("sqlite event store: save checkpoint %q at %d: %w", name, position, err)
	}
	return nil
}
