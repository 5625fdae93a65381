package graphql

import (
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/tasks"
)

// waitOf reads Infrahub's wait_until_completion argument (def when absent); BranchCreate's
// deprecated background_execution: true means not waiting.
func waitOf(args map[string]any, def bool) bool {
	wait := def
	if v, ok := args["wait_until_completion"].(bool); ok {
		wait = v
	}
	if bg, _ := args["background_execution"].(bool); bg {
		wait = false
	}
	return wait
}

// submitTask submits a task of workflow with params (the payload of the workflow's command) and
// answers its id.
func (x mutator) submitTask(workflow string, params any) (string, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return "", err
	}
	res, err := x.dispatch(commands.TypeSubmitTask, commands.SubmitTask{Workflow: workflow, Parameters: raw})
	if err != nil {
		return "", err
	}
	out, ok := res.Data.(commands.TaskOutcome)
	if !ok {
		return "", fmt.Errorf("task.submit answered %T", res.Data)
	}
	return out.Task.ID, nil
}

// taskAction answers InfrahubTaskCancel (task.cancel: a task no worker runs yet) and
// InfrahubTaskRetry (task.retry: a failed or cancelled task submitted again; its task is the
// new one).
func (x mutator) taskAction(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	id, _ := data["id"].(string)
	cmd := commands.TypeCancelTask
	if f.Name == "InfrahubTaskRetry" {
		cmd = commands.TypeRetryTask
	}
	res, err := x.dispatch(cmd, commands.TaskAction{ID: id})
	if err != nil {
		return err
	}
	out, _ := res.Data.(commands.TaskOutcome)
	it, err := x.taskAfter(out.Task.ID, res)
	if err != nil {
		return err
	}
	w.beginObject()
	for _, sub := range e.sel.collect(f.SelectionSet, typ) {
		w.key(keyOf(sub))
		switch sub.Name {
		case "__typename":
			w.value(typ)
		case "ok":
			w.value(true)
		case "task":
			if it == nil {
				w.null()
			} else {
				apiRoot{e}.taskNode(w, sub.SelectionSet, it, path)
			}
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
	return nil
}

// taskAfter reads task id as the command that answered res left it (nil without a task reader).
func (x mutator) taskAfter(id string, res commands.Result) (*tasks.Item, error) {
	e := x.e
	if e.x.Tasks == nil || id == "" {
		return nil, nil
	}
	if len(res.Positions) > 0 {
		if err := e.x.Tasks.WaitFor(e.ctx, res.Positions[len(res.Positions)-1]); err != nil {
			return nil, err
		}
	}
	page, err := e.x.Tasks.List(e.ctx, tasks.Filter{IDs: []string{id}, Limit: 1})
	if err != nil || len(page.Tasks) == 0 {
		return nil, err
	}
	return &page.Tasks[0], nil
}
