package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

const templateSchema = `
version: "1.0"
nodes:
  - name: Box
    namespace: Tpl
    generate_template: true
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: role, kind: Text, optional: true}
      - {name: color, kind: Text, optional: true}
    relationships:
      - {name: ports, peer: TplPort, cardinality: many, kind: Component, optional: true}
  - name: Port
    namespace: Tpl
    human_friendly_id: [box__name__value, name__value]
    attributes:
      - {name: name, kind: Text}
      - {name: speed, kind: Number, optional: true}
    relationships:
      - {name: box, peer: TplBox, cardinality: one, kind: Parent, optional: false}
`

// A node made from an object template takes the template's values for the fields it does not
// give, and gets one component per component template; what it gives wins.
func TestObjectTemplate(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(templateSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	tpl := f.create(t, "TemplateTplBox", map[string]any{"template_name": "big", "role": "edge", "color": "red"})
	for _, p := range []string{"p1", "p2"} {
		f.create(t, "TemplateTplPort", map[string]any{"template_name": "big-" + p, "name": p, "speed": 100, "box": tpl})
	}
	f.create(t, "TplBox", map[string]any{"name": "b1", "color": "blue", "object_template": tpl})
	var ports []string
	v := f.view(t, branch.Default)
	for _, n := range v.Dump() {
		switch n.Kind {
		case "TplBox":
			if n.Attributes["role"].Value != "edge" || n.Attributes["color"].Value != "blue" {
				t.Errorf("box made from the template: %+v", n.Attributes)
			}
		case "TplPort":
			ports = append(ports, strings.Join(n.HFID, "/")+"@"+jsonOf(n.Attributes["speed"].Value))
		}
	}
	sort.Strings(ports)
	if strings.Join(ports, " ") != "b1/p1@100 b1/p2@100" {
		t.Errorf("ports made from the template: %v", ports)
	}
}

func jsonOf(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

const poolSchema = `
version: "1.0"
nodes:
  - name: Prefix
    namespace: Net
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Net
    inherit_from: [BuiltinIPAddress]
  - name: Router
    namespace: Net
    generate_template: true
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
    relationships:
      - {name: mgmt, peer: NetAddress, cardinality: one, optional: true}
`

// A template's <rel>_from_resource_pool gives each node made from it a fresh address of the
// pool; allocations are claimed on every branch at once, so two branches never get the same
// address, before or after they merge.
func TestTemplateAllocatesFromPool(t *testing.T) {
	f := poolFixture(t, "192.0.2.0/30")
	for _, b := range []string{"b1", "b2"} {
		f.run(t, commands.TypeCreateBranch, map[string]any{"name": b})
		f.run(t, commands.TypeCreateNode, map[string]any{"branch": b, "kind": "NetRouter", "data": map[string]any{"name": "r-" + b, "object_template": []string{"r"}}})
	}
	addrOf := func(br string) map[string]string {
		out := map[string]string{}
		v := f.view(t, br)
		names := map[string]string{}
		for _, n := range v.Dump() {
			if n.Kind == "NetAddress" {
				names[n.ID] = n.Attributes["address"].Value.(string)
			}
		}
		for _, n := range v.Dump() {
			if n.Kind == "NetRouter" {
				for _, p := range n.Relationships["mgmt"] {
					out[n.HFID[0]] = names[p]
				}
			}
		}
		return out
	}
	a1, a2 := addrOf("b1")["r-b1"], addrOf("b2")["r-b2"]
	if a1 == "" || a2 == "" || a1 == a2 {
		t.Fatalf("addresses on the two branches: %q and %q", a1, a2)
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b1"})
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b2"})
	got := addrOf(branch.Default)
	if got["r-b1"] != a1 || got["r-b2"] != a2 {
		t.Fatalf("main after both merges: %v, want %s and %s", got, a1, a2)
	}
	// A /30 has two host addresses: the pool is now exhausted.
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "NetRouter", "data": map[string]any{"name": "r3", "object_template": []string{"r"}}}); err == nil || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("third router from a /30 pool: %v", err)
	}
}

// 16 concurrent creations from a template with an address pool get 16 different addresses.
func TestConcurrentAllocations(t *testing.T) {
	f := poolFixture(t, "198.51.100.0/24")
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range 16 {
		wg.Go(func() {
			payload, _ := json.Marshal(map[string]any{"kind": "NetRouter", "data": map[string]any{"name": fmt.Sprint("r", i), "object_template": []string{"r"}}})
			_, errs[i] = f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: payload})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("router %d: %v", i, err)
		}
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := f.view(t, branch.Default)
	addr := map[string]string{}
	for _, n := range v.Dump() {
		if n.Kind == "NetAddress" {
			addr[n.ID] = n.Attributes["address"].Value.(string)
		}
	}
	seen := map[string]bool{}
	for _, n := range v.Dump() {
		if n.Kind == "NetRouter" {
			a := addr[n.Relationships["mgmt"][0]]
			if a == "" || seen[a] {
				t.Errorf("router %v: address %q (seen %v)", n.HFID, a, seen)
			}
			seen[a] = true
		}
	}
	if len(seen) != 16 {
		t.Errorf("%d distinct addresses, want 16", len(seen))
	}
}

// Creations from a template with an address pool on 8 branches at once get 8 different
// addresses: allocations take turns across branches.
func TestConcurrentAllocationsAcrossBranches(t *testing.T) {
	f := poolFixture(t, "198.51.100.0/24")
	for i := range 8 {
		f.run(t, commands.TypeCreateBranch, map[string]any{"name": fmt.Sprint("b", i)})
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Go(func() {
			payload, _ := json.Marshal(map[string]any{"branch": fmt.Sprint("b", i), "kind": "NetRouter",
				"data": map[string]any{"name": "r", "object_template": []string{"r"}}})
			_, errs[i] = f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: payload})
		})
	}
	wg.Wait()
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range 8 {
		if errs[i] != nil {
			t.Fatalf("branch %d: %v", i, errs[i])
		}
		v := f.view(t, fmt.Sprint("b", i))
		addr := map[string]string{}
		for _, n := range v.Dump() {
			if n.Kind == "NetAddress" {
				addr[n.ID] = n.Attributes["address"].Value.(string)
			}
		}
		for _, n := range v.Dump() {
			if n.Kind == "NetRouter" {
				a := addr[n.Relationships["mgmt"][0]]
				if a == "" || seen[a] {
					t.Errorf("branch b%d: address %q already given (%v)", i, a, seen)
				}
				seen[a] = true
			}
		}
	}
}

// poolFixture is the fixture of the allocation tests: the pool schema, the default namespace, an
// address pool "mgmt" over prefix and a router template "r" that takes its mgmt address from it.
func poolFixture(t *testing.T, prefix string) *nodeFixture {
	t.Helper()
	f := newNodeFixture(t)
	raw, _ := json.Marshal(poolSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "IpamNamespace", map[string]any{"name": "default"})
	f.run(t, commands.TypeBatch, map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "ref": "p", "payload": map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": prefix}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "CoreIPAddressPool", "data": map[string]any{
			"name": "mgmt", "default_address_type": "NetAddress", "resources": []any{map[string]any{"ref": "p"}}, "ip_namespace": []string{"default"}}}},
	}})
	f.create(t, "TemplateNetRouter", map[string]any{"template_name": "r", "mgmt_from_resource_pool": []string{"mgmt"}})
	return f
}
