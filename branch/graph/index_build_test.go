package graph

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The indexes a snapshot read builds at once find what one-by-one inserts would, small tables
// (where entries wrap around the end) included, and refuse duplicates.
func TestNodeIndexBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		if trial%50 == 0 {
			n = 20_000
		}
		var ids chunked[NodeID]
		for range n {
			var id NodeID
			for k := range id {
				id[k] = byte(rng.UintN(256))
			}
			ids.push(id)
		}
		var x nodeIndex
		if !x.build(&ids) {
			t.Fatalf("trial %d: distinct ids refused", trial)
		}
		if x.n != n {
			t.Fatalf("trial %d: %d indexed, want %d", trial, x.n, n)
		}
		for i := range n {
			if got, ok := x.find(*ids.at(uint32(i)), &ids); !ok || got != uint32(i) {
				t.Fatalf("trial %d: id %d found as %d, %v", trial, i, got, ok)
			}
		}
		if _, fresh := x.insert(*ids.at(0), uint32(n), &ids); fresh {
			t.Fatalf("trial %d: an indexed id inserted again", trial)
		}
		ids.push(*ids.at(uint32(rng.IntN(n))))
		var dup nodeIndex
		if dup.build(&ids) {
			t.Fatalf("trial %d: an id twice accepted", trial)
		}
	}
}

func TestUniqueIndexBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		var keys chunked[uniqueKey]
		var starts []uint32
		// a space's values are contiguous; the same key in several spaces is several values
		for sp := range 3 {
			n := rng.IntN(30)
			if trial%50 == 0 {
				n = 10_000
			}
			if n > 0 {
				starts = append(starts, uint32(keys.len()))
			}
			for i := range n {
				keys.push(uniqueKey{KindID(1), ConstraintID(1 + sp), fmt.Sprintf("k%d", i)})
			}
		}
		x := newUniqueIndex()
		if !x.build(&keys, starts) {
			t.Fatalf("trial %d: distinct values refused", trial)
		}
		for i := range keys.len() {
			k := *keys.at(uint32(i))
			if got, ok := x.find(k, x.hash(k), &keys); !ok || got != uint32(i) {
				t.Fatalf("trial %d: value %d found as %d, %v", trial, i, got, ok)
			}
		}
		if keys.len() == 0 {
			continue
		}
		// a value twice in the last space
		keys.push(*keys.at(uint32(keys.len() - 1)))
		dup := newUniqueIndex()
		if dup.build(&keys, starts) {
			t.Fatalf("trial %d: a value twice accepted", trial)
		}
	}
}

// Entries whose places run past the end are handed back for the caller to wrap.
func TestPlaceSortedOverflow(t *testing.T) {
	recs := []hashRec{1<<32 | 0, 1<<32 | 1, 2<<32 | 2, 3<<32 | 3}
	var put []uint32
	over := placeSorted(recs, 3, func(h uint32) uint32 { return h }, func(i uint32, r hashRec) { put = append(put, i) })
	if fmt.Sprint(put) != "[1 2]" || len(over) != 2 || over[0].num() != 2 {
		t.Fatalf("placed at %v, over %v", put, over)
	}
}

// Ids read back as written whatever prefix they share with the one before, at the ends of the
// input (read byte by byte) as in its middle (read by words).
func TestDecoderIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ids []NodeID
	var last NodeID
	for range 2000 {
		x := last
		k := rng.IntN(17) // bytes kept from the last id
		for i := k; i < 16; i++ {
			x[i] = byte(rng.UintN(256))
		}
		ids = append(ids, x)
		last = x
	}
	var buf bytes.Buffer
	e := &encoder{w: bufio.NewWriter(&buf)}
	for _, x := range ids {
		e.id(x)
	}
	if err := e.w.Flush(); err != nil {
		t.Fatal(err)
	}
	d := &decoder{b: buf.Bytes()}
	for i, want := range ids {
		if got := d.id(); got != want {
			t.Fatalf("id %d: %x, want %x", i, got, want)
		}
	}
	d.end()
}
