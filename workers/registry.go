package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/task"
)

// RunFunc runs one attempt of a task's workflow and answers its result (JSON, or nil). It must
// return once ctx ends (the run's deadline, Limits.TaskTimeout, or the pool stopping). An error
// wrapping fault.ErrInvalid, ErrNotFound, ErrForbidden, ErrConflict or ErrTooLarge fails the task
// at once; any other error is retried. The task may run more than once (at least once
// delivery, a worker that died): its effect must be idempotent.
type RunFunc func(ctx context.Context, r *Run) (json.RawMessage, error)

// Registry maps workflow names to what runs them. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	funcs map[string]RunFunc
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{funcs: map[string]RunFunc{}} }

// Register makes f run the tasks of workflow name; a name registered twice is refused.
func (r *Registry) Register(name string, f RunFunc) error {
	if name == "" || f == nil {
		return fmt.Errorf("%w: workflow name and run function are required", task.ErrInvalid)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.funcs == nil {
		r.funcs = map[string]RunFunc{}
	}
	if _, ok := r.funcs[name]; ok {
		return fmt.Errorf("%w: workflow %q is registered twice", task.ErrInvalid, name)
	}
	r.funcs[name] = f
	return nil
}

// Lookup answers the RunFunc of workflow name.
func (r *Registry) Lookup(name string) (RunFunc, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.funcs[name]
	return f, ok
}

// Names lists the registered workflows, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CommandID is the id of the command a command workflow dispatches for task id. It is not the
// task id itself, which is the id of the task.submit command that created the task: the log
// would refuse another command under it.
func CommandID(taskID string) string { return "task-run:" + taskID }

// CommandWorkflow makes a RunFunc that dispatches Command{Type: commandType, ID:
// CommandID(task id), Payload: the task's parameters} for the account that submitted the task,
// and answers the command's Result as JSON. A second run of the task dispatches the same command
// id: the log answers the first result and nothing is written twice.
func CommandWorkflow(dispatch func(context.Context, commands.Command) (commands.Result, error), commandType string) RunFunc {
	return func(ctx context.Context, r *Run) (json.RawMessage, error) {
		res, err := dispatch(ctx, commands.Command{Type: commandType, ID: CommandID(r.Task.ID),
			Actor: r.Task.Account, Payload: r.Task.Parameters})
		if err != nil {
			return nil, err
		}
		if res.Duplicate {
			r.Log(task.SeverityInfo, fmt.Sprintf("%s was done by an earlier run of this task", commandType))
		} else {
			var last events.Position
			if n := len(res.Positions); n > 0 {
				last = res.Positions[n-1]
			}
			r.Log(task.SeverityInfo, fmt.Sprintf("%s done: %d event(s) up to log position %d", commandType, len(res.Positions), last))
		}
		out, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("%s: encode the result: %w", commandType, err)
		}
		return out, nil
	}
}

// Route is the forwarder's route of task messages: every task.created event is also published
// alone to bus.TopicTasks.
func Route() forward.Route { return RouteTo(bus.TopicTasks) }

// RouteTo is Route to another topic (tests use topics of their own).
func RouteTo(topic string) forward.Route {
	return forward.Route{Topic: topic, Match: func(e *events.Envelope) bool { return e.Type == task.TypeCreated }}
}
