package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// Default numbers of tasks a process runs at once (INFRAHUB_WORKERS, --workers, unset): a
// worker runs tasks; an API server runs them too when it is the whole deployment (an embedded
// log or bus), and leaves them to the workers otherwise.
const (
	defaultWorkerTasks   = 4
	defaultEmbeddedTasks = 2
	// maxWorkers bounds INFRAHUB_WORKERS: each task in flight holds a bus subscription.
	maxWorkers = 256
)

// taskConcurrency is how many tasks this process runs at once (0: none).
func (c Config) taskConcurrency(role string) int {
	switch {
	case c.Workers >= 0:
		return c.Workers
	case role == roleWorker:
		return defaultWorkerTasks
	case c.embedded():
		return defaultEmbeddedTasks
	default:
		return 0
	}
}

// embedded reports whether this process is the whole deployment: its bus is its own (mem://),
// or its log is (SQLite, one process).
func (c Config) embedded() bool {
	return strings.HasPrefix(c.BrokerURL, "mem:") || strings.HasPrefix(c.EventsURL, "sqlite:")
}

// TasksTopic is the bus topic of task messages (the work queue of every worker) and
// TasksDeadTopic the one of the tasks that failed their last attempt.
func (c Config) TasksTopic() string     { return c.BrokerNamespace + ".tasks" }
func (c Config) TasksDeadTopic() string { return c.BrokerNamespace + ".tasks.dead" }

// taskWorkflows is what this process runs for each workflow: a command workflow dispatches its
// command through the application (the submit was authorized; the run is the server's own
// work), diff-update checks that its branch exists (diffs here are computed as the branches
// change: there is nothing to update).
func (s *server) taskWorkflows() (*workers.Registry, error) {
	reg := workers.NewRegistry()
	for _, wf := range s.app.Workflows() {
		if wf.Command == "" {
			continue
		}
		if err := reg.Register(wf.Name, workers.CommandWorkflow(s.app.Dispatch, wf.Command)); err != nil {
			return nil, err
		}
	}
	if err := reg.Register(commands.WorkflowDiffUpdate, s.diffUpdate); err != nil {
		return nil, err
	}
	if err := registerGit(s, reg); err != nil {
		return nil, err
	}
	if err := registerEvents(s, reg); err != nil {
		return nil, err
	}
	return reg, nil
}

func (s *server) diffUpdate(_ context.Context, r *workers.Run) (json.RawMessage, error) {
	var p commands.DiffUpdate
	if err := json.Unmarshal(r.Task.Parameters, &p); err != nil {
		return nil, fmt.Errorf("%w: parameters: %w", task.ErrInvalid, err)
	}
	if _, ok := s.branches.Branch(p.Branch); !ok {
		return nil, fmt.Errorf("%w: branch %q", branch.ErrNotFound, p.Branch)
	}
	r.Log(task.SeverityInfo, fmt.Sprintf("the diff of branch %s is kept up to date as the branches change", p.Branch))
	return json.RawMessage(`{"ok":true}`), nil
}

// startTasks declares the work and dead-letter queues (every process does, so that a task
// routed before any worker subscribed waits in its queue) and, when this process runs tasks,
// starts its pool. Called once the broker is connected.
func (s *server) startTasks() error {
	ctx := s.bg
	if err := s.bus.EnsureQueue(ctx, s.cfg.TasksTopic(), bus.GroupWorkers); err != nil {
		return fmt.Errorf("tasks queue: %w", err)
	}
	if err := s.bus.EnsureQueue(ctx, s.cfg.TasksDeadTopic(), bus.GroupDead); err != nil {
		return fmt.Errorf("dead-letter queue: %w", err)
	}
	n := s.cfg.taskConcurrency(s.role)
	if n == 0 {
		s.log.Info("this process runs no tasks (INFRAHUB_WORKERS=0): workers of the deployment run them")
		return nil
	}
	reg, err := s.taskWorkflows()
	if err != nil {
		return err
	}
	pool, err := workers.New(workers.Config{Store: s.store, Catalogue: s.catalog, Queue: s.bus, Registry: reg,
		Concurrency: n, Limits: s.cfg.Limits, WorkerID: s.cfg.Instance, Logger: s.log,
		Topic: s.cfg.TasksTopic(), Group: bus.GroupWorkers, DeadTopic: s.cfg.TasksDeadTopic(), DeadGroup: bus.GroupDead})
	if err != nil {
		return err
	}
	s.pool.Store(pool)
	s.loop(s.bg, "task workers", pool.Run)
	s.log.Info("running tasks", "concurrency", n, "workflows", strings.Join(reg.Names(), ","))
	return nil
}

// requeueTasks hands the tasks that are not over to this process's pool again, once the tasks
// projection caught up at start. Only for an embedded bus: its messages died with the previous
// process, and no other worker can hold them (a shared broker keeps its messages, and a task
// running elsewhere must not be taken over).
func (s *server) requeueTasks(ctx context.Context) {
	pool := s.pool.Load()
	if pool == nil || s.bus.Kind() != "mem" {
		return
	}
	ids := s.tasks.NotFinal()
	if len(ids) == 0 {
		return
	}
	n, err := pool.Requeue(ctx, ids)
	if err != nil {
		s.log.Warn("requeueing the tasks that were not over", "err", err)
		return
	}
	s.log.Info("requeued the tasks that were not over at start", "tasks", n)
}
