package graph

import "encoding/binary"

// nodeTable numbers the nodes main knows of (created there, or holding a slot or an edge there):
// the one index from node id to number (node_index.go), which the slot, edge and node layers of main share, each
// keeping a vector by node number. A node keeps its number for ever.
type nodeTable struct {
	nums nodeIndex
	ids  chunked[NodeID] // by number
	// the two nodes last numbered on the write path (a node and the peer it links to alternate;
	// under the State's write lock)
	recent [2]recentNode
	// nodes numbered before and met again on the write path, by a few bits of their id: the
	// peers many nodes link to (a site, a tag) are met every few nodes, and their places in the
	// index, random in a table of millions, would be a cache miss each time (made on the first
	// such meeting; under the State's write lock)
	hot *[hotNodes]recentNode
}

type recentNode struct {
	id  NodeID
	num uint32
	ok  bool
}

const hotNodes = 256

// hotSlot is the place of id in nodeTable.hot: bits of both halves (a UUIDv7's tail is random,
// test ids may differ in their first bytes only).
func hotSlot(id NodeID) uint32 {
	a, b := binary.LittleEndian.Uint64(id[:8]), binary.LittleEndian.Uint64(id[8:])
	return uint32(((a ^ b) * 0x9e3779b97f4a7c15) >> 56)
}

func newNodeTable(n int) *nodeTable {
	t := &nodeTable{}
	t.nums.reserve(n)
	return t
}

func (t *nodeTable) len() int { return t.ids.len() }

// lookup is id's number, false when main has never seen id (the read path).
func (t *nodeTable) lookup(id NodeID) (uint32, bool) {
	return t.nums.find(id, &t.ids)
}

// number is id's number, given on first use (the write path).
func (t *nodeTable) number(id NodeID) uint32 {
	if r := &t.recent[0]; r.ok && r.id == id {
		return r.num
	}
	if r := t.recent[1]; r.ok && r.id == id {
		t.recent[1], t.recent[0] = t.recent[0], r
		return r.num
	}
	h := hotSlot(id)
	if t.hot != nil {
		if r := t.hot[h]; r.ok && r.id == id {
			t.recent[1], t.recent[0] = t.recent[0], r
			return r.num
		}
	}
	n, fresh := t.nums.insert(id, uint32(t.ids.len()), &t.ids)
	if fresh {
		t.ids.push(id)
	} else { // met again: a node others link to, perhaps
		if t.hot == nil {
			t.hot = new([hotNodes]recentNode)
		}
		t.hot[h] = recentNode{id, n, true}
	}
	t.recent[1], t.recent[0] = t.recent[0], recentNode{id, n, true}
	return n
}

// id is the node of number n.
func (t *nodeTable) id(n uint32) NodeID { return *t.ids.at(n) }

// nodeLayer is main's existence layer: the head version of every node by number (position 0: the
// node was never created or deleted on main) and the older versions of nodes that changed.
type nodeLayer struct {
	t     *nodeTable
	heads chunked[version[KindID]]
	hist  map[uint32][]version[KindID]
}

func newNodeLayer(t *nodeTable) nodeLayer {
	return nodeLayer{t: t, hist: map[uint32][]version[KindID]{}}
}

// set makes v the head and returns the head it replaced (ok false: none); a second write at the
// same position replaces the first.
func (l *nodeLayer) set(id NodeID, v version[KindID]) (prev version[KindID], ok bool) {
	n := l.t.number(id)
	if int(n) >= l.heads.len() {
		l.heads.grow(int(n) + 1)
	}
	h := l.heads.at(n)
	prev, ok = *h, h.pos != 0
	if ok && h.pos != v.pos {
		l.hist[n] = append(l.hist[n], *h)
	}
	*h = v
	return prev, ok
}

func (l *nodeLayer) find(id NodeID) (uint32, *version[KindID]) {
	n, ok := l.t.lookup(id)
	if !ok || int(n) >= l.heads.len() {
		return 0, nil
	}
	if h := l.heads.at(n); h.pos != 0 {
		return n, h
	}
	return 0, nil
}

// head is id's latest version.
func (l *nodeLayer) head(id NodeID) (version[KindID], bool) {
	if _, h := l.find(id); h != nil {
		return *h, true
	}
	return version[KindID]{}, false
}

// at is id's version at pos; the chain is walked only when pos is older than the head.
func (l *nodeLayer) at(id NodeID, pos int64) (version[KindID], bool) {
	n, h := l.find(id)
	if h == nil {
		return version[KindID]{}, false
	}
	if h.pos <= pos {
		return *h, true
	}
	return latest(l.hist[n], pos)
}
