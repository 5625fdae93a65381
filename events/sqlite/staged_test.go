package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// A staged append returns once committed, while the WAL's sync is still held, and answers its
// durability once the sync is done; what writes nothing (a duplicate, a conflict) answers as
// AppendCommand does, with no durable to wait for.
func TestAppendCommandStaged(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	ev := func(p string) events.Envelope { return events.Envelope{Type: "t", Payload: []byte(p)} }

	s.wal.fileMu.Lock() // every sync of the WAL waits
	res, durable, err := s.AppendCommandStaged(ctx, "s", events.NoStream, events.CommandInfo{ID: "c1", Hash: "h"}, ev(`{"a":1}`), ev(`{"a":2}`))
	if err != nil || durable == nil {
		s.wal.fileMu.Unlock()
		t.Fatalf("staged append: %v (durable %v)", err, durable != nil)
	}
	if len(res.Positions) != 2 || res.StreamVersion != 2 {
		s.wal.fileMu.Unlock()
		t.Fatalf("result %+v, want 2 positions and version 2", res)
	}
	if head := s.DurableHead(); head >= res.Last() {
		s.wal.fileMu.Unlock()
		t.Fatalf("durable head %d before the sync, want below %d", head, res.Last())
	}
	settled := make(chan error, 1)
	go func() { settled <- durable() }()
	select {
	case err := <-settled:
		s.wal.fileMu.Unlock()
		t.Fatalf("durable answered %v while the sync is held", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.wal.fileMu.Unlock()
	if err := <-settled; err != nil {
		t.Fatalf("durable: %v", err)
	}
	if head := s.DurableHead(); head < res.Last() {
		t.Fatalf("durable head %d after the sync, want %d", head, res.Last())
	}

	again, durable, err := s.AppendCommandStaged(ctx, "s", 2, events.CommandInfo{ID: "c1", Hash: "h"}, ev(`{"a":3}`))
	if err != nil || durable != nil || !again.Duplicate || again.Last() != res.Last() {
		t.Fatalf("same command again: %+v, durable %v, %v; want the first result, a duplicate", again, durable != nil, err)
	}
	_, durable, err = s.AppendCommandStaged(ctx, "s", 1, events.CommandInfo{}, ev(`{"a":4}`))
	if !errors.Is(err, events.ErrVersionConflict) || durable != nil {
		t.Fatalf("append at an old version: %v (durable %v), want a version conflict", err, durable != nil)
	}
	got, err := s.ReadAll(ctx, 0, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("read %d events (%v), want the 2 written", len(got), err)
	}
}
