package graph

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// nodeIndex maps a node id to its number in the node table: open addressing with linear
// probing over a power-of-two table of (hash, number + 1) pairs, the ids themselves staying in
// the table's vector by number.
//
// It stands for a Go map because a bulk load numbers millions of nodes: an insert is one probe
// into a flat slice, growing the table moves the pairs by their stored hash without reading an
// id again, and a snapshot read fills a table of the right size at once. The table holds no
// pointers, so the garbage collector never scans it. Like the map it replaces, it is read under
// the State's read lock and written under its write lock.
type nodeIndex struct {
	slots []nodeSlot // at most 3/4 full (or empty); the length is a power of two
	shift uint       // 32 - log2(len(slots)): a hash's top bits pick its place
	n     int
}

// nodeSlot is a slot of the table: hash is the id's hash, num the node number + 1, 0 when the
// slot is free.
type nodeSlot struct{ hash, num uint32 }

// idSeed keys hashID for this process, so that ids chosen to collide (imported data, a hostile
// client) cannot be crafted ahead: the hashes are never stored beyond the process.
var idSeed = maphash.MakeSeed()

// hashID hashes all 16 bytes of id: UUIDv7's tail is random, but ids made otherwise (tests,
// imported data) may differ only in a few bytes.
func hashID(id NodeID) uint32 {
	return uint32(maphash.Bytes(idSeed, id[:]) >> 32)
}

// place is the slot of hash h: its top bits, so that growing the table moves a pair by its
// stored hash.
func (x *nodeIndex) place(h uint32) uint32 { return h >> x.shift }

// find is id's number.
func (x *nodeIndex) find(id NodeID, ids *chunked[NodeID]) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	h, mask := hashID(id), uint32(len(x.slots)-1)
	for i := x.place(h); ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.num == 0 {
			return 0, false
		}
		if s.hash == h && *ids.at(s.num - 1) == id {
			return s.num - 1, true
		}
	}
}

// insert indexes id under number num, unless the index holds id already: then it returns
// id's number and false.
func (x *nodeIndex) insert(id NodeID, num uint32, ids *chunked[NodeID]) (uint32, bool) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.reserve(x.n + 1)
		// only here, on the write path: a snapshot read fills its table in order, where the
		// TLB does not matter and a huge page's fault would only cost it
		adviseHuge(unsafe.Pointer(&x.slots[0]), uintptr(len(x.slots))*unsafe.Sizeof(nodeSlot{}))
	}
	h, mask := hashID(id), uint32(len(x.slots)-1)
	for i := x.place(h); ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.num == 0 {
			*s = nodeSlot{hash: h, num: num + 1}
			x.n++
			return num, true
		}
		if s.hash == h && *ids.at(s.num - 1) == id {
			return s.num - 1, false
		}
	}
}

// reserve grows the table (doubling) so that it holds n ids at most 3/4 full; a pair moves by
// its stored hash, no id is read.
func (x *nodeIndex) reserve(n int) {
	size := max(16, len(x.slots))
	for n*4 > size*3 {
		size *= 2
	}
	if size == len(x.slots) {
		return
	}
	old := x.slots
	x.slots = make([]nodeSlot, size)
	x.shift = uint(32 - bits.TrailingZeros(uint(size)))
	mask := uint32(size - 1)
	for _, s := range old {
		if s.num == 0 {
			continue
		}
		i := x.place(s.hash)
		for x.slots[i].num != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}
