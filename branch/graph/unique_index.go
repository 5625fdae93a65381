package graph

import (
	"hash/maphash"
	"unsafe"
)

// uniqueIndex maps a unique value (kind, constraint, key) to its head number in the unique
// layer: open addressing with linear probing over a table of (hash, head number) pairs, the
// keys themselves staying in the layer's vector.
//
// It stands for a Go map per space because a bulk load inserts millions of values: a miss then
// an insert is one probe here instead of two map operations, and growing the table moves the
// pairs by their stored hash without reading (and hashing again) every key string, which a Go
// map's growth does at the cost of a cache miss per key. The table holds no pointers, so the
// garbage collector never scans it.
type uniqueIndex struct {
	seed  maphash.Seed
	slots []uniqueSlot // at most 3/4 full (or empty); grows by half
	n     int
}

// uniqueSlot is a slot of the table: head is the head number + 1, 0 when the slot is free.
type uniqueSlot struct{ hash, head uint32 }

func newUniqueIndex() uniqueIndex { return uniqueIndex{seed: maphash.MakeSeed()} }

// hash is the hash of k's key alone: a key claimed in several spaces of a kind (a node's name
// and HFID are often the same string) has its values next to each other in the table, so that
// the second claim finds its place in the cache line the first one brought in.
func (x *uniqueIndex) hash(k uniqueKey) uint32 {
	h := maphash.String(x.seed, k.key)
	return uint32(h ^ h>>32)
}

// place is the slot of hash h: h scaled to the table's length (which need not be a power of
// two, so that the table grows by half and stays between 1/2 and 3/4 full).
func (x *uniqueIndex) place(h uint32) uint32 {
	return uint32(uint64(h) * uint64(len(x.slots)) >> 32)
}

// next is the slot after i, wrapping around.
func (x *uniqueIndex) next(i uint32) uint32 {
	if i++; int(i) == len(x.slots) {
		return 0
	}
	return i
}

// find is k's head number; h is k's hash.
func (x *uniqueIndex) find(k uniqueKey, h uint32, keys *chunked[uniqueKey]) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	for i := x.place(h); ; i = x.next(i) {
		s := x.slots[i]
		if s.head == 0 {
			return 0, false
		}
		if s.hash == h && *keys.at(s.head - 1) == k {
			return s.head - 1, true
		}
	}
}

// insert is k's head number and true when k is indexed; otherwise it indexes k under head
// number next (the caller pushes k there) and returns false.
func (x *uniqueIndex) insert(k uniqueKey, next uint32, keys *chunked[uniqueKey]) (uint32, bool) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.reserve(x.n + 1)
		// only here, on the write path: a snapshot read fills its table in order, where the
		// TLB does not matter and a huge page's fault would only cost it
		adviseHuge(unsafe.Pointer(&x.slots[0]), uintptr(len(x.slots))*unsafe.Sizeof(uniqueSlot{}))
	}
	h := x.hash(k)
	for i := x.place(h); ; i = x.next(i) {
		s := &x.slots[i]
		if s.head == 0 {
			*s = uniqueSlot{hash: h, head: next + 1}
			x.n++
			return 0, false
		}
		if s.hash == h && *keys.at(s.head - 1) == k {
			return s.head - 1, true
		}
	}
}

// reserve grows the table (by half at least) so that it holds n values at most 3/4 full.
func (x *uniqueIndex) reserve(n int) {
	size := max(16, len(x.slots))
	for n*4 > size*3 {
		size += size / 2
	}
	if size == len(x.slots) {
		return
	}
	old := x.slots
	x.slots = make([]uniqueSlot, size)
	for _, s := range old {
		if s.head == 0 {
			continue
		}
		i := x.place(s.hash)
		for x.slots[i].head != 0 {
			i = x.next(i)
		}
		x.slots[i] = s
	}
}
