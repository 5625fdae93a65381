package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The documents and requests of Infrahub's web UI (opsmill/infrahub frontend/app/src) for its
// home, object list, object detail and branch pages, replayed verbatim against a real server
// holding the service catalog (imported from a Git repository, with its artifacts), checking
// every field those pages read: empty relationships ({"node": null}), timestamps, counts.
func TestUIPagesCore(t *testing.T) {
	repo := catalogRepo(t)
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "1"})
	clientCLI(t, srv.base, "", "repository", "add", "catalog", "file://"+repo)
	eventually(t, 60*time.Second, "16 Ready artifacts", func() (bool, string) {
		ready := 0
		for _, a := range artifactsByDevice(t, srv.base) {
			if a.Status == "Ready" {
				ready++
			}
		}
		return ready == 16, fmt.Sprintf("%d ready", ready)
	})
	base := srv.base

	t.Run("home", func(t *testing.T) { uiHome(t, base) })
	t.Run("object list", func(t *testing.T) { uiObjectList(t, base) })
	t.Run("object detail", func(t *testing.T) { uiObjectDetail(t, base) })
	t.Run("branches", func(t *testing.T) { uiBranches(t, base) })
}

// uiGet reads a REST answer of the UI's, failing on a status other than 200.
func uiGet(t *testing.T, base, path string) map[string]any {
	t.Helper()
	code, _, body := authCall(t, base, http.MethodGet, path, keyOf(testAdminToken), "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, code, body)
	}
	return body
}

// isStamp reports whether v is an ISO 8601 time as JavaScript's Date and date-fns parse it.
func isStamp(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && !strings.HasPrefix(s, "0001")
}

func list(v any) []any { l, _ := v.([]any); return l }

// The first requests of every page (frontend/app/src/shared/api/rest: /api/config from the config
// provider, /api/schema/summary and /api/schema from the schema provider, /api/menu from the
// sidebar).
func uiHome(t *testing.T, base string) {
	cfg := uiGet(t, base, "/api/config")
	if _, ok := cfg["main"].(map[string]any); !ok {
		t.Errorf("/api/config has no main section: %v", cfg)
	}
	sum := uiGet(t, base, "/api/schema/summary?branch=main")
	if h, _ := sum["main"].(string); h == "" || dig(sum, "nodes", "DcimDevice") == nil {
		t.Errorf("/api/schema/summary: main %v, DcimDevice %v", sum["main"], dig(sum, "nodes", "DcimDevice"))
	}
	menu := uiGet(t, base, "/api/menu?branch=main")
	objects := list(dig(menu, "sections", "object"))
	if len(objects) == 0 || dig(menu, "sections", "internal") == nil {
		t.Fatalf("/api/menu sections: %v", menu)
	}
	for _, it := range objects {
		for _, k := range []string{"identifier", "label", "path", "icon", "kind", "order_weight", "children"} {
			if _, ok := it.(map[string]any)[k]; !ok {
				t.Errorf("menu item %v lacks %s", dig(it, "identifier"), k)
			}
		}
	}
	s := uiGet(t, base, "/api/schema?branch=main")
	found := false
	for _, n := range list(s["nodes"]) {
		if dig(n, "kind") == "DcimDevice" {
			found = list(dig(n, "attributes")) != nil && list(dig(n, "relationships")) != nil
		}
	}
	if !found || s["main"] == nil {
		t.Errorf("/api/schema has no DcimDevice with attributes and relationships")
	}
}

// deviceOneRels are DcimDevice's relationships of cardinality one in the catalog's schema.
var deviceOneRels = []string{"location", "device_type", "platform", "primary_address"}

// The list page (frontend/app/src/entities/nodes/object/api/get-objects-from-api.ts: the
// nodeCoreFragment of shared/api/graphql/fragments.ts, then addAttributesToRequest and
// addRelationshipsToRequest of shared/api/graphql/utils.ts, as jsonToGraphQLQuery prints them)
// and its count (get-objects-count-from-api.ts).
func uiObjectList(t *testing.T, base string) {
	const q = `query GetObjectsDcimDevice { DcimDevice (limit: 10, offset: 0) { edges { node { id display_label hfid __typename ` +
		`name { id value } description { id value } os_version { id value } status { id value color description label } ` +
		`role { id value color description label } index { id value } position { id value } serial { id value } ` +
		`rack_face { id value color description label } ` +
		`location { node { id hfid display_label } } device_type { node { id hfid display_label } } ` +
		`platform { node { id hfid display_label } } primary_address { node { id hfid display_label } } ` +
		`tags { edges { node { id hfid display_label } } } } } } }`
	d := gqlData(t, base, q, nil)
	edges := list(dig(d, "DcimDevice", "edges"))
	if len(edges) != 10 {
		t.Fatalf("%d devices on the first page, want 10", len(edges))
	}
	for _, e := range edges {
		n := dig(e, "node")
		if dig(n, "__typename") != "DcimDevice" || dig(n, "display_label") == nil || len(list(dig(n, "hfid"))) == 0 {
			t.Errorf("core fields: %v", n)
		}
		if dig(n, "status", "label") == nil || dig(n, "status", "color") == nil {
			t.Errorf("dropdown status without label or color: %v", dig(n, "status"))
		}
		for _, r := range deviceOneRels {
			rel, ok := dig(n, r).(map[string]any)
			if !ok {
				t.Fatalf("%s of %v is %v: the page reads .node of it", r, dig(n, "display_label"), dig(n, r))
			}
			if _, ok := rel["node"]; !ok {
				t.Errorf("%s has no node key: %v", r, rel)
			}
		}
		if dig(n, "platform", "node") != nil || dig(n, "location", "node", "display_label") == nil {
			t.Errorf("platform (unset) %v, location (set) %v", dig(n, "platform"), dig(n, "location"))
		}
	}
	c := gqlData(t, base, `query GetObjectsCountDcimDevice { DcimDevice { count } }`, nil)
	if dig(c, "DcimDevice", "count") != float64(16) {
		t.Errorf("count: %v", c)
	}
}

// The detail page of one device, every document it sends.
func uiObjectDetail(t *testing.T, base string) {
	d := gqlData(t, base, `query { DcimDevice(name__value: "sw01-bru01") { edges { node { id } } } }`, nil)
	id, _ := dig(list(dig(d, "DcimDevice", "edges"))[0], "node", "id").(string)
	if id == "" {
		t.Fatal("no sw01-bru01")
	}

	// frontend/app/src/entities/nodes/api/getObjectDetails.ts (Handlebars) with the device's
	// columns, its relationship tabs (interfaces, artifacts), permissions, the task count and
	// the kind's profiles.
	attr := `{ id value updated_at is_default is_from_profile is_protected source { id display_label __typename } owner { id display_label __typename } }`
	drop := `{ id value updated_at is_default is_from_profile is_protected source { id display_label __typename } owner { id display_label __typename } color description label }`
	rel := `{ node { id display_label __typename } properties { updated_at is_protected source { id display_label __typename } owner { id display_label __typename } __typename } }`
	q := `query DcimDevice { DcimDevice (ids: ["` + id + `"]) { edges { node { id hfid display_label ` +
		`profiles { edges { node { display_label id profile_priority { value } } } } ` +
		`name ` + attr + ` description ` + attr + ` status ` + drop + ` role ` + drop + ` index ` + attr + ` ` +
		`location ` + rel + ` platform ` + rel + ` device_type ` + rel + ` primary_address ` + rel + ` ` +
		`tags(limit: 100) { edges ` + rel + ` } ` +
		`interfaces(limit: 100) { count } artifacts(limit: 100) { count } member_of_groups(limit: 100) { count } } } ` +
		`permissions { edges { node { kind view create update delete } } } } ` +
		`InfrahubTask(related_node__ids: ["` + id + `"]) { count } }`
	d = gqlData(t, base, q, nil)
	n := dig(list(dig(d, "DcimDevice", "edges"))[0], "node")
	if dig(n, "display_label") != "sw01-bru01" || dig(n, "name", "value") != "sw01-bru01" || !isStamp(dig(n, "name", "updated_at")) {
		t.Errorf("attributes: %v", dig(n, "name"))
	}
	if dig(n, "status", "label") == nil {
		t.Errorf("status: %v", dig(n, "status"))
	}
	if p, ok := dig(n, "platform").(map[string]any); !ok || p["node"] != nil || p["properties"] == nil {
		t.Errorf("empty platform: %v (Infrahub answers {node: null, properties: {...}})", dig(n, "platform"))
	}
	if dig(n, "location", "node", "__typename") != "LocationSite" && dig(n, "location", "node", "id") == nil {
		t.Errorf("location: %v", dig(n, "location"))
	}
	if dig(n, "location", "properties", "__typename") != "RelationshipProperty" {
		t.Errorf("location properties: %v", dig(n, "location", "properties"))
	}
	if c := dig(n, "interfaces", "count"); c == nil || c.(float64) == 0 {
		t.Errorf("interfaces tab: %v", dig(n, "interfaces"))
	}
	if dig(n, "artifacts", "count") != float64(1) || dig(n, "member_of_groups", "count") != float64(1) {
		t.Errorf("artifacts tab %v, groups %v", dig(n, "artifacts"), dig(n, "member_of_groups"))
	}
	if list(dig(n, "profiles", "edges")) == nil {
		t.Errorf("profiles: %v", dig(n, "profiles"))
	}
	if perms := list(dig(d, "DcimDevice", "permissions", "edges")); len(perms) == 0 || dig(perms[0], "node", "view") != "ALLOW" {
		t.Errorf("permissions: %v", perms)
	}
	if _, ok := dig(d, "InfrahubTask", "count").(float64); !ok { // the page shows the number of the Tasks tab
		t.Errorf("InfrahubTask count: %v", dig(d, "InfrahubTask"))
	}

	// frontend/app/src/entities/nodes/object/api/get-object-from-api.ts (withMetadata)
	attrM := `{ id value updated_at is_default is_from_profile is_protected is_visible source { id display_label __typename } owner { id display_label __typename } }`
	relM := `{ node { id hfid display_label } properties { is_visible is_protected updated_at source { id display_label __typename } owner { id display_label __typename } } }`
	q = `query GetObjectDcimDevice { DcimDevice (ids: ["` + id + `"]) { edges { node { id display_label hfid ` +
		`name ` + attrM + ` platform ` + relM + ` location ` + relM + ` tags { edges ` + relM + ` } } } } }`
	d = gqlData(t, base, q, nil)
	n = dig(list(dig(d, "DcimDevice", "edges"))[0], "node")
	if p := dig(n, "platform"); dig(p, "node") != nil || dig(p, "properties") == nil {
		t.Errorf("platform with metadata: %v", p)
	}
	if dig(n, "location", "properties", "is_visible") != true || dig(n, "name", "is_visible") != true {
		t.Errorf("is_visible: %v %v", dig(n, "location", "properties"), dig(n, "name"))
	}

	// frontend/app/src/entities/nodes/object/api/get-node-metadata-from-api.ts
	q = `query GetNodeMetadataDcimDevice { DcimDevice (ids: ["` + id + `"]) { edges { node_metadata { created_at ` +
		`created_by { id display_label hfid __typename } updated_at updated_by { id display_label hfid __typename } } } } }`
	d = gqlData(t, base, q, nil)
	m := dig(list(dig(d, "DcimDevice", "edges"))[0], "node_metadata")
	if !isStamp(dig(m, "created_at")) || !isStamp(dig(m, "updated_at")) {
		t.Errorf("node_metadata: %v", m)
	}

	// frontend/app/src/entities/groups/api/getGroups.ts (Handlebars) for the groups tab
	q = `query GET_GROUPS { DcimDevice(ids:["` + id + `"]) { edges { node { member_of_groups { count edges { node { id display_label ` +
		`description { value } members { count } } } } } } } ` +
		`CoreStandardGroup { count edges { node { id display_label __typename name { value } description { value } } } } }`
	d = gqlData(t, base, q, nil)
	g := list(dig(list(dig(d, "DcimDevice", "edges"))[0], "node", "member_of_groups", "edges"))
	if len(g) != 1 || dig(g[0], "node", "display_label") != "generic_devices" || dig(g[0], "node", "members", "count") != float64(16) {
		t.Errorf("groups tab: %v", g)
	}

	// the artifacts tab: frontend/app/src/entities/nodes/api/generateRelationshipListQuery.ts
	// with peer CoreArtifact and parent {name: "object", value: id}
	q = `query GetRelationshipListCoreArtifact { CoreArtifact (limit: 0, offset: 0, any__value: "", partial_match: true, object__ids: ["` + id + `"]) { count edges { node { id hfid display_label __typename } } } }`
	d = gqlData(t, base, q, nil)
	if a := list(dig(d, "CoreArtifact", "edges")); dig(d, "CoreArtifact", "count") != float64(1) || len(a) != 1 || dig(a[0], "node", "__typename") != "CoreArtifact" {
		t.Errorf("artifacts of the device: %v", d)
	}
}

// The branches pages: frontend/app/src/entities/branches/api/get-branches-query.ts (GetBranches,
// GetBranchesCount), get-branch-details-query.ts (GetBranchDetails), and the branch's diff
// (frontend/app/src/entities/diff/api/get-diff-tree-from-api.ts, get-diff-tree-summary-from-api.ts).
func uiBranches(t *testing.T, base string) {
	before := time.Now().Add(-time.Second)
	gqlData(t, base, `mutation { BranchCreate(data: {name: "ui-feature", description: "from the UI test", sync_with_git: false}) { ok } }`, nil)
	eventually(t, 20*time.Second, "branch ui-feature", func() (bool, string) {
		d := gqlData(t, base, `query { Branch(name: "ui-feature") { name } }`, nil)
		return len(list(d["Branch"])) == 1, fmt.Sprint(d)
	})
	dev := gqlData(t, base, `query { DcimDevice(name__value: "sw02-par01") { edges { node { id } } } }`, nil)
	devID := dig(list(dig(dev, "DcimDevice", "edges"))[0], "node", "id").(string)
	code, _, body := authCall(t, base, http.MethodPost, "/graphql/ui-feature", keyOf(testAdminToken),
		mustJSON(map[string]any{"query": `mutation { DcimDeviceUpdate(data: {id: "` + devID + `", index: {value: 9}}) { ok } }`}))
	if code != 200 || body["errors"] != nil {
		t.Fatalf("update in the branch: %d %v", code, body)
	}

	const branches = `
query GetBranches($branchName: String, $limit: Int, $offset: Int) {
    InfrahubBranch(name__value: $branchName, limit: $limit, offset: $offset) {
      edges {
        node{
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
      }
    }
  }`
	d := gqlData(t, base, branches, map[string]any{})
	seen := map[string]map[string]any{}
	for _, e := range list(dig(d, "InfrahubBranch", "edges")) {
		n := dig(e, "node").(map[string]any)
		name, _ := dig(n, "name", "value").(string)
		seen[name] = n
		if !isStamp(dig(n, "branched_from", "value")) || !isStamp(n["created_at"]) {
			t.Errorf("%s: branched_from %v, created_at %v: timestamps wanted", name, dig(n, "branched_from"), n["created_at"])
		}
		if dig(n, "status", "value") != "OPEN" || dig(n, "origin_branch", "value") == nil {
			t.Errorf("%s: %v", name, n)
		}
	}
	f := seen["ui-feature"]
	if seen["main"] == nil || f == nil || dig(seen["main"], "is_default", "value") != true || dig(f, "is_default", "value") != false ||
		dig(f, "description", "value") != "from the UI test" || dig(f, "origin_branch", "value") != "main" {
		t.Fatalf("branches: %v", seen)
	}
	if at, _ := time.Parse(time.RFC3339Nano, dig(f, "branched_from", "value").(string)); at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("ui-feature branched_from %v is not its creation (after %v)", at, before)
	}
	c := gqlData(t, base, "\nquery GetBranchesCount($branchName: String) {\n    InfrahubBranch(name__value: $branchName) {\n      count\n    }\n  }\n", nil)
	if dig(c, "InfrahubBranch", "count") != float64(len(seen)) {
		t.Errorf("count: %v", c)
	}
	details := strings.Replace(branches, "query GetBranches($branchName: String, $limit: Int, $offset: Int) {\n    InfrahubBranch(name__value: $branchName, limit: $limit, offset: $offset)",
		"query GetBranchDetails($branchName: String!) {\n    InfrahubBranch(name__value: $branchName)", 1)
	d = gqlData(t, base, details, map[string]any{"branchName": "ui-feature"})
	if e := list(dig(d, "InfrahubBranch", "edges")); len(e) != 1 || dig(e[0], "node", "name", "value") != "ui-feature" {
		t.Errorf("GetBranchDetails: %v", d)
	}

	// REST: the same times (Infrahub's shape) and the log position beside them
	rb := uiGet(t, base, "/api/branches/ui-feature")
	if !isStamp(rb["branched_from"]) || !isStamp(rb["created_at"]) || rb["branched_from_position"] == nil {
		t.Errorf("/api/branches/ui-feature: %v", rb)
	}

	const summary = `
  query GET_DIFF_TREE_SUMMARY($branch: String, $filters: DiffTreeQueryFilters, $proposedChangeId: String) {
    DiffTreeSummary(branch: $branch, filters: $filters, proposed_change_id: $proposedChangeId) {
      num_added
      num_updated
      num_removed
      num_conflicts
    }
  }`
	d = gqlData(t, base, summary, map[string]any{"branch": "ui-feature"})
	if dig(d, "DiffTreeSummary", "num_updated") != float64(1) || dig(d, "DiffTreeSummary", "num_conflicts") != float64(0) {
		t.Errorf("DiffTreeSummary: %v", d)
	}
	d = gqlData(t, base, diffTreeQuery, map[string]any{"branchName": "ui-feature"})
	tree := dig(d, "DiffTree")
	if dig(tree, "base_branch") != "main" || dig(tree, "diff_branch") != "ui-feature" || !isStamp(dig(tree, "from_time")) || !isStamp(dig(tree, "to_time")) {
		t.Errorf("DiffTree header: %v", tree)
	}
	var mine map[string]any
	for _, n := range list(dig(tree, "nodes")) {
		if dig(n, "uuid") == devID {
			mine = n.(map[string]any)
		}
	}
	if mine == nil || mine["status"] != "UPDATED" || mine["kind"] != "DcimDevice" || mine["label"] != "sw02-par01" || !isStamp(mine["last_changed_at"]) {
		t.Fatalf("the device in DiffTree: %v", mine)
	}
	var desc any
	for _, a := range list(mine["attributes"]) {
		if dig(a, "name") == "index" {
			desc = a
		}
	}
	props := list(dig(desc, "properties"))
	if len(props) == 0 || dig(props[0], "property_type") != "HAS_VALUE" || dig(props[0], "new_value") != "9" || dig(props[0], "previous_value") != "2" ||
		dig(desc, "status") != "UPDATED" || dig(desc, "path_identifier") == nil {
		t.Errorf("index in DiffTree: %v", desc)
	}
}

// diffTreeQuery is DIFF_TREE_QUERY of frontend/app/src/entities/diff/api/get-diff-tree-from-api.ts.
const diffTreeQuery = `
  query GET_DIFF_TREE($branchName: String, $filters: DiffTreeQueryFilters, $limit: Int, $offset: Int) {
    DiffTree(branch: $branchName, filters: $filters, include_parents: true, limit: $limit, offset: $offset) {
      nodes {
        uuid
        relationships {
          label
          status
          contains_conflict
          cardinality
          elements {
            conflict {
              base_branch_label
              base_branch_action
              base_branch_changed_at
              base_branch_value
              diff_branch_label
              diff_branch_action
              diff_branch_changed_at
              diff_branch_value
              selected_branch
              uuid
            }
            last_changed_at
            contains_conflict
            peer_id
            properties {
              conflict {
                base_branch_label
                base_branch_action
                base_branch_changed_at
                base_branch_value
                diff_branch_label
                diff_branch_action
                diff_branch_changed_at
                diff_branch_value
                selected_branch
                uuid
              }
              last_changed_at
              new_value
              previous_value
              property_type
              status
              path_identifier
            }
            status
            path_identifier
            peer_label
          }
          last_changed_at
          name
          path_identifier
        }
        conflict {
          base_branch_label
          base_branch_action
          base_branch_changed_at
          diff_branch_action
          diff_branch_label
          base_branch_value
          diff_branch_changed_at
          diff_branch_value
          selected_branch
          uuid
        }
        attributes {
          contains_conflict
          last_changed_at
          name
          conflict {
            base_branch_label
            base_branch_action
            base_branch_changed_at
            base_branch_value
            diff_branch_label
            diff_branch_action
            diff_branch_changed_at
            diff_branch_value
            selected_branch
            uuid
          }
          properties {
            conflict {
              base_branch_label
              base_branch_action
              base_branch_changed_at
              base_branch_value
              diff_branch_label
              diff_branch_action
              diff_branch_changed_at
              diff_branch_value
              selected_branch
              uuid
            }
            last_changed_at
            new_value
            previous_value
            property_type
            status
            path_identifier
          }
          status
          path_identifier
        }
        kind
        contains_conflict
        label
        last_changed_at
        status
        path_identifier
        parent {
          uuid
          relationship_name
          kind
        }
      }
      to_time
      base_branch
      diff_branch
      from_time
    }
  }`
