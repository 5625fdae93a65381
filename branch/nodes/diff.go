package nodes

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// conflictID is the stable id of a conflict of a branch.
func conflictID(branchName string, parts ...string) string {
	h := sha1.Sum([]byte(branchName + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:10])
}

// Diff computes a branch's diff from its overlay: its cost grows with what the branch changed,
// not with the size of the data.
func (s *Store) Diff(name string) (branch.Diff, error) { return s.diff(name, true) }

// Conflicts is a branch's diff as far as its conflicts go: Conflicts and Counts are Diff's, its
// nodes lack what only a reader of them looks at (labels, parents, when they changed, their
// order, the properties and peer labels of their changes). A merge asks it which conflicts are
// resolved, without the rest of the work of a diff of many changes.
func (s *Store) Conflicts(name string) (branch.Diff, error) { return s.diff(name, false) }

// diff is Diff, or Conflicts when full is false.
func (s *Store) diff(name string, full bool) (branch.Diff, error) {
	info, ok := s.branches.Branch(name)
	if !ok {
		return branch.Diff{}, fmt.Errorf("%w: %q", branch.ErrNotFound, name)
	}
	if info.IsDefault {
		return branch.Diff{}, fmt.Errorf("%w: the default branch %q has no diff", fault.ErrInvalid, name)
	}
	bv, err := s.View(name, 0)
	if err != nil {
		return branch.Diff{}, err
	}
	mv, err := s.View(branch.Default, 0)
	if err != nil {
		return branch.Diff{}, err
	}
	gd, err := s.g.Diff(name)
	if err != nil {
		return branch.Diff{}, err
	}
	base := events.Position(gd.Base) // branch/graph counts positions as int64
	resolved := s.branches.Resolutions(name)
	d := branch.Diff{Branch: name, BranchedFrom: info.BranchedFrom, Nodes: []branch.NodeDiff{}, Conflicts: []branch.Conflict{}}
	d.FromTime, _ = s.RecordedAt(base)
	d.ToTime, _ = s.RecordedAt(bv.Position)
	byNode := map[graph.NodeID]*branch.NodeDiff{}
	var order []graph.NodeID
	node := func(id graph.NodeID) *branch.NodeDiff {
		if n, ok := byNode[id]; ok {
			return n
		}
		kind, ok := bv.Kind(id)
		if !ok {
			kind, _ = mv.Kind(id)
			if kind == "" {
				kind = s.kindAtBase(id, base)
			}
		}
		n := &branch.NodeDiff{ID: id.String(), Kind: kind, Action: branch.ActionUpdated}
		if full {
			if ok {
				n.Label = bv.DisplayLabel(id)
			} else {
				n.Label = mv.DisplayLabel(id)
			}
			if _, updated := bv.Meta(id); ok && !updated.At.IsZero() {
				n.ChangedAt = updated.At
			}
		}
		byNode[id] = n
		order = append(order, id)
		return n
	}
	addConflict := func(c branch.Conflict) string {
		c.Selected = resolved[c.ID]
		d.Conflicts = append(d.Conflicts, c)
		return c.ID
	}
	for _, nd := range gd.Nodes {
		n := node(nd.Node)
		n.Kind = s.kinds.Name(uint32(nd.Kind))
		switch {
		case nd.Branch && !nd.Base:
			n.Action = branch.ActionAdded
		case !nd.Branch && nd.Base:
			n.Action = branch.ActionRemoved
		}
		n.MainChanged = nd.MainChanged
		if nd.Conflict {
			n.Conflict = addConflict(branch.Conflict{ID: conflictID(name, nd.Node.String()), Node: n.ID, Kind: n.Kind, Path: "node",
				Base: nd.Base, Main: nd.Main, Branch: nd.Branch, Ref: branch.ConflictRef{Node: n.ID}})
		}
	}
	for _, sd := range gd.Slots {
		field := s.fields.Name(uint32(sd.Slot.Field))
		switch {
		case strings.HasPrefix(field, "a:"):
			n := node(sd.Slot.Node)
			a := branch.AttrDiff{Name: field[2:], Previous: sideValue(sd.Base), New: sideValue(sd.Branch), MainChanged: sd.MainChanged}
			if full {
				a.Properties = propChanges(sd.Base, sd.Branch)
			}
			if sd.MainChanged {
				a.Main = sideValue(sd.Main)
				n.MainChanged = true
			}
			if sd.Conflict {
				a.Conflict = addConflict(branch.Conflict{ID: conflictID(name, n.ID, field), Node: n.ID, Kind: n.Kind, Path: a.Name,
					Base: a.Previous, Main: a.Main, Branch: a.New, Ref: branch.ConflictRef{Node: n.ID, Field: field}})
			}
			n.Attributes = append(n.Attributes, a)
		case strings.HasPrefix(field, "r:"):
			n := node(sd.Slot.Node)
			rel := relationOf(bv.Schema, n.Kind, field)
			if rel == nil {
				rel = relationOf(mv.Schema, n.Kind, field)
			}
			if rel == nil {
				continue // the far end of a relationship this kind does not declare
			}
			r := branch.RelDiff{Name: rel.Name, Cardinality: rel.Cardinality, MainChanged: sd.MainChanged}
			r.Added, r.Removed = peerChanges(sd.Base.Value.Peers, sd.Branch.Value.Peers)
			if len(r.Added)+len(r.Removed) == 0 {
				continue // only the relationship's properties changed
			}
			r.Labels = map[string]string{}
			for _, p := range append(slices.Clone(r.Added), r.Removed...) {
				if !full {
					break // a merge does not read them
				}
				r.Labels[p] = peerLabel(bv, mv, p)
			}
			if sd.MainChanged {
				n.MainChanged = true
			}
			// A cardinality-many relationship merges peer by peer: both sides adding or
			// removing different peers is no conflict.
			if sd.Conflict && r.Cardinality == "one" {
				r.Conflict = addConflict(branch.Conflict{ID: conflictID(name, n.ID, field), Node: n.ID, Kind: n.Kind, Path: r.Name,
					Base: peerList(sd.Base.Value.Peers), Main: peerList(sd.Main.Value.Peers), Branch: peerList(sd.Branch.Value.Peers),
					Ref: branch.ConflictRef{Node: n.ID, Field: field}})
			}
			n.Relationships = append(n.Relationships, r)
		}
	}
	for _, u := range gd.Uniques {
		if !u.Conflict {
			continue
		}
		kind, constraint := s.kinds.Name(uint32(u.Kind)), s.constraints.Name(uint32(u.Constraint))
		addConflict(branch.Conflict{ID: conflictID(name, kind, constraint, u.Key), Kind: kind, Path: constraint,
			Constraint: constraint, Key: u.Key, Base: idOrNil(u.Base), Main: idOrNil(u.Main), Branch: idOrNil(u.Branch),
			Ref: branch.ConflictRef{Kind: kind, Constraint: constraint, Key: u.Key}})
	}
	// A node deleted on one side and changed on the other is a conflict too.
	var baseView *View
	for _, id := range order {
		n := byNode[id]
		if n.Conflict != "" {
			continue
		}
		switch n.Action {
		case branch.ActionRemoved:
			if baseView == nil {
				if baseView, err = s.View(branch.Default, base); err != nil {
					return branch.Diff{}, err
				}
			}
			if _, alive := mv.Kind(id); alive && changedSince(baseView, mv, id, n.Kind) {
				n.MainChanged = true
				n.Conflict = addConflict(branch.Conflict{ID: conflictID(name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "changed", Branch: "deleted", Ref: branch.ConflictRef{Node: n.ID}})
			}
		case branch.ActionUpdated:
			if _, alive := mv.Kind(id); !alive {
				n.MainChanged = true
				n.Conflict = addConflict(branch.Conflict{ID: conflictID(name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "deleted", Branch: "changed", Ref: branch.ConflictRef{Node: n.ID}})
			}
		}
	}
	for _, id := range order {
		n := byNode[id]
		if full {
			if n.ChangedAt.IsZero() {
				n.ChangedAt = d.ToTime
			}
			n.Parent = parentOf(bv, mv, id, n.Kind)
		}
		if n.Action == branch.ActionUpdated && len(n.Attributes)+len(n.Relationships) == 0 && n.Conflict == "" {
			continue // only its metadata or relationship properties changed
		}
		switch n.Action {
		case branch.ActionAdded:
			d.Counts.Added++
		case branch.ActionRemoved:
			d.Counts.Removed++
		default:
			d.Counts.Updated++
		}
		d.Nodes = append(d.Nodes, *n)
	}
	if full {
		slices.SortFunc(d.Nodes, func(a, b branch.NodeDiff) int {
			if c := strings.Compare(a.Kind, b.Kind); c != 0 {
				return c
			}
			if c := strings.Compare(a.Label, b.Label); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	d.Counts.Conflicts = len(d.Conflicts)
	for _, c := range d.Conflicts {
		if c.Selected == "" {
			d.Counts.Unresolved++
		}
	}
	return d, nil
}

// changedSince reports whether the default branch changed a node between two Views: its
// metadata (any attribute write) or the peers of any of its relationships (a peer linked from
// the other end, a component added).
func changedSince(base, head *View, id graph.NodeID, kind string) bool {
	before, _ := base.get(id, FieldUpdated)
	now, _ := head.get(id, FieldUpdated)
	if !before.Equal(now) {
		return true
	}
	n, ok := head.Schema.Node(kind)
	if !ok {
		return false
	}
	for _, r := range n.Relationships {
		f := RelField(r.Identifier, r.Direction)
		if !slices.Equal(base.Peers(id, f), head.Peers(id, f)) {
			return true
		}
	}
	return false
}

// kindAtBase is the kind of a node that no longer exists on either side.
func (s *Store) kindAtBase(id graph.NodeID, base events.Position) string {
	v, err := s.View(branch.Default, base)
	if err != nil {
		return ""
	}
	k, _ := v.Kind(id)
	return k
}

// CardOne reports, for a merge, which relationship ends of a schema have cardinality one: by
// the kind of the node and the stored field (both ends of a bidirectional relationship share
// one field name, with their own cardinalities).
func CardOne(set *schema.Set) func(kind, field string) bool {
	one := map[[2]string]bool{}
	for _, n := range set.Nodes() {
		for _, r := range n.Relationships {
			if r.Cardinality == "one" {
				one[[2]string{n.Kind, RelField(r.Identifier, r.Direction)}] = true
			}
		}
	}
	return func(kind, field string) bool { return one[[2]string{kind, field}] }
}

// propChanges lists the lineage properties that differ between two sides of an attribute.
func propChanges(before, after graph.Side) []branch.PropDiff {
	var out []branch.PropDiff
	b, a := before.Value.Lineage, after.Value.Lineage
	if b.IsProtected != a.IsProtected {
		out = append(out, branch.PropDiff{Name: "is_protected", Previous: b.IsProtected, New: a.IsProtected})
	}
	if b.Source != a.Source {
		out = append(out, branch.PropDiff{Name: "source", Previous: idOrNil(b.Source), New: idOrNil(a.Source)})
	}
	if b.Owner != a.Owner {
		out = append(out, branch.PropDiff{Name: "owner", Previous: idOrNil(b.Owner), New: idOrNil(a.Owner)})
	}
	return out
}

// parentOf is a component's parent: the peer of its kind's Parent relationship, on the branch or,
// for a removed node, on the default branch.
func parentOf(bv, mv *View, id graph.NodeID, kind string) *branch.DiffParent {
	for _, v := range []*View{bv, mv} {
		n, ok := v.Schema.Node(kind)
		if !ok {
			continue
		}
		for _, r := range n.Relationships {
			if r.Kind != "Parent" {
				continue
			}
			if peers := v.Peers(id, RelField(r.Identifier, r.Direction)); len(peers) > 0 {
				pk, _ := v.Kind(peers[0])
				if pk == "" {
					pk = r.Peer
				}
				rel := r.Name
				if pn, ok := v.Schema.Node(pk); ok {
					for _, back := range pn.Relationships {
						if back.Identifier == r.Identifier {
							rel = back.Name // the parent's name for its components
						}
					}
				}
				return &branch.DiffParent{ID: peers[0].String(), Kind: pk, Relationship: rel}
			}
		}
	}
	return nil
}

func relationOf(set *schema.Set, kind, field string) *schema.Relationship {
	if set == nil {
		return nil
	}
	n, ok := set.Node(kind)
	if !ok {
		return nil
	}
	for _, r := range n.Relationships {
		if RelField(r.Identifier, r.Direction) == field {
			return r
		}
	}
	return nil
}

func sideValue(s graph.Side) any {
	if !s.Present {
		return nil
	}
	return s.Value.Data
}

func peerChanges(before, after []graph.NodeID) (added, removed []string) {
	for _, p := range after {
		if !slices.Contains(before, p) {
			added = append(added, p.String())
		}
	}
	for _, p := range before {
		if !slices.Contains(after, p) {
			removed = append(removed, p.String())
		}
	}
	return added, removed
}

func peerList(ps []graph.NodeID) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func idOrNil(id graph.NodeID) any {
	if id.IsZero() {
		return nil
	}
	return id.String()
}

// peerLabel is the display label of a peer of a relationship diff: the branch's, else main's.
func peerLabel(bv, mv *View, peer string) string {
	id, _ := graph.ParseNodeID(peer)
	if l := bv.DisplayLabel(id); l != "" {
		return l
	}
	return mv.DisplayLabel(id)
}
