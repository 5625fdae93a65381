package graph

import "testing"

// TestNodeIndex numbers ids through growth, in and out of order, and finds each once.
func TestNodeIndex(t *testing.T) {
	tab := newNodeTable(0)
	const n = 50_000
	for i := range n {
		k := i*7919%n + 1 // out of order
		if got := tab.number(id(k)); int(got) != i {
			t.Fatalf("number(%d) = %d, want %d", k, got, i)
		}
	}
	for i := range n {
		k := i*7919%n + 1
		if got := tab.number(id(k)); int(got) != i { // known: not numbered again
			t.Fatalf("number(%d) again = %d, want %d", k, got, i)
		}
		if got, ok := tab.lookup(id(k)); !ok || int(got) != i {
			t.Fatalf("lookup(%d) = %d %v", k, got, ok)
		}
	}
	if _, ok := tab.lookup(id(n + 1)); ok {
		t.Fatal("lookup of an unknown id found it")
	}
	if tab.len() != n || tab.nums.n != n || tab.nums.n*4 > len(tab.nums.slots)*3 {
		t.Fatalf("len %d, indexed %d in %d slots", tab.len(), tab.nums.n, len(tab.nums.slots))
	}
}
