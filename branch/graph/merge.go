package graph

import (
	"fmt"
	"math"
	"slices"
)

// UniqueDiff is one unique value the branch claimed or released: who holds it at the base, at
// the end of the branch and on main's head (zero: nobody). Conflict is set when both sides end
// with different holders: combined, two nodes would share a unique value.
type UniqueDiff struct {
	Kind        KindID
	Constraint  ConstraintID
	Key         string
	Base        NodeID
	Branch      NodeID
	Main        NodeID
	MainChanged bool
	Conflict    bool
}

// uniqueDiffs compares the unique values the branch changed with main. Called with s.mu held.
func (s *State) uniqueDiffs(b *overlayState) []UniqueDiff {
	var out []UniqueDiff
	holder := func(v version[NodeID], ok bool) NodeID {
		if !ok || v.deleted {
			return NodeID{}
		}
		return v.val
	}
	for k := range b.unique.m {
		fin, ok := b.unique.final(k)
		u := UniqueDiff{Kind: k.kind, Constraint: k.constraint, Key: k.key, Branch: holder(fin, ok)}
		u.Base = holder(s.main.unique.at(k, b.base))
		if u.Branch == u.Base {
			continue
		}
		u.Main = holder(s.main.unique.head(k))
		u.MainChanged = u.Main != u.Base
		u.Conflict = u.MainChanged && !u.Main.IsZero() && !u.Branch.IsZero() && u.Main != u.Branch
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b UniqueDiff) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		if a.Constraint != b.Constraint {
			return int(a.Constraint) - int(b.Constraint)
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out
}

// MergeSpec tells MergeChanges how to treat what both sides changed.
type MergeSpec struct {
	// KeepMain lists the slots, nodes and unique values whose conflicts were resolved for main
	// (the base branch): the branch's change to them is not merged.
	KeepMain       map[Slot]bool
	KeepMainNodes  map[NodeID]bool
	KeepMainUnique func(u UniqueDiff) bool
	// WholeSet reports the relationship slots that merge as a whole peer set (cardinality one),
	// given the kind of their node: main's head then ends with exactly the branch's peers. Other
	// slots merge edge by edge. It is called with the State locked: it must not call it.
	WholeSet func(sl Slot, kind KindID) bool
	// Mirror is the far end's field of a relationship field (for WholeSet slots, whose removed
	// peers must lose their mirror edge too); false when the field has none.
	Mirror func(FieldID) (FieldID, bool)
}

// MergeChanges is what merging branch into main writes on main: the branch's final version of
// every node, slot, edge and unique value it changed, where main's head differs from it. The
// order is safe to apply as one batch: creations, slots and edges, releases, claims, deletions.
// Cost: what the branch changed, never the size of main.
func (s *State) MergeChanges(branch string, spec MergeSpec) ([]Change, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.branches[branch]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	mv, bv := view{s: s}, view{s: s, ov: b}
	var creates, sets, releases, claims, deletes []Change

	for _, id := range sortedKeys(b.nodes.m, NodeID.Compare) {
		if spec.KeepMainNodes[id] {
			continue
		}
		fin, _ := b.nodes.final(id)
		if was, ok := s.main.nodes.at(id, b.base); ok && was.deleted == fin.deleted && was.val == fin.val {
			continue // no net change on the branch
		}
		head, ok := s.main.nodes.head(id)
		alive := ok && !head.deleted
		switch {
		case fin.deleted && alive:
			deletes = append(deletes, Change{Op: OpDelete, Node: id})
		case !fin.deleted && (!alive || head.val != fin.val):
			creates = append(creates, Change{Op: OpCreate, Node: id, Kind: fin.val})
		}
	}

	for _, sl := range sortedKeys(b.slots.m, Slot.compare) {
		if spec.KeepMain[sl] {
			continue
		}
		fin, _ := b.slots.final(sl)
		finSide := Side{fin.val, !fin.deleted}.norm()
		was, ok := s.main.slots.at(sl, b.base)
		if finSide.equal(Side{was.val, ok && !was.deleted}) {
			continue // no net change on the branch
		}
		head, ok := s.main.slots.head(sl)
		headSide := Side{head.val, ok && !head.deleted}.norm()
		if headSide.Present && finSide.Present && headSide.Value.Equal(finSide.Value) {
			continue
		}
		switch {
		case !finSide.Present:
			if !headSide.Present {
				break
			}
			if len(mv.peers(sl, math.MaxInt64)) == 0 {
				sets = append(sets, Change{Op: OpClear, Node: sl.Node, Field: sl.Field})
			} else {
				// A clear would drop main's edges too: they merge one by one below, so only
				// the lineage is emptied here.
				sets = append(sets, Change{Op: OpSetAttr, Node: sl.Node, Field: sl.Field})
			}
		default:
			sets = append(sets, Change{Op: OpSetAttr, Node: sl.Node, Field: sl.Field,
				Value: Value{Data: fin.val.Data, Lineage: fin.val.Lineage}})
		}
	}

	whole := map[Slot]bool{}
	for _, k := range sortedKeys(b.edges.m, edgeKey.compare) {
		if spec.KeepMain[k.Slot] {
			continue
		}
		if spec.WholeSet != nil && spec.WholeSet(k.Slot, kindOf(bv, k.Slot.Node)) {
			whole[k.Slot] = true
			continue
		}
		fin, _ := b.edges.final(k)
		if was, ok := s.main.edges.at(k, b.base); ok && was.deleted == fin.deleted || !ok && fin.deleted {
			continue // no net change on the branch
		}
		head, ok := s.main.edges.head(k)
		present := ok && !head.deleted
		if fin.deleted && present {
			sets = append(sets, Change{Op: OpRemovePeers, Node: k.Slot.Node, Field: k.Slot.Field, Value: Value{Peers: []NodeID{k.Peer}}})
		} else if !fin.deleted && !present {
			sets = append(sets, Change{Op: OpAddPeers, Node: k.Slot.Node, Field: k.Slot.Field, Value: Value{Peers: []NodeID{k.Peer}}})
		}
	}
	for _, sl := range sortedKeys(whole, Slot.compare) {
		want := bv.peers(sl, math.MaxInt64)
		if slices.Equal(want, mv.peers(sl, b.base)) {
			continue // no net change on the branch
		}
		have := mv.peers(sl, math.MaxInt64)
		mirror, hasMirror := FieldID(0), false
		if spec.Mirror != nil {
			mirror, hasMirror = spec.Mirror(sl.Field)
		}
		for _, p := range have {
			if _, keep := slices.BinarySearchFunc(want, p, NodeID.Compare); keep {
				continue
			}
			sets = append(sets, Change{Op: OpRemovePeers, Node: sl.Node, Field: sl.Field, Value: Value{Peers: []NodeID{p}}})
			if hasMirror {
				sets = append(sets, Change{Op: OpRemovePeers, Node: p, Field: mirror, Value: Value{Peers: []NodeID{sl.Node}}})
			}
		}
		for _, p := range want {
			if _, there := slices.BinarySearchFunc(have, p, NodeID.Compare); there {
				continue
			}
			sets = append(sets, Change{Op: OpAddPeers, Node: sl.Node, Field: sl.Field, Value: Value{Peers: []NodeID{p}}})
			if hasMirror {
				sets = append(sets, Change{Op: OpAddPeers, Node: p, Field: mirror, Value: Value{Peers: []NodeID{sl.Node}}})
			}
		}
	}

	for _, u := range s.uniqueDiffs(b) {
		if spec.KeepMainUnique != nil && spec.KeepMainUnique(u) {
			continue
		}
		switch {
		case u.Branch.IsZero():
			// A release merges only while main still gives the value to the base's holder:
			// otherwise main handed it on, and the new holder keeps it.
			if !u.MainChanged && !u.Main.IsZero() {
				releases = append(releases, Change{Op: OpRelease, Kind: u.Kind, Constraint: u.Constraint, Key: u.Key})
			}
		case u.Main != u.Branch:
			claims = append(claims, Change{Op: OpClaim, Kind: u.Kind, Constraint: u.Constraint, Key: u.Key, Node: u.Branch})
		}
	}
	out := slices.Concat(creates, sets, releases, claims, deletes)
	return out, nil
}

// kindOf is a node's kind on a branch, or on main when the branch no longer has it.
func kindOf(bv view, id NodeID) KindID {
	if r, ok := bv.node(id, math.MaxInt64); ok {
		return r.val
	}
	if r, ok := bv.s.main.nodes.head(id); ok {
		return r.val
	}
	return 0
}

func (k edgeKey) compare(o edgeKey) int {
	if c := k.Slot.compare(o.Slot); c != 0 {
		return c
	}
	return k.Peer.Compare(o.Peer)
}

// sortedKeys returns a map's keys in order, so that merges are deterministic.
func sortedKeys[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, cmp)
	return out
}

// Rebase moves a branch's base to main's position base (at most the last applied position):
// the branch then sees main as of base plus its own changes. Entries of the branch that now
// equal what main holds at base stay (they are simply no longer part of its diff).
func (s *State) Rebase(branch string, base int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.branches[branch]
	if !ok {
		return fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	if base > s.position {
		return fmt.Errorf("%w: %d > %d", ErrBaseInTheFuture, base, s.position)
	}
	b.base = base
	return nil
}

// RevertChanges is what to write on a branch so that the given slots, and the existence of the
// given nodes, read as on main's head again (the conflicts a rebase resolves for main).
// Relationship slots whose WholeSet is true are set to main's peer set with their mirrors;
// other slots get main's value.
func (s *State) RevertChanges(branch string, slots []Slot, nodes []NodeID, spec MergeSpec) ([]Change, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.branches[branch]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	mv, bv := view{s: s}, view{s: s, ov: b}
	var out []Change
	for _, id := range nodes {
		head, ok := s.main.nodes.head(id)
		if ok && !head.deleted {
			out = append(out, Change{Op: OpCreate, Node: id, Kind: head.val})
		} else {
			out = append(out, Change{Op: OpDelete, Node: id})
		}
	}
	for _, sl := range slots {
		if spec.WholeSet != nil && spec.WholeSet(sl, kindOf(bv, sl.Node)) {
			want := mv.peers(sl, math.MaxInt64)
			have := bv.peers(sl, math.MaxInt64)
			mirror, hasMirror := FieldID(0), false
			if spec.Mirror != nil {
				mirror, hasMirror = spec.Mirror(sl.Field)
			}
			for _, p := range have {
				if !slices.Contains(want, p) {
					out = append(out, Change{Op: OpRemovePeers, Node: sl.Node, Field: sl.Field, Value: Value{Peers: []NodeID{p}}})
					if hasMirror {
						out = append(out, Change{Op: OpRemovePeers, Node: p, Field: mirror, Value: Value{Peers: []NodeID{sl.Node}}})
					}
				}
			}
			for _, p := range want {
				if !slices.Contains(have, p) {
					out = append(out, Change{Op: OpAddPeers, Node: sl.Node, Field: sl.Field, Value: Value{Peers: []NodeID{p}}})
					if hasMirror {
						out = append(out, Change{Op: OpAddPeers, Node: p, Field: mirror, Value: Value{Peers: []NodeID{sl.Node}}})
					}
				}
			}
			continue
		}
		head, ok := s.main.slots.head(sl)
		if ok && !head.deleted {
			out = append(out, Change{Op: OpSetAttr, Node: sl.Node, Field: sl.Field, Value: Value{Data: head.val.Data, Lineage: head.val.Lineage}})
		} else {
			out = append(out, Change{Op: OpClear, Node: sl.Node, Field: sl.Field})
		}
	}
	return out, nil
}
