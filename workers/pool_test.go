package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// effects counts the runs of each task that had their effect.
type effects struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *effects) apply(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n[id]++
}

// 100 tasks through RabbitMQ and two pools; pool A is stopped while one of its tasks is blocked
// in its workflow: that task goes back to the queue and pool B runs it. Every task completes
// exactly once and the effect of each happens once.
func TestTasksCompleteOnceAcrossPools(t *testing.T) {
	const n = 100
	e := newEnv(t, "postgres", "amqp", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	fx := &effects{n: map[string]int{}}
	work := func(_ context.Context, r *workers.Run) (json.RawMessage, error) {
		fx.apply(r.Task.ID)
		return json.RawMessage(`{"ok":true}`), nil
	}
	var doneByA atomic.Int64
	blocked := make(chan string, 1)
	regA, regB := workers.NewRegistry(), workers.NewRegistry()
	_ = regA.Register("count", func(ctx context.Context, r *workers.Run) (json.RawMessage, error) {
		if doneByA.Add(1) == 4 {
			blocked <- r.Task.ID
			<-ctx.Done() // the pool stops: no effect, no outcome
			return nil, ctx.Err()
		}
		return work(ctx, r)
	})
	_ = regB.Register("count", work)
	e.forward(ctx)
	a, b := e.pool(regA, 4, testLimits()), e.pool(regB, 4, testLimits())
	stopA := run(t, ctx, a)
	run(t, ctx, b)

	ids := make([]string, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				ids[i] = fmt.Sprintf("t%03d-%s", i, e.topic[6:14])
				e.submit(ids[i], "count", 0)
			}
		}()
	}
	wg.Wait()
	victim := next(t, blocked, 60*time.Second, "a task blocked in pool A")
	stopA()
	e.waitFinal(60*time.Second, ids...)

	for _, id := range ids {
		tk, evs := e.task(id)
		completed := payloads[task.Completed](t, e.cat, evs, task.TypeCompleted)
		if tk.State != task.StateCompleted || len(completed) != 1 {
			t.Fatalf("task %s: %s with %d task.completed events", id, tk.State, len(completed))
		}
		if got := fx.n[id]; got != 1 {
			t.Fatalf("task %s: effect applied %d times", id, got)
		}
	}
	_, evs := e.task(victim)
	started := payloads[task.Started](t, e.cat, evs, task.TypeStarted)
	if len(started) != 2 || started[0].Worker != a.ID() || started[1].Worker != b.ID() || started[1].Attempt != 2 {
		t.Fatalf("the blocked task was started %+v, want by %s then %s (attempt 2)", started, a.ID(), b.ID())
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Completed+sb.Completed != n || sa.Completed == 0 || sb.Completed == 0 || sb.Running != 0 {
		t.Fatalf("stats A %+v, B %+v", sa, sb)
	}
	t.Logf("pool A completed %d, pool B %d", sa.Completed, sb.Completed)
}

// A workflow failing with a retryable error is retried with backoff (task.retried for attempts
// 1 and 2), then the task fails with its error and log lines, and its message goes to the
// dead-letter queue; an error no retry can change fails the task at once (and is dead-lettered
// too). Neither the error's secret nor the parameters reach the log.
func TestFailedTasksAreRetriedThenDeadLettered(t *testing.T) {
	e := newEnv(t, "postgres", "amqp", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reg := workers.NewRegistry()
	_ = reg.Register("flaky", func(_ context.Context, r *workers.Run) (json.RawMessage, error) {
		r.Log(task.SeverityInfo, fmt.Sprintf("attempt %d", r.Attempt()))
		r.Progress(0.5)
		return nil, errFlaky
	})
	_ = reg.Register("invalid", func(context.Context, *workers.Run) (json.RawMessage, error) {
		return nil, fmt.Errorf("%w: field \"port\" is out of range", fault.ErrInvalid)
	})
	e.forward(ctx)
	p := e.pool(reg, 2, testLimits())
	run(t, ctx, p)
	e.submit("flaky-1", "flaky", 3)
	e.submit("invalid-1", "invalid", 3)
	e.waitFinal(30*time.Second, "flaky-1", "invalid-1")

	tk, evs := e.task("flaky-1")
	retried := payloads[task.Retried](t, e.cat, evs, task.TypeRetried)
	failed := payloads[task.Failed](t, e.cat, evs, task.TypeFailed)
	if tk.State != task.StateFailed || len(retried) != 2 || retried[0].Attempt != 1 || retried[1].Attempt != 2 {
		t.Fatalf("flaky task: %s, retried %+v", tk.State, retried)
	}
	for _, r := range retried {
		if r.Delay <= 0 || r.Delay > 60*time.Millisecond || !strings.Contains(r.Error, "device unreachable") {
			t.Fatalf("retried %+v: want a delay up to the 50ms cap ±20%% and the error", r)
		}
	}
	if len(failed) != 1 || failed[0].Attempt != 3 || !failed[0].DeadLettered || failed[0].Code != "internal" ||
		!strings.Contains(tk.Error, "device unreachable") || len(tk.Logs) != 3 || tk.Logs[2].Message != "attempt 3" {
		t.Fatalf("flaky task: failed %+v, error %q, logs %+v", failed, tk.Error, tk.Logs)
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Payload), "s3cret") {
			t.Fatalf("event %s holds the secret: %s", ev.Type, ev.Payload)
		}
	}

	tk, evs = e.task("invalid-1")
	failed = payloads[task.Failed](t, e.cat, evs, task.TypeFailed)
	if tk.State != task.StateFailed || len(payloads[task.Retried](t, e.cat, evs, task.TypeRetried)) != 0 ||
		len(payloads[task.Started](t, e.cat, evs, task.TypeStarted)) != 1 || len(failed) != 1 ||
		failed[0].Code != "invalid_command" || !failed[0].DeadLettered || !strings.Contains(tk.Error, "port") {
		t.Fatalf("invalid task: %s, events %d, failed %+v", tk.State, len(evs), failed)
	}

	dead, err := e.bus.Queue(ctx, e.dead, bus.GroupDead, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		msg := next(t, dead, 10*time.Second, "a dead letter")
		env, err := workers.DecodeTask(msg)
		if err != nil || env.Stream != task.Stream(msg.Metadata.Get(workers.MetadataTask)) {
			t.Fatalf("dead letter %s: %v, stream %s, metadata %v", msg.UUID, err, env.Stream, msg.Metadata)
		}
		got[msg.Metadata.Get(workers.MetadataTask)] = true
		msg.Ack()
	}
	if !got["flaky-1"] || !got["invalid-1"] {
		t.Fatalf("dead letters of %v", got)
	}
	if s := p.Stats(); s.Failed != 2 || s.Retried != 2 || s.Completed != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A task cancelled while pending is skipped: its message is acked and it never starts.
// Messages that are not a task.created event are logged and acked (poison), and the pool goes on.
func TestCancelledAndPoisonMessagesAreSkipped(t *testing.T) {
	for _, kinds := range [][2]string{{"sqlite", "mem"}, {"postgres", "amqp"}} {
		t.Run(kinds[1], func(t *testing.T) {
			e := newEnv(t, kinds[0], kinds[1], nil)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var runs atomic.Int64
			reg := workers.NewRegistry()
			_ = reg.Register("noop", func(context.Context, *workers.Run) (json.RawMessage, error) {
				runs.Add(1)
				return nil, nil
			})
			e.forward(ctx)
			p := e.pool(reg, 2, testLimits())
			run(t, ctx, p)

			cancelled, err := e.cat.New(task.TypeCancelled, task.Cancelled{Account: "acc-1"}, events.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			e.submit("cancelled-1", "noop", 0, cancelled)
			other, _ := e.cat.New(task.TypeProgressed, task.Progressed{Progress: 1}, events.Metadata{})
			other.Stream = task.Stream("x")
			body, _ := json.Marshal(other)
			for _, m := range []*message.Message{message.NewMessage("poison-1", []byte("not json")), message.NewMessage("poison-2", body)} {
				if err := e.bus.Publisher().Publish(e.topic, m); err != nil {
					t.Fatal(err)
				}
			}
			e.submit("after-1", "noop", 0)
			e.waitFinal(30*time.Second, "after-1")
			waitFor(t, "the cancelled task and the poison messages settled", func() bool {
				s := p.Stats()
				return s.Skipped == 1 && s.Poison == 2
			})
			tk, evs := e.task("cancelled-1")
			if tk.State != task.StateCancelled || len(evs) != 2 || runs.Load() != 1 {
				t.Fatalf("cancelled task: %s with %d events; %d runs", tk.State, len(evs), runs.Load())
			}
			time.Sleep(200 * time.Millisecond) // nothing comes back
			if s := p.Stats(); s.Poison != 2 || s.Skipped != 1 || s.Completed != 1 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
