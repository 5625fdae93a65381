package graph

import (
	"bytes"
	"fmt"
	"testing"
)

// The unique index finds every value it was given, by kind, constraint and key, through its
// growth, and only those: the same key in other spaces is another value.
func TestUniqueIndex(t *testing.T) {
	x := newUniqueIndex()
	var keys chunked[uniqueKey]
	key := func(i int) uniqueKey {
		return uniqueKey{KindID(1 + i%2), ConstraintID(1 + i%3), fmt.Sprintf("k%d", i/6)}
	}
	const n = 60_000
	for i := range n {
		k := key(i)
		if _, ok := x.insert(k, uint32(keys.len()), &keys); ok {
			t.Fatalf("%v indexed before its insert", k)
		}
		keys.push(k)
		if got, ok := x.insert(k, uint32(keys.len()), &keys); !ok || got != uint32(i) {
			t.Fatalf("insert of %v again: %d, %v", k, got, ok)
		}
	}
	for i := range n {
		k := key(i)
		if got, ok := x.find(k, x.hash(k), &keys); !ok || got != uint32(i) {
			t.Fatalf("find %v: %d, %v, want %d", k, got, ok, i)
		}
		k.constraint += 3 // a space nobody claimed in
		if _, ok := x.find(k, x.hash(k), &keys); ok {
			t.Fatalf("found %v", k)
		}
	}
	if x.n != n || x.n*4 > len(x.slots)*3 {
		t.Fatalf("%d values in %d slots", x.n, len(x.slots))
	}
}

// NodeID.Compare is the bytewise order.
func TestNodeIDCompare(t *testing.T) {
	ids := []NodeID{{}, {15: 1}, {8: 1}, {7: 1}, {0: 1}, {0: 0xff, 15: 0xff}, {0: 0xff, 8: 0x80}}
	for _, a := range ids {
		for _, b := range ids {
			if got, want := a.Compare(b), bytes.Compare(a[:], b[:]); got != want {
				t.Errorf("%x vs %x: %d, want %d", a, b, got, want)
			}
		}
	}
}
