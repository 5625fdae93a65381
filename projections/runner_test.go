package projections_test

import (
	"context"
	"errors"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

func newRunner(t testing.TB, s pipelinetest.Store, b *bus.Bus, topic string) *projections.Runner {
	return &projections.Runner{
		Log:         s,
		Checkpoints: s,
		Subscribe: func(ctx context.Context, consumer string) (<-chan *message.Message, error) {
			return b.Subscribe(ctx, topic, consumer)
		},
		Logger:   pipelinetest.QuietLogger(t),
		RetryMax: 50 * time.Millisecond,
	}
}

// start runs p on r until the test ends and returns a channel with Run's result.
func start(t *testing.T, r *projections.Runner, p projections.Projector) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, p) }()
	var once atomic.Bool
	stop = func() error {
		if !once.CompareAndSwap(false, true) {
			return nil
		}
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func waitFor(t *testing.T, r *projections.Runner, name string, pos events.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, name, pos); err != nil {
		t.Fatalf("%v; stats %+v", err, r.Stats(name))
	}
}

func waitLive(t *testing.T, r *projections.Runner, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !r.Stats(name).Live {
		if time.Now().After(deadline) {
			t.Fatalf("projection %s not live: %+v", name, r.Stats(name))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counts reads the log and counts its events per type and per stream.
func counts(t testing.TB, s events.Reader) (total int64, byType map[string]int64, byStream map[events.StreamID]int64, head events.Position) {
	byType, byStream = map[string]int64{}, map[events.StreamID]int64{}
	for _, e := range pipelinetest.ReadLog(t, s) {
		total++
		byType[e.Type]++
		byStream[e.Stream]++
		head = e.GlobalPosition
	}
	return total, byType, byStream, head
}

func assertMatchesLog(t *testing.T, c *counter.Counter, s events.Reader) {
	t.Helper()
	total, byType, byStream, head := counts(t, s)
	got := c.Snapshot()
	if got.Total != total || got.Last != head || !maps.Equal(got.ByType, byType) || !maps.Equal(got.ByStream, byStream) {
		t.Fatalf("counter %+v\nlog: total %d, head %d, types %v, streams %v", got, total, head, byType, byStream)
	}
}

// Log -> forwarder -> bus -> runner -> counter, with writers appending concurrently and the
// forwarder restarted in the middle: the counter ends at exactly the log's counts.
func TestEndToEnd(t *testing.T) {
	const n = 2000
	for _, sc := range pipelinetest.StoreCases {
		for _, bc := range pipelinetest.BusCases {
			t.Run(sc.Name+"/"+bc.Name, func(t *testing.T) {
				s := sc.Open(t)
				b, topic := bc.Open(t, projections.ConsumerName(counter.Name))
				r := newRunner(t, s, b, topic)
				c := counter.New()
				stopRunner := start(t, r, c)

				appended := make(chan struct{})
				go func() {
					defer close(appended)
					pipelinetest.AppendConcurrently(t, s, n, 5)
				}()
				newForwarder := func() *forward.Forwarder {
					return &forward.Forwarder{Log: s, Checkpoints: s, Publisher: b.Publisher(), Topic: topic,
						MaxEvents: 40, Logger: pipelinetest.QuietLogger(t)}
				}
				ctx1, stop1 := context.WithCancel(context.Background())
				f1 := newForwarder()
				done1 := make(chan error, 1)
				go func() { done1 <- f1.Run(ctx1) }()
				waitFor(t, r, counter.Name, n/4) // some of it through the bus
				stop1()
				if err := <-done1; err != nil {
					t.Fatal(err)
				}

				ctx2, stop2 := context.WithCancel(context.Background())
				defer stop2()
				f2 := newForwarder()
				go func() { _ = f2.Run(ctx2) }()
				<-appended
				head, err := s.Head(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				waitFor(t, r, counter.Name, head)
				assertMatchesLog(t, c, s)
				if c.Snapshot().Total != n {
					t.Fatalf("counted %d, want %d", c.Snapshot().Total, n)
				}
				if err := stopRunner(); err != nil {
					t.Fatal(err)
				}
				st := r.Stats(counter.Name)
				if st.Failures != 0 || st.Events != n || st.Running {
					t.Fatalf("runner stats %+v", st)
				}
				t.Logf("runner %+v; forwarders published %d+%d batches", st, f1.Stats().PublishedBatches, f2.Stats().PublishedBatches)
			})
		}
	}
}

func publishBatch(t *testing.T, b *bus.Bus, topic string, log []events.Envelope, from, to events.Position) {
	t.Helper()
	batch := forward.Batch{From: from, To: to}
	for _, e := range log {
		if e.GlobalPosition > from && e.GlobalPosition <= to {
			batch.Events = append(batch.Events, e)
		}
	}
	msg, err := forward.Message(batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publisher().Publish(topic, msg); err != nil {
		t.Fatal(err)
	}
}

// Batches delivered by hand, duplicated, overlapping, out of order or after a gap: the runner
// skips what it has, applies only new positions and reads gaps back from the log.
func TestDuplicateOutOfOrderAndGapBatches(t *testing.T) {
	for _, bc := range pipelinetest.BusCases {
		t.Run(bc.Name, func(t *testing.T) {
			s := pipelinetest.StoreCases[0].Open(t)
			b, topic := bc.Open(t, projections.ConsumerName(counter.Name))
			r := newRunner(t, s, b, topic)
			c := counter.New()
			start(t, r, c)
			// Let the runner subscribe and catch up on the empty log before the log grows.
			waitLive(t, r, counter.Name)

			pipelinetest.AppendConcurrently(t, s, 100, 1)
			log := pipelinetest.ReadLog(t, s)
			pos := func(i int) events.Position { return log[i-1].GlobalPosition } // position of the i-th event

			steps := []struct {
				name          string
				from, to      events.Position
				wantTotal     int64
				wantSkipped   int64
				wantCatchUps  int64
				wantAppliedTo events.Position
			}{
				{"first", 0, pos(10), 10, 0, 0, pos(10)},
				{"duplicate", 0, pos(10), 10, 1, 0, pos(10)},
				{"overlap", pos(5), pos(20), 20, 1, 0, pos(20)},
				{"old and out of order", pos(12), pos(18), 20, 2, 0, pos(20)},
				{"gap", pos(30), pos(40), 100, 2, 1, pos(100)},
				{"late batch of the gap", pos(20), pos(30), 100, 3, 1, pos(100)},
				{"duplicate of the gap batch", pos(30), pos(40), 100, 4, 1, pos(100)},
			}
			for _, st := range steps {
				publishBatch(t, b, topic, log, st.from, st.to)
				var got counter.Snapshot
				var rs projections.ProjectorStats
				deadline := time.Now().Add(20 * time.Second)
				for {
					got, rs = c.Snapshot(), r.Stats(counter.Name)
					if got.Total == st.wantTotal && rs.Skipped == st.wantSkipped && rs.CatchUps == st.wantCatchUps && rs.Position == st.wantAppliedTo {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s: counted %d (want %d), skipped %d (want %d), catch-ups %d (want %d), position %d (want %d)",
							st.name, got.Total, st.wantTotal, rs.Skipped, st.wantSkipped, rs.CatchUps, st.wantCatchUps, rs.Position, st.wantAppliedTo)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			// Nothing more happens: every published batch was handled exactly once.
			time.Sleep(100 * time.Millisecond)
			if rs := r.Stats(counter.Name); rs.Skipped != 4 || rs.CatchUps != 1 {
				t.Fatalf("after the steps: %+v", rs)
			}
			assertMatchesLog(t, c, s)
			if f := r.Stats(counter.Name).Failures; f != 0 {
				t.Fatalf("%d failures", f)
			}
		})
	}
}

// flaky fails its first `fails` Apply calls.
type flaky struct {
	*counter.Counter
	fails atomic.Int64
}

func (f *flaky) Apply(ctx context.Context, batch []events.Envelope) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("injected apply failure")
	}
	return f.Counter.Apply(ctx, batch)
}

// A failing Apply is retried (the bus batch nacked and delivered again) until it succeeds.
func TestApplyFailureRetried(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	r := newRunner(t, s, b, topic)
	p := &flaky{Counter: counter.New()}
	p.fails.Store(3)
	start(t, r, p)
	pipelinetest.AppendConcurrently(t, s, 50, 2)
	f := &forward.Forwarder{Log: s, Checkpoints: s, Publisher: b.Publisher(), Topic: topic, MaxEvents: 7}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.Run(ctx) }()
	head, _ := s.Head(ctx)
	waitFor(t, r, counter.Name, head)
	assertMatchesLog(t, p.Counter, s)
	if st := r.Stats(counter.Name); st.Failures != 3 {
		t.Fatalf("stats %+v, want 3 failures", st)
	}
}
