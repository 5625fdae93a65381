package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdkGraphQL posts a document as the Python SDK does (execute_graphql: POST /graphql/<branch>
// with {"query", "variables"}) and decodes the answer.
func sdkGraphQL(t *testing.T, base, branchName, doc string, vars map[string]any) (int, map[string]any, []any) {
	t.Helper()
	u := base + "/graphql"
	if branchName != "" {
		u += "/" + branchName
	}
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	resp, err := http.Post(u, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: not JSON: %v", u, err)
	}
	return resp.StatusCode, out.Data, out.Errors
}

func sdkDocument(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "queries", "graphql", "testdata", "sdk", name+".gql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The SDK's and infrahubctl's requests over a real server: `branch create` (and create without
// waiting), `branch list`, `schema load --wait` polling InfrahubStatus on the loaded branch, and
// GraphQL errors answered 200 (a 4xx makes the SDK raise before it reads the message).
func TestClientsOverHTTP(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	// infrahub_sdk/branch.py create (infrahubctl branch create)
	code, data, errs := sdkGraphQL(t, c.base, "", sdkDocument(t, "branch_create"), nil)
	if code != 200 || errs != nil {
		t.Fatalf("BranchCreate: %d %v", code, errs)
	}
	obj := data["BranchCreate"].(map[string]any)["object"].(map[string]any)
	for _, k := range []string{"branched_from"} {
		if _, err := time.Parse(time.RFC3339Nano, obj[k].(string)); err != nil {
			t.Errorf("%s = %v: %v", k, obj[k], err)
		}
	}
	if obj["status"] != "OPEN" || obj["has_schema_changes"] != false || obj["graph_version"] != nil {
		t.Errorf("created: %v", obj)
	}
	code, data, errs = sdkGraphQL(t, c.base, "", sdkDocument(t, "branch_create_task"), nil)
	if code != 200 || errs != nil || data["BranchCreate"].(map[string]any)["task"].(map[string]any)["id"] == "" {
		t.Fatalf("BranchCreate(wait_until_completion: false): %d %v %v", code, data, errs)
	}
	// infrahubctl branch list (feature-2 is there once a worker ran the create-branch task)
	code, data, errs = sdkGraphQL(t, c.base, "", sdkDocument(t, "branch_all"), nil)
	var names []string
	for _, b := range data["Branch"].([]any) {
		names = append(names, b.(map[string]any)["name"].(string))
	}
	if code != 200 || errs != nil || !slices.Contains(names, "main") || !slices.Contains(names, "feature-1") {
		t.Fatalf("GetAllBranch: %d %v %v", code, data, errs)
	}
	// infrahubctl schema load --wait: POST /api/schema/load on the branch, then InfrahubStatus
	schemaBody := `{"schemas": [{"version": "1.0", "nodes": [{"name": "Widget", "namespace": "Test", "attributes": [{"name": "name", "kind": "Text"}]}]}]}`
	resp, err := http.Post(c.base+"/api/schema/load?branch=feature-1", "application/json", strings.NewReader(schemaBody))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("schema load: %v %v", resp, err)
	}
	resp.Body.Close()
	const wait = `
query {
  InfrahubStatus {
    summary {
      schema_hash_synced
    }
  }
}
`
	code, data, errs = sdkGraphQL(t, c.base, "feature-1", wait, nil)
	if code != 200 || errs != nil || data["InfrahubStatus"].(map[string]any)["summary"].(map[string]any)["schema_hash_synced"] != true {
		t.Fatalf("InfrahubStatus: %d %v %v", code, data, errs)
	}
	// the loaded kind is there at once
	if code, _, errs = sdkGraphQL(t, c.base, "feature-1", `{ TestWidget { count } }`, nil); code != 200 || errs != nil {
		t.Fatalf("TestWidget on feature-1: %d %v", code, errs)
	}
	// errors: 200 with errors for GraphQL problems, 404 for an unknown branch
	if code, data, errs = sdkGraphQL(t, c.base, "", `{ TestWidget { count } }`, nil); code != 200 || len(errs) == 0 || data != nil {
		t.Errorf("unknown field on main: %d %v %v", code, data, errs)
	}
	if code, _, errs = sdkGraphQL(t, c.base, "nope", `{ Branch { name } }`, nil); code != 404 || len(errs) == 0 {
		t.Errorf("unknown branch: %d %v", code, errs)
	}
}
