package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/task"
)

// taskOf folds task id from the fixture's log.
func (f *fixture) taskOf(t testing.TB, id string) task.Task {
	t.Helper()
	evs, err := f.log.ReadStream(context.Background(), task.Stream(id), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := task.Fold(f.store.Catalogue(), evs)
	if err != nil {
		t.Fatalf("task %s: %v", id, err)
	}
	return tk
}

// createdTasks counts the task.created events of the log.
func (f *fixture) createdTasks(t testing.TB) int {
	t.Helper()
	evs, err := f.log.ReadAll(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == task.TypeCreated {
			n++
		}
	}
	return n
}

// runTask does by hand what a worker does with a task of a command workflow: claim it
// (task.started at the version read), dispatch the workflow's command under the task's id with
// the task's parameters, and append the outcome.
func (f *fixture) runTask(t testing.TB, id string) {
	t.Helper()
	ctx, cat := context.Background(), f.store.Catalogue()
	appendEv := func(typ string, payload any) {
		ev, err := cat.New(typ, payload, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.log.Append(ctx, task.Stream(id), f.taskOf(t, id).Version, ev); err != nil {
			t.Fatal(err)
		}
	}
	tk := f.taskOf(t, id)
	i := slices.IndexFunc(f.dispatch.Workflows(), func(wf commands.Workflow) bool { return wf.Name == tk.Workflow })
	if i < 0 || f.dispatch.Workflows()[i].Command == "" {
		t.Fatalf("task %s: %q is not a command workflow", id, tk.Workflow)
	}
	appendEv(task.TypeStarted, task.Started{Attempt: 1, Worker: "test"})
	res, err := f.dispatch.Dispatch(ctx, commands.Command{Type: f.dispatch.Workflows()[i].Command, ID: id, Payload: tk.Parameters})
	if err != nil {
		t.Fatalf("task %s: %v", id, err)
	}
	out, _ := json.Marshal(res)
	appendEv(task.TypeCompleted, task.Completed{Result: out})
	if err := f.sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// BranchCreate(wait_until_completion: false), as client.branch.create(wait_until_completion=False)
// sends it (testdata/sdk/branch_create_task.gql, from infrahub_sdk/branch.py), submits a
// create-branch task and answers its id: the branch is made by the task's run, not before.
// InfrahubTaskCancel cancels the pending task (once), InfrahubTaskRetry submits it again as a new
// task, whose run creates the branch. The other branch mutations not waited for are tasks of
// Infrahub's workflows (backend/infrahub/graphql/mutations/branch.py: branch-rebase,
// merge-branch-mutation, branch-delete), refused at once for an unknown branch; DiffUpdate is a
// diff-update task unless waited for, as in Infrahub (backend/infrahub/graphql/mutations/diff.py),
// with client.create_diff's document (testdata/sdk/diff_update_task.gql, infrahub_sdk/client.py).
func TestBranchMutationsAsTasks(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	tp := tasks.New(f.store.Catalogue(), limits.Default())
	f.x.Tasks = foldedTasks{tp, projections.NewInline(f.log, tp)}
	gql := func(doc string) (map[string]any, string) {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if errs, ok := out["errors"].([]any); ok && len(errs) > 0 {
			return nil, fmt.Sprint(errs)
		}
		return out["data"].(map[string]any), ""
	}
	must := func(doc, field string) map[string]any {
		t.Helper()
		data, errs := gql(doc)
		if errs != "" {
			t.Fatalf("%s: %s", field, errs)
		}
		return data[field].(map[string]any)
	}
	taskID := func(m map[string]any) string {
		t.Helper()
		task, _ := m["task"].(map[string]any)
		id, _ := task["id"].(string)
		if id == "" {
			t.Fatalf("no task id in %v", m)
		}
		return id
	}
	branchExists := func(name string) bool {
		data, _ := gql(fmt.Sprintf(`{ Branch(name: %q) { name } }`, name))
		return len(data["Branch"].([]any)) == 1
	}

	created := must(sdkDoc(t, "branch_create_task", nil), "BranchCreate")
	first := taskID(created)
	tk := f.taskOf(t, first)
	var params map[string]any
	_ = json.Unmarshal(tk.Parameters, &params)
	if created["ok"] != true || tk.State != task.StatePending || tk.Workflow != commands.WorkflowCreateBranch ||
		tk.Title != "Create branch feature-2" || tk.Branch != "feature-2" || params["name"] != "feature-2" || params["description"] != "in the background" {
		t.Fatalf("BranchCreate task: %v, %+v %s", created, tk.Created, tk.Parameters)
	}
	if branchExists("feature-2") {
		t.Fatal("the branch exists before the task ran")
	}

	cancel := fmt.Sprintf(`mutation { InfrahubTaskCancel(data: {id: %q}) { ok task { id state workflow } } }`, first)
	if c := must(cancel, "InfrahubTaskCancel"); c["ok"] != true || taskID(c) != first || f.taskOf(t, first).State != task.StateCancelled ||
		c["task"].(map[string]any)["state"] != "CANCELLED" || c["task"].(map[string]any)["workflow"] != commands.WorkflowCreateBranch {
		t.Fatalf("cancel: %v, task %s", c, f.taskOf(t, first).State)
	}
	if _, errs := gql(cancel); !strings.Contains(errs, "CONFLICT") || !strings.Contains(errs, "already CANCELLED") {
		t.Fatalf("cancel again: %s", errs)
	}
	retried := must(fmt.Sprintf(`mutation { InfrahubTaskRetry(data: {id: %q}) { ok task { id } } }`, first), "InfrahubTaskRetry")
	second := taskID(retried)
	if second == first || f.taskOf(t, second).State != task.StatePending || string(f.taskOf(t, second).Parameters) != string(tk.Parameters) {
		t.Fatalf("retry: %v", retried)
	}
	f.runTask(t, second)
	if !branchExists("feature-2") || f.taskOf(t, second).State != task.StateCompleted {
		t.Fatal("the retried task's run did not create the branch")
	}
	if _, errs := gql(fmt.Sprintf(`mutation { InfrahubTaskCancel(data: {id: %q}) { ok } }`, second)); !strings.Contains(errs, "already COMPLETED") {
		t.Fatalf("cancel a completed task: %s", errs)
	}
	if _, errs := gql(`mutation { InfrahubTaskRetry(data: {id: "nope"}) { ok } }`); !strings.Contains(errs, "NOT_FOUND") {
		t.Fatalf("retry an unknown task: %s", errs)
	}

	for _, c := range []struct{ mutation, workflow string }{
		{"BranchRebase", commands.WorkflowRebaseBranch},
		{"BranchMerge", commands.WorkflowMergeBranchMutation},
	} {
		m := must(fmt.Sprintf(`mutation { %s(wait_until_completion: false, data: {name: "feature-2"}) { ok object { name status } task { id } } }`, c.mutation), c.mutation)
		tk := f.taskOf(t, taskID(m))
		if tk.Workflow != c.workflow || string(tk.Parameters) != `{"branch":"feature-2"}` || m["object"].(map[string]any)["status"] != "OPEN" {
			t.Errorf("%s: %v, %s %s", c.mutation, m, tk.Workflow, tk.Parameters)
		}
	}
	before := f.createdTasks(t)
	if _, errs := gql(`mutation { BranchDelete(wait_until_completion: false, data: {name: "nope"}) { ok task { id } } }`); !strings.Contains(errs, "NOT_FOUND") {
		t.Errorf("delete an unknown branch: %s", errs)
	}
	if after := f.createdTasks(t); after != before {
		t.Errorf("a refused BranchDelete made a task (%d → %d)", before, after)
	}
	del := must(`mutation { BranchDelete(wait_until_completion: false, data: {name: "feature-2"}) { ok task { id } } }`, "BranchDelete")
	if tk := f.taskOf(t, taskID(del)); tk.Workflow != commands.WorkflowDeleteBranch || tk.Title != "Delete branch feature-2" || !branchExists("feature-2") {
		t.Errorf("BranchDelete task: %+v", tk.Created)
	}

	from, to := time.Now().Add(-time.Hour).Format(time.RFC3339), time.Now().Format(time.RFC3339)
	diff := must(strings.NewReplacer("FROM_TIME", from, "TO_TIME", to).Replace(sdkDoc(t, "diff_update_task", nil)), "DiffUpdate")
	if tk := f.taskOf(t, taskID(diff)); tk.Workflow != commands.WorkflowDiffUpdate || tk.Branch != "feature-2" || tk.Title != "Update diff for branch feature-2" ||
		!strings.Contains(string(tk.Parameters), `"name":"diff-for-feature-2"`) || !strings.Contains(string(tk.Parameters), from) {
		t.Errorf("DiffUpdate task: %+v %s", tk.Created, tk.Parameters)
	}
	taskID(must(`mutation { DiffUpdate(data: {branch: "feature-2"}) { ok task { id } } }`, "DiffUpdate")) // Infrahub's default
	before = f.createdTasks(t)
	for _, doc := range []string{
		`mutation { DiffUpdate(wait_until_completion: true, data: {branch: "feature-2"}) { ok task { id } } }`,
		`mutation { DiffUpdate(data: {branch: "feature-2", wait_for_completion: true}) { ok task { id } } }`,
	} {
		if m := must(doc, "DiffUpdate"); m["ok"] != true || m["task"] != nil {
			t.Errorf("%s: %v", doc, m)
		}
	}
	if _, errs := gql(fmt.Sprintf(`mutation { DiffUpdate(data: {branch: "feature-2", from_time: %q}) { ok } }`, from)); !strings.Contains(errs, "needs a name") {
		t.Errorf("a time range without a name: %s", errs)
	}
	if after := f.createdTasks(t); after != before {
		t.Errorf("waited or refused DiffUpdates made tasks (%d → %d)", before, after)
	}
}

// foldedTasks is a tasks projection folded from the fixture's log on demand.
type foldedTasks struct {
	*tasks.Projection
	fold *projections.Inline
}

func (f foldedTasks) WaitFor(ctx context.Context, pos events.Position) error {
	return f.fold.WaitFor(ctx, pos)
}
