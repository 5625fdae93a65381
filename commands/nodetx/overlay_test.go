package nodetx

import (
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// onlyPeer answers the one peer peersOf lists, and nothing when it lists none or several:
// through peers added, removed and added back, and a probe's peers.
func TestOnlyPeerIsPeersOf(t *testing.T) {
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	v, err := store.View("main", 0)
	if err != nil {
		t.Fatal(err)
	}
	o := &overlay{v: v, set: v.Schema, nodes: map[graph.NodeID]*txNode{}, claims: map[claimKey]graph.NodeID{},
		edges: map[slotKey]*peerDelta{}}
	n, a, b := graph.NewNodeID(), graph.NewNodeID(), graph.NewNodeID()
	const field = "r:x|out"
	check := func(step string) {
		t.Helper()
		list := o.peersOf(n, field)
		p, ok := o.onlyPeer(n, field)
		if ok != (len(list) == 1) || ok && p != list[0] {
			t.Errorf("%s: onlyPeer %v %v, peersOf %v", step, p, ok, list)
		}
	}
	check("none")
	o.setEdge(n, field, a, false)
	check("one added")
	o.setEdge(n, field, b, false)
	check("two added")
	o.setEdge(n, field, a, true)
	check("one removed")
	o.setEdge(n, field, b, true)
	check("both removed")
	o.setEdge(n, field, b, false)
	check("one added back")
	for i := range 2 * peerDeltaFew { // many changes: the delta holds a map
		o.setEdge(n, field, graph.NewNodeID(), i%2 == 1)
	}
	check("many changes")
	o.nodes[n] = &txNode{id: n, peers: map[string][]graph.NodeID{field: {a}}}
	check("a probe's one peer")
	o.nodes[n].peers[field] = []graph.NodeID{a, b}
	check("a probe's two peers")
	if p, ok := o.onlyPeer(n, "r:y|out"); ok || !slices.Equal(o.peersOf(n, "r:y|out"), nil) {
		t.Errorf("a field the probe does not give: %v %v", p, ok)
	}
}
