package nodes

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// Diff actions (Infrahub's DiffAction).
const (
	ActionAdded   = "ADDED"
	ActionUpdated = "UPDATED"
	ActionRemoved = "REMOVED"
)

// Diff is what a branch changed since its base, node by node, with what the default branch did
// to the same nodes and the conflicts between the two.
type Diff struct {
	Branch       string `json:"branch"`
	BranchedFrom int64  `json:"branched_from"`
	// FromTime is when the base position was written; ToTime when the last position the diff
	// reflects was.
	FromTime  time.Time  `json:"from_time"`
	ToTime    time.Time  `json:"to_time"`
	Nodes     []NodeDiff `json:"nodes"`
	Conflicts []Conflict `json:"conflicts"`
	Counts    DiffCounts `json:"counts"`
}

// DiffCounts summarises a Diff.
type DiffCounts struct {
	Added      int `json:"added"`
	Updated    int `json:"updated"`
	Removed    int `json:"removed"`
	Conflicts  int `json:"conflicts"`
	Unresolved int `json:"unresolved"`
}

// NodeDiff is one node the branch added, removed or changed.
type NodeDiff struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	Label         string     `json:"label"`
	Action        string     `json:"action"`
	Attributes    []AttrDiff `json:"attributes,omitempty"`
	Relationships []RelDiff  `json:"relationships,omitempty"`
	// MainChanged is true when the default branch changed this node too since the base.
	MainChanged bool `json:"main_changed,omitempty"`
	// ChangedAt is when the branch last wrote the node (the diff's end for a removed node).
	ChangedAt time.Time `json:"changed_at"`
	// Parent is, for a component, the node it belongs to (its Parent relationship), with the
	// parent's name for the relationship.
	Parent   *DiffParent `json:"parent,omitempty"`
	Conflict string      `json:"conflict,omitempty"` // the id of a conflict on the node's existence
}

// DiffParent is the parent of a component in a diff.
type DiffParent struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Relationship string `json:"relationship"` // the name of the Parent relationship
}

// PropDiff is one lineage property of an attribute that changed: is_protected, source or owner.
type PropDiff struct {
	Name     string `json:"name"`
	Previous any    `json:"previous"`
	New      any    `json:"new"`
}

// AttrDiff is one attribute the branch changed: its value at the base and on the branch, and
// on the default branch's head when that changed too.
type AttrDiff struct {
	Name        string `json:"name"`
	Previous    any    `json:"previous"`
	New         any    `json:"new"`
	Main        any    `json:"main,omitempty"`
	MainChanged bool   `json:"main_changed,omitempty"`
	Conflict    string `json:"conflict,omitempty"`
	// Properties lists the lineage properties that changed with (or instead of) the value.
	Properties []PropDiff `json:"properties,omitempty"`
}

// RelDiff is one relationship the branch changed: the peers it added and removed (ids).
type RelDiff struct {
	Name        string   `json:"name"`
	Cardinality string   `json:"cardinality"`
	Added       []string `json:"added,omitempty"`
	Removed     []string `json:"removed,omitempty"`
	// Labels are the display labels of the peers added and removed, by id.
	Labels      map[string]string `json:"labels,omitempty"`
	MainChanged bool              `json:"main_changed,omitempty"`
	Conflict    string            `json:"conflict,omitempty"`
}

// Conflict is something both sides changed differently. Its id is stable: the same conflict has
// the same id in every diff of the branch, so that a resolution outlives recomputation.
type Conflict struct {
	ID         string `json:"id"`
	Node       string `json:"node,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Path       string `json:"path"` // attribute or relationship name, "node" or the unique constraint
	Base       any    `json:"base"`
	Main       any    `json:"main"`
	Branch     any    `json:"branch"`
	Selected   string `json:"selected,omitempty"` // branch.KeepBase, branch.KeepBranch or empty
	Constraint string `json:"constraint,omitempty"`
	Key        string `json:"key,omitempty"`
	ref        ConflictRef
}

// conflictID is the stable id of a conflict of a branch.
func conflictID(branchName string, parts ...string) string {
	h := sha1.Sum([]byte(branchName + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:10])
}

// Diff computes a branch's diff from its overlay: its cost grows with what the branch changed,
// not with the size of the data.
func (s *Store) Diff(name string) (Diff, error) {
	info, ok := s.branches.Branch(name)
	if !ok {
		return Diff{}, fmt.Errorf("%w: %q", branch.ErrNotFound, name)
	}
	if info.IsDefault {
		return Diff{}, fmt.Errorf("%w: the default branch %q has no diff", fault.ErrInvalid, name)
	}
	bv, err := s.View(name, 0)
	if err != nil {
		return Diff{}, err
	}
	mv, err := s.View(branch.Default, 0)
	if err != nil {
		return Diff{}, err
	}
	gd, err := s.g.Diff(name)
	if err != nil {
		return Diff{}, err
	}
	resolved := s.branches.Resolutions(name)
	d := Diff{Branch: name, BranchedFrom: info.BranchedFrom, Nodes: []NodeDiff{}, Conflicts: []Conflict{}}
	d.FromTime, _ = s.RecordedAt(gd.Base)
	d.ToTime, _ = s.RecordedAt(bv.Position)
	byNode := map[graph.NodeID]*NodeDiff{}
	var order []graph.NodeID
	node := func(id graph.NodeID) *NodeDiff {
		if n, ok := byNode[id]; ok {
			return n
		}
		kind, ok := bv.Kind(id)
		label := bv.DisplayLabel(id)
		if !ok {
			kind, _ = mv.Kind(id)
			if kind == "" {
				kind = s.kindAtBase(id, gd.Base)
			}
			label = mv.DisplayLabel(id)
		}
		n := &NodeDiff{ID: id.String(), Kind: kind, Label: label, Action: ActionUpdated}
		if _, updated := bv.Meta(id); ok && !updated.At.IsZero() {
			n.ChangedAt = updated.At
		}
		byNode[id] = n
		order = append(order, id)
		return n
	}
	addConflict := func(c Conflict) string {
		c.Selected = resolved[c.ID]
		d.Conflicts = append(d.Conflicts, c)
		return c.ID
	}
	for _, nd := range gd.Nodes {
		n := node(nd.Node)
		n.Kind = s.kinds.Name(uint32(nd.Kind))
		switch {
		case nd.Branch && !nd.Base:
			n.Action = ActionAdded
		case !nd.Branch && nd.Base:
			n.Action = ActionRemoved
		}
		n.MainChanged = nd.MainChanged
		if nd.Conflict {
			n.Conflict = addConflict(Conflict{ID: conflictID(name, nd.Node.String()), Node: n.ID, Kind: n.Kind, Path: "node",
				Base: nd.Base, Main: nd.Main, Branch: nd.Branch, ref: ConflictRef{Node: n.ID}})
		}
	}
	for _, sd := range gd.Slots {
		field := s.fields.Name(uint32(sd.Slot.Field))
		switch {
		case strings.HasPrefix(field, "a:"):
			n := node(sd.Slot.Node)
			a := AttrDiff{Name: field[2:], Previous: sideValue(sd.Base), New: sideValue(sd.Branch), MainChanged: sd.MainChanged,
				Properties: propChanges(sd.Base, sd.Branch)}
			if sd.MainChanged {
				a.Main = sideValue(sd.Main)
				n.MainChanged = true
			}
			if sd.Conflict {
				a.Conflict = addConflict(Conflict{ID: conflictID(name, n.ID, field), Node: n.ID, Kind: n.Kind, Path: a.Name,
					Base: a.Previous, Main: a.Main, Branch: a.New, ref: ConflictRef{Node: n.ID, Field: field}})
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
			r := RelDiff{Name: rel.Name, Cardinality: rel.Cardinality, MainChanged: sd.MainChanged}
			r.Added, r.Removed = peerChanges(sd.Base.Value.Peers, sd.Branch.Value.Peers)
			if len(r.Added)+len(r.Removed) == 0 {
				continue // only the relationship's properties changed
			}
			r.Labels = map[string]string{}
			for _, p := range append(slices.Clone(r.Added), r.Removed...) {
				id, _ := graph.ParseNodeID(p)
				if l := bv.DisplayLabel(id); l != "" {
					r.Labels[p] = l
				} else {
					r.Labels[p] = mv.DisplayLabel(id)
				}
			}
			if sd.MainChanged {
				n.MainChanged = true
			}
			// A cardinality-many relationship merges peer by peer: both sides adding or
			// removing different peers is no conflict.
			if sd.Conflict && r.Cardinality == "one" {
				r.Conflict = addConflict(Conflict{ID: conflictID(name, n.ID, field), Node: n.ID, Kind: n.Kind, Path: r.Name,
					Base: peerList(sd.Base.Value.Peers), Main: peerList(sd.Main.Value.Peers), Branch: peerList(sd.Branch.Value.Peers),
					ref: ConflictRef{Node: n.ID, Field: field}})
			}
			n.Relationships = append(n.Relationships, r)
		}
	}
	for _, u := range gd.Uniques {
		if !u.Conflict {
			continue
		}
		kind, constraint := s.kinds.Name(uint32(u.Kind)), s.constraints.Name(uint32(u.Constraint))
		addConflict(Conflict{ID: conflictID(name, kind, constraint, u.Key), Kind: kind, Path: constraint,
			Constraint: constraint, Key: u.Key, Base: idOrNil(u.Base), Main: idOrNil(u.Main), Branch: idOrNil(u.Branch),
			ref: ConflictRef{Kind: kind, Constraint: constraint, Key: u.Key}})
	}
	// A node deleted on one side and changed on the other is a conflict too.
	var baseView *View
	for _, id := range order {
		n := byNode[id]
		if n.Conflict != "" {
			continue
		}
		switch n.Action {
		case ActionRemoved:
			if baseView == nil {
				if baseView, err = s.View(branch.Default, gd.Base); err != nil {
					return Diff{}, err
				}
			}
			if _, alive := mv.Kind(id); alive && changedSince(baseView, mv, id, n.Kind) {
				n.MainChanged = true
				n.Conflict = addConflict(Conflict{ID: conflictID(name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "changed", Branch: "deleted", ref: ConflictRef{Node: n.ID}})
			}
		case ActionUpdated:
			if _, alive := mv.Kind(id); !alive {
				n.MainChanged = true
				n.Conflict = addConflict(Conflict{ID: conflictID(name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "deleted", Branch: "changed", ref: ConflictRef{Node: n.ID}})
			}
		}
	}
	for _, id := range order {
		n := byNode[id]
		if n.ChangedAt.IsZero() {
			n.ChangedAt = d.ToTime
		}
		n.Parent = parentOf(bv, mv, id, n.Kind)
		if n.Action == ActionUpdated && len(n.Attributes)+len(n.Relationships) == 0 && n.Conflict == "" {
			continue // only its metadata or relationship properties changed
		}
		switch n.Action {
		case ActionAdded:
			d.Counts.Added++
		case ActionRemoved:
			d.Counts.Removed++
		default:
			d.Counts.Updated++
		}
		d.Nodes = append(d.Nodes, *n)
	}
	slices.SortFunc(d.Nodes, func(a, b NodeDiff) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Label, b.Label); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
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
func (s *Store) kindAtBase(id graph.NodeID, base int64) string {
	v, err := s.View(branch.Default, base)
	if err != nil {
		return ""
	}
	k, _ := v.Kind(id)
	return k
}

// KeepMain returns, for a merge, which conflicts of the diff were resolved for the default
// branch, and an error listing the conflicts nobody resolved.
func (d Diff) KeepMain() (func(ConflictRef) bool, error) {
	keep := map[ConflictRef]bool{}
	var open []string
	for _, c := range d.Conflicts {
		switch c.Selected {
		case branch.KeepBase:
			keep[c.ref] = true
		case branch.KeepBranch:
		default:
			open = append(open, fmt.Sprintf("%s (%s %s %s)", c.ID, c.Kind, c.Node+c.Key, c.Path))
		}
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("%d unresolved conflicts: %s", len(open), strings.Join(open, ", "))
	}
	return func(r ConflictRef) bool { return keep[r] }, nil
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
func propChanges(before, after graph.Side) []PropDiff {
	var out []PropDiff
	b, a := before.Value.Lineage, after.Value.Lineage
	if b.IsProtected != a.IsProtected {
		out = append(out, PropDiff{Name: "is_protected", Previous: b.IsProtected, New: a.IsProtected})
	}
	if b.Source != a.Source {
		out = append(out, PropDiff{Name: "source", Previous: idOrNil(b.Source), New: idOrNil(a.Source)})
	}
	if b.Owner != a.Owner {
		out = append(out, PropDiff{Name: "owner", Previous: idOrNil(b.Owner), New: idOrNil(a.Owner)})
	}
	return out
}

// parentOf is a component's parent: the peer of its kind's Parent relationship, on the branch or,
// for a removed node, on the default branch.
func parentOf(bv, mv *View, id graph.NodeID, kind string) *DiffParent {
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
				return &DiffParent{ID: peers[0].String(), Kind: pk, Relationship: rel}
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
