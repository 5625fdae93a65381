package graph

// slot is the version of sl on this view at pos.
func (v view) slot(sl Slot, pos int64) (version[Value], bool) {
	if r, ok := v.s.global.slots.at(sl, pos); ok {
		return r, true
	}
	if v.ov != nil {
		if r, ok := v.ov.slots.at(sl, pos); ok {
			return r, true
		}
	}
	return v.s.main.slots.at(sl, v.mainAt(pos))
}

func (v view) edge(k edgeKey, pos int64) (version[struct{}], bool) {
	if r, ok := v.overlayEdge(k, pos); ok {
		return r, true
	}
	return v.s.main.edges.at(k, v.mainAt(pos))
}

// overlayEdge is the version of edge k in the global overlay or the branch's, at pos.
func (v view) overlayEdge(k edgeKey, pos int64) (version[struct{}], bool) {
	if r, ok := v.s.global.edges.at(k, pos); ok {
		return r, true
	}
	if v.ov != nil {
		return v.ov.edges.at(k, pos)
	}
	return version[struct{}]{}, false
}

// peers is the live peer set of a slot at pos, sorted: the peers ever linked on main, in the
// global overlay and on the branch, filtered by their edge's version.
func (v view) peers(sl Slot, pos int64) []NodeID {
	main := v.s.main.edges.list(sl)
	extra := v.s.global.peers[sl]
	if v.ov != nil {
		if more := v.ov.peers[sl]; len(more) > 0 {
			extra = mergeSorted(extra, more)
		}
	}
	var out []NodeID
	if len(extra) == 0 { // main's peers only: their versions are at hand
		at := v.mainAt(pos)
		for _, ep := range main {
			r, ok := v.overlayEdge(edgeKey{sl, ep.peer}, pos)
			if !ok {
				r, ok = v.s.main.edges.version(ep.head, at)
			}
			if ok && !r.deleted {
				out = append(out, ep.peer)
			}
		}
		return out
	}
	cands := make([]NodeID, len(main))
	for i, ep := range main {
		cands[i] = ep.peer
	}
	cands = mergeSorted(cands, extra)
	for _, p := range cands {
		if r, ok := v.edge(edgeKey{sl, p}, pos); ok && !r.deleted {
			out = append(out, p)
		}
	}
	return out
}

// value is what a slot holds at pos: its attribute value or lineage, and its live peers.
func (v view) value(sl Slot, pos int64) (Value, bool) {
	var val Value
	r, ok := v.slot(sl, pos)
	if ok && !r.deleted {
		val = r.val
	} else {
		ok = false
	}
	if peers := v.peers(sl, pos); len(peers) > 0 {
		val.Peers, ok = peers, true
	}
	return val, ok
}

func (v view) node(id NodeID, pos int64) (version[KindID], bool) {
	if r, ok := v.s.global.nodes.at(id, pos); ok {
		return r, true
	}
	if v.ov != nil {
		if r, ok := v.ov.nodes.at(id, pos); ok {
			return r, true
		}
	}
	return v.s.main.nodes.at(id, v.mainAt(pos))
}

func (v view) unique(k uniqueKey, pos int64) (version[NodeID], bool) {
	if r, ok := v.s.global.unique.at(k, pos); ok {
		return r, true
	}
	if v.ov != nil {
		if r, ok := v.ov.unique.at(k, pos); ok {
			return r, true
		}
	}
	return v.s.main.unique.at(k, v.mainAt(pos))
}

// Get is the value of a slot on branch at position at; false when the slot was never set or is
// cleared. It does not look at the node's existence (see Exists).
func (s *State) Get(branch string, sl Slot, at int64) (Value, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return Value{}, false, err
	}
	val, ok := v.value(sl, at)
	return val, ok, nil
}

// Peers is the peer set of a relationship slot of many nodes at once, in the order of nodes
// (nil for a node without peers).
func (s *State) Peers(branch string, nodes []NodeID, rel FieldID, at int64) ([][]NodeID, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return nil, err
	}
	out := make([][]NodeID, len(nodes))
	for i, n := range nodes {
		out[i] = v.peers(Slot{n, rel}, at)
	}
	return out, nil
}

// Exists reports whether node exists on branch at position at, and its kind.
func (s *State) Exists(branch string, id NodeID, at int64) (KindID, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return 0, false, err
	}
	r, ok := v.node(id, at)
	if !ok || r.deleted {
		return 0, false, nil
	}
	return r.val, true, nil
}

// Nodes lists the ids of the live nodes of kind on branch at position at, in id order (which,
// for UUIDv7, is creation order). It scans main's index of the kind plus what the overlays
// created; filters on values can run on the result.
func (s *State) Nodes(branch string, kind KindID, at int64) ([]NodeID, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return nil, err
	}
	cands := s.main.index[kind]
	if extra := s.global.added[kind]; len(extra) > 0 {
		cands = mergeSorted(cands, extra)
	}
	if v.ov != nil {
		if extra := v.ov.added[kind]; len(extra) > 0 {
			cands = mergeSorted(cands, extra)
		}
	}
	var out []NodeID
	for _, id := range cands {
		if r, ok := v.node(id, at); ok && !r.deleted && r.val == kind {
			out = append(out, id)
		}
	}
	return out, nil
}

// Count is the number of live nodes of kind on branch at position at. It reads count chains
// and never scans nodes.
func (s *State) Count(branch string, kind KindID, at int64) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return 0, err
	}
	var n int64
	if c := s.main.counts[kind]; c != nil {
		n = c.at(v.mainAt(at))
	}
	if c := s.global.counts[kind]; c != nil {
		n += c.at(at)
	}
	if v.ov != nil {
		if c := v.ov.counts[kind]; c != nil {
			n += c.at(at)
		}
	}
	return n, nil
}

// Taken reports which node holds value key of a uniqueness constraint of kind on branch at
// position at, if any.
func (s *State) Taken(branch string, kind KindID, constraint ConstraintID, key string, at int64) (NodeID, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return NodeID{}, false, err
	}
	r, ok := v.unique(uniqueKey{kind, constraint, key}, at)
	if !ok || r.deleted {
		return NodeID{}, false, nil
	}
	return r.val, true, nil
}

// mergeSorted merges two sorted id slices into a new one, without duplicates.
func mergeSorted(a, b []NodeID) []NodeID {
	out := make([]NodeID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := a[i].Compare(b[j]); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// HasPeer reports whether peer is in a relationship slot on branch at position at, without
// reading the whole peer set.
func (s *State) HasPeer(branch string, sl Slot, peer NodeID, at int64) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, err := s.viewOf(branch)
	if err != nil {
		return false, err
	}
	r, ok := v.edge(edgeKey{sl, peer}, at)
	return ok && !r.deleted, nil
}
