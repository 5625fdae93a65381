package forward_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
)

// received records what a consumer got from the bus.
type received struct {
	mu        sync.Mutex
	seen      map[events.Position]int // position -> deliveries
	messages  int
	errs      []error
	lastBatch forward.Batch
}

func consume(t *testing.T, ctx context.Context, b *bus.Bus, topic, consumer string) *received {
	t.Helper()
	ch, err := b.Subscribe(ctx, topic, consumer)
	if err != nil {
		t.Fatal(err)
	}
	r := &received{seen: map[events.Position]int{}}
	go func() {
		for msg := range ch {
			batch, err := forward.DecodeMessage(msg)
			r.mu.Lock()
			r.messages++
			if err != nil {
				r.errs = append(r.errs, err)
			}
			for _, e := range batch.Events {
				r.seen[e.GlobalPosition]++
			}
			r.lastBatch = batch
			r.mu.Unlock()
			msg.Ack()
		}
	}()
	return r
}

func (r *received) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func runForwarder(ctx context.Context, f *forward.Forwarder) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	return done
}

func checkpoint(t *testing.T, s events.Checkpoints, name string) events.Position {
	t.Helper()
	pos, ver, err := s.LoadCheckpoint(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if pos != 0 && ver != forward.CheckpointVersion {
		t.Fatalf("checkpoint version %d", ver)
	}
	return pos
}

// The log reaches the bus completely while writers append concurrently, across a restart of
// the forwarder in the middle.
func TestForwarderEndToEnd(t *testing.T) {
	const n = 3000
	for _, sc := range pipelinetest.StoreCases {
		for _, bc := range pipelinetest.BusCases {
			t.Run(sc.Name+"/"+bc.Name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				defer cancel()
				s := sc.Open(t)
				b, topic := bc.Open(t, "check")
				got := consume(t, ctx, b, topic, "check")

				appended := make(chan struct{})
				go func() {
					defer close(appended)
					pipelinetest.AppendConcurrently(t, s, n, 6)
				}()

				newForwarder := func() *forward.Forwarder {
					return &forward.Forwarder{Log: s, Checkpoints: s, Publisher: b.Publisher(), Topic: topic,
						MaxEvents: 50, Logger: pipelinetest.QuietLogger(t)}
				}
				f1 := newForwarder()
				ctx1, stop1 := context.WithCancel(ctx)
				done1 := runForwarder(ctx1, f1)
				pipelinetest.Eventually(t, 60*time.Second, "a third of the events on the bus", func() bool { return got.distinct() >= n/3 })
				stop1()
				if err := <-done1; err != nil {
					t.Fatalf("first forwarder: %v", err)
				}
				saved := checkpoint(t, s, forward.DefaultName)
				if saved != f1.Position() || saved == 0 {
					t.Fatalf("after stop: checkpoint %d, position %d", saved, f1.Position())
				}

				f2 := newForwarder()
				ctx2, stop2 := context.WithCancel(ctx)
				done2 := runForwarder(ctx2, f2)
				<-appended
				log := pipelinetest.ReadLog(t, s)
				if len(log) != n {
					t.Fatalf("log holds %d events, want %d", len(log), n)
				}
				head := log[len(log)-1].GlobalPosition
				waitAll(t, got, log, func() bool { return f2.Position() == head }, f2)
				pipelinetest.Eventually(t, 5*time.Second, "the checkpoint at the head", func() bool { return checkpoint(t, s, forward.DefaultName) == head })
				stop2()
				if err := <-done2; err != nil {
					t.Fatalf("second forwarder: %v", err)
				}

				got.mu.Lock()
				defer got.mu.Unlock()
				if len(got.errs) > 0 {
					t.Fatalf("bad messages: %v", got.errs)
				}
				for _, e := range log {
					if got.seen[e.GlobalPosition] == 0 {
						t.Fatalf("position %d never reached the bus", e.GlobalPosition)
					}
				}
				st := f2.Stats()
				if st.PublishedEvents+f1.Stats().PublishedEvents < n || st.InFlight != 0 || st.Saved != head {
					t.Fatalf("stats %+v / %+v", f1.Stats(), st)
				}
				t.Logf("%d messages for %d events; first forwarder stopped at %d of %d", got.messages, n, saved, head)
			})
		}
	}
}

// waitAll waits until every event of log was received and more() holds; on a timeout it
// names the positions that never arrived.
func waitAll(t *testing.T, got *received, log []events.Envelope, more func() bool, f *forward.Forwarder) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last, lastChange := -1, time.Now()
	for got.distinct() < len(log) || !more() {
		if d := got.distinct(); d != last {
			last, lastChange = d, time.Now()
		}
		// Give up early once the forwarder is done and nothing has arrived for a while.
		stalled := more() && time.Since(lastChange) > 5*time.Second
		if time.Now().Before(deadline) && !stalled {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		got.mu.Lock()
		var missing []events.Position
		for _, e := range log {
			if got.seen[e.GlobalPosition] == 0 && len(missing) < 20 {
				missing = append(missing, e.GlobalPosition)
			}
		}
		got.mu.Unlock()
		t.Fatalf("timed out: %d of %d events on the bus, forwarder %+v; first missing positions %v "+
			"(if the forwarder's position is at the head, the log's Subscribe skipped them)", got.distinct(), len(log), f.Stats(), missing)
	}
}

// gatedPublisher fails every failEvery-th publish and holds the batch starting at holdFrom
// until release is closed. It wraps a real bus.
type gatedPublisher struct {
	message.Publisher
	failEvery int64
	holdFrom  string
	release   chan struct{}
	attempts  atomic.Int64
}

func (g *gatedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if g.attempts.Add(1)%g.failEvery == 0 {
		return errors.New("injected failure")
	}
	for _, m := range msgs {
		if m.Metadata.Get(forward.MetadataFrom) == g.holdFrom {
			<-g.release
		}
	}
	return g.Publisher.Publish(topic, msgs...)
}

// A failed publish is retried, and the checkpoint never passes a batch that is not confirmed,
// even when later batches are.
func TestForwarderRetriesAndHoldsCheckpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	pipelinetest.AppendConcurrently(t, s, 500, 1)
	log := pipelinetest.ReadLog(t, s)
	held := log[99].GlobalPosition // the batch (held, log[109]] waits
	got := consume(t, ctx, b, topic, "check")

	gate := &gatedPublisher{Publisher: b.Publisher(), failEvery: 7, holdFrom: strconv.FormatInt(int64(held), 10), release: make(chan struct{})}
	f := &forward.Forwarder{Log: s, Checkpoints: s, Publisher: gate, Topic: topic, MaxEvents: 10, Window: 4,
		Name: "gated", RetryMax: 20 * time.Millisecond, Logger: pipelinetest.QuietLogger(t)}
	runCtx, stop := context.WithCancel(ctx)
	done := runForwarder(runCtx, f)

	pipelinetest.Eventually(t, 20*time.Second, "every other batch confirmed", func() bool { return f.Stats().PublishedBatches == 49 })
	time.Sleep(300 * time.Millisecond) // several save intervals
	if p := f.Position(); p != held {
		t.Fatalf("position %d while the batch after %d is unconfirmed", p, held)
	}
	if c := checkpoint(t, s, "gated"); c != held {
		t.Fatalf("checkpoint %d while the batch after %d is unconfirmed", c, held)
	}
	if got.distinct() != 490 {
		t.Fatalf("%d events on the bus, want 490", got.distinct())
	}

	close(gate.release)
	head := log[len(log)-1].GlobalPosition
	pipelinetest.Eventually(t, 20*time.Second, "the head confirmed", func() bool { return f.Position() == head && got.distinct() == 500 })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := checkpoint(t, s, "gated"); c != head {
		t.Fatalf("final checkpoint %d, want %d", c, head)
	}
	if f.Stats().PublishErrors == 0 {
		t.Fatal("no publish error was injected")
	}
}

func TestForwarderConfigErrors(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	for name, f := range map[string]*forward.Forwarder{
		"no publisher": {Log: s, Checkpoints: s, Topic: "x"},
		"no topic":     {Log: s, Checkpoints: s, Publisher: nopPublisher{}},
		"no log":       {Checkpoints: s, Publisher: nopPublisher{}, Topic: "x"},
	} {
		if err := f.Run(context.Background()); err == nil {
			t.Errorf("%s: Run returned nil", name)
		}
	}
}

type nopPublisher struct{}

func (nopPublisher) Publish(string, ...*message.Message) error { return nil }
func (nopPublisher) Close() error                              { return nil }

func TestForwarderCollector(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := pipelinetest.StoreCases[0].Open(t)
	pipelinetest.AppendConcurrently(t, s, 20, 1)
	f := &forward.Forwarder{Log: s, Checkpoints: s, Publisher: nopPublisher{}, Topic: "x"}
	runCtx, stop := context.WithCancel(ctx)
	done := runForwarder(runCtx, f)
	pipelinetest.Eventually(t, 10*time.Second, "forwarded", func() bool { return f.Stats().PublishedEvents == 20 })
	stop()
	<-done

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		values[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if values["infrahub_forwarder_published_events_total"] != 20 || values["infrahub_forwarder_position"] != float64(f.Position()) {
		t.Fatalf("metrics %v", values)
	}
}

// BenchmarkForwarderAMQP measures events per second from a SQLite log through the forwarder
// to RabbitMQ (publisher confirms, default window), with one durable queue bound.
func BenchmarkForwarderAMQP(b *testing.B) {
	s := pipelinetest.StoreCases[0].Open(b)
	bs, topic := pipelinetest.BusCases[1].Open(b, "bench")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Bind a queue so that the broker stores every message, as in production.
	sub, err := bs.Subscribe(ctx, topic, "bench")
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for m := range sub {
			m.Ack()
		}
	}()
	const perAppend = 100
	total := (b.N/perAppend + 1) * perAppend
	evs := make([]events.Envelope, perAppend)
	for i := range evs {
		evs[i] = events.Envelope{Type: "node.updated", Payload: []byte(`{"attribute":"description","value":"a typical value of some length"}`)}
	}
	for i := 0; i < total; i += perAppend {
		if _, err := s.Append(ctx, "branch/main", events.AnyVersion, evs...); err != nil {
			b.Fatal(err)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	f := &forward.Forwarder{Log: s, Checkpoints: s, Publisher: bs.Publisher(), Topic: topic, MaxEvents: 100, Logger: pipelinetest.QuietLogger(b)}
	b.ResetTimer()
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := runForwarder(runCtx, f)
	for f.Position() < head {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	<-done
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(f.Stats().PublishedBatches)/elapsed.Seconds(), "msgs/s")
}
