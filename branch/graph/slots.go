package graph

import "fmt"

// slotLayer is the default branch's store of slots, indexed by node rather than by slot: by the
// node's number in main's nodeTable, the list of its slots, each holding its head version inline
// (32 bytes: value, position, field, lineage number and the deleted flag). A node's slots are
// written together (its creation writes all of them), so a fold touches one map entry per node
// instead of one per slot. Older versions are kept only for slots that changed, by node number
// and field.
type slotLayer struct {
	t     *nodeTable
	lists chunked[[]slotHead] // by node number
	hist  map[slotNum][]version[cell]
	arena headArena
	lins  lineages
	count int // slots held
	// the number of the node last written: a node's slots come one after the other (written
	// under the State's write lock only; reads do not use it)
	lastNum uint32
	hasLast bool
}

// slotNum names a slot of the layer by node number and field (the key of its history).
type slotNum struct {
	node  uint32
	field FieldID
}

// slotHead is the latest version of one slot of a node.
type slotHead struct {
	data  any
	pos   int64
	field FieldID
	lin   uint32 // lineage number, with headDeleted
}

// headDeleted marks a deleted head in slotHead.lin; lineage numbers stay below it.
const headDeleted = 1 << 31

func newSlotLayer(t *nodeTable) *slotLayer {
	return &slotLayer{t: t, hist: map[slotNum][]version[cell]{}}
}

// cell is what main keeps of an older version of a slot: a slot holds data and lineage, never
// peers (those are edges), and few distinct lineages exist, so the lineage is a number in the
// layer's table.
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
	if i >= headDeleted {
		panic(fmt.Sprintf("graph: more than %d distinct lineages", headDeleted-1))
	}
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

// headOf and setHead convert between a slot's head and its version.
func (l *slotLayer) headOf(h *slotHead) version[Value] {
	return version[Value]{pos: h.pos, deleted: h.lin&headDeleted != 0, val: Value{Data: h.data, Lineage: l.lins.get(h.lin &^ headDeleted)}}
}

func (l *slotLayer) setHead(h *slotHead, v version[Value]) {
	lin := l.lins.id(v.val.Lineage)
	if v.deleted {
		lin |= headDeleted
	}
	h.data, h.pos, h.lin = v.val.Data, v.pos, lin
}

// cellOf is a head as an older version.
func (h *slotHead) cellOf() version[cell] {
	return version[cell]{pos: h.pos, deleted: h.lin&headDeleted != 0, val: cell{data: h.data, lin: h.lin &^ headDeleted}}
}

func findHead(list []slotHead, f FieldID) int {
	for i := range list {
		if list[i].field == f {
			return i
		}
	}
	return -1
}

// find is slot k's node number and head.
func (l *slotLayer) find(k Slot) (uint32, *slotHead) {
	n, ok := l.t.lookup(k.Node)
	if !ok || int(n) >= l.lists.len() {
		return 0, nil
	}
	list := *l.lists.at(n)
	if i := findHead(list, k.Field); i >= 0 {
		return n, &list[i]
	}
	return n, nil
}

// list is the slot list of node id (the write path), and its node number.
func (l *slotLayer) list(id NodeID) (*[]slotHead, uint32) {
	n := l.t.number(id)
	if !l.hasLast || l.lastNum != n {
		if l.hasLast && int(l.lastNum) < l.lists.len() { // the next node's list starts as long as the last one's ended
			l.arena.last = len(*l.lists.at(l.lastNum))
		}
		l.lastNum, l.hasLast = n, true
	}
	if int(n) >= l.lists.len() {
		l.lists.grow(int(n) + 1)
	}
	return l.lists.at(n), n
}

// set makes v the head; a second write at the same position replaces the first.
func (l *slotLayer) set(k Slot, v version[Value]) {
	list, n := l.list(k.Node)
	i := findHead(*list, k.Field)
	if i < 0 {
		*list = l.arena.append(*list, slotHead{field: k.Field})
		l.setHead(&(*list)[len(*list)-1], v)
		l.count++
		return
	}
	h := &(*list)[i]
	if h.pos != v.pos {
		num := slotNum{n, k.Field}
		l.hist[num] = append(l.hist[num], h.cellOf())
	}
	l.setHead(h, v)
}

// head is k's latest version.
func (l *slotLayer) head(k Slot) (version[Value], bool) {
	_, h := l.find(k)
	if h == nil {
		return version[Value]{}, false
	}
	return l.headOf(h), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *slotLayer) at(k Slot, pos int64) (version[Value], bool) {
	n, h := l.find(k)
	if h == nil {
		return version[Value]{}, false
	}
	if h.pos <= pos {
		return l.headOf(h), true
	}
	v, ok := latest(l.hist[slotNum{n, k.Field}], pos)
	return l.unpack(v), ok
}

// of is the slot list of node number n (nil when it has none).
func (l *slotLayer) of(n uint32) []slotHead {
	if int(n) >= l.lists.len() {
		return nil
	}
	return *l.lists.at(n)
}

// headArena hands out the slot lists of nodes from big blocks; a full list is copied to a new
// place twice as big. The first list of a node gets the length the previous node's reached
// (nodes come by kind: a bulk load fits each list at once), at least 4.
type headArena struct {
	block []slotHead
	last  int // the length the previous node's list reached
}

const arenaBlock = 1 << 12

func (a *headArena) append(list []slotHead, h slotHead) []slotHead {
	if len(list) < cap(list) {
		return append(list, h)
	}
	size := max(4, 2*cap(list))
	if len(list) == 0 {
		size = max(4, a.last)
	}
	if len(a.block)+size > cap(a.block) {
		a.block = make([]slotHead, 0, max(arenaBlock, size))
	}
	start := len(a.block)
	a.block = a.block[:start+size]
	out := a.block[start : start : start+size]
	out = append(out, list...)
	clear(list) // the old place keeps no values alive
	return append(out, h)
}

// take hands out a list of n zero heads (a snapshot read, which knows every list's length).
func (a *headArena) take(n int) []slotHead {
	if len(a.block)+n > cap(a.block) {
		a.block = make([]slotHead, 0, max(arenaBlock, n))
	}
	start := len(a.block)
	a.block = a.block[:start+n]
	return a.block[start : start+n : start+n]
}
