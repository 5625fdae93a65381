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

// The IPAM tree on every write: parents are the most specific containing prefix, addresses hang
// from the most specific prefix, a prefix added or deleted in the middle re-parents what is under
// it, and utilization counts the space used (IPv4 and IPv6, /31, /32, /127, /128).
func TestIPAMTree(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(ipamSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "IpamNamespace", map[string]any{"name": "default"})
	prefix := func(p string, extra ...any) string {
		data := map[string]any{"prefix": p}
		if len(extra) == 2 {
			data[extra[0].(string)] = extra[1]
		}
		return f.create(t, "NetPrefix", data)
	}
	address := func(a string) string { return f.create(t, "NetAddress", map[string]any{"address": a}) }
	type state struct {
		up    map[string]string  // prefix or address → its parent prefix ("" at the top)
		util  map[string]float64 // prefix → utilization
		top   map[string]bool    // prefix → is_top_level
		value map[string]string  // id → value
	}
	read := func() state {
		s := state{up: map[string]string{}, util: map[string]float64{}, top: map[string]bool{}, value: map[string]string{}}
		dump := f.view(t, branch.Default).Dump()
		for _, n := range dump {
			switch n.Kind {
			case "NetPrefix":
				s.value[n.ID] = n.Attributes["prefix"].Value.(string)
			case "NetAddress":
				s.value[n.ID] = "addr " + n.Attributes["address"].Value.(string)
			}
		}
		for _, n := range dump {
			switch n.Kind {
			case "NetPrefix":
				v := s.value[n.ID]
				s.up[v] = ""
				for _, p := range n.Relationships["parent"] {
					s.up[v] = s.value[p]
				}
				id, _ := graph.ParseNodeID(n.ID)
				s.util[v], _ = f.view(t, branch.Default).Utilization(id)
				s.top[v], _ = n.Attributes["is_top_level"].Value.(bool)
			case "NetAddress":
				v := s.value[n.ID]
				s.up[v] = ""
				for _, p := range n.Relationships["ip_prefix"] {
					s.up[v] = s.value[p]
				}
			}
		}
		return s
	}
	expectUp := func(step string, want map[string]string) {
		t.Helper()
		s := read()
		for k, v := range want {
			if s.up[k] != v {
				t.Errorf("%s: %s is under %q, want %q", step, k, s.up[k], v)
			}
		}
	}
	prefix("10.0.0.0/8", "member_type", "prefix")
	prefix("10.1.0.0/16")
	address("10.1.2.3/16")
	expectUp("nested", map[string]string{"10.0.0.0/8": "", "10.1.0.0/16": "10.0.0.0/8", "addr 10.1.2.3/16": "10.1.0.0/16"})
	middle := prefix("10.1.2.0/24")
	expectUp("middle added", map[string]string{"10.1.2.0/24": "10.1.0.0/16", "addr 10.1.2.3/16": "10.1.2.0/24"})
	mid16 := read()
	if !mid16.top["10.0.0.0/8"] || mid16.top["10.1.0.0/16"] {
		t.Errorf("is_top_level: %v", mid16.top)
	}
	if got := mid16.util["10.0.0.0/8"]; got != 0.39 { // one /16 of a /8 of prefixes
		t.Errorf("utilization of 10.0.0.0/8 = %v, want 0.39", got)
	}
	if got := mid16.util["10.1.2.0/24"]; got != 0.39 { // one address of 254 hosts
		t.Errorf("utilization of 10.1.2.0/24 = %v, want 0.39", got)
	}
	f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "NetPrefix", "id": middle})
	expectUp("middle deleted", map[string]string{"addr 10.1.2.3/16": "10.1.0.0/16", "10.1.0.0/16": "10.0.0.0/8"})
	// A /31 has two usable addresses, a /32 one.
	prefix("10.9.9.0/31")
	address("10.9.9.0/31")
	address("10.9.9.1/31")
	prefix("10.8.8.8/32")
	address("10.8.8.8/32")
	s := read()
	if s.util["10.9.9.0/31"] != 100 || s.util["10.8.8.8/32"] != 100 || s.up["addr 10.9.9.1/31"] != "10.9.9.0/31" || s.up["addr 10.8.8.8/32"] != "10.8.8.8/32" {
		t.Errorf("/31 and /32: util %v, up %v", s.util, s.up)
	}
	if s.up["10.9.9.0/31"] != "10.0.0.0/8" || s.up["10.8.8.8/32"] != "10.0.0.0/8" {
		t.Errorf("/31 and /32 parents: %v", s.up)
	}
	// IPv6, with /127 and /128; an IPv4 prefix never holds IPv6 space.
	prefix("2001:db8::/32", "member_type", "prefix")
	prefix("2001:db8:1::/48")
	address("2001:db8:1::1/64")
	prefix("2001:db8:2::/127")
	address("2001:db8:2::1/127")
	prefix("2001:db8:3::1/128")
	address("2001:db8:3::1/128")
	expectUp("IPv6", map[string]string{"2001:db8:1::/48": "2001:db8::/32", "addr 2001:db8:1::1/64": "2001:db8:1::/48",
		"2001:db8:2::/127": "2001:db8::/32", "addr 2001:db8:2::1/127": "2001:db8:2::/127", "addr 2001:db8:3::1/128": "2001:db8:3::1/128"})
	s = read()
	if s.util["2001:db8:2::/127"] != 50 || s.util["2001:db8:3::1/128"] != 100 {
		t.Errorf("IPv6 utilization: %v", s.util)
	}
	if s.up["2001:db8::/32"] != "" {
		t.Errorf("2001:db8::/32 has parent %q", s.up["2001:db8::/32"])
	}
}

// A prefix added on a branch and an address added on the default branch meet only when the
// branch merges: the merge brings the trees up to date (the address moves under the new
// prefix); a rebase does the same on the branch.
func TestIPAMTreeAfterMergeAndRebase(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(ipamSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "IpamNamespace", map[string]any{"name": "default"})
	wide := f.create(t, "NetPrefix", map[string]any{"prefix": "10.0.0.0/16"})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "c"})
	res := f.run(t, commands.TypeCreateNode, map[string]any{"branch": "b", "kind": "NetPrefix", "data": map[string]any{"prefix": "10.0.1.0/24"}})
	narrow := res.Data.(commands.NodeOutcome).ID
	addr := f.create(t, "NetAddress", map[string]any{"address": "10.0.1.5/24"})
	parentOf := func(br, id, kind, rel string) string {
		t.Helper()
		v := f.view(t, br)
		peers := v.Peers(mustID(t, id), fieldOf(t, v, kind, rel))
		if len(peers) != 1 {
			return ""
		}
		return peers[0].String()
	}
	if got := parentOf(branch.Default, addr, "NetAddress", "ip_prefix"); got != wide {
		t.Fatalf("address before the merge: in %s, want the /16 %s", got, wide)
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	if got := parentOf(branch.Default, addr, "NetAddress", "ip_prefix"); got != narrow {
		t.Fatalf("address after the merge: in %s, want the merged /24 %s", got, narrow)
	}
	if got := parentOf(branch.Default, narrow, "NetPrefix", "parent"); got != wide {
		t.Fatalf("merged /24's parent: %s, want %s", got, wide)
	}
	// Branch c has an address of 10.0.2.0/24, a prefix main adds afterwards.
	res = f.run(t, commands.TypeCreateNode, map[string]any{"branch": "c", "kind": "NetAddress", "data": map[string]any{"address": "10.0.2.7/24"}})
	onC := res.Data.(commands.NodeOutcome).ID
	p2 := f.create(t, "NetPrefix", map[string]any{"prefix": "10.0.2.0/24"})
	f.run(t, commands.TypeRebaseBranch, map[string]any{"branch": "c"})
	if got := parentOf("c", onC, "NetAddress", "ip_prefix"); got != p2 {
		t.Fatalf("branch address after the rebase: in %s, want main's new /24 %s", got, p2)
	}
	// Merging it again writes nothing more.
	before := f.view(t, branch.Default).Position
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	if after := f.view(t, branch.Default).Position; after != before {
		t.Fatalf("a repeated merge wrote %d..%d", before, after)
	}
}
