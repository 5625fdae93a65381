package commands_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
)

const ipamSchema = `
version: "1.0"
nodes:
  - name: Prefix
    namespace: Net
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Net
    inherit_from: [BuiltinIPAddress]
`

// An IP prefix or address without a namespace lives in the default one, and is unique there:
// an upsert of the same prefix finds it, a create of it is refused; another namespace may hold
// it again.
func TestIPAMNamespaceAndUniqueness(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(ipamSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	def := f.create(t, "IpamNamespace", map[string]any{"name": "default"})
	other := f.create(t, "IpamNamespace", map[string]any{"name": "lab"})
	p := f.create(t, "NetPrefix", map[string]any{"prefix": "10.0.0.0/24"})
	v := f.view(t, branch.Default)
	id := mustID(t, p)
	if peers := v.PeersOf(ids(id), fieldOf(t, v, "NetPrefix", "ip_namespace"))[0]; len(peers) != 1 || peers[0].String() != def {
		t.Fatalf("namespace of a prefix given none: %v, want the default %s", peers, def)
	}
	res := f.run(t, commands.TypeUpsertNode, map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": "10.0.0.0/24", "description": "again"}})
	if out := res.Data.(commands.NodeOutcome); out.ID != p || out.Outcome != "updated" {
		t.Fatalf("upsert of the same prefix: %+v, want an update of %s", out, p)
	}
	_, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": "10.0.0.0/24"}})
	var ue *commands.UniquenessError
	if !errors.As(err, &ue) {
		t.Fatalf("second prefix 10.0.0.0/24 in the default namespace: %v", err)
	}
	f.create(t, "NetPrefix", map[string]any{"prefix": "10.0.0.0/24", "ip_namespace": other})
	a := f.create(t, "NetAddress", map[string]any{"address": "10.0.0.1/24"})
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "NetAddress", "data": map[string]any{"address": "10.0.0.1/24"}}); !errors.As(err, &ue) {
		t.Fatalf("second address 10.0.0.1/24: %v (first %s)", err, a)
	}
}

func mustID(t *testing.T, s string) graph.NodeID {
	t.Helper()
	id, err := graph.ParseNodeID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ids(list ...graph.NodeID) []graph.NodeID { return list }

// fieldOf is the stored field of a relationship of a kind.
func fieldOf(t *testing.T, v *nodes.View, kind, rel string) string {
	t.Helper()
	m, ok := v.Schema.Node(kind)
	if !ok || m.Relationship(rel) == nil {
		t.Fatalf("%s has no relationship %s", kind, rel)
	}
	r := m.Relationship(rel)
	return nodes.RelField(r.Identifier, r.Direction)
}
