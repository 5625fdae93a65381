package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// replayDir holds the 1,000,000-event database shared by every run of BenchmarkReplay1M; TestMain
// removes it.
var replayDir struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if replayDir.path != "" {
		_ = os.RemoveAll(filepath.Dir(replayDir.path))
	}
	os.Exit(code)
}

// cpuTime is the CPU time the process used so far, every goroutine (and SQLite's work and the
// syncer's system calls) included: a benchmark's cpu-ns/op is comparable on a shared machine
// where its wall-clock rate is not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchEvent(i int) events.Envelope {
	return events.Envelope{
		Type:     "node.attribute_updated",
		Metadata: events.Metadata{CorrelationID: "corr-0001", Actor: "bench"},
		Payload:  json.RawMessage(fmt.Sprintf(`{"node_id":"18a1f2c4-7d3b-4c1e-9f0a-%012d","attribute":"description","value":"benchmark value"}`, i)),
	}
}

func BenchmarkAppendSingle(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "events.db"))
			defer s.Close()
			ctx := context.Background()
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := events.StreamID(fmt.Sprintf("bench/%d", c))
					for i := 0; left.Add(-1) >= 0; i++ {
						if _, err := s.Append(ctx, stream, events.AnyVersion, benchEvent(i)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkAppendBatch100(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "events.db"))
	defer s.Close()
	ctx := context.Background()
	batch := make([]events.Envelope, 100)
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		for i := range batch {
			batch[i] = benchEvent(n*100 + i)
		}
		if _, err := s.Append(ctx, "bench", events.AnyVersion, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*100)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReplay1M reads a log of 1,000,000 events from the start, 10,000 at a time.
func BenchmarkReplay1M(b *testing.B) {
	const total, batch = 1_000_000, 10_000
	path := replayDB(b, total)
	s := openAt(b, path)
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		read, after := 0, events.Position(0)
		for {
			evs, err := s.ReadAll(ctx, after, batch)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			read += len(evs)
			after = evs[len(evs)-1].GlobalPosition
		}
		if read != total {
			b.Fatalf("replayed %d events, want %d", read, total)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*total)/time.Since(start).Seconds(), "events/s")
}

// replayDB fills a database with total events once per test binary and returns its path.
func replayDB(b *testing.B, total int) string {
	b.Helper()
	replayDir.once.Do(func() {
		dir, err := os.MkdirTemp("", "events-replay-*")
		if err != nil {
			replayDir.err = err
			return
		}
		replayDir.path = filepath.Join(dir, "events.db")
		replayDir.err = fillDB(replayDir.path, total)
	})
	if replayDir.err != nil {
		b.Fatalf("fill replay database: %v", replayDir.err)
	}
	return replayDir.path
}

func fillDB(path string, total int) error {
	s, err := Open(context.Background(), Config{Path: path}, quietLogger())
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	evs := make([]events.Envelope, events.MaxBatch)
	for n := 0; n < total; n += len(evs) {
		for i := range evs {
			evs[i] = benchEvent(n + i)
		}
		stream := events.StreamID(fmt.Sprintf("branch/b%d", n/len(evs)%10))
		if _, err := s.Append(context.Background(), stream, events.AnyVersion, evs...); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "replay setup: %d events written in %s\n", total, time.Since(start).Round(time.Millisecond))
	return nil
}

// BenchmarkAppendCommand is the bench harness's scenarios 1 and 2: one event per call, each
// client on a stream of its own at its expected version, with a command id.
func BenchmarkAppendCommand(b *testing.B) {
	const payload = `{"kind":"DcimDevice","id":"0190b6a3-5c1e-7d2a-9f00-1a2b3c4d5e6f","name":"atl1-edge1","status":"active"}`
	for _, clients := range []int{8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "events.db"))
			defer s.Close()
			ctx := context.Background()
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := events.StreamID(fmt.Sprintf("bench/c%d", c))
					for i := 0; left.Add(-1) >= 0; i++ {
						if _, err := s.Append(ctx, stream, int64(i), events.Envelope{Type: "bench.event", Payload: json.RawMessage(payload),
							Metadata: events.Metadata{CommandID: fmt.Sprintf("cmd-%d-%d", c, i)}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
