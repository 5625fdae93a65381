package nodetx

import (
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
)

// TestPeerDelta checks that a peerDelta answers as a map would, in its short list and once it
// has moved to a map.
func TestPeerDelta(t *testing.T) {
	var nilDelta *peerDelta
	if _, ok := nilDelta.get(graph.NewNodeID()); ok || nilDelta.len() != 0 {
		t.Fatal("a nil delta holds something")
	}
	d := &peerDelta{}
	want := map[graph.NodeID]bool{}
	ids := make([]graph.NodeID, 3*peerDeltaFew)
	for i := range ids {
		ids[i] = graph.NewNodeID()
	}
	for i, id := range ids {
		d.set(id, i%3 != 0)
		want[id] = i%3 != 0
		if i%2 == 0 { // change an earlier one
			d.set(ids[i/2], true)
			want[ids[i/2]] = true
		}
		if d.len() != len(want) {
			t.Fatalf("after %d: len %d, want %d", i, d.len(), len(want))
		}
		for p, present := range want {
			if got, ok := d.get(p); !ok || got != present {
				t.Fatalf("after %d: get = %v, %v; want %v", i, got, ok, present)
			}
		}
		seen := 0
		d.each(func(p graph.NodeID, present bool) {
			seen++
			if want[p] != present {
				t.Fatalf("after %d: each gives %v for a peer set to %v", i, present, want[p])
			}
		})
		if seen != len(want) {
			t.Fatalf("after %d: each gives %d peers, want %d", i, seen, len(want))
		}
	}
	if _, ok := d.get(graph.NewNodeID()); ok {
		t.Fatal("an unknown peer is found")
	}
}
