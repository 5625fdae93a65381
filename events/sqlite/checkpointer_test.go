package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// walFrameBytes is the size of one WAL frame with the default 4 KiB page: a 24-byte header and
// the page.
const walFrameBytes = 24 + 4096

// TestWALStaysBounded appends from several clients while others read, with small checkpoint
// limits, and checks that the WAL file never grows past a bound (it is written from its start
// again once checkpointed), that every reader sees the log without gaps, and that the log is
// complete after a reopen.
func TestWALStaysBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits checkpointLimits
	}{
		{"background", checkpointLimits{background: 64, restart: 256, hard: 512}},
		// The background checkpoints never run: the writer's own keep the WAL bounded.
		{"writer only", checkpointLimits{background: 1 << 30, restart: 1 << 30, hard: 256}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			s := openAt(t, path)
			s.ckpt.limits = tc.limits // before any append: the writer reads them after a hand-off
			const clients, perClient = 8, 400
			ctx, cancel := context.WithCancel(context.Background())
			var maxWAL atomic.Int64
			var readers sync.WaitGroup
			readErr := make(chan error, 2)
			for range 2 {
				readers.Go(func() { readErr <- readWithoutGaps(ctx, s, path, &maxWAL) })
			}
			var writers sync.WaitGroup
			for c := range clients {
				writers.Go(func() {
					stream := events.StreamID(fmt.Sprintf("wal/%d", c))
					for i := range perClient {
						if _, err := s.Append(context.Background(), stream, int64(i), benchEvent(i)); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			writers.Wait()
			cancel()
			readers.Wait()
			close(readErr)
			for err := range readErr {
				if err != nil {
					t.Fatal(err)
				}
			}
			// A restart the readers held off may leave the WAL one writer interval longer.
			bound := int64(4*min(tc.limits.hard, 2*tc.limits.restart)+1024) * walFrameBytes
			got := max(maxWAL.Load(), walSize(t, path))
			t.Logf("largest WAL: %d frames", got/walFrameBytes)
			if got > bound {
				t.Errorf("WAL grew to %d bytes, want at most %d", got, bound)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openAt(t, path)
			defer s.Close()
			evs, err := s.ReadAll(context.Background(), 0, clients*perClient+1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != clients*perClient || evs[len(evs)-1].GlobalPosition != events.Position(clients*perClient) {
				t.Fatalf("after reopen: %d events, want %d", len(evs), clients*perClient)
			}
		})
	}
}

// readWithoutGaps reads the log as a subscriber does, a window after what it has read, until
// ctx ends, checking that positions run without gaps and that each stream's versions follow each
// other, and records the largest WAL size seen.
func readWithoutGaps(ctx context.Context, s *Store, path string, maxWAL *atomic.Int64) error {
	var after events.Position
	versions := map[events.StreamID]int64{}
	for ctx.Err() == nil {
		evs, err := s.ReadAll(context.Background(), after, 64)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.GlobalPosition != after+1 {
				return fmt.Errorf("read position %d after %d", e.GlobalPosition, after)
			}
			if e.StreamVersion != versions[e.Stream]+1 {
				return fmt.Errorf("stream %s: version %d after %d", e.Stream, e.StreamVersion, versions[e.Stream])
			}
			versions[e.Stream] = e.StreamVersion
			after = e.GlobalPosition
		}
		if len(evs) < 64 {
			time.Sleep(100 * time.Microsecond) // caught up: let the writers write
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			for {
				cur := maxWAL.Load()
				if fi.Size() <= cur || maxWAL.CompareAndSwap(cur, fi.Size()) {
					break
				}
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
