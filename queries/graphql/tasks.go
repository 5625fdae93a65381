package graphql

import (
	"context"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/task"
)

// TaskReader is the read side of background tasks (projections/tasks.Projection): the tasks
// matching a filter, newest first, a page of at most Limits.TaskPage (INFRAHUB_TASK_MAX_PAGE).
type TaskReader interface {
	List(ctx context.Context, f tasks.Filter) (tasks.Page, error)
	// WaitFor waits until the projection has folded the log up to pos.
	WaitFor(ctx context.Context, pos events.Position) error
}

// Task types of InfrahubTask's nodes: Infrahub types the runs of its webhook workflow as
// WebhookDeliveryTask (with the request, the response and the error of the delivery), every other
// run as TaskNode.
const (
	typeTaskNode        = "TaskNode"
	typeWebhookDelivery = "WebhookDeliveryTask"
	workflowWebhookSend = "webhook-send"
)

// tasks answers InfrahubTask and InfrahubTaskBranchStatus (Infrahub's
// backend/infrahub/graphql/queries/task.py): the tasks of the tasks projection, newest first,
// count being every match; InfrahubTask pages them by limit (default 10, at most
// INFRAHUB_TASK_MAX_PAGE) and offset and each task's log lines by log_limit and log_offset;
// InfrahubTaskBranchStatus lists the tasks of a branch that may change data and are not over
// (at most INFRAHUB_TASK_MAX_PAGE).
//
// Reading tasks needs no permission beyond reading at all, as in Infrahub: any identity that
// reaches the executor may (an anonymous one only when anonymous access is on: the authn
// middleware refuses anonymous requests otherwise).
func (x apiRoot) tasks(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	args := f.ArgumentMap(e.vars)
	branch, _ := args["branch"].(string)
	var flt tasks.Filter
	if f.Name == "InfrahubTaskBranchStatus" {
		flt = tasks.Filter{Branch: branch, States: tasks.BranchStatusStates, Tags: []string{task.TagDatabaseChange},
			Limit: e.limits.TaskPage}
	} else {
		flt = tasks.Filter{IDs: taskStrings(args["ids"]), Branch: branch, Workflows: taskStrings(args["workflow"]),
			RelatedNodeIDs: taskStrings(args["related_node__ids"])}
		flt.Q, _ = args["q"].(string)
		for _, s := range taskStrings(args["state"]) {
			flt.States = append(flt.States, task.State(s))
		}
		flt.Limit, _ = toInt(args["limit"])
		flt.Offset, _ = toInt(args["offset"])
		flt.LogLimit, _ = toInt(args["log_limit"])
		flt.LogOffset, _ = toInt(args["log_offset"])
	}
	var page tasks.Page
	if e.x.Tasks != nil {
		var err error
		if page, err = e.x.Tasks.List(e.ctx, flt); err != nil {
			e.fail(path, err)
			w.null()
			return
		}
	}
	w.beginObject()
	for _, sub := range e.sel.collect(f.SelectionSet, "Tasks") {
		w.key(keyOf(sub))
		switch sub.Name {
		case "__typename":
			w.value("Tasks")
		case "count":
			w.value(page.Count)
		case "edges":
			w.beginArray()
			for i := range page.Tasks {
				if !e.live() {
					return
				}
				x.taskEdge(w, sub.SelectionSet, &page.Tasks[i], path)
			}
			w.endArray()
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// taskEdge writes one TaskNodes: {node}.
func (x apiRoot) taskEdge(w *jsonWriter, sel ast.SelectionSet, it *tasks.Item, path ast.Path) {
	x.nodeEdge(w, sel, "TaskNodes", func(sel ast.SelectionSet) { x.taskNode(w, sel, it, path) })
}

// nodeEdge writes one edge object of a connection, typ {node}: node writes its node.
func (x apiRoot) nodeEdge(w *jsonWriter, sel ast.SelectionSet, typ string, node func(ast.SelectionSet)) {
	w.beginObject()
	for _, f := range x.e.sel.collect(sel, typ) {
		w.key(keyOf(f))
		switch f.Name {
		case "__typename":
			w.value(typ)
		case "node":
			node(f.SelectionSet)
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// taskNode writes a task as Infrahub's TaskNodeInterface: times in Python's isoformat, progress
// null until the task reported some, the first related node also as the deprecated
// related_node and related_node_kind.
func (x apiRoot) taskNode(w *jsonWriter, sel ast.SelectionSet, it *tasks.Item, path ast.Path) {
	e := x.e
	typ := typeTaskNode
	if it.Workflow == workflowWebhookSend {
		typ = typeWebhookDelivery
	}
	w.beginObject()
	for _, f := range e.sel.collect(sel, typ) {
		w.key(keyOf(f))
		switch f.Name {
		case "__typename":
			w.value(typ)
		case "id":
			w.value(it.ID)
		case "title":
			w.value(it.Title)
		case "conclusion":
			w.value(string(it.Conclusion))
		case "state":
			w.value(string(it.State))
		case "progress":
			if it.Progress > 0 {
				w.value(it.Progress)
			} else {
				w.null()
			}
		case "workflow":
			w.value(taskOrNull(it.Workflow))
		case "branch":
			w.value(taskOrNull(it.Branch))
		case "created_at":
			w.value(taskTime(it.CreatedAt))
		case "updated_at":
			w.value(taskTime(it.UpdatedAt))
		case "start_time":
			w.value(taskTime(it.StartTime))
		case "parameters":
			if len(it.Parameters) == 0 {
				w.null()
			} else {
				w.value(it.Parameters)
			}
		case "tags":
			w.value(append([]string{}, it.Tags...))
		case "related_node", "related_node_kind":
			if len(it.RelatedNodes) == 0 {
				w.null()
			} else if f.Name == "related_node" {
				w.value(it.RelatedNodes[0].ID)
			} else {
				w.value(it.RelatedNodes[0].Kind)
			}
		case "related_nodes":
			nodes := make([]any, 0, len(it.RelatedNodes))
			for _, n := range it.RelatedNodes {
				nodes = append(nodes, map[string]any{"id": n.ID, "kind": n.Kind})
			}
			e.plain(w, f.SelectionSet, "TaskRelatedNode", nodes, path)
		case "logs":
			x.taskLogs(w, f.SelectionSet, it, path)
		case "available_actions":
			e.plain(w, f.SelectionSet, "TaskAction", taskActions(it.State), path)
		default: // http_request, http_response, error: no delivery here records them
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// taskLogs writes a TaskLogEdge: the page of the task's log lines, and count, every line the task
// wrote (kept or not: INFRAHUB_TASK_MAX_LOG_LINES keeps the first).
func (x apiRoot) taskLogs(w *jsonWriter, sel ast.SelectionSet, it *tasks.Item, path ast.Path) {
	e := x.e
	w.beginObject()
	for _, f := range e.sel.collect(sel, "TaskLogEdge") {
		w.key(keyOf(f))
		switch f.Name {
		case "__typename":
			w.value("TaskLogEdge")
		case "count":
			w.value(it.LogCount)
		case "edges":
			w.beginArray()
			for _, l := range it.Logs {
				if !e.live() {
					return
				}
				e.plain(w, f.SelectionSet, "TaskLogNodes", map[string]any{"node": map[string]any{
					"id": l.ID, "message": l.Message, "severity": l.Severity, "task_id": it.ID, "timestamp": taskTime(l.Timestamp),
				}}, path)
			}
			w.endArray()
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

// taskActions are the recovery actions of a task in state s, as Infrahub's TaskAction: RETRY (a
// new run of the same workflow and parameters, InfrahubTaskRetry) once a task failed or was
// cancelled, CANCEL (InfrahubTaskCancel) while it waits to run; each with why it does not apply
// otherwise.
func taskActions(s task.State) []any {
	retry := map[string]any{"action": "RETRY", "available": s == task.StateFailed || s == task.StateCancelled, "unavailability_reason": nil}
	switch {
	case !s.Final():
		retry["unavailability_reason"] = "Task still in progress"
	case s == task.StateCompleted:
		retry["unavailability_reason"] = "Task completed"
	case s == task.StateCrashed:
		retry["unavailability_reason"] = "Task crashed"
	}
	cancel := map[string]any{"action": "CANCEL", "available": s == task.StatePending || s == task.StateScheduled, "unavailability_reason": nil}
	switch {
	case s.Final():
		cancel["unavailability_reason"] = "Task already settled"
	case s != task.StatePending && s != task.StateScheduled:
		cancel["unavailability_reason"] = "Task is " + string(s)
	}
	return []any{retry, cancel}
}

// taskTime writes t as Python's datetime.isoformat() of an aware UTC time, what Infrahub answers:
// microseconds only when there are any, "+00:00" for the zone; null for the zero time.
func taskTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

func taskOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// taskStrings is a list argument of strings; a single value is a list of one (GraphQL's input
// coercion), null is no list.
func taskStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, item := range x {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return x
	}
	return nil
}
