package graph

import (
	"cmp"
	"maps"
	"slices"
)

// uniqueLayer is main's uniqueness layer: per kind and constraint, a map from the value's key to
// the number of its head (the map's keys are the keys alone, so a lookup hashes one string),
// the heads in a vector and the older versions of values that changed.
type uniqueLayer struct {
	spaces map[uniqueSpace]map[string]uint32
	heads  chunked[uniqueHead]
	hist   map[uint32][]version[NodeID]
	// the space last written (a bulk load claims values of one kind and constraint in turn;
	// under the State's write lock)
	last    uniqueSpace
	lastMap map[string]uint32
}

// uniqueSpace is one uniqueness constraint of one kind.
type uniqueSpace struct {
	kind       KindID
	constraint ConstraintID
}

func newUniqueLayer() uniqueLayer {
	return uniqueLayer{spaces: map[uniqueSpace]map[string]uint32{}, hist: map[uint32][]version[NodeID]{}}
}

func (l *uniqueLayer) find(k uniqueKey) (uint32, bool) {
	i, ok := l.spaces[uniqueSpace{k.kind, k.constraint}][k.key]
	return i, ok
}

// space is the map of k's space, made when missing (the write path).
func (l *uniqueLayer) space(k uniqueKey) map[string]uint32 {
	sp := uniqueSpace{k.kind, k.constraint}
	if l.lastMap != nil && l.last == sp {
		return l.lastMap
	}
	m := l.spaces[sp]
	if m == nil {
		m = map[string]uint32{}
		l.spaces[sp] = m
	}
	l.last, l.lastMap = sp, m
	return m
}

// set makes v the head; a second write at the same position replaces the first.
func (l *uniqueLayer) set(k uniqueKey, v version[NodeID]) {
	m := l.space(k)
	i, ok := m[k.key]
	if !ok {
		m[k.key] = l.heads.push(packUnique(v))
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
	keys := make([]uniqueKey, l.heads.len())
	seen := 0
	for sp, m := range l.spaces {
		for key, i := range m {
			if int(i) >= len(keys) {
				return nil, false
			}
			keys[i] = uniqueKey{sp.kind, sp.constraint, key}
			seen++
		}
	}
	return keys, seen == len(keys)
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

// readUnique reads the layer into l; each space's map is filled by a goroutine of its own while
// later sections decode, and ReadSnapshot waits for it before it returns.
func readUnique(d *decoder, l *uniqueLayer) {
	*l = newUniqueLayer()
	type space struct {
		sp    uniqueSpace
		keys  []string
		first uint32 // head number of keys[0]
	}
	n := d.count()
	read := make([]space, n)
	for s := range read {
		sp := uniqueSpace{KindID(d.u32()), ConstraintID(d.u32())}
		keys := make([]string, d.count())
		first := uint32(l.heads.len())
		for j := range keys {
			keys[j] = d.str()
			l.heads.push(packUnique(uniqueCodec.getV(d, 0)))
		}
		read[s] = space{sp, keys, first}
	}
	type result struct {
		spaces map[uniqueSpace]map[string]uint32
		err    string
	}
	done := make(chan result, 1) // buffered: the goroutine ends even if nobody waits (a failed read)
	go func() {
		spaces := make(map[uniqueSpace]map[string]uint32, len(read))
		for _, s := range read {
			if _, dup := spaces[s.sp]; dup {
				done <- result{err: "unique space twice"}
				return
			}
			m := make(map[string]uint32, len(s.keys))
			for j, k := range s.keys {
				m[k] = s.first + uint32(j)
			}
			if len(m) != len(s.keys) {
				done <- result{err: "unique value twice in a space"}
				return
			}
			spaces[s.sp] = m
		}
		done <- result{spaces: spaces}
	}()
	d.pending = append(d.pending, func() {
		r := <-done
		if r.err != "" {
			d.fail("%s", r.err)
		}
		l.spaces = r.spaces
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
