package graph

import "slices"

// edgeLayer is the default branch's store of edges, indexed by node: by the node's number in
// main's nodeTable, its relationship fields, each with its peers sorted (every peer
// ever linked there, with the number of the edge's head; a removal is a version). It stands for
// a map entry per edge end plus a sorted candidate list per slot.
type edgeLayer struct {
	t      *nodeTable
	fields chunked[[]edgeField] // by node number in main's nodeTable
	heads  chunked[version[struct{}]]
	hist   map[uint32][]version[struct{}]
	// where the write path's small lists come from (under the State's write lock): a node's
	// first list of fields is as long as the last node's reached (nodes come by kind)
	fieldArena arena[edgeField]
	peerArena  arena[edgePeer]
	lastNode   uint32 // the node whose list of fields was made last, when hasLast
	hasLast    bool
}

// edgeField is one relationship field of a node and its peers, sorted by id.
type edgeField struct {
	field FieldID
	peers []edgePeer
}

type edgePeer struct {
	peer NodeID
	head uint32
}

func newEdgeLayer(t *nodeTable) *edgeLayer {
	return &edgeLayer{t: t, hist: map[uint32][]version[struct{}]{}}
}

// list is the sorted peers of slot sl (nil when none).
func (l *edgeLayer) list(sl Slot) []edgePeer {
	n, ok := l.t.lookup(sl.Node)
	if !ok || int(n) >= l.fields.len() {
		return nil
	}
	for _, f := range *l.fields.at(n) {
		if f.field == sl.Field {
			return f.peers
		}
	}
	return nil
}

func searchPeer(ps []edgePeer, p NodeID) (int, bool) {
	return slices.BinarySearchFunc(ps, p, func(e edgePeer, p NodeID) int { return e.peer.Compare(p) })
}

// of is the relationship fields of node number n (nil when it has none).
func (l *edgeLayer) of(n uint32) []edgeField {
	if int(n) >= l.fields.len() {
		return nil
	}
	return *l.fields.at(n)
}

// find is the head number of edge k.
func (l *edgeLayer) find(k edgeKey) (uint32, bool) {
	ps := l.list(k.Slot)
	if i, ok := searchPeer(ps, k.Peer); ok {
		return ps[i].head, true
	}
	return 0, false
}

// field is the peer list of slot sl, made when missing (the write path).
func (l *edgeLayer) field(sl Slot) *edgeField {
	n := l.t.number(sl.Node)
	if int(n) >= l.fields.len() {
		l.fields.grow(int(n) + 1)
	}
	fs := l.fields.at(n)
	for i := range *fs {
		if (*fs)[i].field == sl.Field {
			return &(*fs)[i]
		}
	}
	if len(*fs) == 0 {
		if l.hasLast {
			l.fieldArena.first = len(*l.fields.at(l.lastNode))
		}
		l.lastNode, l.hasLast = n, true
	}
	*fs = l.fieldArena.append(*fs, edgeField{field: sl.Field})
	return &(*fs)[len(*fs)-1]
}

// insert adds peer p with head number head to f, keeping the order; false when p is there.
func (f *edgeField) insert(p NodeID, head uint32) bool {
	if n := len(f.peers); n == 0 || f.peers[n-1].peer.Compare(p) < 0 { // ids grow: the usual case
		f.peers = append(f.peers, edgePeer{p, head})
		return true
	}
	i, found := searchPeer(f.peers, p)
	if found {
		return false
	}
	f.peers = slices.Insert(f.peers, i, edgePeer{p, head})
	return true
}

// set makes v the head of edge k; a second write at the same position replaces the first.
func (l *edgeLayer) set(k edgeKey, v version[struct{}]) {
	f := l.field(k.Slot)
	if n := len(f.peers); n == 0 || f.peers[n-1].peer.Compare(k.Peer) < 0 { // a new last peer: the usual case
		f.peers = l.peerArena.append(f.peers, edgePeer{k.Peer, l.heads.push(v)})
		return
	}
	if i, ok := searchPeer(f.peers, k.Peer); ok {
		h := l.heads.at(f.peers[i].head)
		if h.pos != v.pos {
			l.hist[f.peers[i].head] = append(l.hist[f.peers[i].head], *h)
		}
		*h = v
		return
	}
	f.insert(k.Peer, l.heads.push(v))
}

func (l *edgeLayer) head(k edgeKey) (version[struct{}], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[struct{}]{}, false
	}
	return *l.heads.at(i), true
}

func (l *edgeLayer) at(k edgeKey, pos int64) (version[struct{}], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[struct{}]{}, false
	}
	return l.version(i, pos)
}

// version is edge head number i at pos.
func (l *edgeLayer) version(i uint32, pos int64) (version[struct{}], bool) {
	if h := l.heads.at(i); h.pos <= pos {
		return *h, true
	}
	return latest(l.hist[i], pos)
}

// keys lists the edges by head number, and the peers of every slot (the snapshot's sections).
func (l *edgeLayer) keys() ([]edgeKey, map[Slot][]NodeID, bool) {
	keys := make([]edgeKey, l.heads.len())
	peers := map[Slot][]NodeID{}
	seen := 0
	for n := range l.fields.len() {
		for _, f := range *l.fields.at(uint32(n)) {
			sl := Slot{l.t.id(uint32(n)), f.field}
			list := make([]NodeID, len(f.peers))
			for i, p := range f.peers {
				if int(p.head) >= len(keys) {
					return nil, nil, false
				}
				keys[p.head] = edgeKey{sl, p.peer}
				list[i] = p.peer
				seen++
			}
			if len(list) > 0 {
				peers[sl] = list
			}
		}
	}
	return keys, peers, seen == len(keys)
}
