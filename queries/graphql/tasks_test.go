package graphql_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/task"
)

// taskFixture is the GraphQL fixture with a tasks projection holding:
//
//	t-merge   branch-merge  b1  db-change  node n1 (TestDevice)  RUNNING, 50 %, 3 log lines
//	t-create  create-branch b1  db-change                        COMPLETED at a whole second
//	t-hook    webhook-send  -                                    PENDING
//	t-load    schema-load   b2  db-change  node n2               FAILED
func taskFixture(t *testing.T) (*fixture, *tasks.Projection) {
	f := newFixture(t, fixtureSchema)
	cat := events.NewCatalogue()
	task.RegisterEvents(cat)
	p := tasks.New(cat, limits.Limits{})
	clock := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
	var pos events.Position
	versions := map[string]int64{}
	ev := func(id, typ string, payload any) events.Envelope {
		e, err := cat.New(typ, payload, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		pos++
		versions[id]++
		clock = clock.Add(time.Second)
		e.GlobalPosition, e.Stream, e.StreamVersion, e.EventID, e.OccurredAt = pos, task.Stream(id), versions[id], uuid.New(), clock
		return e
	}
	db := []string{task.TagDatabaseChange}
	evs := []events.Envelope{
		ev("t-merge", task.TypeCreated, task.Created{ID: "t-merge", Workflow: "branch-merge", Title: "Merge branch b1", Branch: "b1",
			Parameters: json.RawMessage(`{"branch":"b1"}`), Tags: db, MaxAttempts: 3,
			RelatedNodes: []task.RelatedNode{{ID: "n1", Kind: "TestDevice"}}}),
		ev("t-merge", task.TypeStarted, task.Started{Attempt: 1, Worker: "w1"}),
		ev("t-merge", task.TypeLogged, task.Logged{Message: "checking conflicts", Severity: task.SeverityInfo}),
		ev("t-merge", task.TypeLogged, task.Logged{Message: "merging 3 nodes", Severity: task.SeverityInfo}),
		ev("t-merge", task.TypeLogged, task.Logged{Message: "slow", Severity: task.SeverityWarning}),
		ev("t-merge", task.TypeProgressed, task.Progressed{Progress: 0.5}),
	}
	clock = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Add(-time.Second)
	evs = append(evs,
		ev("t-create", task.TypeCreated, task.Created{ID: "t-create", Workflow: "create-branch", Title: "Create branch b1", Branch: "b1", Tags: db}),
		ev("t-hook", task.TypeCreated, task.Created{ID: "t-hook", Workflow: "webhook-send", Title: "Send webhook"}),
		ev("t-load", task.TypeCreated, task.Created{ID: "t-load", Workflow: "schema-load", Title: "Load schema", Branch: "b2", Tags: db,
			RelatedNodes: []task.RelatedNode{{ID: "n2", Kind: "TestTag"}}}),
		ev("t-create", task.TypeStarted, task.Started{Attempt: 1}),
		ev("t-create", task.TypeCompleted, task.Completed{}),
		ev("t-load", task.TypeStarted, task.Started{Attempt: 1}),
		ev("t-load", task.TypeFailed, task.Failed{Attempt: 1, Error: "bad schema"}),
	)
	if err := p.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	f.x.Tasks = p
	return f, p
}

func taskQuery(t *testing.T, f *fixture, doc string, vars map[string]any) map[string]any {
	t.Helper()
	out := run(t, f, graphql.Request{Query: doc, Variables: vars})
	if out["errors"] != nil {
		t.Fatalf("errors: %v\n%s", out["errors"], doc)
	}
	return out["data"].(map[string]any)
}

func edgeNodes(t *testing.T, data map[string]any, field string) (int, []map[string]any) {
	t.Helper()
	c := check{t}
	conn := c.obj(data[field], field)
	var out []map[string]any
	for _, e := range c.list(conn["edges"], field+".edges") {
		out = append(out, c.obj(c.obj(e, "edge")["node"], "node"))
	}
	return c.integer(conn["count"], field+".count"), out
}

func taskIDs(nodes []map[string]any) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n["id"].(string))
	}
	return out
}

// isoformat is what Python's datetime.isoformat() writes for an aware UTC time.
var isoformat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)

// Every field of a task, the log pages and counts, the webhook type, the available actions.
func TestTaskFields(t *testing.T) {
	f, _ := taskFixture(t)
	const doc = `query($ids: [String], $lo: Int, $ll: Int) {
  InfrahubTask(ids: $ids, log_offset: $lo, log_limit: $ll) {
    __typename count
    edges { __typename node {
      __typename id title conclusion state progress workflow branch created_at updated_at start_time parameters tags
      related_node related_node_kind related_nodes { id kind }
      logs { __typename count edges { node { id message severity task_id timestamp } } }
      available_actions { action available unavailability_reason }
      ... on WebhookDeliveryTask { http_request { url } http_response { status_code } error { message } }
    } }
  }
}`
	_, nodes := edgeNodes(t, taskQuery(t, f, doc, map[string]any{"ids": []any{"t-merge"}, "lo": 1, "ll": 1}), "InfrahubTask")
	n := nodes[0]
	if n["__typename"] != "TaskNode" || n["conclusion"] != "unknown" || n["related_node_kind"] != "TestDevice" ||
		!slices.Equal(toStrings(n["tags"]), []string{task.TagDatabaseChange}) || n["parameters"].(map[string]any)["branch"] != "b1" ||
		!isoformat.MatchString(n["start_time"].(string)) {
		t.Fatalf("t-merge %v", n)
	}
	if _, ok := n["http_request"]; ok {
		t.Fatalf("webhook fields on a TaskNode: %v", n)
	}
	logs := n["logs"].(map[string]any)
	edges := logs["edges"].([]any)
	line := edges[0].(map[string]any)["node"].(map[string]any)
	if logs["count"] != float64(3) || len(edges) != 1 || line["message"] != "merging 3 nodes" || line["task_id"] != "t-merge" {
		t.Fatalf("logs page: %v", logs)
	}
	actions := map[string]any{}
	for _, a := range n["available_actions"].([]any) {
		actions[a.(map[string]any)["action"].(string)] = a
	}
	if a := actions["CANCEL"].(map[string]any); a["available"] != false || a["unavailability_reason"] != "Task is RUNNING" {
		t.Fatalf("cancel of a running task: %v", a)
	}

	_, nodes = edgeNodes(t, taskQuery(t, f, doc, map[string]any{"ids": []any{"t-hook", "t-create", "t-load"}}), "InfrahubTask")
	load, hook, create := nodes[0], nodes[1], nodes[2] // newest first
	if hook["__typename"] != "WebhookDeliveryTask" || hook["http_request"] != nil || hook["branch"] != nil || hook["parameters"] != nil ||
		hook["related_node"] != nil || len(hook["related_nodes"].([]any)) != 0 || len(hook["tags"].([]any)) != 0 || hook["start_time"] != nil {
		t.Fatalf("webhook task %v", hook)
	}
	if a := hook["available_actions"].([]any)[1].(map[string]any); a["action"] != "CANCEL" || a["available"] != true || a["unavailability_reason"] != nil {
		t.Fatalf("cancel of a pending task: %v", a)
	}
	if create["created_at"] != "2026-03-01T10:00:00+00:00" || create["conclusion"] != "success" || create["progress"] != float64(1) {
		t.Fatalf("completed task: %v", create)
	}
	if a := load["available_actions"].([]any)[0].(map[string]any); load["conclusion"] != "failure" || a["action"] != "RETRY" || a["available"] != true {
		t.Fatalf("retry of a failed task: %v", load)
	}
	if l := load["logs"].(map[string]any); l["count"] != float64(0) || len(l["edges"].([]any)) != 0 {
		t.Fatalf("no log lines: %v", l)
	}

	// Negative pages are refused naming the argument; without a projection there are no tasks.
	out := run(t, f, graphql.Request{Query: `{ InfrahubTask(offset: -1) { count } }`})
	if out["errors"] == nil || !regexp.MustCompile(`offset`).MatchString(toJSON(out["errors"])) {
		t.Fatalf("negative offset: %v", out)
	}
	f.x.Tasks = nil
	if data := taskQuery(t, f, `{ InfrahubTask { count edges { node { id } } } }`, nil); data["InfrahubTask"].(map[string]any)["count"] != float64(0) {
		t.Fatalf("no projection: %v", data)
	}
}

// A page holds at most INFRAHUB_TASK_MAX_PAGE tasks, and InfrahubTask 10 when no limit is given.
func TestTaskPageBound(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	cat := events.NewCatalogue()
	task.RegisterEvents(cat)
	p := tasks.New(cat, limits.Limits{TaskPage: 12})
	var evs []events.Envelope
	for i := range 30 {
		e, _ := cat.New(task.TypeCreated, task.Created{ID: uuid.NewString(), Workflow: "w"}, events.Metadata{})
		e.GlobalPosition, e.StreamVersion, e.OccurredAt = events.Position(i+1), 1, time.Now()
		var c task.Created
		_ = json.Unmarshal(e.Payload, &c)
		e.Stream = task.Stream(c.ID)
		evs = append(evs, e)
	}
	if err := p.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	f.x.Tasks = p
	bounds := map[string]int{
		`{ InfrahubTask { count edges { node { id } } } }`:              10,
		`{ InfrahubTask(limit: 1000) { count edges { node { id } } } }`: 12,
	}
	for doc, want := range bounds {
		count, nodes := edgeNodes(t, taskQuery(t, f, doc, nil), "InfrahubTask")
		if count != 30 || len(nodes) != want {
			t.Errorf("%s: %d of %d, want %d of 30", doc, len(nodes), count, want)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func toJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
