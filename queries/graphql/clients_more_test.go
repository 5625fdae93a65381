package graphql_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
)

// client.allocate_next_ip_address and allocate_next_ip_prefix (infrahub_sdk/client.py) send
// IPAddressPoolGetResource and IPPrefixPoolGetResource; the web UI's resource manager page reads
// InfrahubResourcePoolUtilization and InfrahubResourcePoolAllocated
// (backend/infrahub/graphql/queries/resource_manager.py gives their shapes).
func TestSDKPoolsAndResourceManager(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	pool := func(kind string) string {
		t.Helper()
		_, nodes := c.nodes(gqlCall(t, srv, "", `{ `+kind+` { count edges { node { id } } } }`, nil), kind)
		if len(nodes) != 1 {
			t.Fatalf("%s: %v", kind, nodes)
		}
		return nodes[0]["id"].(string)
	}
	addressPool, prefixPool, numberPool := pool("CoreIPAddressPool"), pool("CoreIPPrefixPool"), pool("CoreNumberPool")
	allocated := func(doc, field string) map[string]any {
		t.Helper()
		out := c.obj(gqlCall(t, srv, "", doc, nil)[field], field)
		if !c.boolean(out["ok"], field+".ok") {
			t.Fatalf("%s not ok", field)
		}
		node := c.obj(out["node"], field+".node")
		c.str(node["id"], "node.id")
		c.str(node["kind"], "node.kind")
		c.str(node["display_label"], "node.display_label")
		return node
	}
	addr := allocated(sdkDoc(t, "pool_address", map[string]string{"POOL_ID": addressPool}), "IPAddressPoolGetResource")
	if addr["kind"] != "IpamIPAddress" || addr["display_label"] != "172.16.1.1/32" || addr["identifier"] != "web01" {
		t.Errorf("address: %v", addr)
	}
	again := allocated(sdkDoc(t, "pool_address", map[string]string{"POOL_ID": addressPool}), "IPAddressPoolGetResource")
	if again["id"] != addr["id"] {
		t.Errorf("same identifier gave %v then %v", addr, again)
	}
	pfx := allocated(sdkDoc(t, "pool_prefix", map[string]string{"POOL_ID": prefixPool}), "IPPrefixPoolGetResource")
	if pfx["kind"] != "IpamPrefix" || pfx["display_label"] != "203.0.113.0/28" {
		t.Errorf("prefix: %v", pfx)
	}

	// utilization of the address pool: one resource, 172.16.1.0/24, with one address used
	util := c.obj(gqlCall(t, srv, "", `query($id: String!) { InfrahubResourcePoolUtilization(pool_id: $id) {
		count utilization utilization_default_branch utilization_branches
		edges { node { id kind display_label weight utilization utilization_default_branch utilization_branches } } } }`,
		map[string]any{"id": addressPool})["InfrahubResourcePoolUtilization"], "InfrahubResourcePoolUtilization")
	edges := c.list(util["edges"], "edges")
	if c.integer(util["count"], "count") != 1 || len(edges) != 1 {
		t.Fatalf("utilization: %v", util)
	}
	res := c.obj(c.obj(edges[0], "edge")["node"], "node")
	u, _ := res["utilization"].(float64)
	if res["display_label"] != "172.16.1.0/24" || u < 0.39 || u > 0.4 || util["utilization"] != res["utilization"] || util["utilization_branches"] != 0.0 {
		t.Errorf("resource: %v (pool %v)", res, util)
	}
	// the allocated addresses of that resource
	alloc := c.obj(gqlCall(t, srv, "", `query($p: String!, $r: String!) { InfrahubResourcePoolAllocated(pool_id: $p, resource_id: $r) {
		count edges { node { id kind branch display_label identifier } } } }`,
		map[string]any{"p": addressPool, "r": res["id"]})["InfrahubResourcePoolAllocated"], "InfrahubResourcePoolAllocated")
	aEdges := c.list(alloc["edges"], "edges")
	if c.integer(alloc["count"], "count") != 1 || len(aEdges) != 1 {
		t.Fatalf("allocated: %v", alloc)
	}
	an := c.obj(c.obj(aEdges[0], "e")["node"], "node")
	if an["id"] != addr["id"] || an["branch"] != "main" || an["display_label"] != "172.16.1.1/32" {
		t.Errorf("allocated node: %v", an)
	}
	// a resource of another pool is refused; a number pool reports its range
	code, a := gqlPost(t, srv, "", `query($p: String!, $r: String!) { InfrahubResourcePoolAllocated(pool_id: $p, resource_id: $r) { count } }`,
		map[string]any{"p": addressPool, "r": pfx["id"]})
	if code != http.StatusOK || len(a.Errors) == 0 || !strings.Contains(a.Errors[0]["message"].(string), "resource_id") {
		t.Errorf("foreign resource: %d %v", code, a)
	}
	f.create(t, "", "IpamVLAN", map[string]any{"name": "customer-a", "vlan_id": 1000, "status": "active", "role": "user", "l2domain": []string{"default"}})
	nu := c.obj(gqlCall(t, srv, "", `query($id: String!) { InfrahubResourcePoolUtilization(pool_id: $id) { count utilization edges { node { kind weight } } } }`,
		map[string]any{"id": numberPool})["InfrahubResourcePoolUtilization"], "InfrahubResourcePoolUtilization")
	if c.integer(nu["count"], "count") != 1 || nu["utilization"].(float64) < 0.09 || nu["utilization"].(float64) > 0.1 {
		t.Errorf("number pool utilization: %v", nu)
	}
	code, a = gqlPost(t, srv, "", `{ InfrahubResourcePoolUtilization(pool_id: "`+addr["id"].(string)+`") { count } }`, nil)
	if code != http.StatusOK || len(a.Errors) == 0 || a.Errors[0]["extensions"].(map[string]any)["code"] != "NOT_FOUND" {
		t.Errorf("not a pool: %d %v", code, a)
	}
}

// SchemaDropdownAdd/Remove and SchemaEnumAdd/Remove (backend/infrahub/graphql/mutations/schema.py)
// change a kind's attribute on the branch through a schema load, with Infrahub's refusals.
func TestSchemaChoiceMutations(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	const add = `mutation($kind: String!, $attr: String!, $value: String!) {
  SchemaDropdownAdd(data: {kind: $kind, attribute: $attr, dropdown: $value, label: "Decommissioning", color: "#ff0000"}) {
    ok
    object { value label color description }
  }
}`
	vars := map[string]any{"kind": "IpamVLAN", "attr": "status", "value": "decommissioning"}
	out := c.obj(gqlCall(t, srv, "", add, vars)["SchemaDropdownAdd"], "SchemaDropdownAdd")
	obj := c.obj(out["object"], "object")
	if !c.boolean(out["ok"], "ok") || obj["value"] != "decommissioning" || obj["label"] != "Decommissioning" || obj["color"] != "#ff0000" {
		t.Errorf("SchemaDropdownAdd: %v", out)
	}
	// the new choice is a value nodes may take now
	f.create(t, "", "IpamVLAN", map[string]any{"name": "old", "vlan_id": 10, "status": "decommissioning", "role": "user", "l2domain": []string{"default"}})
	refusals := []struct{ doc, want string }{
		{add, "already exists"},
		{`mutation { SchemaDropdownRemove(data: {kind: "IpamVLAN", attribute: "status", dropdown: "decommissioning"}) { ok } }`, "still"},
		{`mutation { SchemaDropdownRemove(data: {kind: "IpamVLAN", attribute: "status", dropdown: "nope"}) { ok } }`, "does not exist"},
		{`mutation { SchemaDropdownAdd(data: {kind: "IpamVLAN", attribute: "name", dropdown: "x"}) { ok } }`, "not a Dropdown"},
		{`mutation { SchemaEnumAdd(data: {kind: "IpamVLAN", attribute: "name", enum: "x"}) { ok } }`, "not an enum"},
		{`mutation { SchemaDropdownAdd(data: {kind: "BuiltinTag", attribute: "name", dropdown: "x"}) { ok } }`, "not a Dropdown"},
		{`mutation { SchemaDropdownAdd(data: {kind: "IpamVLAN", attribute: "nope", dropdown: "x"}) { ok } }`, "does not exist"},
	}
	for _, r := range refusals {
		code, a := gqlPost(t, srv, "", r.doc, vars)
		if code != http.StatusOK || len(a.Errors) == 0 || !strings.Contains(a.Errors[0]["message"].(string), r.want) {
			t.Errorf("%s: %d %v, want an error with %q", r.doc, code, a, r.want)
		}
	}
	f.command(t, commands.TypeDeleteNode, map[string]any{"kind": "IpamVLAN", "hfid": []string{"old"}})
	rm := c.obj(gqlCall(t, srv, "", `mutation { SchemaDropdownRemove(data: {kind: "IpamVLAN", attribute: "status", dropdown: "decommissioning"}) { ok } }`, nil)["SchemaDropdownRemove"], "SchemaDropdownRemove")
	if !c.boolean(rm["ok"], "ok") {
		t.Error("remove not ok")
	}
	code, a := gqlPost(t, srv, "", `mutation { IpamVLANCreate(data: {name: {value: "x"}, vlan_id: {value: 11}, status: {value: "decommissioning"}, role: {value: "user"}, l2domain: {hfid: ["default"]}}) { ok } }`, nil)
	if code != http.StatusOK || len(a.Errors) == 0 {
		t.Errorf("the removed choice is still accepted: %d %v", code, a)
	}
}

// Relationship(ids:) lists the relationships of identifiers, as the query QUERY_RELATIONSHIPS of
// infrahub_sdk/queries.py asks it.
func TestRelationshipQuery(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	tag := f.create(t, "", "BuiltinTag", map[string]any{"name": "linked"})
	f.command(t, commands.TypeUpdateNode, map[string]any{"kind": "LocationSite", "hfid": []string{"par01"}, "data": map[string]any{"tags": []string{tag}}})
	const doc = `
    query GetRelationships($relationship_identifiers: [String!]!) {
        Relationship(ids: $relationship_identifiers) {
            count
            edges {
                node {
                    identifier
                    peers {
                        id
                        kind
                    }
                }
            }
        }
    }
`
	rel := c.obj(gqlCall(t, srv, "", doc, map[string]any{"relationship_identifiers": []string{"builtintag__locationgeneric"}})["Relationship"], "Relationship")
	edges := c.list(rel["edges"], "edges")
	if c.integer(rel["count"], "count") != 1 || len(edges) != 1 {
		t.Fatalf("Relationship: %v", rel)
	}
	n := c.obj(c.obj(edges[0], "e")["node"], "node")
	peers := c.list(n["peers"], "peers")
	kinds := []string{c.str(c.obj(peers[0], "p0")["kind"], "kind"), c.str(c.obj(peers[1], "p1")["kind"], "kind")}
	if n["identifier"] != "builtintag__locationgeneric" || !strings.Contains(strings.Join(kinds, ","), "BuiltinTag") || !strings.Contains(strings.Join(kinds, ","), "LocationSite") {
		t.Errorf("relationship: %v", n)
	}
}

// Infrahub's @expand directive validates and expands a node's attributes; real documents nest
// deeper than 15 levels.
func TestExpandAndDepth(t *testing.T) {
	_, srv := newCatalog(t)
	c := check{t}
	data := gqlCall(t, srv, "", `query { LocationSite(shortname__value: "par01") { edges { node @expand(exclude: ["description"]) { parent { node { id } } } } } }`, nil)
	_, nodes := c.nodes(map[string]any{"LocationSite": map[string]any{"count": 1.0, "edges": c.obj(data["LocationSite"], "x")["edges"]}}, "LocationSite")
	n := nodes[0]
	if c.str(n["id"], "id") == "" || n["__typename"] != "LocationSite" || n["parent"] == nil {
		t.Errorf("expanded node: %v", n)
	}
	name := c.obj(n["name"], "name")
	if name["value"] != "Paris 1" || name["is_default"] != false || name["is_from_profile"] != false {
		t.Errorf("name: %v", name)
	}
	if _, ok := n["description"]; ok {
		t.Errorf("description is excluded: %v", n)
	}
	// 19 field levels, as the deepest documents of real repositories
	deep := "id"
	for range 4 {
		deep = "children { edges { node { " + deep + " } } }"
	}
	deep = "{ LocationCountry { edges { node { " + deep + " } } } }"
	gqlCall(t, srv, "", deep, nil)
}

// The web UI's branch creation form (frontend/app/src/entities/branches/api/create-branch-from-api.ts).
func TestUIBranchCreate(t *testing.T) {
	f, srv := newCatalog(t)
	c := check{t}
	const doc = `
  mutation BRANCH_CREATE($name: String!, $description: String, $sync_with_git: Boolean) {
    BranchCreate(data: { name: $name, description: $description, sync_with_git: $sync_with_git }) {
      object {
        id
        name
        description
        origin_branch
        branched_from
        created_at
        status
        sync_with_git
        is_default
        status
        schema_differs_from_default_branch
      }
    }
  }
`
	out := c.obj(gqlCall(t, srv, "", doc, map[string]any{"name": "ui-branch", "description": "from the UI", "sync_with_git": false})["BranchCreate"], "BranchCreate")
	b := c.obj(out["object"], "object")
	c.stamp(b["created_at"], "created_at")
	c.stamp(b["branched_from"], "branched_from")
	if b["name"] != "ui-branch" || b["description"] != "from the UI" || b["status"] != "OPEN" || c.boolean(b["schema_differs_from_default_branch"], "schema_differs") {
		t.Errorf("created: %v", b)
	}
	raw, _ := json.Marshal(`{"version": "1.0", "nodes": [{"name": "Widget", "namespace": "Test", "attributes": [{"name": "name", "kind": "Text"}]}]}`)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Branch: "ui-branch", Schemas: []json.RawMessage{raw}})
	got := c.list(gqlCall(t, srv, "", `{ Branch(name: "ui-branch") { has_schema_changes schema_differs_from_default_branch } }`, nil)["Branch"], "Branch")
	if len(got) != 1 || got[0].(map[string]any)["schema_differs_from_default_branch"] != true || got[0].(map[string]any)["has_schema_changes"] != true {
		t.Errorf("after a schema load on the branch: %v", got)
	}
}
