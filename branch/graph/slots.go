package graph

// slotLayer is the default branch's store of slots, indexed by node rather than by slot: one
// map entry per node, and per node a short list of its fields with the number of their head.
// A node's slots are written together (its creation writes all of them), so a fold touches one
// map entry per node instead of one per slot, and the map is several times smaller. Heads and
// history are kept as in mainLayer.
type slotLayer struct {
	nodes map[NodeID]uint32
	refs  chunked[[]slotRef] // by node number
	heads chunked[version[cell]]
	hist  map[uint32][]version[cell]
	arena refArena
	lins  lineages
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
	return &slotLayer{nodes: map[NodeID]uint32{}, hist: map[uint32][]version[cell]{}}
}

// cell is what main keeps of a slot's value: a slot holds data and lineage, never peers (those
// are edges), and few distinct lineages exist, so the lineage is a number in the layer's table.
// 32 bytes a version instead of 96.
type cell struct {
	data any
	lin  uint32
}

// lineages interns the lineages of a slot layer; number 0 is the zero lineage.
type lineages struct {
	list []Lineage
	ids  map[Lineage]uint32
}

func (t *lineages) id(l Lineage) uint32 {
	if l == (Lineage{}) {
		return 0
	}
	if i, ok := t.ids[l]; ok {
		return i
	}
	if t.ids == nil {
		t.ids = map[Lineage]uint32{}
		t.list = []Lineage{{}}
	}
	i := uint32(len(t.list))
	t.list = append(t.list, l)
	t.ids[l] = i
	return i
}

func (t *lineages) get(i uint32) Lineage {
	if i == 0 {
		return Lineage{}
	}
	return t.list[i]
}

// pack and unpack convert between the versions callers see and the stored ones.
func (l *slotLayer) pack(v version[Value]) version[cell] {
	return version[cell]{pos: v.pos, deleted: v.deleted, val: cell{data: v.val.Data, lin: l.lins.id(v.val.Lineage)}}
}

func (l *slotLayer) unpack(v version[cell]) version[Value] {
	return version[Value]{pos: v.pos, deleted: v.deleted, val: Value{Data: v.val.data, Lineage: l.lins.get(v.val.lin)}}
}

func (l *slotLayer) unpackChain(ch []version[cell]) []version[Value] {
	if ch == nil {
		return nil
	}
	out := make([]version[Value], len(ch))
	for i, v := range ch {
		out[i] = l.unpack(v)
	}
	return out
}

// headOf is the head number of field f in a node's field list.
func headOf(refs []slotRef, f FieldID) (uint32, bool) {
	for _, r := range refs {
		if r.field == f {
			return r.head, true
		}
	}
	return 0, false
}

// find is the head number of slot k.
func (l *slotLayer) find(k Slot) (uint32, bool) {
	n, ok := l.nodes[k.Node]
	if !ok {
		return 0, false
	}
	return headOf(*l.refs.at(n), k.Field)
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
	if _, known := headOf(*refs, k.Field); known {
		return false
	}
	*refs = l.arena.append(*refs, slotRef{k.Field, head})
	return true
}

// set makes v the head; a second write at the same position replaces the first.
func (l *slotLayer) set(k Slot, val version[Value]) {
	v := l.pack(val)
	refs := l.fields(k.Node)
	i, ok := headOf(*refs, k.Field)
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
	return l.unpack(*l.heads.at(i)), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *slotLayer) at(k Slot, pos int64) (version[Value], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[Value]{}, false
	}
	if h := l.heads.at(i); h.pos <= pos {
		return l.unpack(*h), true
	}
	v, ok := latest(l.hist[i], pos)
	return l.unpack(v), ok
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
