package graph

import "slices"

// How a snapshot read fills the node and unique indexes at once: rather than insert millions of
// entries one by one (each a cache miss at a random place in a table of tens of megabytes), it
// hashes them in order, sorts the (hash, number) pairs by hash with a radix sort and writes them
// in that order, which is the order of their places in the table: the table is written front
// to back, and a probe never reads. Entries with one hash end up next to each other, which is
// where duplicates are looked for.

// hashRec is an entry to index: its hash in the top 32 bits, its number in the low 32.
type hashRec uint64

func (r hashRec) hash() uint32 { return uint32(r >> 32) }
func (r hashRec) num() uint32  { return uint32(r) }

// sortRecs sorts recs by hash (three passes of 11 bits, their counts made in one read) and
// returns them sorted, in recs or in tmp (of recs' length).
func sortRecs(recs, tmp []hashRec) []hashRec {
	const bits, buckets, passes = 11, 1 << 11, 3
	var counts [passes][buckets]int
	for _, r := range recs {
		h := r.hash()
		counts[0][h&(buckets-1)]++
		counts[1][(h>>bits)&(buckets-1)]++
		counts[2][h>>(2*bits)]++
	}
	for p := range passes {
		c := &counts[p]
		sum := 0
		for i, n := range c {
			c[i], sum = sum, sum+n
		}
		shift := 32 + uint(p)*bits
		for _, r := range recs {
			b := (r >> shift) & (buckets - 1)
			tmp[c[b]] = r
			c[b]++
		}
		recs, tmp = tmp, recs
	}
	return recs
}

// dupHash reports whether two entries of recs (sorted by hash) are the same entry by same,
// which is asked only of entries with the same hash.
func dupHash(recs []hashRec, same func(a, b uint32) bool) bool {
	start := 0
	for i := 1; i < len(recs); i++ {
		if recs[i].hash() != recs[start].hash() {
			start = i
			continue
		}
		for j := start; j < i; j++ {
			if same(recs[j].num(), recs[i].num()) {
				return true
			}
		}
	}
	return false
}

// placeSorted writes recs, sorted by hash, into an empty linear-probing table of size slots
// whose place of a hash grows with the hash: put(i, r) writes r at slot i. Each goes at its
// place or after the last one written; the few that would run past the end are returned, for
// the caller to insert by probing from their place (they wrap around to the front).
func placeSorted(recs []hashRec, size int, place func(uint32) uint32, put func(uint32, hashRec)) (over []hashRec) {
	next := 0
	for k, r := range recs {
		i := max(int(place(r.hash())), next)
		if i >= size {
			return recs[k:]
		}
		put(uint32(i), r)
		next = i + 1
	}
	return nil
}

// build indexes the n ids of ids under their numbers in an empty index; false when an
// id is there twice.
func (x *nodeIndex) build(ids *chunked[NodeID]) bool {
	n := ids.len()
	x.reserve(n)
	if n == 0 {
		return true
	}
	recs, tmp := make([]hashRec, n), make([]hashRec, n)
	for i := range n {
		recs[i] = hashRec(uint64(hashID(*ids.at(uint32(i))))<<32 | uint64(i))
	}
	recs = sortRecs(recs, tmp)
	if dupHash(recs, func(a, b uint32) bool { return *ids.at(a) == *ids.at(b) }) {
		return false
	}
	mask := uint32(len(x.slots) - 1)
	over := placeSorted(recs, len(x.slots), x.place, func(i uint32, r hashRec) {
		x.slots[i] = nodeSlot{hash: r.hash(), num: r.num() + 1}
	})
	for _, r := range over {
		i := x.place(r.hash())
		for x.slots[i].num != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = nodeSlot{hash: r.hash(), num: r.num() + 1}
	}
	x.n = n
	return true
}

// build indexes the values of keys under their head numbers in an empty index; false when a
// value is there twice. starts are the head numbers where the values of each space begin, in
// order (the values of a space are contiguous, and no space is empty): two values of different
// spaces are never the same, whatever their keys, and are told apart without reading them.
func (x *uniqueIndex) build(keys *chunked[uniqueKey], starts []uint32) bool {
	n := keys.len()
	x.reserve(n)
	if n == 0 {
		return true
	}
	recs, tmp := make([]hashRec, n), make([]hashRec, n)
	for i := range n {
		recs[i] = hashRec(uint64(x.hash(*keys.at(uint32(i))))<<32 | uint64(i))
	}
	recs = sortRecs(recs, tmp)
	space := func(i uint32) int { // starts grow strictly: no space is empty
		s, found := slices.BinarySearch(starts, i)
		if !found {
			s--
		}
		return s
	}
	if dupHash(recs, func(a, b uint32) bool { return space(a) == space(b) && *keys.at(a) == *keys.at(b) }) {
		return false
	}
	over := placeSorted(recs, len(x.slots), x.place, func(i uint32, r hashRec) {
		x.slots[i] = uniqueSlot{hash: r.hash(), head: r.num() + 1}
	})
	for _, r := range over {
		i := x.place(r.hash())
		for x.slots[i].head != 0 {
			i = x.next(i)
		}
		x.slots[i] = uniqueSlot{hash: r.hash(), head: r.num() + 1}
	}
	x.n = n
	return true
}
