package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// env is a log, a bus with work and dead-letter topics of the test's own, and a forwarder
// routing task.created events to the work topic.
type env struct {
	t     testing.TB
	store pipelinetest.Store
	cat   *events.Catalogue
	bus   *bus.Bus
	topic string // work topic
	dead  string // dead-letter topic
}

// newEnv opens the log ("sqlite" or "postgres") and the bus ("mem" or "amqp").
func newEnv(t testing.TB, storeKind, busKind string, cat *events.Catalogue) *env {
	t.Helper()
	e := &env{t: t, cat: cat}
	for _, sc := range pipelinetest.StoreCases {
		if sc.Name == storeKind {
			e.store = sc.Open(t)
		}
	}
	if e.cat == nil {
		e.cat = events.NewCatalogue()
	}
	if _, ok := e.cat.Lookup(task.TypeCreated); !ok {
		task.RegisterEvents(e.cat)
	}
	suffix := uuid.NewString()
	e.topic, e.dead = "tasks."+suffix, "dead."+suffix
	raw := "mem://"
	if busKind == "amqp" {
		raw = testenv.AMQPURL(t)
	}
	b, err := bus.Open(context.Background(), raw, pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	e.bus = b
	t.Cleanup(func() {
		_ = b.Close()
		if busKind == "amqp" {
			testenv.DeleteAMQPTopology(t, raw, e.topic, bus.QueueName(e.topic, bus.GroupWorkers))
			testenv.DeleteAMQPTopology(t, raw, e.dead, bus.QueueName(e.dead, bus.GroupDead))
			testenv.DeleteAMQPTopology(t, raw, "events."+suffix)
		}
	})
	return e
}

// forward declares the work and dead-letter queues (as every process does at start) and runs
// a forwarder until the test ends.
func (e *env) forward(ctx context.Context) { e.forwardWith(ctx, 0) }

// forwardWith is forward with at most maxEvents events per batch (0: the default).
func (e *env) forwardWith(ctx context.Context, maxEvents int) {
	if err := e.bus.EnsureQueue(ctx, e.topic, bus.GroupWorkers); err != nil {
		e.t.Fatal(err)
	}
	if err := e.bus.EnsureQueue(ctx, e.dead, bus.GroupDead); err != nil {
		e.t.Fatal(err)
	}
	f := &forward.Forwarder{Log: e.store, Checkpoints: e.store, Publisher: e.bus.Publisher(),
		Topic: "events." + e.topic, Routes: []forward.Route{workers.RouteTo(e.topic)}, MaxEvents: maxEvents, Logger: pipelinetest.QuietLogger(e.t)}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("forwarder: %v", err)
		}
	})
}

// testLimits are the defaults with short retry delays.
func testLimits() limits.Limits {
	l := limits.Default()
	l.TaskRetryDelay = 50 * time.Millisecond
	return l
}

func (e *env) pool(reg *workers.Registry, n int, lim limits.Limits) *workers.Pool {
	e.t.Helper()
	p, err := workers.New(workers.Config{Store: e.store, Catalogue: e.cat, Queue: e.bus, Registry: reg,
		Concurrency: n, Limits: lim, Logger: pipelinetest.QuietLogger(e.t), Topic: e.topic, DeadTopic: e.dead})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run runs p until the returned stop is called (or the test ends); stop waits for Run.
func run(t testing.TB, ctx context.Context, p *workers.Pool) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("pool %s: %v", p.ID(), err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("pool %s did not stop within 30s", p.ID())
		}
	}
	t.Cleanup(stop)
	return stop
}

// submit appends a task.created event (and more events of the same append, when given).
func (e *env) submit(id, workflow string, maxAttempts int, more ...events.Envelope) events.Envelope {
	e.t.Helper()
	created, err := e.cat.New(task.TypeCreated, task.Created{ID: id, Workflow: workflow, Title: workflow + " " + id,
		Parameters: json.RawMessage(`{"name":"x"}`), MaxAttempts: maxAttempts}, events.Metadata{CommandID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range more {
		more[i].Metadata.CommandID = id
	}
	if _, err := e.store.Append(context.Background(), task.Stream(id), events.NoStream, append([]events.Envelope{created}, more...)...); err != nil {
		e.t.Fatal(err)
	}
	return created
}

func (e *env) task(id string) (task.Task, []events.Envelope) {
	e.t.Helper()
	evs, err := e.store.ReadStream(context.Background(), task.Stream(id), 0, 10_000)
	if err != nil {
		e.t.Fatal(err)
	}
	tk, err := task.Fold(e.cat, evs)
	if err != nil {
		e.t.Fatalf("task %s: %v", id, err)
	}
	return tk, evs
}

// waitFinal waits until every task of ids is over.
func (e *env) waitFinal(d time.Duration, ids ...string) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for _, id := range ids {
		for {
			evs, err := e.store.ReadStream(context.Background(), task.Stream(id), 0, 10_000)
			if err != nil {
				e.t.Fatal(err)
			}
			tk, err := task.Fold(e.cat, evs)
			if err == nil && tk.State.Final() {
				break
			}
			if time.Now().After(deadline) {
				e.t.Fatalf("task %s is not over after %s: %+v (%v)", id, d, tk, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// payloads decodes the events of type typ among evs.
func payloads[T any](t testing.TB, cat *events.Catalogue, evs []events.Envelope, typ string) []T {
	t.Helper()
	var out []T
	for _, ev := range evs {
		if ev.Type != typ {
			continue
		}
		v, err := cat.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v.(T))
	}
	return out
}

// next receives one message of ch.
func next[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing within %s", what, d)
	}
	var zero T
	return zero
}

var errFlaky = errors.New("device unreachable at amqp://admin:s3cret@10.0.0.1/")
