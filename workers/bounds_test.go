package workers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// A run keeps at most Limits.TaskLogLines log lines per task and counts the rest in one last
// line; a run longer than Limits.TaskTimeout fails (retryable, "unavailable"); a panic fails
// the run; a workflow no worker runs fails at once.
func TestRunBounds(t *testing.T) {
	e := newEnv(t, "sqlite", "mem", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reg := workers.NewRegistry()
	_ = reg.Register("chatty", func(_ context.Context, r *workers.Run) (json.RawMessage, error) {
		for i := range 5 {
			r.Log("loud", strings.Repeat("x", i+1))
		}
		return json.RawMessage(`{"lines":5}`), nil
	})
	_ = reg.Register("slow", func(ctx context.Context, _ *workers.Run) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	_ = reg.Register("panics", func(context.Context, *workers.Run) (json.RawMessage, error) { panic("boom") })
	_ = reg.Register("bad-result", func(context.Context, *workers.Run) (json.RawMessage, error) {
		return json.RawMessage(`{`), nil
	})
	lim := testLimits()
	lim.TaskLogLines, lim.TaskTimeout = 3, 50*time.Millisecond
	e.forward(ctx)
	run(t, ctx, e.pool(reg, 4, lim))
	e.submit("chatty-1", "chatty", 1)
	e.submit("slow-1", "slow", 2)
	e.submit("panics-1", "panics", 1)
	e.submit("bad-result-1", "bad-result", 1)
	e.submit("unknown-1", "no-such-workflow", 3)
	e.waitFinal(30*time.Second, "chatty-1", "slow-1", "panics-1", "bad-result-1", "unknown-1")

	tk, _ := e.task("chatty-1")
	if tk.State != task.StateCompleted || len(tk.Logs) != 4 || tk.Logs[0].Severity != task.SeverityInfo ||
		!strings.Contains(tk.Logs[3].Message, "2 more log lines") || tk.Logs[3].Severity != task.SeverityWarning {
		t.Fatalf("chatty task: %s, logs %+v", tk.State, tk.Logs)
	}
	tk, evs := e.task("slow-1")
	if tk.State != task.StateFailed || tk.ErrorCode != "unavailable" || !strings.Contains(tk.Error, "INFRAHUB_TASK_TIMEOUT") ||
		len(payloads[task.Retried](t, e.cat, evs, task.TypeRetried)) != 1 {
		t.Fatalf("slow task: %s %s %q", tk.State, tk.ErrorCode, tk.Error)
	}
	for id, want := range map[string]string{"panics-1": "panicked: boom", "bad-result-1": "not JSON", "unknown-1": `"no-such-workflow"`} {
		tk, evs := e.task(id)
		if tk.State != task.StateFailed || !strings.Contains(tk.Error, want) || len(payloads[task.Started](t, e.cat, evs, task.TypeStarted)) != 1 {
			t.Fatalf("task %s: %s %q, want failed with %q after one run", id, tk.State, tk.Error, want)
		}
	}
}
