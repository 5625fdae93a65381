package activity

// subIndex finds the subscribers an entry may concern without asking every one: a subscriber
// whose filter names node ids (NodeIDs, else RelatedIDs) is kept under each of them and is a
// candidate only for entries whose events name one of them (primary node, or related nodes for
// RelatedIDs); the others (scan) are candidates for every entry. Candidates still apply their
// whole filter (subscriber.push). Not safe for concurrent use (Hub.mu guards it).
type subIndex struct {
	scan    map[*subscriber]struct{}
	primary map[string]map[*subscriber]struct{} // by Filter.NodeIDs: the primary node
	related map[string]map[*subscriber]struct{} // by Filter.RelatedIDs: the primary or a related node
	pass    uint64
	out     []*subscriber
}

func newSubIndex() subIndex {
	return subIndex{scan: map[*subscriber]struct{}{}, primary: map[string]map[*subscriber]struct{}{},
		related: map[string]map[*subscriber]struct{}{}}
}

// keys answers the map s is kept in and under which ids (none: scan).
func (x *subIndex) keys(s *subscriber) (map[string]map[*subscriber]struct{}, []string) {
	switch {
	case len(s.f.NodeIDs) > 0:
		return x.primary, s.f.NodeIDs
	case len(s.f.RelatedIDs) > 0:
		return x.related, s.f.RelatedIDs
	}
	return nil, nil
}

func (x *subIndex) add(s *subscriber) {
	m, ids := x.keys(s)
	if m == nil {
		x.scan[s] = struct{}{}
		return
	}
	for _, id := range ids {
		set := m[id]
		if set == nil {
			set = map[*subscriber]struct{}{}
			m[id] = set
		}
		set[s] = struct{}{}
	}
}

func (x *subIndex) remove(s *subscriber) {
	m, ids := x.keys(s)
	if m == nil {
		delete(x.scan, s)
		return
	}
	for _, id := range ids {
		if set := m[id]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(m, id)
			}
		}
	}
}

// candidates answers the subscribers entries may concern, each once (the slice is reused by
// the next call).
func (x *subIndex) candidates(entries []*entry) []*subscriber {
	x.pass++
	x.out = x.out[:0]
	take := func(set map[*subscriber]struct{}) {
		for s := range set {
			if s.mark != x.pass {
				s.mark = x.pass
				x.out = append(x.out, s)
			}
		}
	}
	take(x.scan)
	if len(x.primary) == 0 && len(x.related) == 0 {
		return x.out
	}
	for _, e := range entries {
		for i := range e.events {
			ev := &e.events[i]
			if ev.PrimaryNode != nil {
				take(x.primary[ev.PrimaryNode.ID])
				take(x.related[ev.PrimaryNode.ID])
			}
			if len(x.related) > 0 {
				for _, r := range ev.RelatedNodes {
					take(x.related[r.ID])
				}
			}
		}
	}
	return x.out
}
