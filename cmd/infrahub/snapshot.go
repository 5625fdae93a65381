package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// snapshotKey is where the graph projection's snapshot is kept in the blob store.
const snapshotKey = "snapshots/graph.bin"

// saveSnapshot writes the Store's snapshot to the blob store (atomically: the writer commits on
// Close).
func saveSnapshot(ctx context.Context, bucket *blob.Bucket, store *nodes.Store) error {
	w, err := bucket.NewWriter(ctx, snapshotKey, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := store.WriteSnapshot(w); err != nil {
		_ = w.Close()
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// loadSnapshot restores the Store from the blob store when a snapshot is there and belongs to
// this log (the event at its position is the one it recorded). Otherwise the Store stays empty
// and is rebuilt from position 0; a snapshot that cannot be used is reported, never fatal.
func loadSnapshot(ctx context.Context, bucket *blob.Bucket, store *nodes.Store, log events.Reader, logger *slog.Logger) bool {
	r, err := bucket.NewReader(ctx, snapshotKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false
	}
	if err != nil {
		logger.Warn("snapshot unreadable: rebuilding from the log", "err", err)
		return false
	}
	defer r.Close()
	if err := store.ReadSnapshot(r); err != nil {
		logger.Warn("snapshot unreadable: rebuilding from the log", "err", err)
		_ = store.Reset(ctx)
		return false
	}
	pos, id := store.Head()
	if err := belongs(ctx, log, pos, id); err != nil {
		logger.Warn("snapshot does not match the event log: rebuilding from the log", "position", pos, "err", err)
		_ = store.Reset(ctx)
		return false
	}
	logger.Info("graph restored from snapshot", "position", pos)
	return true
}

func belongs(ctx context.Context, log events.Reader, pos events.Position, id [16]byte) error {
	if pos == 0 {
		return nil
	}
	evs, err := log.ReadAll(ctx, pos-1, 1)
	if err != nil {
		return err
	}
	if len(evs) == 0 || evs[0].GlobalPosition != pos {
		return errors.New("the log has no event at the snapshot's position")
	}
	if evs[0].EventID != id {
		return fmt.Errorf("the event at position %d is %s, the snapshot recorded %x", pos, evs[0].EventID, id)
	}
	return nil
}
