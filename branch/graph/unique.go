package graph

import (
	"cmp"
	"maps"
	"slices"
)

// uniqueLayer is main's uniqueness layer: the heads of the values in a vector, their keys by
// head number, an index from key to head number, and the older versions of values that changed.
type uniqueLayer struct {
	ukeys chunked[uniqueKey] // by head number
	heads chunked[uniqueHead]
	hist  map[uint32][]version[NodeID]
	index uniqueIndex
}

// uniqueSpace is one uniqueness constraint of one kind.
type uniqueSpace struct {
	kind       KindID
	constraint ConstraintID
}

func newUniqueLayer() uniqueLayer {
	return uniqueLayer{hist: map[uint32][]version[NodeID]{}, index: newUniqueIndex()}
}

func (l *uniqueLayer) find(k uniqueKey) (uint32, bool) {
	return l.index.find(k, l.index.hash(k), &l.ukeys)
}

// set makes v the head; a second write at the same position replaces the first.
func (l *uniqueLayer) set(k uniqueKey, v version[NodeID]) {
	i, ok := l.index.insert(k, uint32(l.ukeys.len()), &l.ukeys)
	if !ok {
		l.ukeys.push(k)
		l.heads.push(packUnique(v))
		return
	}
	h := l.heads.at(i)
	if old := h.version(); old.pos != v.pos {
		l.hist[i] = append(l.hist[i], old)
	}
	*h = packUnique(v)
}

// head is k's latest version.
func (l *uniqueLayer) head(k uniqueKey) (version[NodeID], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[NodeID]{}, false
	}
	return l.heads.at(i).version(), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *uniqueLayer) at(k uniqueKey, pos int64) (version[NodeID], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[NodeID]{}, false
	}
	if h := l.heads.at(i).version(); h.pos <= pos {
		return h, true
	}
	return latest(l.hist[i], pos)
}

// keys lists the keys by head number.
func (l *uniqueLayer) keys() ([]uniqueKey, bool) {
	keys := make([]uniqueKey, l.ukeys.len())
	for i := range keys {
		keys[i] = *l.ukeys.at(uint32(i))
	}
	return keys, len(keys) == l.heads.len()
}

// writeUnique writes the layer space by space (in kind and constraint order): the space, the
// number of its values, each value's key and head version (in head number order); then the
// history chains, each by the number of its value in that order.
func writeUnique(e *encoder, l *uniqueLayer) {
	keys, ok := l.keys()
	if !ok {
		e.fail("internal: the unique index does not map onto the %d heads", l.heads.len())
	}
	bySpace := map[uniqueSpace][]uint32{} // head numbers, in order
	for i, k := range keys {
		sp := uniqueSpace{k.kind, k.constraint}
		bySpace[sp] = append(bySpace[sp], uint32(i))
	}
	spaces := slices.SortedFunc(maps.Keys(bySpace), func(a, b uniqueSpace) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.constraint, b.constraint))
	})
	ord := make([]uint32, len(keys)) // head number → place in the order written
	var next uint32
	e.uvarint(uint64(len(spaces)))
	for _, sp := range spaces {
		e.uvarint(uint64(sp.kind))
		e.uvarint(uint64(sp.constraint))
		e.uvarint(uint64(len(bySpace[sp])))
		for _, i := range bySpace[sp] {
			e.str(keys[i].key)
			uniqueCodec.putV(e, l.heads.at(i).version(), 0)
			ord[i] = next
			next++
		}
	}
	hist := make([][2]uint32, 0, len(l.hist)) // place, head number
	for h := range l.hist {
		hist = append(hist, [2]uint32{ord[h], h})
	}
	slices.SortFunc(hist, func(a, b [2]uint32) int { return cmp.Compare(a[0], b[0]) })
	e.uvarint(uint64(len(hist)))
	var prev uint32
	for _, h := range hist {
		e.uvarint(uint64(h[0] - prev))
		prev = h[0]
		writeChain(e, uniqueCodec, l.hist[h[1]])
	}
}

// readUnique reads the layer into l; its index is built by a goroutine of its own while later
// sections decode, and ReadSnapshot waits for it before it returns.
func readUnique(d *decoder, l *uniqueLayer) {
	*l = newUniqueLayer()
	n := d.count()
	seen := make(map[uniqueSpace]bool, n)
	var starts []uint32 // where each space's values begin (spaces without values left out)
	for range n {
		sp := uniqueSpace{KindID(d.u32()), ConstraintID(d.u32())}
		if seen[sp] {
			d.fail("unique space twice")
		}
		seen[sp] = true
		values := d.count()
		if values > 0 {
			starts = append(starts, uint32(l.ukeys.len()))
		}
		for range values {
			l.ukeys.push(uniqueKey{sp.kind, sp.constraint, d.str()})
			l.heads.push(packUnique(uniqueCodec.getV(d, 0)))
		}
	}
	done := make(chan bool, 1) // buffered: the goroutine ends even if nobody waits (a failed read)
	index := newUniqueIndex()
	go func() {
		done <- index.build(&l.ukeys, starts)
	}()
	d.pending = append(d.pending, func() {
		if !<-done {
			d.fail("unique value twice in a space")
		}
		l.index = index
	})
	h := d.count()
	var i uint64
	for j := range h {
		delta := d.uvarint()
		if j > 0 && delta == 0 {
			d.fail("history of unique value %d twice", i)
		}
		if i += delta; i >= uint64(l.heads.len()) {
			d.fail("history of unique value %d of %d", i, l.heads.len())
		}
		l.hist[uint32(i)] = readChain(d, uniqueCodec)
	}
}

// uniqueHead is the latest version of a unique value in 24 bytes: the deleted flag is the
// position's complement (positions are never negative).
type uniqueHead struct {
	pos  int64
	node NodeID
}

func packUnique(v version[NodeID]) uniqueHead {
	if v.deleted {
		return uniqueHead{pos: ^v.pos, node: v.val}
	}
	return uniqueHead{pos: v.pos, node: v.val}
}

func (h *uniqueHead) version() version[NodeID] {
	if h.pos < 0 {
		return version[NodeID]{pos: ^h.pos, val: h.node, deleted: true}
	}
	return version[NodeID]{pos: h.pos, val: h.node}
}
