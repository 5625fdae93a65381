package graph

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// How each layer of the state (slots, edges, nodes, unique values; main and overlays) is written and read.

// ---- layers ----

// codec encodes the keys and versions of one layer kind.
type codec[K comparable, V any] struct {
	putK func(*encoder, K)
	getK func(*decoder) K
	cmpK func(K, K) int
	putV func(e *encoder, v version[V], prev int64) // prev: the position before, for a delta
	getV func(d *decoder, prev int64) version[V]
}

var slotCodec = codec[Slot, Value]{
	putK: func(e *encoder, k Slot) { e.id(k.Node); e.uvarint(uint64(k.Field)) },
	getK: func(d *decoder) Slot { n := d.id(); return Slot{n, FieldID(d.u32())} },
	cmpK: Slot.compare,
	putV: func(e *encoder, v version[Value], prev int64) {
		var f byte
		if v.deleted {
			f |= valDeleted
		}
		if v.val.Peers != nil {
			f |= valPeers
		}
		if !v.val.Lineage.Source.IsZero() {
			f |= valSource
		}
		if !v.val.Lineage.Owner.IsZero() {
			f |= valOwner
		}
		if v.val.Lineage.IsProtected {
			f |= valProtected
		}
		if v.val.Lineage.IsDefault {
			f |= valDefault
		}
		e.byte(f)
		e.varint(v.pos - prev)
		e.data(v.val.Data)
		if f&valPeers != 0 {
			e.uvarint(uint64(len(v.val.Peers)))
			for _, p := range v.val.Peers {
				e.id(p)
			}
		}
		if f&valSource != 0 {
			e.id(v.val.Lineage.Source)
		}
		if f&valOwner != 0 {
			e.id(v.val.Lineage.Owner)
		}
	},
	getV: func(d *decoder, prev int64) version[Value] {
		f := d.byte()
		if f >= valDefault<<1 {
			d.fail("bad value flags %#x", f)
		}
		v := version[Value]{deleted: f&valDeleted != 0, pos: prev + d.varint()}
		v.val.Data = d.data()
		if f&valPeers != 0 {
			v.val.Peers = make([]NodeID, d.count())
			for i := range v.val.Peers {
				v.val.Peers[i] = d.id()
			}
		}
		if f&valSource != 0 {
			v.val.Lineage.Source = d.id()
		}
		if f&valOwner != 0 {
			v.val.Lineage.Owner = d.id()
		}
		v.val.Lineage.IsProtected = f&valProtected != 0
		v.val.Lineage.IsDefault = f&valDefault != 0
		return v
	},
}

var edgeCodec = codec[edgeKey, struct{}]{
	putK: func(e *encoder, k edgeKey) { slotCodec.putK(e, k.Slot); e.id(k.Peer) },
	getK: func(d *decoder) edgeKey { sl := slotCodec.getK(d); return edgeKey{sl, d.id()} },
	cmpK: func(a, b edgeKey) int { return cmp.Or(a.Slot.compare(b.Slot), a.Peer.Compare(b.Peer)) },
	putV: func(e *encoder, v version[struct{}], prev int64) {
		d := (v.pos - prev) << 1
		if v.deleted {
			d |= 1
		}
		e.varint(d)
	},
	getV: func(d *decoder, prev int64) version[struct{}] {
		x := d.varint()
		return version[struct{}]{pos: prev + x>>1, deleted: x&1 != 0}
	},
}

var nodeCodec = codec[NodeID, KindID]{
	putK: (*encoder).id,
	getK: (*decoder).id,
	cmpK: NodeID.Compare,
	putV: func(e *encoder, v version[KindID], prev int64) {
		e.varint(v.pos - prev)
		k := uint64(v.val) << 1
		if v.deleted {
			k |= 1
		}
		e.uvarint(k)
	},
	getV: func(d *decoder, prev int64) version[KindID] {
		pos := prev + d.varint()
		k := d.uvarint()
		if k>>1 > math.MaxUint32 {
			d.fail("kind %d out of range", k>>1)
		}
		return version[KindID]{pos: pos, val: KindID(k >> 1), deleted: k&1 != 0}
	},
}

var uniqueCodec = codec[uniqueKey, NodeID]{
	putK: func(e *encoder, k uniqueKey) {
		e.uvarint(uint64(k.kind))
		e.uvarint(uint64(k.constraint))
		e.str(k.key)
	},
	getK: func(d *decoder) uniqueKey {
		k := KindID(d.u32())
		c := ConstraintID(d.u32())
		return uniqueKey{k, c, d.str()}
	},
	cmpK: func(a, b uniqueKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.constraint, b.constraint), cmp.Compare(a.key, b.key))
	},
	putV: func(e *encoder, v version[NodeID], prev int64) {
		e.varint(v.pos - prev)
		var f byte
		if v.deleted {
			f |= 1
		}
		if !v.val.IsZero() {
			f |= 2
		}
		e.byte(f)
		if f&2 != 0 {
			e.id(v.val)
		}
	},
	getV: func(d *decoder, prev int64) version[NodeID] {
		v := version[NodeID]{pos: prev + d.varint()}
		f := d.byte()
		if f > 3 {
			d.fail("bad unique flags %#x", f)
		}
		v.deleted = f&1 != 0
		if f&2 != 0 {
			v.val = d.id()
		}
		return v
	},
}

func writeChain[K comparable, V any](e *encoder, c codec[K, V], ch []version[V]) {
	e.uvarint(uint64(len(ch)))
	var prev int64
	for _, v := range ch {
		c.putV(e, v, prev)
		prev = v.pos
	}
}

func readChain[K comparable, V any](d *decoder, c codec[K, V]) []version[V] {
	n := d.count()
	if n == 0 {
		return nil
	}
	ch := make([]version[V], n)
	var prev int64
	for i := range ch {
		ch[i] = c.getV(d, prev)
		prev = ch[i].pos
	}
	return ch
}

func writeOverlay[K comparable, V any](e *encoder, c codec[K, V], o *overlay[K, V]) {
	if o.m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(o.m)) + 1)
	for _, k := range slices.SortedFunc(maps.Keys(o.m), c.cmpK) {
		c.putK(e, k)
		writeChain(e, c, o.m[k])
	}
}

func readOverlay[K comparable, V any](d *decoder, c codec[K, V]) overlay[K, V] {
	n, ok := d.mapCount()
	if !ok {
		return overlay[K, V]{}
	}
	m := make(map[K][]version[V], n)
	for range n {
		k := c.getK(d)
		m[k] = readChain(d, c)
	}
	if len(m) != n {
		d.fail("key twice in an overlay")
	}
	return overlay[K, V]{m: m}
}

// cellCodec is slotCodec for a slot layer's stored cells (the same format).
func cellCodec(l *slotLayer) codec[Slot, cell] {
	return codec[Slot, cell]{putK: slotCodec.putK, getK: slotCodec.getK, cmpK: slotCodec.cmpK,
		putV: func(e *encoder, v version[cell], prev int64) { slotCodec.putV(e, l.unpack(v), prev) },
		getV: func(d *decoder, prev int64) version[cell] {
			v := slotCodec.getV(d, prev)
			if v.val.Peers != nil {
				d.fail("peers in a slot of main")
			}
			return l.pack(v)
		}}
}

// putLineage writes a lineage of a slot layer's table: its flags (valSource, valOwner,
// valProtected, valDefault), then the ids they announce.
func putLineage(e *encoder, l Lineage) {
	var f byte
	if !l.Source.IsZero() {
		f |= valSource
	}
	if !l.Owner.IsZero() {
		f |= valOwner
	}
	if l.IsProtected {
		f |= valProtected
	}
	if l.IsDefault {
		f |= valDefault
	}
	e.byte(f)
	if f&valSource != 0 {
		e.id(l.Source)
	}
	if f&valOwner != 0 {
		e.id(l.Owner)
	}
}

func getLineage(d *decoder) Lineage {
	f := d.byte()
	if f&^(valSource|valOwner|valProtected|valDefault) != 0 {
		d.fail("bad lineage flags %#x", f)
	}
	var l Lineage
	if f&valSource != 0 {
		l.Source = d.id()
	}
	if f&valOwner != 0 {
		l.Owner = d.id()
	}
	l.IsProtected, l.IsDefault = f&valProtected != 0, f&valDefault != 0
	return l
}
