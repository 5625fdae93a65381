package graph

import (
	"cmp"
	"maps"
	"slices"
)

// How main is written and read: its node table (the ids by number), then its slot, edge and
// node layers, each by node number.

func writeTable(e *encoder, t *nodeTable) {
	e.uvarint(uint64(t.len()))
	for n := range t.len() {
		e.id(t.id(uint32(n)))
	}
}

func readTable(d *decoder) *nodeTable {
	n := d.count()
	t := newNodeTable(n)
	t.ids.grow(n)
	for i := range n {
		id := d.id()
		*t.ids.at(uint32(i)) = id
		t.nums[id] = uint32(i)
	}
	if len(t.nums) != n {
		d.fail("node twice in the node table")
	}
	return t
}

// writeSlots writes the slot layer node by node, in node number order: the number of the node's
// slots, each slot's field and head version, then the history chains by node number and field.
func writeSlots(e *encoder, l *slotLayer) {
	for n := range l.t.len() {
		list := l.of(uint32(n))
		e.uvarint(uint64(len(list)))
		for i := range list {
			e.uvarint(uint64(list[i].field))
			slotCodec.putV(e, l.headOf(&list[i]), 0)
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

func readSlots(d *decoder, t *nodeTable) *slotLayer {
	l := newSlotLayer(t)
	n := t.len()
	l.lists.grow(n)
	for i := range n {
		k := d.count()
		if k == 0 {
			continue
		}
		list := l.arena.take(k)
		for j := range list {
			f := FieldID(d.u32())
			if findHead(list[:j], f) >= 0 {
				d.fail("slot twice in the slot layer")
			}
			v := slotCodec.getV(d, 0)
			if v.val.Peers != nil {
				d.fail("peers in a slot of main")
			}
			list[j].field = f
			l.setHead(&list[j], v)
		}
		*l.lists.at(uint32(i)) = list
		l.count += k
	}
	h := d.count()
	c := cellCodec(l)
	var prev slotNum
	for j := range h {
		k := slotNum{prev.node + d.u32(), FieldID(d.u32())}
		if j > 0 && (k.node == prev.node && k.field <= prev.field) {
			d.fail("history of a slot twice or out of order")
		}
		if k.node >= uint32(n) || findHead(l.of(k.node), k.field) < 0 {
			d.fail("history of a slot that has no head")
		}
		l.hist[k] = readChain(d, c)
		prev = k
	}
	if len(l.hist) != h {
		d.fail("history of a slot twice")
	}
	return l
}

// writeEdges writes the edge layer as writeMain writes a layer (the peers of every slot are
// rebuilt from the edges' keys).
func writeEdges(e *encoder, l *edgeLayer) {
	keys, _, ok := l.keys()
	if !ok {
		e.fail("internal: the edge index does not map onto the %d heads", l.heads.len())
	}
	writeHeads(e, edgeCodec, keys, &l.heads, l.hist)
}

func readEdges(d *decoder, t *nodeTable) *edgeLayer {
	n := d.count()
	l := newEdgeLayer(t)
	added := 0
	insert := func(k edgeKey, i uint32) { // in head order: sorted once read
		f := l.field(k.Slot)
		f.peers = append(f.peers, edgePeer{k.Peer, i})
		added++
	}
	l.hist = readHeads(d, edgeCodec, n, &l.heads, insert, func() int { return added })
	d.pending = append(d.pending, func() {
		if !l.sortAll() {
			d.fail("edge twice in a layer")
		}
	})
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
