package graph

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// How main is written and read: its node table (the ids by number), then its slot, node and
// edge layers, each by node number, so that reading them needs no lookup of a node.

func writeTable(e *encoder, t *nodeTable) {
	e.uvarint(uint64(t.len()))
	for n := range t.len() {
		e.id(t.id(uint32(n)))
	}
}

// readTable reads the node ids by number; the index from id to number is filled by a goroutine of
// its own while the layers decode (they are read by number and never look a node up), and
// ReadSnapshot waits for it before it returns.
func readTable(d *decoder) *nodeTable {
	n := d.count()
	t := &nodeTable{}
	t.ids.grow(n)
	for i := range n {
		*t.ids.at(uint32(i)) = d.id()
	}
	done := make(chan bool, 1) // buffered: the goroutine ends even if nobody waits (a failed read)
	go func() {
		var nums nodeIndex
		ok := nums.build(&t.ids) // sized at once, written in place order
		t.nums = nums
		done <- ok
	}()
	d.pending = append(d.pending, func() {
		if !<-done {
			d.fail("node twice in the node table")
		}
	})
	return t
}

// writeSlots writes the slot layer: its lineages, actors, shared strings and record shapes, then node by node, in node number
// order, the node's record (record.go) as it is, or 0 when the node has no slot, followed by
// its boxed data; then the history chains by node number and field.
func writeSlots(e *encoder, l *slotLayer) {
	e.uvarint(uint64(l.lins.len() - 1))
	for _, lin := range l.lins.list[min(1, len(l.lins.list)):] {
		putLineage(e, lin)
	}
	e.strs(l.actors.list)
	e.strs(l.shared.list)
	e.strs(l.shapes.list)
	var buf []byte
	var enc recEncoder
	for n := range l.t.len() {
		rec := l.record(uint32(n))
		var boxes []any
		if len(l.boxes) > 0 {
			boxes = l.boxes[uint32(n)]
		}
		if l.pend.ok && l.pend.num == uint32(n) { // the node being written: encoded anew, not stored
			buf, boxes = enc.append(buf[:0], l.pend.es, nil, l.times, &l.shapes, false)
			rec = buf
		}
		if rec == nil {
			e.byte(0)
			continue
		}
		e.w.Write(rec)
		for _, b := range boxes {
			e.data(b)
		}
	}
	nums := slices.SortedFunc(maps.Keys(l.hist), func(a, b slotNum) int {
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.field, b.field))
	})
	e.uvarint(uint64(len(nums)))
	var prev uint32
	c := cellCodec(l)
	for _, k := range nums {
		e.uvarint(uint64(k.node - prev))
		e.uvarint(uint64(k.field))
		prev = k.node
		writeChain(e, c, l.hist[k])
	}
}

func readSlots(d *decoder, t *nodeTable, times *timeline) *slotLayer {
	l := newSlotLayer(t, times)
	if n := d.count(); n > 0 {
		l.lins.list = make([]Lineage, n+1)
		l.lins.ids = make(map[Lineage]uint32, n)
		for i := 1; i <= n; i++ {
			lin := getLineage(d)
			if _, dup := l.lins.ids[lin]; dup || lin == (Lineage{}) {
				d.fail("lineage twice or zero in the slot layer")
			}
			l.lins.list[i], l.lins.ids[lin] = lin, uint32(i)
		}
	}
	for range d.count() {
		if a := d.str(); uint32(len(l.actors.list)) != l.actors.id(a) {
			d.fail("actor twice in the slot layer")
		}
	}
	d.strTable(&l.shared.strTable, maxShared, "shared string")
	d.strTable(&l.shapes.strTable, maxShapes, "record shape")
	n := t.len()
	l.recs.grow(n)
	var chk recChecker
	var boxesOf []int // by shape number: 1 + the boxed values of a record of the shape, 0: not counted yet
	for i := range n {
		start := d.off
		size := d.count()
		if size == 0 {
			continue
		}
		d.take(size)
		rec := d.b[start:d.off]
		// A record that refers to its shape has the boxed values the shape says; it is checked
		// in the background (below). One that spells its shape is checked here.
		nbox, ok := shapedBoxes(rec, &l.shapes, &boxesOf)
		if !ok {
			if nbox, ok = chk.check(rec, l.lins.len(), len(l.actors.list), len(l.shared.list), &l.shapes); !ok {
				d.fail("bad record of node %d: %s", i, chk.why)
			}
		}
		*l.recs.at(uint32(i)) = l.arena.copy(rec, true)
		if nbox > 0 {
			boxes := make([]any, nbox)
			for j := range boxes {
				boxes[j] = d.data()
			}
			l.boxes[uint32(i)] = boxes
		}
	}
	checked := checkRecords(l, n)
	h := d.count()
	if h > 0 {
		checked(d) // the history is checked against the records' entries: they must parse
	}
	c := cellCodec(l)
	var prev slotNum
	var es []entry
	for j := range h {
		k := slotNum{prev.node + d.u32(), FieldID(d.u32())}
		if j > 0 && (k.node == prev.node && k.field <= prev.field) {
			d.fail("history of a slot twice or out of order")
		}
		if k.node < uint32(n) {
			es = l.entries(k.node, es[:0])
		}
		if k.node >= uint32(n) || !hasField(es, k.field) {
			d.fail("history of a slot that has no head")
		}
		l.hist[k] = readChain(d, c)
		prev = k
	}
	if len(l.hist) != h {
		d.fail("history of a slot twice")
	}
	d.pending = append(d.pending, func() { checked(d) })
	return l
}

// checkRecords checks the n records of l in a goroutine of its own, so that no read meets one
// that does not parse or refers to nothing; the function it returns waits for the check and
// fails d if a record is bad (it may be called more than once).
func checkRecords(l *slotLayer, n int) func(d *decoder) {
	done := make(chan struct{})
	var why string
	go func() {
		defer close(done)
		var chk recChecker
		for i := range n {
			rec := l.record(uint32(i))
			if rec == nil {
				continue
			}
			if _, ok := chk.check(rec, l.lins.len(), len(l.actors.list), len(l.shared.list), &l.shapes); !ok {
				why = fmt.Sprintf("bad record of node %d: %s", i, chk.why)
				return
			}
		}
	}()
	return func(d *decoder) {
		<-done
		if why != "" {
			d.fail("%s", why)
		}
	}
}

// shapedBoxes is the number of boxed values of record rec when it refers to its shape (boxesOf
// caches them by shape number); false when it does not, or the shape does not parse.
func shapedBoxes(rec []byte, sh *shapes, boxesOf *[]int) (int, bool) {
	r := newRecReader(rec, sh)
	if r.bad || !r.shaped {
		return 0, false
	}
	for len(*boxesOf) <= r.shapeNum {
		*boxesOf = append(*boxesOf, 0)
	}
	if c := (*boxesOf)[r.shapeNum]; c > 0 {
		return c - 1, true
	}
	nbox, s := 0, r.shape
	for i := 0; i < len(s); i++ { // entries: the field (a uvarint), then the tag
		for i < len(s) && s[i] >= 0x80 {
			i++
		}
		if i++; i >= len(s) {
			return 0, false
		}
		if s[i]&tagKind == rkBoxed {
			nbox++
		}
	}
	(*boxesOf)[r.shapeNum] = nbox + 1
	return nbox, true
}

func hasField(es []entry, f FieldID) bool {
	for i := range es {
		if es[i].field == f {
			return true
		}
	}
	return false
}

// writeEdges writes the edge layer node by node, in node number order: the node's relationship
// fields, each with its peers in order and their edges' head versions; then the history chains,
// each by the number of its edge in that order.
func writeEdges(e *encoder, l *edgeLayer) {
	ord := make([]uint32, l.heads.len()) // head number → place in the order written
	var next uint32
	for n := range l.t.len() {
		fs := l.of(uint32(n))
		e.uvarint(uint64(len(fs)))
		for _, f := range fs {
			e.uvarint(uint64(f.field))
			e.uvarint(uint64(len(f.peers)))
			for _, p := range f.peers {
				e.id(p.peer)
				edgeCodec.putV(e, *l.heads.at(p.head), 0)
				ord[p.head] = next
				next++
			}
		}
	}
	if int(next) != len(ord) {
		e.fail("internal: %d edges for %d heads", next, len(ord))
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
		writeChain(e, edgeCodec, l.hist[h[1]])
	}
}

func readEdges(d *decoder, t *nodeTable) *edgeLayer {
	l := newEdgeLayer(t)
	l.fields.grow(t.len())
	var fields slab[edgeField]
	var peers slab[edgePeer]
	for n := range t.len() {
		k := d.count()
		if k == 0 {
			continue
		}
		fs := fields.take(k)
		for i := range fs {
			fs[i].field = FieldID(d.u32())
			for _, f := range fs[:i] {
				if f.field == fs[i].field {
					d.fail("relationship field twice in the edge layer")
				}
			}
			ps := peers.take(d.count())
			for j := range ps {
				ps[j].peer = d.id()
				if j > 0 && ps[j-1].peer.Compare(ps[j].peer) >= 0 {
					d.fail("peers twice or out of order in the edge layer")
				}
				ps[j].head = l.heads.push(edgeCodec.getV(d, 0))
			}
			fs[i].peers = ps
		}
		*l.fields.at(uint32(n)) = fs
	}
	h := d.count()
	var i uint64
	for j := range h {
		delta := d.uvarint()
		if j > 0 && delta == 0 {
			d.fail("history of edge %d twice", i)
		}
		if i += delta; i >= uint64(l.heads.len()) {
			d.fail("history of edge %d of %d", i, l.heads.len())
		}
		l.hist[uint32(i)] = readChain(d, edgeCodec)
	}
	return l
}

// writeNodes writes the node layer's heads by node number (position 0: none), then the history
// chains by node number.
func writeNodes(e *encoder, l *nodeLayer) {
	for n := range l.t.len() {
		var h version[KindID]
		if n < l.heads.len() {
			h = *l.heads.at(uint32(n))
		}
		nodeCodec.putV(e, h, 0)
	}
	nums := slices.Sorted(maps.Keys(l.hist))
	e.uvarint(uint64(len(nums)))
	var prev uint32
	for _, n := range nums {
		e.uvarint(uint64(n - prev))
		prev = n
		writeChain(e, nodeCodec, l.hist[n])
	}
}

func readNodes(d *decoder, t *nodeTable) nodeLayer {
	l := newNodeLayer(t)
	n := t.len()
	l.heads.grow(n)
	for i := range n {
		v := nodeCodec.getV(d, 0)
		if v.pos < 0 || v.pos == 0 && (v.val != 0 || v.deleted) {
			d.fail("bad node version")
		}
		*l.heads.at(uint32(i)) = v
	}
	h := d.count()
	var i uint64
	for j := range h {
		delta := d.uvarint()
		if j > 0 && delta == 0 {
			d.fail("history of node %d twice", i)
		}
		if i += delta; i >= uint64(n) || l.heads.at(uint32(i)).pos == 0 {
			d.fail("history of node %d, which has no head", i)
		}
		l.hist[uint32(i)] = readChain(d, nodeCodec)
	}
	return l
}

// slab hands out short slices from big blocks: a snapshot read makes millions of them (the
// relationship fields of each node and their peers), one allocation each otherwise. A slice's
// capacity is its length, so that an append moves it out of the block rather than over its
// neighbour.
type slab[T any] struct {
	block []T
}

const slabBlock = 1 << 10

func (s *slab[T]) take(n int) []T {
	if n > slabBlock/8 {
		return make([]T, n)
	}
	if len(s.block)+n > cap(s.block) {
		s.block = make([]T, 0, slabBlock)
	}
	start := len(s.block)
	s.block = s.block[:start+n]
	return s.block[start : start+n : start+n]
}

// strs writes a list of strings: its length, then each.
func (e *encoder) strs(list []string) {
	e.uvarint(uint64(len(list)))
	for _, x := range list {
		e.str(x)
	}
}

// strTable reads into t a list written by strs of at most limit strings, none twice.
func (d *decoder) strTable(t *strTable, limit int, what string) {
	k := d.count()
	if k > limit {
		d.fail("%d %ss", k, what)
		return
	}
	for range k {
		x := d.str()
		if _, dup := t.ids[x]; dup {
			d.fail("%s twice in the slot layer", what)
		}
		t.add(x)
	}
}
