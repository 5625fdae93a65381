package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/queries/rest"
)

// POST /api/objects/validate counts the objects of files that load, and names what a load
// ignores (keys infrahubctl ignores too) in warnings; a file that does not load answers 400 with
// its problems.
func TestValidateObjectsWarns(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	(&rest.Objects{State: f.store.Branches(), Default: branch.Default}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	post := func(content string) (int, map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"files": []map[string]string{{"name": "tags.yml", "content": content}}})
		resp, err := http.Post(srv.URL+"/api/objects/validate", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	code, out := post("apiVersion: infrahub.app/v1\nkind: Object\nversion: 1\nspec:\n  kind: TestDevice\n  data:\n" +
		"    - name: d1\n      tags:\n        kind: TestTag\n        note: made here\n        data:\n          - name: red\n")
	if code != http.StatusOK || out["objects"] != float64(2) {
		t.Fatalf("validate: %d %v", code, out)
	}
	warnings, _ := out["warnings"].([]any)
	if len(warnings) != 2 {
		t.Fatalf("warnings: %v", out["warnings"])
	}
	want := []map[string]any{
		{"file": "tags.yml", "line": float64(3), "document": float64(1), "path": "version", "message": `unknown key, ignored (did you mean "apiVersion"?)`},
		{"file": "tags.yml", "line": float64(10), "document": float64(1), "path": `item 1, field "tags".note`,
			"message": "ignored: a nested block with data creates objects from its kind and data only"},
	}
	for i, w := range want {
		got, _ := warnings[i].(map[string]any)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("warning %d: %s = %v, want %v", i+1, k, got[k], v)
			}
		}
	}
	code, out = post("apiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestDevice\n  data:\n    - nmae: d1\n")
	if code != http.StatusBadRequest || !strings.Contains(out["error"].(map[string]any)["message"].(string), `field "nmae"`) {
		t.Fatalf("an invalid file: %d %v", code, out)
	}
}
