package graphql_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// newCatalog is a fixture holding the service catalog's schema and its first object files
// (locations, tags, IPAM, manufacturers, providers, resource pools, device types), served over
// HTTP as Infrahub's clients reach it.
func newCatalog(t *testing.T) (*fixture, *httptest.Server) {
	t.Helper()
	root := testenv.Corpus(t, "infrahub-demo-service-catalog")
	f := newFixture(t, fixtureSchema)
	in := commands.LoadSchema{}
	for _, dir := range []string{"base", "location_minimal", "vlan", "service"} {
		paths, _ := filepath.Glob(filepath.Join(root, "schemas", dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(string(data))
			in.Schemas = append(in.Schemas, raw)
		}
	}
	f.command(t, commands.TypeLoadSchema, in)
	if _, err := f.dispatch.EnsureDefaults(context.Background()); err != nil { // the default IP namespace
		t.Fatal(err)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	var files []commands.ObjectFile
	for _, name := range []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml",
		"04_provider.yml", "05_resource_pools.yml", "06_device_type.yml"} {
		data, err := os.ReadFile(filepath.Join(root, "data", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, commands.ObjectFile{Name: name, Content: string(data)})
	}
	f.command(t, commands.TypeLoadObjects, commands.LoadObjects{Files: files})
	mux := http.NewServeMux()
	(&graphql.Handler{X: f.x}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// sdkDoc is a document of testdata/sdk (as the Python SDK renders it) with its placeholders
// replaced by ids.
func sdkDoc(t *testing.T, name string, ids map[string]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sdk", name+".gql"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for k, v := range ids {
		doc = strings.ReplaceAll(doc, k, v)
	}
	return doc
}

// gqlCall posts a document as the clients do and decodes the answer; it fails the test unless
// the status is 200 and the answer has no errors.
func gqlCall(t *testing.T, srv *httptest.Server, branchName, doc string, vars map[string]any) map[string]any {
	t.Helper()
	code, a := gqlPost(t, srv, branchName, doc, vars)
	if code != http.StatusOK || len(a.Errors) > 0 {
		t.Fatalf("%d %v for\n%s", code, a.Errors, doc)
	}
	return a.Data
}

func gqlPost(t *testing.T, srv *httptest.Server, branchName, doc string, vars map[string]any) (int, answer) {
	t.Helper()
	u := srv.URL + "/graphql"
	if branchName != "" {
		u += "/" + branchName
	}
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	return post(t, u, string(body))
}

// check verifies the types a client's model demands of a JSON value.
type check struct{ t *testing.T }

func (c check) obj(v any, path string) map[string]any {
	c.t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		c.t.Fatalf("%s = %#v, want an object", path, v)
	}
	return m
}

func (c check) list(v any, path string) []any {
	c.t.Helper()
	l, ok := v.([]any)
	if !ok {
		c.t.Fatalf("%s = %#v, want a list", path, v)
	}
	return l
}

func (c check) str(v any, path string) string {
	c.t.Helper()
	s, ok := v.(string)
	if !ok {
		c.t.Fatalf("%s = %#v, want a string", path, v)
	}
	return s
}

func (c check) strOrNil(v any, path string) {
	c.t.Helper()
	if _, ok := v.(string); !ok && v != nil {
		c.t.Fatalf("%s = %#v, want a string or null", path, v)
	}
}

func (c check) boolean(v any, path string) bool {
	c.t.Helper()
	b, ok := v.(bool)
	if !ok {
		c.t.Fatalf("%s = %#v, want a boolean", path, v)
	}
	return b
}

func (c check) integer(v any, path string) int {
	c.t.Helper()
	n, ok := v.(float64)
	if !ok || n != float64(int(n)) {
		c.t.Fatalf("%s = %#v, want an integer", path, v)
	}
	return int(n)
}

// pythonStamp matches what datetime.fromisoformat(s.replace("Z", "+00:00")) reads on every
// Python the SDK supports: RFC 3339 with at most 6 fraction digits.
var pythonStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$`)

func (c check) stamp(v any, path string) time.Time {
	c.t.Helper()
	s := c.str(v, path)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !pythonStamp.MatchString(s) {
		c.t.Fatalf("%s = %q, want an RFC 3339 time with at most microseconds", path, s)
	}
	return at
}

var branchStatuses = []string{"OPEN", "NEED_REBASE", "NEED_UPGRADE_REBASE", "DELETING", "MERGING", "MERGE_FAILED", "MERGED"}

// branchData checks a branch against the SDK's BranchData model (infrahub_sdk/branch.py: id,
// name, sync_with_git, is_default, has_schema_changes required; description, origin_branch
// optional strings; graph_version an optional int; status a BranchStatus; branched_from a
// string the CLI parses as a timestamp, infrahub_sdk/ctl/branch.py format_timestamp).
func (c check) branchData(v any, path string) map[string]any {
	c.t.Helper()
	b := c.obj(v, path)
	c.str(b["id"], path+".id")
	c.str(b["name"], path+".name")
	c.strOrNil(b["description"], path+".description")
	c.strOrNil(b["origin_branch"], path+".origin_branch")
	c.boolean(b["sync_with_git"], path+".sync_with_git")
	c.boolean(b["is_default"], path+".is_default")
	c.boolean(b["has_schema_changes"], path+".has_schema_changes")
	if b["graph_version"] != nil {
		c.integer(b["graph_version"], path+".graph_version")
	}
	if s := c.str(b["status"], path+".status"); !slices.Contains(branchStatuses, s) {
		c.t.Fatalf("%s.status = %q", path, s)
	}
	c.stamp(b["branched_from"], path+".branched_from")
	return b
}

// The documents of `infrahubctl branch list|create|report|rebase|merge|validate|delete` and of
// client.branch.create(wait_until_completion=False) (testdata/sdk, from infrahub_sdk/branch.py
// and infrahub_sdk/ctl/branch.py) answer 200 with every field BranchData reads.
func TestSDKBranchDocuments(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	before := time.Now()
	data := gqlCall(t, srv, "", sdkDoc(t, "branch_create", nil), nil)
	created := c.obj(data["BranchCreate"], "BranchCreate")
	if !c.boolean(created["ok"], "ok") {
		t.Fatal("BranchCreate not ok")
	}
	b := c.branchData(created["object"], "BranchCreate.object")
	if b["name"] != "feature-1" || b["is_default"] != false || b["origin_branch"] != "main" || b["status"] != "OPEN" {
		t.Errorf("created branch: %v", b)
	}
	if at := c.stamp(b["branched_from"], "branched_from"); at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("branched_from %v is not the time of the creation (%v)", at, before)
	}

	// list: the default branch first in the CLI's table, every branch a BranchData
	all := c.list(gqlCall(t, srv, "", sdkDoc(t, "branch_all", nil), nil)["Branch"], "Branch")
	var names []string
	for i, x := range all {
		names = append(names, c.branchData(x, "Branch["+string(rune('0'+i))+"]")["name"].(string))
	}
	if !slices.Contains(names, "main") || !slices.Contains(names, "feature-1") {
		t.Errorf("branches: %v", names)
	}
	one := c.list(gqlCall(t, srv, "", sdkDoc(t, "branch_get", nil), map[string]any{"branch_name": "feature-1"})["Branch"], "Branch")
	if len(one) != 1 || c.branchData(one[0], "Branch[0]")["name"] != "feature-1" {
		t.Errorf("GetBranch: %v", one)
	}

	// create without waiting answers a task id (a string the SDK returns), and the branch exists
	task := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_create_task", nil), nil)["BranchCreate"], "BranchCreate")
	if id := c.str(c.obj(task["task"], "task")["id"], "task.id"); id == "" {
		t.Error("empty task id")
	}
	if one := c.list(gqlCall(t, srv, "", sdkDoc(t, "branch_get", nil), map[string]any{"branch_name": "feature-2"})["Branch"], "Branch"); len(one) != 1 {
		t.Errorf("feature-2 after BranchCreate(wait_until_completion: false): %v", one)
	}

	// a change on feature-1, then validate, rebase and merge it
	f.create(t, "feature-1", "BuiltinTag", map[string]any{"name": "from-feature"})
	valid := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_validate", nil), nil)["BranchValidate"], "BranchValidate")
	if !c.boolean(valid["ok"], "BranchValidate.ok") || c.obj(valid["object"], "object")["name"] != "feature-1" {
		t.Errorf("BranchValidate: %v", valid)
	}
	c.list(valid["messages"], "BranchValidate.messages")
	rebased := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_rebase", nil), nil)["BranchRebase"], "BranchRebase")
	if !c.boolean(rebased["ok"], "BranchRebase.ok") {
		t.Error("BranchRebase not ok")
	}
	c.branchData(rebased["object"], "BranchRebase.object")
	merged := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_merge", nil), nil)["BranchMerge"], "BranchMerge")
	if !c.boolean(merged["ok"], "BranchMerge.ok") || c.branchData(merged["object"], "BranchMerge.object")["status"] != "MERGED" {
		t.Errorf("BranchMerge: %v", merged)
	}
	tags := gqlCall(t, srv, "", `{ BuiltinTag(name__value: "from-feature") { count } }`, nil)
	if c.integer(c.obj(tags["BuiltinTag"], "BuiltinTag")["count"], "count") != 1 {
		t.Error("the merge did not bring the tag to main")
	}

	deleted := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_delete", nil), nil)["BranchDelete"], "BranchDelete")
	if !c.boolean(deleted["ok"], "BranchDelete.ok") {
		t.Error("BranchDelete not ok")
	}
	if one := c.list(gqlCall(t, srv, "", sdkDoc(t, "branch_get", nil), map[string]any{"branch_name": "feature-2"})["Branch"], "Branch"); len(one) != 0 {
		t.Errorf("feature-2 after BranchDelete: %v", one)
	}

	// Errors are answered 200 with "errors" (the SDK reads them; a 4xx is a bare HTTP error to it).
	code, a := gqlPost(t, srv, "", sdkDoc(t, "branch_delete", nil), nil)
	if code != http.StatusOK || len(a.Errors) == 0 || !strings.Contains(a.Errors[0]["message"].(string), "feature-2") ||
		a.Errors[0]["extensions"].(map[string]any)["code"] != "NOT_FOUND" || a.Data["BranchDelete"] != nil {
		t.Errorf("deleting a deleted branch: %d %v", code, a)
	}
	code, a = gqlPost(t, srv, "", "query { Branch { name ", nil)
	if code != http.StatusOK || len(a.Errors) == 0 || a.Data != nil || a.Errors[0]["extensions"].(map[string]any)["code"] != "GRAPHQL_PARSE_FAILED" {
		t.Errorf("a document that does not parse: %d %v", code, a)
	}
	code, a = gqlPost(t, srv, "", "query { Branch { nope } }", nil)
	if code != http.StatusOK || len(a.Errors) == 0 || a.Errors[0]["extensions"].(map[string]any)["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("a document that does not validate: %d %v", code, a)
	}
}

// `infrahubctl schema load --wait` polls SCHEMA_HASH_SYNC_STATUS (infrahub_sdk/queries.py, read
// by infrahub_sdk/ctl/schema.py) on the branch it loaded.
func TestSDKSchemaLoadWait(t *testing.T) {
	_, srv := newCatalog(t)
	c := check{t}
	const doc = `
query {
  InfrahubStatus {
    summary {
      schema_hash_synced
    }
  }
}
`
	status := c.obj(gqlCall(t, srv, "", doc, nil)["InfrahubStatus"], "InfrahubStatus")
	if !c.boolean(c.obj(status["summary"], "summary")["schema_hash_synced"], "schema_hash_synced") {
		t.Error("schema_hash_synced is false on a single server")
	}
	// the workers list names this server with the branch's schema hash
	workers := c.obj(gqlCall(t, srv, "", `{ InfrahubStatus { workers { edges { node { id active schema_hash } } } } }`, nil)["InfrahubStatus"], "InfrahubStatus")
	edges := c.list(c.obj(workers["workers"], "workers")["edges"], "edges")
	if len(edges) != 1 {
		t.Fatalf("workers: %v", edges)
	}
	w := c.obj(c.obj(edges[0], "edge")["node"], "node")
	if c.str(w["id"], "id") == "" || !c.boolean(w["active"], "active") || len(c.str(w["schema_hash"], "schema_hash")) < 8 {
		t.Errorf("worker: %v", w)
	}
}

// The web UI's branch selector (frontend/app/src/entities/branches/api/get-branches-from-api.ts)
// and its count (get-branches-count-from-api.ts): InfrahubBranch with attribute-shaped fields.
func TestUIBranchSelector(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "feature-a", "description": "first"})
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "feature-b"})
	const doc = `
  query GetBranches($limit: Int, $offset: Int, $nameValue: String, $partialMatch: Boolean) {
    InfrahubBranch(limit: $limit, offset: $offset, name__value: $nameValue, partial_match: $partialMatch) {
      edges {
        node {
          id
          name {
            value
          }
          description {
            value
          }
          origin_branch {
            value
          }
          branched_from {
            value
          }
          status {
            value
          }
          created_at
          sync_with_git {
            value
          }
          is_default {
            value
          }
          has_schema_changes {
            value
          }
        }
        node_metadata {
          created_at
          created_by {
            id
            display_label
            hfid
            __typename
          }
          updated_at
          updated_by {
            id
            display_label
            hfid
            __typename
          }
        }
      }
    }
  }
`
	edgesOf := func(vars map[string]any) []any {
		t.Helper()
		return c.list(c.obj(gqlCall(t, srv, "", doc, vars)["InfrahubBranch"], "InfrahubBranch")["edges"], "edges")
	}
	edges := edgesOf(map[string]any{"limit": 40})
	var names []string
	for _, e := range edges {
		edge := c.obj(e, "edge")
		n := c.obj(edge["node"], "node")
		c.str(n["id"], "id")
		names = append(names, c.str(c.obj(n["name"], "name")["value"], "name.value"))
		c.strOrNil(c.obj(n["description"], "description")["value"], "description.value")
		c.str(c.obj(n["origin_branch"], "origin_branch")["value"], "origin_branch.value")
		c.stamp(c.obj(n["branched_from"], "branched_from")["value"], "branched_from.value")
		if s := c.str(c.obj(n["status"], "status")["value"], "status.value"); s != "OPEN" {
			t.Errorf("status %q", s)
		}
		c.stamp(n["created_at"], "created_at")
		for _, k := range []string{"sync_with_git", "is_default", "has_schema_changes"} {
			c.boolean(c.obj(n[k], k)["value"], k+".value")
		}
		meta := c.obj(edge["node_metadata"], "node_metadata")
		c.stamp(meta["created_at"], "node_metadata.created_at")
		c.stamp(meta["updated_at"], "node_metadata.updated_at")
	}
	if strings.Join(names, ",") != "feature-a,feature-b,main" {
		t.Errorf("branches: %v", names)
	}
	// search as the selector does (partial match, ignoring case), then a page
	if got := edgesOf(map[string]any{"limit": 40, "nameValue": "FEAT", "partialMatch": true}); len(got) != 2 {
		t.Errorf("partial match FEAT: %d branches", len(got))
	}
	if got := edgesOf(map[string]any{"limit": 40, "nameValue": "feature-a"}); len(got) != 1 {
		t.Errorf("exact feature-a: %d branches", len(got))
	}
	if got := edgesOf(map[string]any{"limit": 1, "offset": 1}); len(got) != 1 ||
		c.obj(c.obj(c.obj(got[0], "e")["node"], "n")["name"], "name")["value"] != "feature-b" {
		t.Errorf("limit 1 offset 1: %v", got)
	}
	const count = `
  query GetBranchesCount($branchSearch: String) {
    InfrahubBranch(name__value: $branchSearch) {
      count
    }
  }
`
	if n := c.integer(c.obj(gqlCall(t, srv, "", count, nil)["InfrahubBranch"], "InfrahubBranch")["count"], "count"); n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
	def := gqlCall(t, srv, "", `{ InfrahubBranch(limit: 1) { default_branch { name { value } is_default { value } } } }`, nil)
	d := c.obj(c.obj(def["InfrahubBranch"], "InfrahubBranch")["default_branch"], "default_branch")
	if c.obj(d["name"], "name")["value"] != "main" || c.obj(d["is_default"], "is_default")["value"] != true {
		t.Errorf("default_branch: %v", d)
	}
	code, a := gqlPost(t, srv, "", `{ InfrahubBranch(limit: 0) { count } }`, nil)
	if code != http.StatusOK || len(a.Errors) == 0 || !strings.Contains(a.Errors[0]["message"].(string), "limit") {
		t.Errorf("limit 0: %d %v", code, a)
	}
}

// The web UI's search bar (frontend/app/src/entities/search-anywhere/api/search.ts, and the later
// form with offset, case_sensitive and parent_prefixes).
func TestUISearchAnywhere(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	const doc = `
  query Search($search: String!) {
    InfrahubSearchAnywhere(q: $search, limit: 4, partial_match: true) {
      count
      edges {
        node {
          id
          kind
        }
      }
    }
  }
`
	search := func(d string, vars map[string]any) map[string]any {
		t.Helper()
		return c.obj(gqlCall(t, srv, "", d, vars)["InfrahubSearchAnywhere"], "InfrahubSearchAnywhere")
	}
	// by partial name, ignoring case: the sites of Paris and its metro
	res := search(doc, map[string]any{"search": "PARIS"})
	kinds := map[string]string{}
	for _, e := range c.list(res["edges"], "edges") {
		n := c.obj(c.obj(e, "edge")["node"], "node")
		kinds[c.str(n["id"], "id")] = c.str(n["kind"], "kind")
	}
	if c.integer(res["count"], "count") < 2 || !slices.Contains(mapValues(kinds), "LocationMetro") || !slices.Contains(mapValues(kinds), "LocationSite") {
		t.Errorf("search PARIS: %v", res)
	}
	// by id
	site := f.create(t, "", "BuiltinTag", map[string]any{"name": "searchable"})
	res = search(doc, map[string]any{"search": site})
	if c.integer(res["count"], "count") != 1 || c.obj(c.obj(c.list(res["edges"], "edges")[0], "e")["node"], "n")["kind"] != "BuiltinTag" {
		t.Errorf("search by id: %v", res)
	}
	// limit bounds the edges, count is every match
	many := search(`query($s: String!) { InfrahubSearchAnywhere(q: $s, limit: 1) { count edges { node { id kind } } } }`, map[string]any{"s": "a"})
	if len(c.list(many["edges"], "edges")) != 1 || c.integer(many["count"], "count") < 2 {
		t.Errorf("limit 1: %v", many)
	}
	const later = `
  query SearchResults($search: String!, $limit: Int, $offset: Int, $caseSensitive: Boolean) {
    InfrahubSearchAnywhere(
      q: $search
      limit: $limit
      offset: $offset
      partial_match: true
      case_sensitive: $caseSensitive
    ) {
      count
      edges {
        node {
          id
          kind
        }
      }
      parent_prefixes {
        node {
          id
          kind
        }
      }
    }
  }
`
	if n := c.integer(search(later, map[string]any{"search": "PARIS", "caseSensitive": true})["count"], "count"); n != 0 {
		t.Errorf("case-sensitive PARIS: %d matches, want 0", n)
	}
	res = search(later, map[string]any{"search": "172.16.1.10", "limit": 10, "offset": 0})
	parents := c.list(res["parent_prefixes"], "parent_prefixes")
	if len(parents) != 1 || c.obj(c.obj(parents[0], "p")["node"], "n")["kind"] != "IpamPrefix" {
		t.Errorf("parent prefixes of 172.16.1.10: %v", parents)
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
