package graph

// Reads of many slots at once: one lock and one view for all of them, and only the data (no
// lineage, no peers). A reader that filters or sorts the nodes of a kind by an attribute, or
// reads a few attributes of each of a page of nodes, pays for them once instead of per slot.

// Many answers the reads of many slots at once of the State (Data, Fields).
func (s *State) Many() ManyReads { return ManyReads{s: s} }

// ManyReads reads many slots of a State at once.
type ManyReads struct{ s *State }

// Data is the data of field f of each of nodes on branch at position at (what Get answers as
// Value.Data), written to out[i] for nodes[i] (nil when the slot was never set or is cleared);
// out must be as long as nodes. The field must hold no edges (an attribute's, a node's
// metadata): peers are not read.
func (m ManyReads) Data(branch string, nodes []NodeID, f FieldID, at int64, out []any) error {
	s := m.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return err
	}
	for i, n := range nodes {
		out[i], _ = v.data(Slot{Node: n, Field: f}, at)
	}
	return nil
}

// Fields reads fields fs of one node on branch at position at: vals[i] and oks[i] are what Get
// answers for fs[i] (ok false: never set or cleared), but without the peers, so the fields
// must hold no edges. vals and oks must be as long as fs.
func (m ManyReads) Fields(branch string, node NodeID, fs []FieldID, at int64, vals []Value, oks []bool) error {
	s := m.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return err
	}
	var room [16]bool
	onMain := room[:0] // by position in fs: no overlay holds it, main answers it
	if len(fs) > len(room) {
		onMain = make([]bool, 0, len(fs))
	}
	n := 0
	for i, f := range fs {
		vals[i], oks[i] = Value{}, false
		sl := Slot{Node: node, Field: f}
		r, ok := v.s.global.slots.at(sl, at)
		if !ok && v.ov != nil {
			r, ok = v.ov.slots.at(sl, at)
		}
		onMain = append(onMain, !ok)
		if !ok {
			n++
		} else if !r.deleted {
			vals[i], oks[i] = r.val, true
		}
	}
	if n > 0 {
		v.s.main.slots.fieldsAt(node, fs, v.mainAt(at), vals, oks, onMain, n)
	}
	return nil
}

// fieldsAt answers, for each fs[i] with want[i] true (n of them), its value at pos into vals[i]
// and oks[i] (false: unset or cleared), the node looked up and its record read once: at for
// several fields of one node.
func (l *slotLayer) fieldsAt(node NodeID, fs []FieldID, pos int64, vals []Value, oks, want []bool, n int) {
	num, found := l.t.lookup(node)
	var got []bool // by position in fs: answered from the record
	var room [16]bool
	if len(fs) <= len(room) {
		got = room[:len(fs)]
	} else {
		got = make([]bool, len(fs))
	}
	answer := func(e *entry) {
		for i, f := range fs {
			if !want[i] || got[i] || f != e.field {
				continue
			}
			got[i] = true
			var r version[Value]
			if e.pos <= pos {
				r = l.headOf(e)
			} else {
				var ok bool
				if r, ok = l.latestOf(num, f, pos); !ok {
					r.deleted = true
				}
			}
			if !r.deleted {
				vals[i], oks[i] = r.val, true
			}
			n--
		}
	}
	switch {
	case !found:
	case l.pend.ok && l.pend.num == num:
		for i := range l.pend.es {
			answer(&l.pend.es[i])
		}
	default:
		if rec := l.record(num); rec != nil {
			r := newRecReader(rec, &l.shapes)
			var e entry
			for n > 0 && r.next(&e) {
				if !l.asked(e.field, fs, want, got) {
					continue
				}
				l.resolve(num, rec, &e)
				answer(&e)
			}
		}
	}
}

// asked reports whether field f is one of fs still wanted and not answered.
func (l *slotLayer) asked(f FieldID, fs []FieldID, want, got []bool) bool {
	for i := range fs {
		if fs[i] == f && want[i] && !got[i] {
			return true
		}
	}
	return false
}

// latestOf is the version of field f of node number num at pos from its history.
func (l *slotLayer) latestOf(num uint32, f FieldID, pos int64) (version[Value], bool) {
	v, ok := latest(l.hist[slotNum{num, f}], pos)
	return l.unpack(v), ok
}

// data is the data of slot sl at pos, false when unset or cleared (v.slot without the lineage).
func (v view) data(sl Slot, pos int64) (any, bool) {
	if r, ok := v.s.global.slots.at(sl, pos); ok {
		return dataOf(r)
	}
	if v.ov != nil {
		if r, ok := v.ov.slots.at(sl, pos); ok {
			return dataOf(r)
		}
	}
	return v.s.main.slots.dataAt(sl, v.mainAt(pos))
}

func dataOf(r version[Value]) (any, bool) {
	if r.deleted {
		return nil, false
	}
	return r.val.Data, true
}

// dataAt is the data of k's version at pos (at without the lineage).
func (l *slotLayer) dataAt(k Slot, pos int64) (any, bool) {
	n, e, ok := l.find(k)
	if !ok {
		return nil, false
	}
	if e.pos <= pos {
		if e.lin&headDeleted != 0 {
			return nil, false
		}
		return e.d.any(), true
	}
	c, ok := latest(l.hist[slotNum{n, k.Field}], pos)
	if !ok || c.deleted {
		return nil, false
	}
	return c.val.data, true
}
