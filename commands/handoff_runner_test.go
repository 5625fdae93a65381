package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections"
)

// As a server runs it: the node Store folded by a projection Runner from the bus and the log,
// and two applications (two writers that do not take turns with each other) handing what they
// append to the Runner (projections.Runner.Handoff). Concurrent creates on two branches each
// read their own write at once, some appends are applied by the writers, and afterwards the
// Store holds what a replay of the log gives.
func TestRunnerHandoffConcurrentWriters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	b, err := bus.Open(ctx, "mem://", pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	const topic = "handoff.events"
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	r := &projections.Runner{Log: log, Checkpoints: log, Logger: pipelinetest.QuietLogger(t),
		Subscribe: func(ctx context.Context, consumer string) (<-chan *message.Message, error) {
			return b.Subscribe(ctx, topic, consumer)
		}}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() })
	wg.Go(func() { _ = r.Run(runCtx, store) })
	// The bus is slow (each batch published 20 ms late), so that the writers' hand-offs come
	// first whenever they are next, and the bus fills what they cannot apply.
	fwd := &forward.Forwarder{Log: log, Checkpoints: log, Publisher: latePublisher{b.Publisher()}, Topic: topic, Logger: pipelinetest.QuietLogger(t)}
	wg.Go(func() { _ = fwd.Run(runCtx) })

	var handed, announced, outstanding atomic.Int64
	newApp := func() *commands.Service {
		app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store,
			WaitFor: func(ctx context.Context, pos events.Position) error { return r.WaitFor(ctx, store.Name(), pos) },
			Decoded: func(ctx context.Context, evs []events.Envelope, payloads []any) {
				if r.Handoff(ctx, store.Name(), evs, payloads) {
					handed.Add(1)
				}
			},
			Handing: func() func() {
				announced.Add(1)
				outstanding.Add(1)
				done := r.Expect()
				var once sync.Once
				return func() { once.Do(func() { outstanding.Add(-1); done() }) }
			}})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	apps := []*commands.Service{newApp(), newApp()}
	dispatch := func(app *commands.Service, typ string, payload any) (commands.Result, error) {
		raw, _ := json.Marshal(payload)
		return app.Dispatch(ctx, commands.Command{Type: typ, Payload: raw})
	}
	raw, _ := json.Marshal(testSchema)
	if _, err := dispatch(apps[0], commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dispatch(apps[1], commands.TypeCreateBranch, commands.CreateBranch{Name: "b1"}); err != nil {
		t.Fatal(err)
	}
	branches := []string{"main", "b1"}
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Go(func() {
			app, br := apps[w%2], branches[w/2%2]
			for i := range 12 {
				res, err := dispatch(app, commands.TypeCreateNode, map[string]any{"kind": "TestSite", "branch": br,
					"data": map[string]any{"name": fmt.Sprintf("site-%d-%d", w, i)}})
				if err != nil {
					t.Errorf("writer %d create %d: %v", w, i, err)
					return
				}
				id, err := graph.ParseNodeID(res.Data.(commands.NodeOutcome).ID)
				if err != nil {
					t.Error(err)
					return
				}
				v, err := store.View(br, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if kind, ok := v.Kind(id); !ok || kind != "TestSite" {
					t.Errorf("writer %d: site %d on %s not readable after its create (kind %q)", w, i, br, kind)
				}
			}
		})
	}
	writers.Wait()
	if t.Failed() {
		return
	}
	head, err := log.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(ctx, store.Name(), head); err != nil {
		t.Fatal(err)
	}
	if handed.Load() == 0 {
		t.Fatal("no append was handed to the Store: every one went through the bus or the log")
	}
	// The appends of node events were announced (one per append: a turn's commands without an
	// id share one), as many as were handed at least, and each announcement ended.
	if announced.Load() < handed.Load() || outstanding.Load() != 0 {
		t.Fatalf("hand-offs announced %d, handed %d, %d never ended", announced.Load(), handed.Load(), outstanding.Load())
	}
	fresh, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.NewInline(log, fresh).WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	if got, want := store.Position(), fresh.Position(); got != want {
		t.Fatalf("Store at %d, replay at %d", got, want)
	}
	for _, br := range branches {
		live, err := store.View(br, 0)
		if err != nil {
			t.Fatal(err)
		}
		again, err := fresh.View(br, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := live.Dump(), again.Dump(); !reflect.DeepEqual(got, want) {
			t.Errorf("branch %s: the Store differs from a replay of the log", br)
		}
		n := 0
		for _, d := range live.Dump() {
			if d.Kind == "TestSite" {
				n++
			}
		}
		if n != 48 {
			t.Errorf("branch %s: %d sites, want 48", br, n)
		}
	}
}

// latePublisher publishes each batch 20 ms late.
type latePublisher struct{ message.Publisher }

func (p latePublisher) Publish(topic string, msgs ...*message.Message) error {
	time.Sleep(20 * time.Millisecond)
	return p.Publisher.Publish(topic, msgs...)
}
