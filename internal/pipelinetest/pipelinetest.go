// Package pipelinetest holds the fixtures shared by the forwarder and projection tests
// (events/forward and projections): the real log adapters and buses to run against, a quiet
// logger (which the bus tests use too), and helpers that fill, read and wait on a log. It is test
// support: only _test.go files may import it.
package pipelinetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// Store is what the forwarder and the runner need from an adapter.
type Store interface {
	events.Store
	events.Checkpoints
}

// StoreCase is a log adapter to run a test against.
type StoreCase struct {
	Name string
	Open func(testing.TB) Store // a new, empty log, closed when the test ends
}

// StoreCases are the real log adapters, SQLite first; postgres skips (or fails under CI=true)
// when PostgreSQL is absent.
var StoreCases = []StoreCase{
	{"sqlite", func(t testing.TB) Store {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"postgres", func(t testing.TB) Store {
		raw, schema := testenv.PostgresSchema(t)
		s, err := postgres.Open(context.Background(), postgres.Config{URL: raw, Schema: schema}, QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// BusCase is a bus to run a test against.
type BusCase struct {
	Name string
	// Open returns the bus and a topic of the test's own; for AMQP the topic's exchange and
	// the queues of consumers are deleted when the test ends.
	Open func(t testing.TB, consumers ...string) (*bus.Bus, string)
}

// BusCases are the buses, in-memory first; amqp skips (or fails under CI=true) when RabbitMQ is
// absent.
var BusCases = []BusCase{
	{"mem", func(t testing.TB, _ ...string) (*bus.Bus, string) {
		b, err := bus.Open(context.Background(), "mem://", QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b, bus.TopicEvents
	}},
	{"amqp", func(t testing.TB, consumers ...string) (*bus.Bus, string) {
		raw := testenv.AMQPURL(t)
		b, err := bus.Open(context.Background(), raw, QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		topic := "test." + uuid.NewString()
		queues := make([]string, len(consumers))
		for i, c := range consumers {
			queues[i] = bus.QueueName(topic, c)
		}
		t.Cleanup(func() {
			_ = b.Close()
			testenv.DeleteAMQPTopology(t, raw, topic, queues...)
		})
		return b, topic
	}},
}

// QuietLogger returns a logger that writes warnings and errors to the test's log.
func QuietLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var eventTypes = []string{"node.created", "node.updated", "node.deleted", "branch.created"}

// AppendConcurrently appends n events from `writers` goroutines, in appends of 1 to 4 events
// to streams of their own, and returns once all of them are readable.
func AppendConcurrently(t testing.TB, s events.Store, n, writers int) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	prefix := uuid.NewString()[:8]
	var (
		mu   sync.Mutex
		last events.Position // highest position acknowledged
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			share := n / writers
			if w == writers-1 {
				share = n - share*(writers-1)
			}
			stream := events.StreamID(fmt.Sprintf("branch/%s-w%d", prefix, w))
			version := events.NoStream
			for done := 0; done < share; {
				k := min(1+done%4, share-done)
				evs := make([]events.Envelope, k)
				for i := range evs {
					evs[i] = events.Envelope{Type: eventTypes[(done+i+w)%len(eventTypes)],
						Payload: json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, done+i))}
				}
				res, err := s.Append(context.Background(), stream, version, evs...)
				if err != nil {
					errc <- err
					return
				}
				version = res.StreamVersion
				done += k
				mu.Lock()
				last = max(last, res.Last())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	// An acknowledged append becomes readable once every older transaction has ended (PostgreSQL
	// readers never pass a transaction that may still commit a lower position): wait for it.
	Eventually(t, 30*time.Second, "appended events readable", func() bool {
		head, err := s.Head(context.Background())
		return err == nil && head >= last
	})
}

// ReadLog returns every event of the log.
func ReadLog(t testing.TB, s events.Reader) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after events.Position
	for {
		batch, err := s.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		after = batch[len(batch)-1].GlobalPosition
	}
}

// Eventually polls cond every 10 ms until it holds or d passes.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
