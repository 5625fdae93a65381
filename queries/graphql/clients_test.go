package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
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

	// create without waiting answers a task id (a string the SDK returns); once a worker ran the
	// task, the branch exists
	task := c.obj(gqlCall(t, srv, "", sdkDoc(t, "branch_create_task", nil), nil)["BranchCreate"], "BranchCreate")
	id := c.str(c.obj(task["task"], "task")["id"], "task.id")
	if id == "" {
		t.Fatal("empty task id")
	}
	f.runTask(t, id)
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
	// an empty query would match every node: refused, as cheap as possible
	if code, a := gqlPost(t, srv, "", doc, map[string]any{"search": "  "}); code != http.StatusOK || len(a.Errors) != 1 ||
		!strings.Contains(fmt.Sprint(a.Errors), "argument q is empty") {
		t.Errorf("empty search: %d %v", code, a.Errors)
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

// nodeOf is the node of the single edge of a <Kind> answer.
func (c check) nodes(data map[string]any, kind string) (int, []map[string]any) {
	c.t.Helper()
	page := c.obj(data[kind], kind)
	var out []map[string]any
	for i, e := range c.list(page["edges"], kind+".edges") {
		out = append(out, c.obj(c.obj(e, "edge")["node"], kind+".edges["+string(rune('0'+i))+"].node"))
	}
	return c.integer(page["count"], kind+".count"), out
}

// sdkNode checks what InfrahubNode reads of a node (infrahub_sdk/node/node.py __init__,
// _init_attributes, _init_relationships): id, hfid (a list of strings), display_label,
// __typename, {value} per attribute, {node {id hfid display_label __typename}} or null per
// cardinality-one relationship and {count, edges} per cardinality-many one.
func (c check) sdkNode(n map[string]any, kind string, attrs, ones, manys []string) {
	c.t.Helper()
	c.str(n["id"], kind+".id")
	for i, h := range c.list(n["hfid"], kind+".hfid") {
		c.str(h, kind+".hfid["+string(rune('0'+i))+"]")
	}
	c.str(n["display_label"], kind+".display_label")
	if c.str(n["__typename"], kind+".__typename") != kind {
		c.t.Errorf("__typename %v, want %s", n["__typename"], kind)
	}
	for _, a := range attrs {
		if _, ok := c.obj(n[a], kind+"."+a)["value"]; !ok {
			c.t.Errorf("%s.%s has no value", kind, a)
		}
	}
	for _, r := range ones {
		if n[r] == nil {
			continue
		}
		if peer := c.obj(n[r], kind+"."+r)["node"]; peer != nil {
			p := c.obj(peer, kind+"."+r+".node")
			c.str(p["id"], kind+"."+r+".node.id")
			c.str(p["__typename"], kind+"."+r+".node.__typename")
		}
	}
	for _, r := range manys {
		m := c.obj(n[r], kind+"."+r)
		c.integer(m["count"], kind+"."+r+".count")
		c.list(m["edges"], kind+"."+r+".edges")
	}
}

// The documents of client.get/filters/all and node.save/delete (testdata/sdk, rendered as
// infrahub_sdk/node/node.py and infrahub_sdk/graphql/ build them) for the catalog's LocationSite.
func TestSDKNodeDocuments(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	siteAttrs := []string{"facility_id", "physical_address", "name", "shortname", "description"}
	count, sites := c.nodes(gqlCall(t, srv, "", sdkDoc(t, "get_by_shortname", nil), nil), "LocationSite")
	if count != 1 || len(sites) != 1 {
		t.Fatalf("get(shortname__value=par01): %d %v", count, sites)
	}
	par01 := sites[0]
	c.sdkNode(par01, "LocationSite", siteAttrs, []string{"owner", "parent"}, []string{"tags"})
	if c.str(c.obj(par01["shortname"], "shortname")["value"], "shortname") != "par01" ||
		c.obj(c.obj(par01["parent"], "parent")["node"], "parent.node")["__typename"] != "LocationMetro" {
		t.Errorf("par01: %v", par01)
	}
	if hfid := c.list(par01["hfid"], "hfid"); len(hfid) != 1 || hfid[0] != "par01" {
		t.Errorf("hfid %v", hfid)
	}
	siteID := par01["id"].(string)
	for _, name := range []string{"get_by_id", "get_by_hfid"} {
		count, got := c.nodes(gqlCall(t, srv, "", sdkDoc(t, name, map[string]string{"SITE_ID": siteID}), nil), "LocationSite")
		if count != 1 || got[0]["id"] != siteID {
			t.Errorf("%s: %d %v", name, count, got)
		}
	}

	// filters with include, prefetch, properties, partial match, order and metadata
	tag := f.create(t, "", "BuiltinTag", map[string]any{"name": "flagship"})
	f.command(t, commands.TypeUpdateNode, map[string]any{"kind": "LocationSite", "id": siteID, "data": map[string]any{"tags": []string{tag}}})
	data := gqlCall(t, srv, "", sdkDoc(t, "filters_full", map[string]string{"TAG_ID": tag}), nil)
	page := c.obj(data["LocationSite"], "LocationSite")
	edges := c.list(page["edges"], "edges")
	if len(edges) != 1 {
		t.Fatalf("filters(name__value=paris, partial, tags__ids): %v", edges)
	}
	edge := c.obj(edges[0], "edge")
	meta := c.obj(edge["node_metadata"], "node_metadata")
	c.stamp(meta["created_at"], "node_metadata.created_at")
	c.stamp(meta["updated_at"], "node_metadata.updated_at")
	n := c.obj(edge["node"], "node")
	c.sdkNode(n, "LocationSite", siteAttrs, []string{"owner", "parent"}, []string{"tags", "children"})
	name := c.obj(n["name"], "name")
	c.boolean(name["is_default"], "name.is_default")
	c.boolean(name["is_from_profile"], "name.is_from_profile")
	c.boolean(name["is_protected"], "name.is_protected")
	tags := c.list(c.obj(n["tags"], "tags")["edges"], "tags.edges")
	if len(tags) != 1 {
		t.Fatalf("tags: %v", tags)
	}
	tagEdge := c.obj(tags[0], "tags[0]")
	c.boolean(c.obj(tagEdge["properties"], "tags[0].properties")["is_protected"], "properties.is_protected")
	c.str(c.obj(c.obj(tagEdge["node"], "tag")["name"], "tag.name")["value"], "tag.name.value") // prefetched peer
	parent := c.obj(c.obj(n["parent"], "parent")["node"], "parent.node")
	if c.obj(parent["name"], "parent.name")["value"] != "Paris" {
		t.Errorf("prefetched parent: %v", parent)
	}
	for _, h := range []string{"ancestors", "descendants", "children"} {
		c.list(c.obj(n[h], h)["edges"], h+".edges")
	}

	// all() of a generic with fragments: aliased fields per kind
	count, locs := c.nodes(gqlCall(t, srv, "", sdkDoc(t, "all_generic_fragment", nil), nil), "LocationGeneric")
	if count < 6 || len(locs) != count {
		t.Fatalf("all(LocationGeneric): %d %d", count, len(locs))
	}
	for _, l := range locs {
		if l["__typename"] == "LocationSite" {
			if _, ok := l["__alias__LocationSite__facility_id"]; !ok {
				t.Errorf("no aliased facility_id on %v", l)
			}
		}
	}
	// a second page past the end: count of all, no edges
	count, rest := c.nodes(gqlCall(t, srv, "", sdkDoc(t, "all_exclude", nil), nil), "LocationSite")
	if count < 2 || len(rest) != 0 {
		t.Errorf("second page: %d %v", count, rest)
	}

	// save() of a new node, with a value sent as a variable
	metro := c.obj(c.obj(par01["parent"], "parent")["node"], "parent.node")["id"].(string)
	ids := map[string]string{"TAG_ID": tag, "METRO_ID": metro}
	created := c.obj(gqlCall(t, srv, "", sdkDoc(t, "site_create", ids), map[string]any{"value_5f1d2c3b4a": `North, "the new one"`})["LocationSiteCreate"], "LocationSiteCreate")
	if !c.boolean(created["ok"], "ok") {
		t.Fatal("create not ok")
	}
	newID := c.str(c.obj(created["object"], "object")["id"], "object.id")
	ids["SITE_ID"] = newID
	_, got := c.nodes(gqlCall(t, srv, "", sdkDoc(t, "get_by_id", ids), nil), "LocationSite")
	if len(got) != 1 || c.obj(got[0]["description"], "description")["value"] != `North, "the new one"` ||
		c.obj(c.obj(got[0]["parent"], "parent")["node"], "node")["id"] != metro ||
		c.integer(c.obj(got[0]["tags"], "tags")["count"], "tags.count") != 1 {
		t.Errorf("created site: %v", got)
	}
	// save(allow_upsert=True) twice: one node
	var upserted []string
	for range 2 {
		u := c.obj(gqlCall(t, srv, "", sdkDoc(t, "site_upsert", ids), nil)["LocationSiteUpsert"], "LocationSiteUpsert")
		upserted = append(upserted, c.str(c.obj(u["object"], "object")["id"], "object.id"))
	}
	if upserted[0] != upserted[1] {
		t.Errorf("upsert twice gave %v", upserted)
	}
	// save() of a fetched node: the changed values and the relationship property
	updated := c.obj(gqlCall(t, srv, "", sdkDoc(t, "site_update", ids), nil)["LocationSiteUpdate"], "LocationSiteUpdate")
	if !c.boolean(updated["ok"], "ok") || c.obj(updated["object"], "object")["id"] != newID {
		t.Errorf("update: %v", updated)
	}
	after := gqlCall(t, srv, "", `query($id: ID) { LocationSite(ids: [$id]) { edges { node { facility_id { value is_protected } tags { edges { properties { is_protected } } } } } } }`, map[string]any{"id": newID})
	_, got = c.nodes(map[string]any{"LocationSite": map[string]any{"count": 1.0, "edges": c.obj(after["LocationSite"], "x")["edges"]}}, "LocationSite")
	fac := c.obj(got[0]["facility_id"], "facility_id")
	props := c.obj(c.obj(c.list(c.obj(got[0]["tags"], "tags")["edges"], "edges")[0], "e")["properties"], "properties")
	if fac["value"] != "PAR-2" || fac["is_protected"] != true || props["is_protected"] != true {
		t.Errorf("after update: %v %v", fac, props)
	}
	// delete()
	del := c.obj(gqlCall(t, srv, "", sdkDoc(t, "site_delete", ids), nil)["LocationSiteDelete"], "LocationSiteDelete")
	if !c.boolean(del["ok"], "ok") {
		t.Error("delete not ok")
	}
	if count, _ := c.nodes(gqlCall(t, srv, "", sdkDoc(t, "get_by_id", ids), nil), "LocationSite"); count != 0 {
		t.Errorf("after delete: %d", count)
	}
}
