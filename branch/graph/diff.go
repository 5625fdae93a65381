package graph

import (
	"fmt"
	"math"
	"slices"
)

// Side is a value as one side of a diff sees it; Present is false when absent or cleared.
type Side struct {
	Value   Value
	Present bool
}

// equal compares two sides as a user sees them: an empty value is no value, and whether a
// value came from the schema's default does not make it another value.
func (a Side) equal(b Side) bool {
	a, b = a.norm(), b.norm()
	return a.Present == b.Present && (!a.Present || a.Value.Equal(b.Value))
}

func (a Side) norm() Side {
	a.Value.Lineage.IsDefault = false
	if a.Present && a.Value.Data == nil && len(a.Value.Peers) == 0 && a.Value.Lineage == (Lineage{}) {
		return Side{}
	}
	return a
}

// SlotDiff is one slot the branch changed: main's value at the branch's base, the branch's
// final value, and main's head. MainChanged is true when main's head differs from its value at
// the base; Conflict when both sides changed the slot to different final values.
type SlotDiff struct {
	Slot        Slot
	Base        Side
	Branch      Side
	Main        Side
	MainChanged bool
	Conflict    bool
}

// NodeDiff is one node the branch created or deleted: whether it exists at the base, at the
// end of the branch and on main's head; Conflict when main changed its existence too and the two
// sides end differently.
type NodeDiff struct {
	Node        NodeID
	Kind        KindID
	Base        bool
	Branch      bool
	Main        bool
	MainChanged bool
	Conflict    bool
}

// Diff is what a branch changed since its base and what main did to the same slots and nodes.
type Diff struct {
	Branch  string
	Base    int64
	Slots   []SlotDiff   // sorted by slot
	Nodes   []NodeDiff   // sorted by node id
	Uniques []UniqueDiff // sorted by kind, constraint and key
}

// Conflicts is the number of conflicting slots and nodes.
func (d Diff) Conflicts() int {
	n := 0
	for _, s := range d.Slots {
		if s.Conflict {
			n++
		}
	}
	for _, x := range d.Nodes {
		if x.Conflict {
			n++
		}
	}
	for _, u := range d.Uniques {
		if u.Conflict {
			n++
		}
	}
	return n
}

// Diff compares a branch with main. It walks the branch's overlay only (plus one head read and
// at most one chain search per changed slot on main), so it costs what the branch changed, never
// the size of main. Slots the branch changed and then set back to main's base value are left
// out. Global data is branch-agnostic and never part of a diff.
func (s *State) Diff(branch string) (Diff, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.branches[branch]
	if !ok {
		return Diff{}, fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	d := Diff{Branch: branch, Base: b.base}
	mv, bv := view{s: s}, view{s: s, ov: b}
	side := func(v view, sl Slot, pos int64) Side {
		val, ok := v.value(sl, pos)
		return Side{val, ok}
	}
	visit := func(sl Slot) {
		sd := SlotDiff{Slot: sl, Branch: side(bv, sl, math.MaxInt64), Base: side(mv, sl, b.base)}
		if sd.Branch.equal(sd.Base) {
			return
		}
		sd.Main = side(mv, sl, math.MaxInt64)
		if !sd.Main.equal(sd.Base) {
			sd.MainChanged = true
			sd.Conflict = !sd.Main.equal(sd.Branch)
		}
		d.Slots = append(d.Slots, sd)
	}
	// Visit the slots in order, so that the (large) diffs need no sorting afterwards.
	keys := make([]Slot, 0, len(b.slots.m))
	for sl := range b.slots.m {
		keys = append(keys, sl)
	}
	visited := map[Slot]bool{}
	for k := range b.edges.m {
		if _, seen := b.slots.m[k.Slot]; seen || visited[k.Slot] {
			continue
		}
		visited[k.Slot] = true
		keys = append(keys, k.Slot)
	}
	slices.SortFunc(keys, Slot.compare)
	d.Slots = make([]SlotDiff, 0, len(keys))
	for _, sl := range keys {
		visit(sl)
	}
	for id := range b.nodes.m {
		fin, _ := b.nodes.final(id)
		nd := NodeDiff{Node: id, Kind: fin.val, Branch: !fin.deleted}
		if r, ok := s.main.nodes.at(id, b.base); ok && !r.deleted {
			nd.Base = true
		}
		if nd.Branch == nd.Base {
			continue
		}
		nd.Main = nd.Base
		if h, ok := s.main.nodes.head(id); ok && h.pos > b.base {
			nd.Main = !h.deleted
			nd.MainChanged = nd.Main != nd.Base
			nd.Conflict = nd.MainChanged && nd.Main != nd.Branch
		}
		d.Nodes = append(d.Nodes, nd)
	}
	d.Uniques = s.uniqueDiffs(b)
	slices.SortFunc(d.Nodes, func(a, b NodeDiff) int { return a.Node.Compare(b.Node) })
	return d, nil
}
