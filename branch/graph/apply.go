package graph

import (
	"fmt"
	"slices"
	"time"
)

// Op is what a Change does.
type Op uint8

// Operations of a Change. The fields of Change each one uses are listed.
const (
	_             Op = iota
	OpCreate         // Node, Kind: the node exists from this position on
	OpDelete         // Node: the node no longer exists (its slots are left as they are)
	OpSetAttr        // Node, Field, Value: set an attribute (Value.Data and Value.Lineage)
	OpSetPeers       // Node, Field, Value.Peers, Value.Lineage: replace a relationship's peer set
	OpAddPeers       // Node, Field, Value.Peers: add peers to the set (lineage kept)
	OpRemovePeers    // Node, Field, Value.Peers: remove peers from the set (lineage kept)
	OpClear          // Node, Field: the slot no longer has a value
	OpClaim          // Kind, Constraint, Key, Node: Node holds this unique value
	OpRelease        // Kind, Constraint, Key: nobody holds this unique value any more
	opEnd
)

// Change is one fact to fold into the state.
type Change struct {
	Op         Op
	Node       NodeID
	Kind       KindID
	Field      FieldID
	Value      Value
	Constraint ConstraintID
	Key        string
	// Global applies the change to the global overlay whatever the branch of the batch: a
	// branch-agnostic attribute or relationship of a branch-aware node, or a branch-agnostic node
	// written in the same batch as branch-aware ones.
	Global bool
}

// Apply folds changes made on branch (Main, Global or a created branch) at log position into
// the state; recordedAt is when the position was written, for PositionAt.
//
// Positions are the log's global positions: every Apply must carry a position greater than the
// previous one, whatever the branch. A position that does not grow is refused with
// ErrPositionOrder (a projection replaying must skip what it has seen); an unknown branch with
// ErrBranchNotFound; a change with an unknown Op with ErrInvalidChange. Refusals happen before
// anything changes, so a batch is applied whole or not at all. Changes in one batch apply in
// order; two changes to one slot at one position leave only the last in the history.
//
// A recordedAt earlier than the previous one (clock skew between writers) is stored as the
// previous one, so that time stays sorted and PositionAt stays a binary search.
//
// Semantic no-ops are ignored, not refused: deleting a node that does not exist, creating one
// that exists (its kind is updated, counts are not). Writing a branch-agnostic node on a branch
// is the caller's mistake: the global overlay is read first, so such writes are hidden.
func (s *State) Apply(branch string, position int64, recordedAt time.Time, changes ...Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if position <= s.position {
		return fmt.Errorf("%w: %d after %d", ErrPositionOrder, position, s.position)
	}
	var ov *overlayState
	switch branch {
	case Main:
	case Global:
		ov = s.global
	default:
		b, ok := s.branches[branch]
		if !ok {
			return fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
		}
		ov = b
	}
	for i := range changes {
		if op := changes[i].Op; op == 0 || op >= opEnd {
			return fmt.Errorf("%w: change %d: op %d", ErrInvalidChange, i, op)
		}
	}
	s.position = position
	if last, ok := s.times.last(); ok && recordedAt.Before(last) {
		recordedAt = last
	}
	s.times.push(position, recordedAt)

	// Reads through v see the writes of earlier changes of the batch (same position).
	v := view{s: s}
	if ov != nil && ov != s.global {
		v.ov = ov
	}
	if ov == nil {
		s.main.warm(changes)
	}
	for i := 0; i < len(changes); {
		c := &changes[i] // not copied: a Change is ~150 bytes and a node's creation is ~15 of them
		if c.Global {
			s.apply(view{s: s}, s.global, position, c)
			i++
			continue
		}
		if ov == nil && c.Op == OpSetAttr { // main: a run of sets to one node goes in one step
			j := i + 1
			for j < len(changes) && changes[j].Op == OpSetAttr && !changes[j].Global && changes[j].Node == c.Node {
				j++
			}
			s.main.slots.setAttrs(changes[i:j], position)
			i = j
			continue
		}
		s.apply(v, ov, position, c)
		i++
	}
	return nil
}

func (s *State) apply(v view, ov *overlayState, pos int64, c *Change) {
	switch c.Op {
	case OpCreate:
		var prev version[KindID]
		var ok bool
		if ov == nil && len(s.global.nodes.m[c.Node]) == 0 {
			// What v reads is main's head, which setNode replaces: one lookup of the node, not two.
			prev, ok = s.setNode(ov, c.Node, version[KindID]{pos: pos, val: c.Kind})
		} else {
			prev, ok = v.node(c.Node, pos)
			s.setNode(ov, c.Node, version[KindID]{pos: pos, val: c.Kind})
		}
		alive := ok && !prev.deleted
		if alive && prev.val != c.Kind {
			s.count(ov, prev.val, pos, -1)
			alive = false
		}
		if !alive {
			s.count(ov, c.Kind, pos, +1)
		}
	case OpDelete:
		prev, ok := v.node(c.Node, pos)
		if !ok || prev.deleted {
			return
		}
		s.setNode(ov, c.Node, version[KindID]{pos: pos, val: prev.val, deleted: true})
		s.count(ov, prev.val, pos, -1)
	case OpSetAttr:
		s.setSlot(ov, Slot{c.Node, c.Field}, version[Value]{pos: pos, val: Value{Data: c.Value.Data, Lineage: c.Value.Lineage}})
	case OpSetPeers:
		sl := Slot{c.Node, c.Field}
		next := peerSet(c.Value.Peers)
		for _, p := range v.peers(sl, pos) {
			if _, keep := slices.BinarySearchFunc(next, p, NodeID.Compare); !keep {
				s.setEdge(ov, edgeKey{sl, p}, pos, true)
			}
		}
		for _, p := range next {
			s.setEdge(ov, edgeKey{sl, p}, pos, false)
		}
		s.setSlot(ov, sl, version[Value]{pos: pos, val: Value{Lineage: c.Value.Lineage}})
	case OpAddPeers, OpRemovePeers:
		sl := Slot{c.Node, c.Field}
		for _, p := range c.Value.Peers {
			s.setEdge(ov, edgeKey{sl, p}, pos, c.Op == OpRemovePeers)
		}
	case OpClear:
		sl := Slot{c.Node, c.Field}
		for _, p := range v.peers(sl, pos) {
			s.setEdge(ov, edgeKey{sl, p}, pos, true)
		}
		s.setSlot(ov, sl, version[Value]{pos: pos, deleted: true})
	case OpClaim:
		s.setUnique(ov, uniqueKey{c.Kind, c.Constraint, c.Key}, version[NodeID]{pos: pos, val: c.Node})
	case OpRelease:
		s.setUnique(ov, uniqueKey{c.Kind, c.Constraint, c.Key}, version[NodeID]{pos: pos, deleted: true})
	}
}

func (s *State) setSlot(ov *overlayState, k Slot, v version[Value]) {
	if ov == nil {
		s.main.slots.set(k, v)
		return
	}
	ov.slots.set(k, v)
}

// setEdge records an edge's presence (or removal) and keeps the slot's index of peers.
func (s *State) setEdge(ov *overlayState, k edgeKey, pos int64, removed bool) {
	v := version[struct{}]{pos: pos, deleted: removed}
	if ov == nil {
		s.main.edges.set(k, v)
		return
	}
	ov.edges.set(k, v)
	if !removed {
		if ov.peers == nil {
			ov.peers = map[Slot][]NodeID{}
		}
		ov.peers[k.Slot] = insertSorted(ov.peers[k.Slot], k.Peer)
	}
}

func (s *State) setUnique(ov *overlayState, k uniqueKey, v version[NodeID]) {
	if ov == nil {
		s.main.unique.set(k, v)
		return
	}
	ov.unique.set(k, v)
}

// setNode records existence and keeps the per-kind index of candidates for listing. On main,
// it returns the head it replaced (ok false: none).
func (s *State) setNode(ov *overlayState, id NodeID, v version[KindID]) (prev version[KindID], ok bool) {
	if ov == nil {
		prev, ok = s.main.nodes.set(id, v)
		if !v.deleted {
			s.main.index[v.val] = insertSorted(s.main.index[v.val], id)
		}
		return prev, ok
	}
	ov.nodes.set(id, v)
	if !v.deleted {
		if ov.added == nil {
			ov.added = map[KindID][]NodeID{}
		}
		ov.added[v.val] = insertSorted(ov.added[v.val], id)
	}
	return version[KindID]{}, false
}

func (s *State) count(ov *overlayState, kind KindID, pos, delta int64) {
	counts := s.main.counts
	if ov != nil {
		if ov.counts == nil {
			ov.counts = map[KindID]*counter{}
		}
		counts = ov.counts
	}
	c := counts[kind]
	if c == nil {
		c = &counter{}
		counts[kind] = c
	}
	c.add(pos, delta)
}
