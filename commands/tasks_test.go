package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/task"
)

// taskFixture is the application over a log, with a test workflow of the workers' own code.
type taskFixture struct {
	log *sqlite.Store
	cat *events.Catalogue
	app *commands.Service
}

func newTaskFixture(t *testing.T) *taskFixture {
	t.Helper()
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	fold := projections.NewInline(log, store)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor,
		Workflows: []commands.Workflow{{Name: "noop"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &taskFixture{log: log, cat: store.Catalogue(), app: app}
}

func (f *taskFixture) dispatch(ctx context.Context, typ, id string, payload any) (commands.Result, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return f.app.Dispatch(ctx, commands.Command{Type: typ, ID: id, Payload: raw})
}

// submit submits a task as the server and answers its id.
func (f *taskFixture) submit(t *testing.T, id, workflow string, params any) string {
	t.Helper()
	res, err := f.dispatch(context.Background(), commands.TypeSubmitTask, id, map[string]any{"workflow": workflow, "parameters": params})
	if err != nil {
		t.Fatalf("submit %s: %v", workflow, err)
	}
	return res.Data.(commands.TaskOutcome).Task.ID
}

// task folds a task from the log.
func (f *taskFixture) task(t *testing.T, id string) (task.Task, []events.Envelope) {
	t.Helper()
	evs, err := f.log.ReadStream(context.Background(), task.Stream(id), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := task.Fold(f.cat, evs)
	if err != nil {
		t.Fatalf("task %s: %v", id, err)
	}
	return tk, evs
}

// appendEvent writes what a worker would: an event of the task's life at its current version.
func (f *taskFixture) appendEvent(t *testing.T, id, typ string, payload any) {
	t.Helper()
	tk, _ := f.task(t, id)
	ev, err := f.cat.New(typ, payload, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.Append(context.Background(), task.Stream(id), tk.Version, ev); err != nil {
		t.Fatal(err)
	}
}

func (f *taskFixture) head(t *testing.T) events.Position {
	t.Helper()
	h, err := f.log.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A submit appends task.created on task/<id> with Infrahub's workflow name, title and tags and
// the command's payload as parameters; the command id is the task id, and sending it again
// answers the same task without writing. The id stays free for the command the task's run
// dispatches under it (what a worker does), which then runs once.
func TestSubmitTaskIsIdempotent(t *testing.T) {
	f := newTaskFixture(t)
	ctx := context.Background()
	submit := map[string]any{"workflow": "create-branch", "parameters": map[string]any{"name": "b1", "description": "later"},
		"related_nodes": []map[string]any{{"id": "n1", "kind": "TestSite"}}}
	first, err := f.dispatch(ctx, commands.TypeSubmitTask, "t-1", submit)
	if err != nil {
		t.Fatal(err)
	}
	if first.Data.(commands.TaskOutcome).Task.ID != "t-1" || first.Stream != task.Stream("t-1") || first.CommandID != "t-1" || first.Duplicate {
		t.Fatalf("first submit: %+v", first)
	}
	again, err := f.dispatch(ctx, commands.TypeSubmitTask, "t-1", submit)
	if err != nil || !again.Duplicate || again.Data.(commands.TaskOutcome).Task.ID != "t-1" || !slices.Equal(again.Positions, first.Positions) {
		t.Fatalf("submit again: %+v %v", again, err)
	}
	tk, evs := f.task(t, "t-1")
	if len(evs) != 1 || evs[0].Type != task.TypeCreated {
		t.Fatalf("task stream: %d events", len(evs))
	}
	if tk.State != task.StatePending || tk.Workflow != "create-branch" || tk.Title != "Create branch b1" || tk.Branch != "b1" ||
		!slices.Equal(tk.Tags, []string{task.TagDatabaseChange}) || tk.MaxAttempts != 3 || len(tk.RelatedNodes) != 1 {
		t.Fatalf("created: %+v", tk.Created)
	}
	var params commands.CreateBranch
	if err := json.Unmarshal(tk.Parameters, &params); err != nil || params.Name != "b1" || params.Description != "later" {
		t.Fatalf("parameters %s: %v", tk.Parameters, err)
	}
	// the run: the command under the task's id, twice (a redelivered message)
	for range 2 {
		if _, err := f.app.Dispatch(ctx, commands.Command{Type: commands.TypeCreateBranch, ID: "t-1", Payload: tk.Parameters}); err != nil {
			t.Fatalf("the task's command under its id: %v", err)
		}
	}
	// another payload under the same command id is refused
	other := map[string]any{"workflow": "create-branch", "parameters": map[string]any{"name": "b2"}}
	if _, err := f.dispatch(ctx, commands.TypeSubmitTask, "t-1", other); !errors.Is(err, commands.ErrIdempotencyConflict) {
		t.Fatalf("another submit under t-1: %v", err)
	}
	// without a command id, the payload's id: the same submission answers the task, another is refused
	byID := map[string]any{"id": "t-2", "workflow": "noop", "parameters": map[string]any{"x": 1}}
	f.dispatch(ctx, commands.TypeSubmitTask, "", byID)
	before := f.head(t)
	if res, err := f.dispatch(ctx, commands.TypeSubmitTask, "", byID); err != nil || res.Data.(commands.TaskOutcome).Task.ID != "t-2" || f.head(t) != before {
		t.Fatalf("the same submission again: %+v %v", res, err)
	}
	byID["parameters"] = map[string]any{"x": 2}
	if _, err := f.dispatch(ctx, commands.TypeSubmitTask, "", byID); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "t-2") {
		t.Fatalf("another submission under t-2: %v", err)
	}
	// an id another command took cannot be a task's: its run could not take it
	if _, err := f.dispatch(ctx, commands.TypeRecordDiagnostic, "d-1", map[string]any{"data": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dispatch(ctx, commands.TypeSubmitTask, "d-1", map[string]any{"workflow": "noop"}); !errors.Is(err, commands.ErrIdempotencyConflict) || !strings.Contains(err.Error(), "d-1") {
		t.Fatalf("a task under a command's id: %v", err)
	}
	// no id at all: a new UUID each time
	a, b := f.submit(t, "", "noop", nil), f.submit(t, "", "noop", nil)
	if a == b || len(a) != 36 {
		t.Fatalf("ids %q %q", a, b)
	}
}

// What a worker could not run is refused at submit, naming the field, and writes nothing.
func TestSubmitTaskRefusesBadPayloads(t *testing.T) {
	f := newTaskFixture(t)
	before := f.head(t)
	cases := []struct {
		name    string
		payload any
		want    []string
	}{
		{"unknown workflow", map[string]any{"workflow": "make-coffee"}, []string{`field "workflow"`, "make-coffee", "create-branch"}},
		{"no workflow", map[string]any{"parameters": map[string]any{}}, []string{`field "workflow"`}},
		{"unknown parameter", map[string]any{"workflow": "create-branch", "parameters": map[string]any{"nme": "b1"}}, []string{`field "parameters"`, `"nme"`}},
		{"wrong type", map[string]any{"workflow": "branch-rebase", "parameters": map[string]any{"branch": 7}}, []string{`field "parameters"`, "branch"}},
		{"bad branch name", map[string]any{"workflow": "create-branch", "parameters": map[string]any{"name": "a b"}}, []string{`field "parameters"`, `field "name"`}},
		{"merge main", map[string]any{"workflow": "branch-merge", "parameters": map[string]any{"branch": "main"}}, []string{`field "branch"`, "default branch"}},
		{"no schema", map[string]any{"workflow": "schema-load", "parameters": map[string]any{"branch": "b1"}}, []string{`field "schemas"`}},
		{"diff range", map[string]any{"workflow": "diff-update", "parameters": map[string]any{"branch": "b1", "from_time": "2024-01-01T00:00:00Z"}}, []string{`field "name"`}},
		{"not an object", map[string]any{"workflow": "noop", "parameters": []int{1}}, []string{`field "parameters"`}},
		{"unknown field", map[string]any{"workflow": "noop", "colour": "red"}, []string{`"colour"`}},
		{"related node", map[string]any{"workflow": "noop", "related_nodes": []map[string]any{{"kind": "TestSite"}}}, []string{"related_nodes[0].id"}},
		{"bad id", map[string]any{"workflow": "noop", "id": "a b"}, []string{`field "id"`}},
	}
	for _, c := range cases {
		_, err := f.dispatch(context.Background(), commands.TypeSubmitTask, "", c.payload)
		if !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to name %s", c.name, err, w)
			}
		}
	}
	if after := f.head(t); after != before {
		t.Fatalf("refused submissions wrote: head %d → %d", before, after)
	}
}

// A task of a command workflow is authorized as its command; one of the workers' own code as a
// change of its branch; cancelling a task needs what submitting it needs. Refusals write nothing.
func TestTaskPermissions(t *testing.T) {
	f := newTaskFixture(t)
	ctx := context.Background()
	editor := authz.With(ctx, &authz.Identity{AccountID: "acc-e", Name: "editor", Permissions: authz.NewPermissions(nil, nil)})
	admin := authz.With(ctx, &authz.Identity{AccountID: "acc-a", Name: "admin", Permissions: authz.NewPermissions(
		[]authz.GlobalPermission{{Action: authz.SuperAdmin, Decision: authz.AllowAll}}, nil)})
	submit := func(ctx context.Context, workflow string, params any) (commands.Result, error) {
		return f.dispatch(ctx, commands.TypeSubmitTask, "", map[string]any{"workflow": workflow, "parameters": params})
	}
	res, err := submit(editor, "create-branch", map[string]any{"name": "b1"})
	if err != nil {
		t.Fatalf("an account creates a branch: %v", err)
	}
	if tk, _ := f.task(t, res.Data.(commands.TaskOutcome).Task.ID); tk.Account != "acc-e" {
		t.Fatalf("account %q, want the submitter's", tk.Account)
	}
	if _, err := submit(editor, "diff-update", map[string]any{"branch": "b1"}); err != nil {
		t.Fatalf("a diff update of a branch: %v", err)
	}
	merge := f.submit(t, "", "branch-merge", map[string]any{"branch": "b1"})
	before := f.head(t)
	denied := []struct {
		name, want string
		do         func() error
	}{
		{"anonymous", "anonymous", func() error {
			_, err := submit(authz.With(ctx, authz.Anonymous), "create-branch", map[string]any{"name": "b2"})
			return err
		}},
		{"merge", "global:edit_default_branch", func() error { _, err := submit(editor, "branch-merge", map[string]any{"branch": "b1"}); return err }},
		{"rebase", "global:rebase_branch", func() error { _, err := submit(editor, "branch-rebase", map[string]any{"branch": "b1"}); return err }},
		{"schema", "global:manage_schema", func() error {
			_, err := submit(editor, "schema-load", map[string]any{"schemas": []any{map[string]any{"version": "1.0"}}})
			return err
		}},
		{"diff of main", "global:edit_default_branch", func() error { _, err := submit(editor, "diff-update", map[string]any{"branch": "main"}); return err }},
		{"cancel a merge", "global:edit_default_branch", func() error {
			_, err := f.dispatch(editor, commands.TypeCancelTask, "", commands.TaskAction{ID: merge})
			return err
		}},
	}
	for _, d := range denied {
		if err := d.do(); !errors.Is(err, fault.ErrForbidden) || !strings.Contains(err.Error(), d.want) {
			t.Errorf("%s: %v, want forbidden naming %s", d.name, err, d.want)
		}
	}
	if after := f.head(t); after != before {
		t.Fatalf("refusals wrote: head %d → %d", before, after)
	}
	if _, err := f.dispatch(admin, commands.TypeCancelTask, "", commands.TaskAction{ID: merge}); err != nil {
		t.Fatalf("an admin cancels the merge: %v", err)
	}
}

// Cancel: a pending task is cancelled (once: then it is over), a running or completed one is a
// conflict, an unknown one not found.
func TestCancelTask(t *testing.T) {
	f := newTaskFixture(t)
	ctx := context.Background()
	cancel := func(id string) error {
		_, err := f.dispatch(ctx, commands.TypeCancelTask, "", commands.TaskAction{ID: id})
		return err
	}
	pending := f.submit(t, "", "noop", nil)
	res, err := f.dispatch(ctx, commands.TypeCancelTask, "c-1", commands.TaskAction{ID: pending})
	if err != nil || res.Data.(commands.TaskOutcome).Task.ID != pending {
		t.Fatalf("cancel pending: %+v %v", res, err)
	}
	if tk, _ := f.task(t, pending); tk.State != task.StateCancelled || tk.Conclusion != task.Failure {
		t.Fatalf("cancelled task: %s %s", tk.State, tk.Conclusion)
	}
	if again, err := f.dispatch(ctx, commands.TypeCancelTask, "c-1", commands.TaskAction{ID: pending}); err != nil || !again.Duplicate {
		t.Fatalf("the same cancel again: %+v %v", again, err)
	}
	if err := cancel(pending); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "already CANCELLED") {
		t.Fatalf("cancel a cancelled task: %v", err)
	}
	running := f.submit(t, "", "noop", nil)
	f.appendEvent(t, running, task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"})
	if err := cancel(running); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "is running") {
		t.Fatalf("cancel a running task: %v", err)
	}
	f.appendEvent(t, running, task.TypeCompleted, task.Completed{})
	if err := cancel(running); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "already COMPLETED") {
		t.Fatalf("cancel a completed task: %v", err)
	}
	scheduled := f.submit(t, "", "noop", nil)
	f.appendEvent(t, scheduled, task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"})
	f.appendEvent(t, scheduled, task.TypeRetried, task.Retried{Attempt: 1, Error: "broker away"})
	if err := cancel(scheduled); err != nil {
		t.Fatalf("cancel a task waiting for its retry: %v", err)
	}
	if err := cancel("nope"); !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("cancel an unknown task: %v", err)
	}
	if err := cancel(""); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("cancel without an id: %v", err)
	}
}

// Retry: a failed task is submitted again as a new task with its workflow, parameters, title,
// branch and related nodes (idempotent by command id); a task that did not fail or was not
// cancelled is a conflict.
func TestRetryTask(t *testing.T) {
	f := newTaskFixture(t)
	ctx := context.Background()
	res, err := f.dispatch(ctx, commands.TypeSubmitTask, "", map[string]any{"workflow": "branch-rebase",
		"parameters": map[string]any{"branch": "b1"}, "title": "Rebase b1 nightly", "related_nodes": []map[string]any{{"id": "n1"}}})
	if err != nil {
		t.Fatal(err)
	}
	failed := res.Data.(commands.TaskOutcome).Task.ID
	retry := func(cmdID, id string) (commands.Result, error) {
		return f.dispatch(ctx, commands.TypeRetryTask, cmdID, commands.TaskAction{ID: id})
	}
	if _, err := retry("", failed); !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "PENDING") {
		t.Fatalf("retry a pending task: %v", err)
	}
	f.appendEvent(t, failed, task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"})
	f.appendEvent(t, failed, task.TypeFailed, task.Failed{Attempt: 1, Error: "branch b1 not found", Code: "not_found"})
	res, err = retry("r-1", failed)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := retry("r-1", failed); err != nil || !again.Duplicate || again.Data.(commands.TaskOutcome).Task.ID != "r-1" {
		t.Fatalf("the same retry again: %+v %v", again, err)
	}
	newID := res.Data.(commands.TaskOutcome).Task.ID
	old, _ := f.task(t, failed)
	tk, _ := f.task(t, newID)
	if newID != "r-1" || tk.State != task.StatePending || tk.Workflow != old.Workflow || string(tk.Parameters) != string(old.Parameters) ||
		tk.Title != "Rebase b1 nightly" || tk.Branch != "b1" || len(tk.RelatedNodes) != 1 || tk.RelatedNodes[0].ID != "n1" {
		t.Fatalf("retried task %s: %+v (of %+v)", newID, tk.Created, old.Created)
	}
	if old.State != task.StateFailed {
		t.Fatalf("the failed task is now %s", old.State)
	}
	if _, err := retry("", "nope"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("retry an unknown task: %v", err)
	}
}

// Config.Workflows: each name once, not a built-in's, and a command the Service handles.
func TestConfigWorkflows(t *testing.T) {
	log, store, _, fold := newApp(t)
	for name, wfs := range map[string][]commands.Workflow{
		"twice":      {{Name: "x"}, {Name: "x"}},
		"built-in":   {{Name: "create-branch"}},
		"no name":    {{Name: ""}},
		"no command": {{Name: "x", Command: "node.explode"}},
		"task":       {{Name: "x", Command: commands.TypeSubmitTask}},
	} {
		if _, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor, Workflows: wfs}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor,
		Workflows: []commands.Workflow{{Name: "tag", Command: commands.TypeCreateNode}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, wf := range app.Workflows() {
		names = append(names, wf.Name)
	}
	want := []string{"action-add-node-to-group", "action-remove-node-from-group", "action-run-generator", "action-run-generator-group-event",
		"artifact-definition-generate", "artifact-generate", "branch-delete", "branch-merge", "branch-rebase", "create-branch",
		"diff-update", "git-repository-add-read-only", "git-repository-add-read-write", "git-repository-import", "git_repositories_sync",
		"merge-branch-mutation", "request_artifact_definitions_generate", "schema-load", "tag", "webhook-process"}
	if !slices.Equal(names, want) {
		t.Fatalf("workflows %v, want %v", names, want)
	}
}
