package graph

// slotLayer is the default branch's store of slots, indexed by node rather than by slot: by the
// node's number in main's nodeTable, the node's record (record.go), which holds the field and
// head version of each of its slots with values unboxed. A node's slots are written together
// (its creation writes all of them): the node last written is kept decoded (pend) and its
// record is written when another node is, so a fold encodes a node once per run of writes to
// it. Older versions are kept only for slots that changed, by node number and field.
type slotLayer struct {
	t      *nodeTable
	recs   chunked[*byte]   // by node number: the node's record, nil when it has no slot
	boxes  map[uint32][]any // by node number: the boxed data of its record, when it has some
	hist   map[slotNum][]version[cell]
	lins   lineages
	actors actors
	shared sharedStrings
	shapes shapes
	times  *timeline // the State's: stamps may refer to it
	// the node being written, decoded: reads look at it before the records (it is changed
	// under the State's write lock only)
	pend  pending
	arena recArena
	enc   recEncoder // and its output: scratch of the write path (write lock)
	buf   []byte
}

// pending is the node last written, its entries decoded and resolved (no rkSame).
type pending struct {
	num uint32
	ok  bool
	es  []entry
}

// slotNum names a slot of the layer by node number and field (the key of its history).
type slotNum struct {
	node  uint32
	field FieldID
}

// headDeleted marks a deleted head in entry.lin; lineage numbers stay below it.
const headDeleted = 1 << 31

func newSlotLayer(t *nodeTable, times *timeline) *slotLayer {
	return &slotLayer{t: t, times: times, hist: map[slotNum][]version[cell]{}, boxes: map[uint32][]any{}}
}

// cell is what main keeps of an older version of a slot: a slot holds data and lineage, never
// peers (those are edges), and few distinct lineages exist, so the lineage is a number in the
// layer's table.
type cell struct {
	data any
	lin  uint32
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

// headOf is an entry as the version callers see.
func (l *slotLayer) headOf(e *entry) version[Value] {
	return version[Value]{pos: e.pos, deleted: e.lin&headDeleted != 0, val: Value{Data: e.d.any(), Lineage: l.lins.get(e.lin &^ headDeleted)}}
}

// cellOf is a head as an older version.
func cellOf(e *entry) version[cell] {
	return version[cell]{pos: e.pos, deleted: e.lin&headDeleted != 0, val: cell{data: e.d.detached(), lin: e.lin &^ headDeleted}}
}

// record is node n's record (nil when it has no slot or is the node being written).
func (l *slotLayer) record(n uint32) []byte {
	if int(n) >= l.recs.len() {
		return nil
	}
	return recordOf(*l.recs.at(n))
}

// resolve turns the data of e, read from record rec of node n, into the data it stands for:
// the data of the entry a same entry repeats, a boxed value, a stamp's actor and time.
func (l *slotLayer) resolve(n uint32, rec []byte, e *entry) {
	d, pos := &e.d, e.pos
	for d.kind == rkSame { // a same refers to an earlier entry: this ends
		r := newRecReader(rec, &l.shapes)
		var t entry
		for i := uint32(0); r.next(&t) && i < d.aux; i++ {
		}
		*d, pos = t.d, t.pos
	}
	switch d.kind {
	case rkStamp:
		d.s = l.actors.list[d.aux]
		if d.atPos {
			at, _ := l.times.nsAt(pos)
			d.x, d.atPos = uint64(at), false
		}
	case rkString:
		if d.aux != 0 {
			d.s = l.shared.list[d.aux-1]
		}
	case rkBoxed:
		d.box = l.boxes[n][d.aux]
	}
}

// decode appends the entries of node n, resolved, to dst.
func (l *slotLayer) decode(n uint32, dst []entry) []entry {
	rec := l.record(n)
	if rec == nil {
		return dst
	}
	start := len(dst)
	r := newRecReader(rec, &l.shapes)
	var e entry
	for r.next(&e) {
		if e.d.kind == rkSame {
			e.d = dst[start+int(e.d.aux)].d
		} else {
			l.resolve(n, rec, &e)
		}
		dst = append(dst, e)
	}
	return dst
}

// find is slot k's node number and head.
func (l *slotLayer) find(k Slot) (uint32, entry, bool) {
	n, ok := l.t.lookup(k.Node)
	if !ok {
		return 0, entry{}, false
	}
	if l.pend.ok && l.pend.num == n {
		for i := range l.pend.es {
			if l.pend.es[i].field == k.Field {
				return n, l.pend.es[i], true
			}
		}
		return n, entry{}, false
	}
	rec := l.record(n)
	r := newRecReader(rec, &l.shapes)
	var e entry
	for r.next(&e) {
		if e.field == k.Field {
			l.resolve(n, rec, &e)
			return n, e, true
		}
	}
	return n, entry{}, false
}

// open makes node n the node being written (the write path).
func (l *slotLayer) open(n uint32) {
	if l.pend.ok && l.pend.num == n {
		return
	}
	l.flush()
	clear(l.pend.es) // keeps no value of the last node alive
	l.pend.num, l.pend.ok = n, true
	l.pend.es = l.decode(n, l.pend.es[:0])
}

// flush writes the record of the node being written.
func (l *slotLayer) flush() {
	if !l.pend.ok {
		return
	}
	n := l.pend.num
	l.pend.ok = false
	var boxes []any
	l.buf, boxes = l.enc.append(l.buf[:0], l.pend.es, nil, l.times, &l.shapes, true)
	if int(n) >= l.recs.len() {
		l.recs.grow(int(n) + 1)
	}
	p := l.recs.at(n)
	*p = l.arena.copy(l.buf, *p == nil)
	if boxes != nil {
		l.boxes[n] = boxes
	} else if len(l.boxes) > 0 {
		delete(l.boxes, n)
	}
}

// set makes v the head; a second write at the same position replaces the first.
func (l *slotLayer) set(k Slot, v version[Value]) {
	n := l.t.number(k.Node)
	l.open(n)
	l.put(n, k.Field, v.val.Data, &v.val.Lineage, v.deleted, v.pos)
}

// setAttrs applies cs, attribute sets of one node at position pos (a node's creation or update
// on main), in order: set's work with the node numbered and opened once.
func (l *slotLayer) setAttrs(cs []Change, pos int64) {
	n := l.t.number(cs[0].Node)
	l.open(n)
	for i := range cs {
		l.put(n, cs[i].Field, cs[i].Value.Data, &cs[i].Value.Lineage, false, pos)
	}
}

// put makes (data, lineage, deleted) at pos the head of field f of node n, the node being
// written.
func (l *slotLayer) put(n uint32, f FieldID, data any, lineage *Lineage, deleted bool, pos int64) {
	d := datumOf(data)
	switch d.kind {
	case rkStamp:
		d.aux = l.actors.id(d.s)
		d.s = l.actors.list[d.aux]
	case rkString:
		if d.aux = l.shared.of(f, d.s); d.aux != 0 {
			d.s = l.shared.list[d.aux-1]
		}
	}
	var lin uint32
	if *lineage != (Lineage{}) {
		lin = l.lins.id(*lineage)
	}
	if deleted {
		lin |= headDeleted
	}
	es := l.pend.es
	for i := range es {
		if e := &es[i]; e.field == f {
			if e.pos != pos {
				num := slotNum{n, f}
				l.hist[num] = append(l.hist[num], cellOf(e))
			}
			e.d, e.pos, e.lin = d, pos, lin
			return
		}
	}
	l.pend.es = append(es, entry{d: d, pos: pos, field: f, lin: lin})
}

// head is k's latest version.
func (l *slotLayer) head(k Slot) (version[Value], bool) {
	_, e, ok := l.find(k)
	if !ok {
		return version[Value]{}, false
	}
	return l.headOf(&e), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *slotLayer) at(k Slot, pos int64) (version[Value], bool) {
	n, e, ok := l.find(k)
	if !ok {
		return version[Value]{}, false
	}
	if e.pos <= pos {
		return l.headOf(&e), true
	}
	v, ok := latest(l.hist[slotNum{n, k.Field}], pos)
	return l.unpack(v), ok
}

// entries appends the entries of node n, resolved, to dst (the node being written included).
func (l *slotLayer) entries(n uint32, dst []entry) []entry {
	if l.pend.ok && l.pend.num == n {
		return append(dst, l.pend.es...)
	}
	return l.decode(n, dst)
}

// recArena hands out the places of records from big blocks: the first record of a node (a bulk
// load or a snapshot read writes millions) costs no allocation of its own and no size-class
// slack. A node written again gets an allocation of its own, so a block wastes at most the
// first records of its nodes once they are rewritten.
type recArena struct {
	block []byte
}

const recBlock = 32 << 10

// copy is a copy of record b, from the arena when first (the node's first record).
func (a *recArena) copy(b []byte, first bool) *byte {
	if len(b) == 0 {
		return nil
	}
	if !first || len(b) > recBlock/8 {
		out := make([]byte, len(b))
		copy(out, b)
		return &out[0]
	}
	if len(a.block)+len(b) > cap(a.block) {
		a.block = make([]byte, 0, recBlock)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return &a.block[start]
}
