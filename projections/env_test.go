package projections_test

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
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// store is what the forwarder and the runner need from an adapter.
type store interface {
	events.Store
	events.Checkpoints
}

type storeCase struct {
	name string
	open func(testing.TB) store
}

// storeCases are the real log adapters; postgres skips (or fails under CI=true) when
// PostgreSQL is absent.
var storeCases = []storeCase{
	{"sqlite", func(t testing.TB) store {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, quietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"postgres", func(t testing.TB) store {
		raw, schema := testenv.PostgresSchema(t)
		s, err := postgres.Open(context.Background(), postgres.Config{URL: raw, Schema: schema}, quietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

type busCase struct {
	name string
	// open returns the bus and a topic of the test's own; for AMQP the topic's exchange and
	// the queues of consumers are deleted when the test ends.
	open func(t testing.TB, consumers ...string) (*bus.Bus, string)
}

var busCases = []busCase{
	{"mem", func(t testing.TB, _ ...string) (*bus.Bus, string) {
		b, err := bus.Open(context.Background(), "mem://", quietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b, bus.TopicEvents
	}},
	{"amqp", func(t testing.TB, consumers ...string) (*bus.Bus, string) {
		raw := requireAMQP(t)
		b, err := bus.Open(context.Background(), raw, quietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		topic := "test." + uuid.NewString()
		t.Cleanup(func() {
			_ = b.Close()
			deleteTopology(t, raw, topic, consumers...)
		})
		return b, topic
	}},
}

// requireAMQP returns the RabbitMQ URL; it skips the test when RabbitMQ is absent, or fails it
// when CI=true.
func requireAMQP(t testing.TB) string {
	t.Helper()
	return testenv.AMQPURL(t)
}

func deleteTopology(t testing.TB, raw, topic string, consumers ...string) {
	conn, err := amqp.Dial(raw)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, c := range consumers {
		if _, err := ch.QueueDelete(bus.QueueName(topic, c), false, false, false); err != nil {
			t.Logf("cleanup queue: %v", err)
		}
	}
	if err := ch.ExchangeDelete(topic, false, false); err != nil {
		t.Logf("cleanup exchange: %v", err)
	}
}

func quietLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var eventTypes = []string{"node.created", "node.updated", "node.deleted", "branch.created"}

// appendConcurrently appends n events from `writers` goroutines, in appends of 1 to 4 events
// to streams of their own.
func appendConcurrently(t testing.TB, s events.Store, n, writers int) {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	prefix := uuid.NewString()[:8]
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			share := n / writers
			if w == writers-1 {
				share = n - share*(writers-1)
			}
			stream := fmt.Sprintf("branch/%s-w%d", prefix, w)
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
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// readLog returns every event of the log.
func readLog(t testing.TB, s events.Reader) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after int64
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

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
