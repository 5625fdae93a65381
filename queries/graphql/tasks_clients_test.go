package graphql_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

// The documents the Python SDK and the web UI send for tasks, copied from their sources.

// The query of the Python SDK's task manager (opsmill/infrahub-sdk-python infrahub_sdk/task/manager.py,
// InfraHubTaskManagerBase._generate_query with include_logs, include_related_nodes and count, as
// Query.render(convert_enum=False) writes it for TaskFilter(branch="b1", state=[RUNNING]) and
// the page size 50): the fields Task.from_graphql (infrahub_sdk/task/models.py) reads.
const sdkTaskQuery = `
query {
    InfrahubTask(branch: "b1", state: [RUNNING], limit: 50) {
        edges {
            node {
                id
                title
                state
                progress
                workflow
                branch
                created_at
                updated_at
                logs {
                    edges {
                        node {
                            message
                            severity
                            timestamp
                        }
                    }
                }
                related_nodes {
                    id
                    kind
                }
            }
        }
        count
    }
}
`

func TestSDKTaskManagerQuery(t *testing.T) {
	f, _ := taskFixture(t)
	count, nodes := edgeNodes(t, taskQuery(t, f, sdkTaskQuery, nil), "InfrahubTask")
	if count != 1 || len(nodes) != 1 {
		t.Fatalf("%d tasks (count %d), want t-merge alone", len(nodes), count)
	}
	n := nodes[0]
	if n["id"] != "t-merge" || n["title"] != "Merge branch b1" || n["state"] != "RUNNING" || n["progress"] != 0.5 ||
		n["workflow"] != "branch-merge" || n["branch"] != "b1" {
		t.Fatalf("node %v", n)
	}
	if n["created_at"] != "2026-03-01T09:00:01.123456+00:00" || !isoformat.MatchString(n["updated_at"].(string)) {
		t.Fatalf("times %v %v, want Python's isoformat", n["created_at"], n["updated_at"])
	}
	logs := n["logs"].(map[string]any)["edges"].([]any)
	if len(logs) != 3 {
		t.Fatalf("logs %v", logs)
	}
	first := logs[0].(map[string]any)["node"].(map[string]any)
	if len(first) != 3 || first["message"] != "checking conflicts" || first["severity"] != "info" || !isoformat.MatchString(first["timestamp"].(string)) {
		t.Fatalf("log line %v", first)
	}
	if rel := n["related_nodes"].([]any); len(rel) != 1 || rel[0].(map[string]any)["id"] != "n1" || rel[0].(map[string]any)["kind"] != "TestDevice" {
		t.Fatalf("related nodes %v", rel)
	}
}

// The task list of the UI (opsmill/infrahub frontend/app/src/entities/tasks/api/get-task-list-from-api.ts).
const uiTaskList = `
  query GET_TASK_LIST(
    $offset: Int
    $limit: Int
    $search: String
    $branchName: String
    $state: [StateType]
    $relatedNodeIds: [String]
  ) {
    InfrahubTask(
      offset: $offset
      limit: $limit
      q: $search
      branch: $branchName
      state: $state
      related_node__ids: $relatedNodeIds
    ) {
      count
      edges {
        node {
          created_at
          id
          branch
          related_nodes {
            id
            kind
          }
          title
          updated_at
          state
          progress
          workflow
        }
      }
    }
  }
`

// The task details of the UI (opsmill/infrahub frontend/app/src/entities/tasks/api/get-task-details-from-api.ts).
const uiTaskDetails = `
  query GET_TASK_DETAILS(
    $ids: [String]
    $branch: String
    $workflow: [String]
    $relatedNodes: [String]
  ) {
    InfrahubTask(
      ids: $ids
      branch: $branch
      workflow: $workflow
      related_node__ids: $relatedNodes
    ) {
      count
      edges {
        node {
          id
          title
          related_node
          related_nodes {
            id
            kind
          }
          state
          progress
          created_at
          updated_at
          logs {
            edges {
              node {
                id
                message
                severity
                timestamp
              }
            }
          }
        }
      }
    }
  }
`

// The branch status of the UI (opsmill/infrahub frontend/app/src/entities/tasks/api/get-branch-task-status-from-api.ts).
const uiBranchStatus = `
  query TASKS_BRANCH_STATUS_COUNT($branch: String!) {
    InfrahubTaskBranchStatus(branch: $branch) {
      count
    }
  }
`

// The home page's tasks (opsmill/infrahub frontend/app/src/entities/tasks/api/get-tasks-homepage-from-api.ts).
const uiHomepage = `
  query GET_TASKS_HOMEPAGE($limit: Int, $branchName: String, $states: [StateType]) {
    InfrahubTask(limit: $limit, branch: $branchName, state: $states) {
      count
      edges {
        node {
          id
          branch
          title
          updated_at
          state
          related_nodes {
            id
            kind
          }
        }
      }
    }
  }
`

func TestUITaskDocuments(t *testing.T) {
	f, _ := taskFixture(t)
	for _, tc := range []struct {
		name  string
		vars  map[string]any
		want  []string
		count int
	}{
		{"first page", map[string]any{"offset": 0, "limit": 2}, []string{"t-load", "t-hook"}, 4},
		{"second page", map[string]any{"offset": 2, "limit": 2}, []string{"t-create", "t-merge"}, 4},
		{"search", map[string]any{"search": "BRANCH B1"}, []string{"t-create", "t-merge"}, 2},
		{"branch and states", map[string]any{"branchName": "b1", "state": []any{"RUNNING", "COMPLETED"}}, []string{"t-create", "t-merge"}, 2},
		{"related node", map[string]any{"relatedNodeIds": []any{"n2"}}, []string{"t-load"}, 1},
		{"null variables", map[string]any{"search": nil, "state": nil}, []string{"t-load", "t-hook", "t-create", "t-merge"}, 4},
	} {
		count, nodes := edgeNodes(t, taskQuery(t, f, uiTaskList, tc.vars), "InfrahubTask")
		if got := taskIDs(nodes); !slices.Equal(got, tc.want) || count != tc.count {
			t.Errorf("%s: %v (count %d), want %v (count %d)", tc.name, got, count, tc.want, tc.count)
		}
	}
	_, nodes := edgeNodes(t, taskQuery(t, f, uiTaskList, map[string]any{"limit": 1}), "InfrahubTask")
	if n := nodes[0]; n["branch"] != "b2" || n["state"] != "FAILED" || n["progress"] != nil || n["workflow"] != "schema-load" {
		t.Fatalf("t-load %v", n)
	}

	count, nodes := edgeNodes(t, taskQuery(t, f, uiTaskDetails, map[string]any{"ids": []any{"t-merge"}}), "InfrahubTask")
	if count != 1 || len(nodes) != 1 || nodes[0]["related_node"] != "n1" {
		t.Fatalf("details: %d %v", count, nodes)
	}
	logs := nodes[0]["logs"].(map[string]any)["edges"].([]any)
	last := logs[2].(map[string]any)["node"].(map[string]any)
	if id, _ := last["id"].(string); uuid.Validate(id) != nil || last["message"] != "slow" || last["severity"] != "warning" {
		t.Fatalf("log line %v", last)
	}
	if _, nodes := edgeNodes(t, taskQuery(t, f, uiTaskDetails, map[string]any{"ids": []any{"t-merge"}, "workflow": []any{"create-branch"}}), "InfrahubTask"); len(nodes) != 0 {
		t.Fatalf("ids and another workflow: %v", nodes)
	}

	for br, want := range map[string]int{"b1": 1, "b2": 0, "nope": 0} {
		data := taskQuery(t, f, uiBranchStatus, map[string]any{"branch": br})
		if got := (check{t}).integer(data["InfrahubTaskBranchStatus"].(map[string]any)["count"], "count"); got != want {
			t.Errorf("branch status of %s: %d, want %d", br, got, want)
		}
	}
	count, nodes = edgeNodes(t, taskQuery(t, f, uiHomepage, map[string]any{"limit": 5, "states": []any{"PENDING", "RUNNING", "FAILED"}}), "InfrahubTask")
	if got := taskIDs(nodes); !slices.Equal(got, []string{"t-load", "t-hook", "t-merge"}) || count != 3 {
		t.Fatalf("home page: %v (count %d)", got, count)
	}
}
