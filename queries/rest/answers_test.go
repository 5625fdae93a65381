package rest_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/queries/rest"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// keysOf decodes an answer and lists every object key in it with its path, skipping the
// children of maps keyed by data (attribute names, counts by kind).
func keysOf(t *testing.T, body string) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	keys := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				keys[path+k] = true
				walk(path+k+".", val)
			}
		case []any:
			for _, val := range x {
				walk(path+"[].", val)
			}
		}
	}
	walk("", v)
	return keys
}

// The node reads answer snake_case names, as the README documents them, and null for what is
// not known: never Go field names nor Go zero values.
func TestNodeAnswersAreSnakeCase(t *testing.T) {
	f := newFixture(t)
	f.command(t, commands.TypeCreateNode, map[string]any{"kind": "TestTag", "data": map[string]any{"name": "red"}})
	res := f.command(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "d1", "tags": []any{"red"}}})
	id := res.Data.(commands.NodeOutcome).ID
	for path, want := range map[string][]string{
		"/api/nodes/TestDevice": {"count", "nodes", "nodes.[].id", "nodes.[].kind", "nodes.[].hfid", "nodes.[].display_label",
			"nodes.[].created_at", "nodes.[].updated_at", "nodes.[].created_by", "nodes.[].attributes.name.value",
			"nodes.[].attributes.asn.is_default", "nodes.[].attributes.asn.is_protected", "nodes.[].attributes.asn.is_from_profile",
			"nodes.[].attributes.asn.source", "nodes.[].attributes.asn.owner"},
		"/api/nodes/TestDevice/" + id:                 {"id", "kind", "hfid", "display_label", "attributes.name.value", "updated_by"},
		"/api/nodes/TestDevice/" + id + "/peers/tags": {"count", "peers.[].id", "peers.[].kind", "peers.[].source", "peers.[].owner", "peers.[].is_protected"},
		"/api/dump": {"branch", "position", "nodes.[].id", "nodes.[].attributes.name.value"},
	} {
		code, body := f.get(t, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		keys := keysOf(t, body)
		for _, k := range want {
			if !keys[k] {
				t.Errorf("GET %s: no key %s in %s", path, k, body)
			}
		}
		for k := range keys {
			last := k[strings.LastIndex(k, ".")+1:]
			if !snakeCase.MatchString(last) {
				t.Errorf("GET %s: key %s is not snake_case", path, k)
			}
		}
		for _, zero := range []string{"0001-01-01", "<nil>", `\u003cnil\u003e`} {
			if strings.Contains(body, zero) {
				t.Errorf("GET %s answers a Go zero value %s: %s", path, zero, body)
			}
		}
	}
}

// The default branch, which no event created, dates from the log's first write: never
// 0001-01-01T00:00:00Z.
func TestBranchesAnswerNoZeroTime(t *testing.T) {
	f := newFixture(t)
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "b1"})
	(&rest.Branches{State: f.store.Branches(), Graph: f.port}).Register(f.mux)
	for _, path := range []string{"/api/branches", "/api/branches/main", "/api/branches/b1"} {
		code, body := f.get(t, path)
		if code != http.StatusOK || strings.Contains(body, "0001-01-01") || !strings.Contains(body, `"created_at":"20`) {
			t.Errorf("GET %s = %d %s; want created_at set", path, code, body)
		}
	}
}

// Every endpoint taking a branch answers 404 for a branch that does not exist.
func TestUnknownBranchIsNotFound(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	(&rest.Objects{State: f.store.Branches(), Default: branch.Default, Limits: limits.Default()}).Register(f.mux)
	files := map[string]any{"files": []map[string]string{{"name": "t.yml", "content": "apiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestTag\n  data:\n    - name: x\n"}}}
	schemas := map[string]any{"schemas": []any{map[string]any{"version": "1.0"}}}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/api/objects/validate?branch=nope", files},
		{http.MethodGet, "/api/schema/export?branch=nope", nil},
		{http.MethodGet, "/api/schema?branch=nope", nil},
		{http.MethodGet, "/api/schema/summary?branch=nope", nil},
		{http.MethodGet, "/api/schema/TestTag?branch=nope", nil},
		{http.MethodPost, "/api/schema/load?branch=nope", schemas},
		{http.MethodPost, "/api/schema/check?branch=nope", schemas},
		{http.MethodGet, "/api/menu?branch=nope", nil},
		{http.MethodGet, "/api/nodes/TestTag?branch=nope", nil},
		{http.MethodGet, "/api/nodes/TestTag/x?branch=nope", nil},
		{http.MethodGet, "/api/nodes/TestTag/x/peers/tags?branch=nope", nil},
		{http.MethodGet, "/api/dump?branch=nope", nil},
		{http.MethodGet, "/api/diff?branch=nope", nil},
	} {
		code, body := f.do(t, c.method, c.path, c.body)
		if code != http.StatusNotFound || !strings.Contains(string(body), "nope") {
			t.Errorf("%s %s = %d %s; want 404 naming the branch", c.method, c.path, code, body)
		}
	}
	// The branch that exists still validates.
	if code, body := f.do(t, http.MethodPost, "/api/objects/validate?branch=main", files); code != http.StatusOK {
		t.Errorf("validate on main = %d %s", code, body)
	}
}

// A body over limits.BodyBytes is refused naming the limit and its setting.
func TestBodyOverTheLimit(t *testing.T) {
	f := newFixture(t)
	small := limits.Default()
	small.BodyBytes = 100
	(&rest.Objects{State: f.store.Branches(), Default: branch.Default, Limits: small}).Register(f.mux)
	(&rest.API{State: f.store.Branches(), Commands: f.dispatch, Default: branch.Default, MaxBodyBytes: 100}).Register(f.mux)
	long := strings.Repeat("x", 200)
	for path, body := range map[string]any{
		"/api/objects/validate": map[string]any{"files": []map[string]string{{"name": long, "content": ""}}},
		"/api/schema/check":     map[string]any{"schemas": []string{long}},
	} {
		code, out := f.do(t, http.MethodPost, path, body)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(string(out), "INFRAHUB_MAX_BODY_BYTES") {
			t.Errorf("POST %s with 200 bytes over a 100-byte limit = %d %s; want 413 naming INFRAHUB_MAX_BODY_BYTES", path, code, out)
		}
	}
}
