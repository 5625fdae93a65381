package graphql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

const poolSchemaText = `
version: "1.0"
nodes:
  - name: Prefix
    namespace: Net
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Net
    inherit_from: [BuiltinIPAddress]
  - name: Vlan
    namespace: Net
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: vlan_id, kind: Number, optional: true}
  - name: Router
    namespace: Net
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
    relationships:
      - {name: mgmt, peer: NetAddress, cardinality: one, optional: true}
`

// The resource manager through GraphQL: the pool mutations (idempotent by identifier), from_pool
// inputs of attributes and relationships, and the next available address and prefix queries.
func TestResourcePoolsAPI(t *testing.T) {
	f := newFixture(t, poolSchemaText)
	do := func(doc string) map[string]any {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
		return out["data"].(map[string]any)
	}
	get := func(m any, path ...string) any {
		for _, p := range path {
			m = m.(map[string]any)[p]
		}
		return m
	}
	f.create(t, "main", "IpamNamespace", map[string]any{"name": "default"})
	mgmt := f.create(t, "main", "NetPrefix", map[string]any{"prefix": "10.1.0.0/29", "member_type": "address"})
	customers := f.create(t, "main", "NetPrefix", map[string]any{"prefix": "10.2.0.0/24", "member_type": "prefix"})
	f.create(t, "main", "NetPrefix", map[string]any{"prefix": "10.2.0.0/25"})
	f.create(t, "main", "NetAddress", map[string]any{"address": "10.1.0.1/29"})
	do(`mutation { CoreIPAddressPoolCreate(data: {name: {value: "mgmt"}, default_address_type: {value: "NetAddress"},
		resources: [{id: "` + mgmt + `"}], ip_namespace: {hfid: ["default"]}}) { ok } }`)
	do(`mutation { CoreIPPrefixPoolCreate(data: {name: {value: "customers"}, default_prefix_type: {value: "NetPrefix"}, default_prefix_length: {value: 27},
		resources: [{id: "` + customers + `"}], ip_namespace: {hfid: ["default"]}}) { ok } }`)
	pool := get(do(`mutation { CoreNumberPoolCreate(data: {name: {value: "vlans"}, node: {value: "NetVlan"}, node_attribute: {value: "vlan_id"},
		start_range: {value: 200}, end_range: {value: 300}}) { object { id } } }`), "CoreNumberPoolCreate", "object", "id").(string)

	next := do(`{ a: InfrahubIPAddressGetNextAvailable(prefix_id: "` + mgmt + `") { address }
		p: InfrahubIPPrefixGetNextAvailable(prefix_id: "` + customers + `", prefix_length: 26) { prefix } }`)
	if get(next, "a", "address") != "10.1.0.2/29" || get(next, "p", "prefix") != "10.2.0.128/26" {
		t.Fatalf("next available: %v", next)
	}

	alloc := `mutation { InfrahubIPAddressPoolGetResource(data: {hfid: ["mgmt"], identifier: "svc", data: {description: "svc"}}) {
		ok node { id kind identifier display_label branch } } }`
	first := get(do(alloc), "InfrahubIPAddressPoolGetResource").(map[string]any)
	again := get(do(alloc), "InfrahubIPAddressPoolGetResource").(map[string]any)
	if first["ok"] != true || get(first, "node", "kind") != "NetAddress" || get(first, "node", "identifier") != "svc" ||
		fmt.Sprint(get(first, "node", "id")) != fmt.Sprint(get(again, "node", "id")) {
		t.Fatalf("address allocations with one identifier: %v then %v", first, again)
	}
	id := get(first, "node", "id").(string)
	addr := do(`{ NetAddress(ids: ["` + id + `"]) { edges { node { address { value } description { value } ip_prefix { node { id } } } } } }`)
	if s := fmt.Sprint(addr); !strings.Contains(s, "10.1.0.2/29") || !strings.Contains(s, "description:map[value:svc]") || !strings.Contains(s, mgmt) {
		t.Fatalf("allocated address: %s", s)
	}
	pfx := get(do(`mutation { InfrahubIPPrefixPoolGetResource(data: {hfid: ["customers"], prefix_length: 28, member_type: "address"}) {
		ok node { id display_label } } }`), "InfrahubIPPrefixPoolGetResource", "node", "display_label")
	if pfx != "10.2.0.128/28" {
		t.Fatalf("allocated prefix: %v", pfx)
	}

	made := do(`mutation { NetRouterCreate(data: {name: {value: "r1"}, mgmt: {from_pool: {id: "` + get(do(`{ CoreIPAddressPool { edges { node { id } } } }`), "CoreIPAddressPool", "edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string) + `"}}}) {
		object { mgmt { node { address { value } } } } }
		v: NetVlanCreate(data: {name: {value: "v1"}, vlan_id: {from_pool: {id: "` + pool + `"}}}) { object { vlan_id { value } } } }`)
	if s := fmt.Sprint(made); !strings.Contains(s, "10.1.0.3/29") || !strings.Contains(s, "vlan_id:map[value:200]") {
		t.Fatalf("from_pool inputs: %s", s)
	}

	out := run(t, f, graphql.Request{Query: `{ InfrahubIPPrefixGetNextAvailable(prefix_id: "` + mgmt + `", prefix_length: 8) { prefix } }`})
	if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), "prefix_length 8") {
		t.Fatalf("next prefix longer than its parent: %v", out)
	}
	out = run(t, f, graphql.Request{Query: `mutation { InfrahubIPAddressPoolGetResource(data: {hfid: ["nope"]}) { ok } }`})
	if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), "no resource pool") {
		t.Fatalf("unknown pool: %v", out)
	}
}
