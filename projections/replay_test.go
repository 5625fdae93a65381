package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

func TestReplay(t *testing.T) {
	for _, sc := range pipelinetest.StoreCases {
		t.Run(sc.Name, func(t *testing.T) {
			s := sc.Open(t)
			pipelinetest.AppendConcurrently(t, s, 2500, 4)
			c := counter.New()
			// Stale state that Replay must reset first.
			if err := c.Apply(context.Background(), []events.Envelope{{GlobalPosition: 99999, Type: "stale"}}); err != nil {
				t.Fatal(err)
			}
			var calls int
			var lastPos, lastHead events.Position
			st, err := projections.Replay(context.Background(), s, c, 300, func(pos, head events.Position) {
				calls++
				lastPos, lastHead = pos, head
			})
			if err != nil {
				t.Fatal(err)
			}
			total, _, _, head := counts(t, s)
			if st.Events != total || st.Position != head || st.Duration <= 0 || st.EventsPerSecond <= 0 {
				t.Fatalf("stats %+v, want %d events up to %d", st, total, head)
			}
			if calls != 9 || lastPos != head || lastHead != head {
				t.Fatalf("progress called %d times, last (%d, %d); want 9 times, last (%d, %d)", calls, lastPos, lastHead, head, head)
			}
			assertMatchesLog(t, c, s)
			t.Logf("replayed %d events in %s: %.0f events/s", st.Events, st.Duration, st.EventsPerSecond)
		})
	}
}

// failAt fails when it is given position at.
type failAt struct {
	*counter.Counter
	at events.Position
}

func (f failAt) Apply(ctx context.Context, batch []events.Envelope) error {
	for _, e := range batch {
		if e.GlobalPosition == f.at {
			return errors.New("boom")
		}
	}
	return f.Counter.Apply(ctx, batch)
}

func TestReplayApplyError(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	pipelinetest.AppendConcurrently(t, s, 100, 1)
	st, err := projections.Replay(context.Background(), s, failAt{counter.New(), 55}, 10, nil)
	if err == nil || st.Events != 50 || st.Position != 50 {
		t.Fatalf("Replay = %+v, %v; want an error after 50 events", st, err)
	}
}

// durableCounter is a counter that claims to keep its state across restarts, so that the
// runner persists its checkpoint.
type durableCounter struct {
	*counter.Counter
	version int
	resets  int
}

func (d *durableCounter) Name() string  { return "durable-counter" }
func (d *durableCounter) Version() int  { return d.version }
func (d *durableCounter) Durable() bool { return true }
func (d *durableCounter) Reset(ctx context.Context) error {
	d.resets++
	return d.Counter.Reset(ctx)
}

func TestDurableCheckpointAndVersion(t *testing.T) {
	for _, sc := range pipelinetest.StoreCases {
		t.Run(sc.Name, func(t *testing.T) {
			s := sc.Open(t)
			b, topic := pipelinetest.BusCases[0].Open(t)
			const name = "durable-counter"
			pipelinetest.AppendConcurrently(t, s, 300, 3)
			head1, _ := s.Head(context.Background())

			r := newRunner(t, s, b, topic)
			d := &durableCounter{Counter: counter.New(), version: 1}
			stop := start(t, r, d)
			waitFor(t, r, name, head1)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			pos, ver, err := s.LoadCheckpoint(context.Background(), "projection:"+name)
			if err != nil || pos != head1 || ver != 1 {
				t.Fatalf("checkpoint %d v%d, %v; want %d v1", pos, ver, err, head1)
			}
			if d.resets != 1 { // a durable projector without a checkpoint starts from a clean state
				t.Fatalf("%d resets on first start, want 1", d.resets)
			}

			// A new process with the same version resumes after the checkpoint.
			pipelinetest.AppendConcurrently(t, s, 120, 2)
			head2, _ := s.Head(context.Background())
			r2 := newRunner(t, s, b, topic)
			d2 := &durableCounter{Counter: counter.New(), version: 1}
			stop = start(t, r2, d2)
			waitFor(t, r2, name, head2)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := d2.Snapshot().Total; got != 120 || d2.resets != 0 {
				t.Fatalf("resumed counter counted %d with %d resets, want 120 and 0", got, d2.resets)
			}

			// A new version resets and rebuilds from 0.
			r3 := newRunner(t, s, b, topic)
			d3 := &durableCounter{Counter: counter.New(), version: 2}
			stop = start(t, r3, d3)
			waitFor(t, r3, name, head2)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if d3.resets != 1 {
				t.Fatalf("%d resets after a version change, want 1", d3.resets)
			}
			assertMatchesLog(t, d3.Counter, s)
			if _, ver, _ := s.LoadCheckpoint(context.Background(), "projection:"+name); ver != 2 {
				t.Fatalf("checkpoint version %d after the change, want 2", ver)
			}

			// Rebuild replays and records the checkpoint for the next Run.
			d4 := &durableCounter{Counter: counter.New(), version: 2}
			st, err := r3.Rebuild(context.Background(), d4, nil)
			if err != nil || st.Events != 420 {
				t.Fatalf("Rebuild = %+v, %v", st, err)
			}
			if pos, ver, _ := s.LoadCheckpoint(context.Background(), "projection:"+name); pos != head2 || ver != 2 {
				t.Fatalf("checkpoint after Rebuild %d v%d", pos, ver)
			}
		})
	}
}

// A durable projector whose version changed but that cannot Reset is refused.
type noReset struct{ c *counter.Counter }

func (noReset) Name() string  { return "no-reset" }
func (noReset) Version() int  { return 7 }
func (noReset) Durable() bool { return true }
func (n noReset) Apply(ctx context.Context, batch []events.Envelope) error {
	return n.c.Apply(ctx, batch)
}

func TestVersionChangeWithoutReset(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	if err := s.SaveCheckpoint(context.Background(), "projection:no-reset", 10, 6); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, s, b, topic)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.Run(ctx, noReset{counter.New()})
	if err == nil {
		t.Fatal("Run accepted a version change without Reset")
	}
}

func TestRunnerErrors(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	ctx := context.Background()

	if err := (&projections.Runner{Log: s}).Run(ctx, counter.New()); err == nil {
		t.Error("Run without Subscribe succeeded")
	}
	r := newRunner(t, s, b, topic)
	r.Checkpoints = nil
	if err := r.Run(ctx, &durableCounter{Counter: counter.New(), version: 1}); err == nil {
		t.Error("durable Run without Checkpoints succeeded")
	}

	r = newRunner(t, s, b, topic)
	start(t, r, counter.New())
	waitLive(t, r, counter.Name)
	if err := r.Run(ctx, counter.New()); err == nil {
		t.Error("a second Run of the same projector succeeded")
	}

	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(wctx, counter.Name, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor past the head = %v, want a deadline error", err)
	}

	failing := &projections.Runner{Log: s, Subscribe: func(context.Context, string) (<-chan *message.Message, error) {
		return nil, errors.New("no bus")
	}}
	if err := failing.Run(ctx, counter.New()); err == nil {
		t.Error("Run with a failing first Subscribe succeeded")
	}
}

// WaitFor returns as soon as the projector has applied the position an append returned.
func TestReadYourWrites(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	r := newRunner(t, s, b, topic)
	c := counter.New()
	start(t, r, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &forward.Forwarder{Log: s, Checkpoints: s, Publisher: b.Publisher(), Topic: topic}
	go func() { _ = f.Run(ctx) }()
	for i := 0; i < 20; i++ {
		res, err := s.Append(ctx, "branch/main", events.AnyVersion, events.Envelope{Type: "node.created"})
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		err = r.WaitFor(wctx, counter.Name, res.Last())
		wcancel()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Snapshot().Total; got != int64(i+1) {
			t.Fatalf("after WaitFor(%d) the counter has %d events, want %d", res.Last(), got, i+1)
		}
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			values[mf.GetName()] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{"infrahub_projection_events_total": 20, "infrahub_projection_position": float64(r.Position(counter.Name))}
	for k, v := range want {
		if values[k] != v {
			t.Fatalf("metric %s = %v, want %v (all: %v)", k, values[k], v, values)
		}
	}
}

// positioned is an in-memory counter restored as if from a snapshot at position from.
type positioned struct {
	*counter.Counter
	from events.Position
}

func (p positioned) Position() events.Position { return p.from }

// A projector restored from a snapshot resumes after the position it holds: earlier events are
// not applied again.
func TestPositionedResumes(t *testing.T) {
	s := pipelinetest.StoreCases[0].Open(t)
	b, topic := pipelinetest.BusCases[0].Open(t)
	pipelinetest.AppendConcurrently(t, s, 100, 2)
	_, _, _, head := counts(t, s)
	r := newRunner(t, s, b, topic)
	p := positioned{Counter: counter.New(), from: head - 30}
	start(t, r, p)
	waitFor(t, r, p.Name(), head)
	if got := p.Snapshot().Total; got != 30 {
		t.Fatalf("applied %d events after restoring at %d of %d, want 30", got, head-30, head)
	}
}
