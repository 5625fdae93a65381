package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/task"
)

// Task commands: a task's life starts in the log (task.created on the stream task/<id>), which
// is also the outbox the workers' queue is fed from; workers append the rest of it.
const (
	// TypeSubmitTask creates a task of a workflow (SubmitTask). The command's id, when given,
	// is the task's id: a retried submit answers the first task.
	TypeSubmitTask = "task.submit"
	// TypeCancelTask cancels a task that no worker runs yet (TaskAction).
	TypeCancelTask = "task.cancel"
	// TypeRetryTask submits a failed or cancelled task again, as a new task (TaskAction).
	TypeRetryTask = "task.retry"
)

// SubmitTask is the payload of TypeSubmitTask.
type SubmitTask struct {
	// ID is the task's id; default: the command's id, else a new UUID.
	ID       string `json:"id,omitempty"`
	Workflow string `json:"workflow"`
	// Parameters are the workflow's input: for a command workflow, the command's payload,
	// decoded strictly as that payload here (a bad one is refused now, not in the worker).
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Title defaults to the workflow's (Infrahub's flow run name), Branch to the branch the
	// parameters name.
	Title        string             `json:"title,omitempty"`
	Branch       string             `json:"branch,omitempty"`
	RelatedNodes []task.RelatedNode `json:"related_nodes,omitempty"`
}

// TaskAction is the payload of TypeCancelTask and TypeRetryTask: the task's id.
type TaskAction struct {
	ID string `json:"id"`
}

// TaskRef names a task.
type TaskRef struct {
	ID string `json:"id"`
}

// TaskOutcome is what the task commands answer: the task submitted (a retry's new task) or
// cancelled.
type TaskOutcome struct {
	Task TaskRef `json:"task"`
}

// tasks holds the task commands' handlers and the workflow catalogue.
type tasks struct {
	s         *Service
	workflows catalogue
}

// taskEvents registers the task event types in a catalogue once, whichever Service gets there
// first (several may share the composition root's catalogue).
var taskEvents sync.Mutex

func registerTaskEvents(c *events.Catalogue) {
	taskEvents.Lock()
	defer taskEvents.Unlock()
	if _, ok := c.Lookup(task.TypeCreated); !ok {
		task.RegisterEvents(c)
	}
}

// Workflows lists the workflows tasks may be submitted for, by name: the built-ins and
// Config.Workflows (workers register a runner for each).
func (s *Service) Workflows() []Workflow {
	out := make([]Workflow, 0, len(s.tasks.workflows))
	for _, n := range s.tasks.workflows.names() {
		out = append(out, s.tasks.workflows[n])
	}
	return out
}

// workflow is the workflow named name.
func (t *tasks) workflow(name string) (Workflow, error) {
	wf, ok := t.workflows[name]
	if !ok {
		return Workflow{}, fmt.Errorf("%w: field \"workflow\": unknown workflow %q (one of %v)", ErrInvalid, name, t.workflows.names())
	}
	return wf, nil
}

// authorize checks that the identity ctx carries may run a task of wf with params on branch
// name. A command workflow is authorized as its command (Service.authorize, as if the identity
// dispatched the command itself): the worker later runs it as the server, so this is the
// check. A workflow of the workers' own code changes no data through commands: it needs what a
// change of the task's branch needs (an account; on the default branch, edit_default_branch).
// Cancelling a task needs the same as submitting it: who could not start a merge may not stop
// one either.
func (t *tasks) authorize(ctx context.Context, wf Workflow, params json.RawMessage, name string) error {
	id := authz.From(ctx)
	if id == nil {
		return nil
	}
	if wf.Command != "" {
		return t.s.authorize(ctx, Command{Type: wf.Command, Payload: params})
	}
	return authz.RequireBranchWrite(id, name == "" || name == t.s.w.def)
}

// prepare checks a submission and answers the task.created it makes (without its id).
func (t *tasks) prepare(ctx context.Context, cmd Command, in SubmitTask) (task.Created, error) {
	wf, err := t.workflow(in.Workflow)
	if err != nil {
		return task.Created{}, err
	}
	if n := int64(len(in.Parameters)); n > t.s.lim.BodyBytes {
		return task.Created{}, fmt.Errorf("field \"parameters\": %w", limits.Exceeded("parameters in bytes", n,
			t.s.lim.BodyBytes, limits.Setting("BodyBytes")))
	}
	params, name, err := wf.check(in.Parameters)
	if err != nil {
		return task.Created{}, err
	}
	if in.Branch != "" {
		if err := branch.ValidateName(in.Branch); err != nil {
			return task.Created{}, fmt.Errorf("field \"branch\": %w", err)
		}
		name = in.Branch
	}
	title := in.Title
	if title == "" {
		title = wf.title(params)
	}
	if n := len(title); n > t.s.lim.DescriptionBytes {
		return task.Created{}, fmt.Errorf("field \"title\": %w", limits.Exceeded("title in bytes", int64(n),
			int64(t.s.lim.DescriptionBytes), limits.Setting("DescriptionBytes")))
	}
	for i, n := range in.RelatedNodes {
		if n.ID == "" {
			return task.Created{}, fmt.Errorf("%w: field \"related_nodes[%d].id\" is missing", ErrInvalid, i)
		}
	}
	if err := t.authorize(ctx, wf, params, name); err != nil {
		return task.Created{}, err
	}
	return task.Created{Workflow: wf.Name, Title: title, Branch: name, Parameters: params, Tags: wf.Tags,
		RelatedNodes: in.RelatedNodes, Account: cmd.Actor, MaxAttempts: t.s.lim.TaskAttempts}, nil
}

// checkID refuses a task id that cannot name a stream plainly.
func checkID(field, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: field %q is missing", ErrInvalid, field)
	case len(id) > 200:
		return fmt.Errorf("%w: field %q is longer than 200 characters", ErrInvalid, field)
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		return fmt.Errorf("%w: field %q: %q holds a space or a control character", ErrInvalid, field, id)
	}
	return nil
}

// newID is the id of a new task: the one given, else the command's, else a new UUID.
func newID(given, commandID string) (string, error) {
	switch {
	case given != "":
		return given, checkID("id", given)
	case commandID != "":
		return commandID, checkID("command id", commandID)
	}
	return uuid.NewString(), nil
}

// submit handles TypeSubmitTask.
func (t *tasks) submit(ctx context.Context, cmd Command) (Result, error) {
	var in SubmitTask
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	c, err := t.prepare(ctx, cmd, in)
	if err != nil {
		return Result{}, err
	}
	if c.ID, err = newID(in.ID, cmd.ID); err != nil {
		return Result{}, err
	}
	return t.create(ctx, cmd, c, true)
}

// retry handles TypeRetryTask: a new task (the command's id, else a new UUID) with the
// workflow, parameters, title, branch and related nodes of a failed or cancelled one, checked
// and authorized as a submission of its own.
func (t *tasks) retry(ctx context.Context, cmd Command) (Result, error) {
	var in TaskAction
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	old, err := t.read(ctx, in.ID)
	if err != nil {
		return Result{}, err
	}
	if old.State != task.StateFailed && old.State != task.StateCancelled {
		return Result{}, fmt.Errorf("%w: task %s is %s: only a FAILED or CANCELLED task is retried", ErrConflict, old.ID, old.State)
	}
	c, err := t.prepare(ctx, cmd, SubmitTask{Workflow: old.Workflow, Parameters: old.Parameters, Title: old.Title,
		Branch: old.Branch, RelatedNodes: old.RelatedNodes})
	if err != nil {
		return Result{}, fmt.Errorf("retry of task %s: %w", old.ID, err)
	}
	if c.ID, err = newID("", cmd.ID); err != nil {
		return Result{}, err
	}
	return t.create(ctx, cmd, c, false)
}

// create appends c at the start of its stream. The command is recorded (for idempotency) under
// "<id>/<type>" rather than its id, which stays free for the commands the task's run dispatches
// under the task's id (an id another command took is refused for that reason). A task of that id
// already there is a conflict, except, for a submit, the same submission again (same workflow and
// parameters), which answers it and writes nothing.
func (t *tasks) create(ctx context.Context, cmd Command, c task.Created, same bool) (Result, error) {
	rec := cmd
	if cmd.ID != "" {
		rec.ID, rec.Origin = cmd.ID+"/"+cmd.Type, cmd.root()
	}
	out := TaskOutcome{Task: TaskRef{ID: c.ID}}
	res, err := t.s.w.write(ctx, rec, func() (decision, error) {
		cur, err := t.read(ctx, c.ID)
		switch {
		case err == nil && same && cur.Workflow == c.Workflow && bytes.Equal(canonical(cur.Parameters), canonical(c.Parameters)):
			return decision{stream: task.Stream(c.ID), version: cur.Version, data: out}, nil
		case err == nil:
			return decision{}, fmt.Errorf("%w: field \"id\": task %s exists (a %s task)", ErrConflict, c.ID, cur.Workflow)
		case !task.IsNotFound(err):
			return decision{}, err
		}
		if _, taken, err := t.s.w.log.Command(ctx, c.ID); err != nil {
			return decision{}, err
		} else if taken { // the task's run could not take it
			return decision{}, fmt.Errorf("%w: task id %q is the id of another command: give a new task a new id", ErrIdempotencyConflict, c.ID)
		}
		ev, err := t.s.w.cat.New(task.TypeCreated, c, metaOf(rec))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: task.Stream(c.ID), version: events.NoStream, events: []events.Envelope{ev}, data: out}, nil
	})
	if err != nil {
		return res, err
	}
	res.CommandID = cmd.ID
	return typed[TaskOutcome](res)
}

// cancel handles TypeCancelTask: a PENDING or SCHEDULED task is cancelled at the version read (a
// worker that then takes its message sees a task that is over and skips it); a RUNNING one
// cannot be (its worker would not know), nor one that is over.
func (t *tasks) cancel(ctx context.Context, cmd Command) (Result, error) {
	var in TaskAction
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	cur, err := t.read(ctx, in.ID)
	if err != nil {
		return Result{}, err
	}
	wf, ok := t.workflows[cur.Workflow]
	if !ok { // a workflow no longer defined: checked as one of the workers' own
		wf = Workflow{Name: cur.Workflow}
	}
	if err := t.authorize(ctx, wf, cur.Parameters, cur.Branch); err != nil {
		return Result{}, err
	}
	res, err := t.s.w.write(ctx, cmd, func() (decision, error) {
		cur, err := t.read(ctx, in.ID)
		if err != nil {
			return decision{}, err
		}
		switch cur.State {
		case task.StatePending, task.StateScheduled:
		case task.StateRunning:
			return decision{}, fmt.Errorf("%w: task %s is running: only a task no worker runs yet can be cancelled", ErrConflict, cur.ID)
		default:
			return decision{}, fmt.Errorf("%w: task %s is already %s", ErrConflict, cur.ID, cur.State)
		}
		ev, err := t.s.w.cat.New(task.TypeCancelled, task.Cancelled{Account: cmd.Actor}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: task.Stream(cur.ID), version: cur.Version, events: []events.Envelope{ev},
			data: TaskOutcome{Task: TaskRef{ID: cur.ID}}}, nil
	})
	if err != nil {
		return res, err
	}
	return typed[TaskOutcome](res)
}

// readPage is how many events of a task's stream are read at a time.
const readPage = 1000

// read folds the task id from its stream in the log.
func (t *tasks) read(ctx context.Context, id string) (task.Task, error) {
	if err := checkID("id", id); err != nil {
		return task.Task{}, err
	}
	var all []events.Envelope
	for after := int64(0); ; {
		evs, err := t.s.w.log.ReadStream(ctx, task.Stream(id), after, readPage)
		if err != nil {
			return task.Task{}, fmt.Errorf("reading task %s: %w", id, err)
		}
		all = append(all, evs...)
		if len(evs) < readPage {
			break
		}
		after = evs[len(evs)-1].StreamVersion
	}
	tk, err := task.Fold(t.s.w.cat, all)
	if task.IsNotFound(err) {
		return tk, fmt.Errorf("%w: field \"id\": no task %q", err, id)
	}
	return tk, err
}
