package activity_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// createFixture is a log of node creates like bench row 13's (a node with a few attributes and
// one relationship to an existing node), with the payloads the writer handed over.
type createFixture struct {
	a       *app
	prefix  []events.Envelope // the log before the creates (schema, the tag)
	creates []events.Envelope
}

func newCreateFixture(b *testing.B, n int) *createFixture {
	b.Helper()
	a := newApp(b)
	tag := a.create("TestTag", map[string]any{"name": "red"})
	start := a.head()
	for i := range n {
		a.create("TestDevice", map[string]any{"name": fmt.Sprintf("device-%05d", i), "description": "created over HTTP",
			"height": 9000, "tags": []any{map[string]any{"id": tag}}})
	}
	f := &createFixture{a: a}
	for _, env := range a.envelopes(0) {
		switch {
		case env.GlobalPosition <= start:
			f.prefix = append(f.prefix, env)
		case env.Type == nodes.TypeCreated:
			f.creates = append(f.creates, env)
		}
	}
	return f
}

// index answers an Index that has applied the log before the creates.
func (f *createFixture) index(b *testing.B) *activity.Index {
	b.Helper()
	ix, err := activity.NewIndex(activity.IndexConfig{Log: f.a.log, Graph: f.a.reader, SchemaOf: f.a.schemaOf, Decoded: f.a.handed.Payload})
	if err != nil {
		b.Fatal(err)
	}
	if err := ix.Apply(context.Background(), f.prefix); err != nil {
		b.Fatal(err)
	}
	return ix
}

// cpuTime is the CPU time the process has used (user and system): on a shared machine a
// benchmark's CPU per op varies far less than its wall time per op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start (cpu-ns/op), GC and every goroutine included.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDeriveCreate measures what the activity projection spends per node create in a
// server: the Hub's full derivation (previous values, changelog) and the Index's Apply (one
// envelope at a time, as the writer hands them over), and both.
func BenchmarkDeriveCreate(b *testing.B) {
	f := newCreateFixture(b, 1000)
	ctx := context.Background()
	hubDerive := func(ix *activity.Index) func(ctx context.Context, env events.Envelope) ([]activity.Event, error) {
		return activity.Deriver{Graph: f.a.reader, SchemaOf: f.a.schemaOf, KindOf: ix.KindOf, Decoded: f.a.handed.Payload}.Derive
	}
	b.Run("hub", func(b *testing.B) {
		ix := f.index(b)
		if err := ix.Apply(ctx, f.creates); err != nil {
			b.Fatal(err)
		}
		derive := hubDerive(ix)
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuTime()
		for i := range b.N {
			if _, err := derive(ctx, f.creates[i%len(f.creates)]); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	apply := func(b *testing.B, hub bool) {
		ix := f.index(b)
		derive := hubDerive(ix)
		b.ReportAllocs()
		b.ResetTimer()
		start, reset := cpuTime(), time.Duration(0)
		for i := range b.N {
			k := i % len(f.creates)
			if k == 0 && i > 0 {
				b.StopTimer()
				r := cpuTime()
				_ = ix.Reset(ctx)
				if err := ix.Apply(ctx, f.prefix); err != nil {
					b.Fatal(err)
				}
				reset += cpuTime() - r
				b.StartTimer()
			}
			env := f.creates[k]
			if err := ix.Apply(ctx, f.creates[k:k+1]); err != nil {
				b.Fatal(err)
			}
			if hub {
				if _, err := derive(ctx, env); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportCPU(b, start+reset)
	}
	b.Run("index", func(b *testing.B) { apply(b, false) })
	b.Run("both", func(b *testing.B) { apply(b, true) })
}

// fixtureLog serves the fixture's creates to a Hub, a few at a time as a group commit appends
// them, from the position before the first.
type fixtureLog struct {
	events.Reader
	creates []events.Envelope
}

func (l fixtureLog) Head(context.Context) (events.Position, error) {
	return l.creates[0].GlobalPosition - 1, nil
}

func (l fixtureLog) ReadAll(_ context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	i := sort.Search(len(l.creates), func(i int) bool { return l.creates[i].GlobalPosition > after })
	return l.creates[i:min(i+min(limit, 16), len(l.creates))], nil
}

// BenchmarkHubCreates runs the fixture's creates through a Hub (derived in full) to two
// subscribers of every event, as a server's webhooks and triggers are: an op is every create
// once; cpu-ns/create is the CPU of the whole process per create.
func BenchmarkHubCreates(b *testing.B) {
	f := newCreateFixture(b, 1000)
	ix := f.index(b)
	if err := ix.Apply(context.Background(), f.creates); err != nil {
		b.Fatal(err)
	}
	derive := activity.Deriver{Graph: f.a.reader, SchemaOf: f.a.schemaOf, KindOf: ix.KindOf, Decoded: f.a.handed.Payload}.Derive
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		h, err := activity.NewHub(activity.HubConfig{Log: fixtureLog{creates: f.creates}, Derive: derive, SchemaOf: f.a.schemaOf,
			Coalesce: time.Microsecond, Poll: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = h.Run(ctx); close(done) }()
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 0
				_ = h.Subscribe(ctx, f.creates[0].GlobalPosition-1, activity.Filter{}, func(activity.Event) error {
					if n++; n == len(f.creates) {
						return errDone
					}
					return nil
				})
			}()
		}
		wg.Wait()
		cancel()
		<-done
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N*len(f.creates)), "cpu-ns/create")
}

var errDone = errors.New("done")
