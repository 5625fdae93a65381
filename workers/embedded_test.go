package workers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Embedded mode (SQLite and mem://) runs the same code: a command workflow dispatches its
// command through commands.Service (once, even when run again). After a restart (a new mem://
// bus: the messages died with the process), Requeue publishes the tasks that are not over,
// created while no pool ran, and takes over a task a dead worker left running.
func TestEmbeddedRunAndRequeue(t *testing.T) {
	state, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "sqlite", "mem", state.Catalogue())
	fold := projections.NewInline(e.store, state)
	app, err := commands.New(commands.Config{Log: e.store, Catalogue: e.cat, State: state, WaitFor: fold.WaitFor})
	if err != nil {
		t.Fatal(err)
	}
	createBranch := workers.CommandWorkflow(app.Dispatch, commands.TypeCreateBranch)
	reg := workers.NewRegistry()
	if err := reg.Register("create-branch", createBranch); err != nil {
		t.Fatal(err)
	}
	_ = reg.Register("noop", func(context.Context, *workers.Run) (json.RawMessage, error) { return nil, nil })
	if err := reg.Register("noop", nil); err == nil {
		t.Fatal("a second registration of a workflow was accepted")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first, stopFirst := context.WithCancel(ctx)
	e.forward(first)
	p1 := e.pool(reg, 2, testLimits())
	stop1 := run(t, first, p1)
	e.submit("branch-1", "create-branch", 0) // parameters {"name":"x"}
	e.waitFinal(30*time.Second, "branch-1")
	tk, _ := e.task("branch-1")
	if tk.State != task.StateCompleted || !strings.Contains(string(tk.Result), `"stream"`) {
		t.Fatalf("branch task: %s %s (%s)", tk.State, tk.Result, tk.Error)
	}
	// The workflow run again (a redelivery) answers the first result and writes nothing.
	again, err := createBranch(ctx, &workers.Run{Task: tk})
	if err != nil || !strings.Contains(string(again), `"duplicate":true`) {
		t.Fatalf("second run: %s, %v", again, err)
	}
	if n := countType(t, e, branch.TypeCreated); n != 1 {
		t.Fatalf("%d branch.created events", n)
	}
	stop1()
	stopFirst()

	// The process restarts: a new bus; tasks were created meanwhile, one was left running.
	b2, err := bus.Open(ctx, "mem://", pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b2.Close() })
	e.bus = b2
	ids := []string{"late-1", "late-2", "late-3", "orphan-1", "branch-1"}
	for _, id := range ids[:3] {
		e.submit(id, "noop", 0)
	}
	started, _ := e.cat.New(task.TypeStarted, task.Started{Attempt: 1, Worker: "gone"}, events.Metadata{})
	e.submit("orphan-1", "noop", 0, started)
	p2 := e.pool(reg, 2, testLimits())
	n, err := p2.Requeue(ctx, append(ids, "no-such-task"))
	if err != nil || n != 4 {
		t.Fatalf("Requeue = %d, %v; want the 4 tasks that are not over", n, err)
	}
	run(t, ctx, p2)
	e.waitFinal(30*time.Second, ids...)
	for _, id := range ids[:4] {
		if tk, _ := e.task(id); tk.State != task.StateCompleted {
			t.Fatalf("task %s: %s", id, tk.State)
		}
	}
	_, evs := e.task("orphan-1")
	st := payloads[task.Started](t, e.cat, evs, task.TypeStarted)
	if len(st) != 2 || st[1].Attempt != 2 || st[1].Worker != p2.ID() {
		t.Fatalf("orphan started %+v", st)
	}
}

func countType(t *testing.T, e *env, typ string) int {
	t.Helper()
	n := 0
	for _, ev := range pipelinetest.ReadLog(t, e.store) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func TestConfigValidate(t *testing.T) {
	if _, err := workers.New(workers.Config{}); err == nil || !strings.Contains(err.Error(), "Store is required") {
		t.Fatalf("New of an empty config: %v", err)
	}
	e := newEnv(t, "sqlite", "mem", nil)
	_, err := workers.New(workers.Config{Store: e.store, Catalogue: events.NewCatalogue(), Queue: e.bus,
		Registry: workers.NewRegistry(), Concurrency: -1})
	if err == nil || !strings.Contains(err.Error(), "task.created") || !strings.Contains(err.Error(), "Concurrency") {
		t.Fatalf("New with a catalogue without task events: %v", err)
	}
}
