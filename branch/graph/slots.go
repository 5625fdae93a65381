package graph

// slotLayer is the default branch's store of slots, indexed by node rather than by slot: one
// map entry per node, and per node a short list of its fields with the number of their head.
// A node's slots are written together (its creation writes all of them), so a fold touches one
// map entry per node instead of one per slot, and the map is several times smaller. Heads and
// history are kept as in mainLayer.
type slotLayer struct {
	nodes map[NodeID]uint32
	refs  chunked[[]slotRef] // by node number
	heads chunked[version[Value]]
	hist  map[uint32][]version[Value]
	arena refArena
	// the node last written and its number: a node's slots come one after the other (written
	// under the State's write lock only; reads do not use it)
	last    NodeID
	lastNum uint32
	hasLast bool
}

// slotRef is one field of a node and the number of its head.
type slotRef struct {
	field FieldID
	head  uint32
}

func newSlotLayer() *slotLayer {
	return &slotLayer{nodes: map[NodeID]uint32{}, hist: map[uint32][]version[Value]{}}
}

// find is the head number of slot k.
func (l *slotLayer) find(k Slot) (uint32, bool) {
	n, ok := l.nodes[k.Node]
	if !ok {
		return 0, false
	}
	for _, r := range *l.refs.at(n) {
		if r.field == k.Field {
			return r.head, true
		}
	}
	return 0, false
}

// fields is the field list of node id, made when missing (the write path).
func (l *slotLayer) fields(id NodeID) *[]slotRef {
	if !l.hasLast || l.last != id {
		n, ok := l.nodes[id]
		if !ok {
			n = l.refs.push(nil)
			l.nodes[id] = n
		}
		l.last, l.lastNum, l.hasLast = id, n, true
	}
	return l.refs.at(l.lastNum)
}

// add records slot k with head number head, unless the slot is known: false then.
func (l *slotLayer) add(k Slot, head uint32) bool {
	refs := l.fields(k.Node)
	for _, r := range *refs {
		if r.field == k.Field {
			return false
		}
	}
	*refs = l.arena.append(*refs, slotRef{k.Field, head})
	return true
}

// set makes v the head; a second write at the same position replaces the first.
func (l *slotLayer) set(k Slot, v version[Value]) {
	refs := l.fields(k.Node)
	i, ok := uint32(0), false
	for _, r := range *refs {
		if r.field == k.Field {
			i, ok = r.head, true
			break
		}
	}
	if !ok {
		*refs = l.arena.append(*refs, slotRef{k.Field, l.heads.push(v)})
		return
	}
	h := l.heads.at(i)
	if h.pos != v.pos {
		l.hist[i] = append(l.hist[i], *h)
	}
	*h = v
}

// head is k's latest version.
func (l *slotLayer) head(k Slot) (version[Value], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[Value]{}, false
	}
	return *l.heads.at(i), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *slotLayer) at(k Slot, pos int64) (version[Value], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[Value]{}, false
	}
	if h := l.heads.at(i); h.pos <= pos {
		return *h, true
	}
	return latest(l.hist[i], pos)
}

// keys lists the slots by head number.
func (l *slotLayer) keys() ([]Slot, bool) {
	keys := make([]Slot, l.heads.len())
	seen := 0
	for node, n := range l.nodes {
		for _, r := range *l.refs.at(n) {
			if int(r.head) >= len(keys) {
				return nil, false
			}
			keys[r.head] = Slot{node, r.field}
			seen++
		}
	}
	return keys, seen == len(keys)
}

// refArena hands out the field lists of nodes from big blocks; a full list is copied to a new
// place twice as big. The first list of a node gets the length the previous node's reached
// (nodes come by kind: a bulk load fits each list at once), at least 4.
type refArena struct {
	block []slotRef
	last  int // the length the previous node's list reached
}

const arenaBlock = 1 << 14

func (a *refArena) append(refs []slotRef, r slotRef) []slotRef {
	if len(refs) < cap(refs) {
		return append(refs, r)
	}
	size := max(4, a.last, 2*cap(refs))
	if len(refs) == 0 {
		size = max(4, a.last)
	}
	if len(a.block)+size > cap(a.block) {
		a.block = make([]slotRef, 0, max(arenaBlock, size))
	}
	start := len(a.block)
	a.block = a.block[:start+size]
	out := a.block[start : start : start+size]
	out = append(out, refs...)
	out = append(out, r)
	a.last = len(out)
	return out
}
