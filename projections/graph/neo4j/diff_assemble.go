package neo4j

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// diffNode is one row of StmtDiffNodes.
type diffNode struct {
	kind                 string
	onBranch, onMain     bool
	branchLabel, mainLbl string
	parents              []map[string]any
	mainChanged          bool
	changedAt, updatedAt time.Time
}

func diffNodesOf(rows []map[string]any) (map[string]diffNode, error) {
	out := make(map[string]diffNode, len(rows))
	label := func(v any) (string, error) {
		js, _ := v.(string)
		if js == "" {
			return "", nil
		}
		var x any
		if err := json.Unmarshal([]byte(js), &x); err != nil {
			return "", err
		}
		s, _ := x.(string)
		return s, nil
	}
	for _, row := range rows {
		id, _ := row["id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%w: neo4j graph reader: diff node row without id", fault.ErrUnavailable)
		}
		n := diffNode{onBranch: row["b"] == "active", onMain: row["main"] == "active"}
		n.kind, _ = row["kind"].(string)
		n.mainChanged, _ = row["main_changed"].(bool)
		var err error
		if n.branchLabel, err = label(row["b_label"]); err == nil {
			n.mainLbl, err = label(row["main_label"])
		}
		if err != nil {
			return nil, fmt.Errorf("%w: neo4j graph reader: diff node %s: label: %w", fault.ErrUnavailable, id, err)
		}
		list, _ := row["parents"].([]any)
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				n.parents = append(n.parents, m)
			}
		}
		n.changedAt, n.updatedAt = parseTime(row["changed_at"]), parseTime(row["updated_at"])
		out[id] = n
	}
	return out, nil
}

// DiffFromRows assembles a branch's diff as branch/nodes.Store.Diff does: nodes the branch added
// or removed, attributes and relationship ends it changed (left out when it set them back to
// the base's value), what the default branch did to them since the base, and the conflicts
// (both sides changed a node's existence, an attribute or a relationship end of cardinality
// one to different values; a node removed on one side and changed on the other), with their
// stable ids and recorded resolutions. Within a node, attributes and relationships are in
// field order, and the conflicts of slots in node then field order (the memory adapter orders
// them by its interned field numbers).
func DiffFromRows(in DiffInput) (branch.Diff, error) {
	if len(in.Branch) != 1 {
		return branch.Diff{}, fmt.Errorf("%w: %q", branch.ErrNotFound, in.Name)
	}
	b := in.Branch[0]
	d := branch.Diff{Branch: in.Name, BranchedFrom: positionOf(b["branched_from"]), Nodes: []branch.NodeDiff{}, Conflicts: []branch.Conflict{}}
	d.FromTime, d.ToTime = parseTime(b["from_time"]), parseTime(b["to_time"])
	slots, err := diffSlots(in.Changes)
	if err != nil {
		return branch.Diff{}, err
	}
	info, err := diffNodesOf(in.Nodes)
	if err != nil {
		return branch.Diff{}, err
	}
	byNode := map[string]*branch.NodeDiff{}
	var order []string
	node := func(id, kind string) *branch.NodeDiff {
		if n, ok := byNode[id]; ok {
			return n
		}
		x := info[id]
		n := &branch.NodeDiff{ID: id, Kind: kind, Label: x.mainLbl, Action: branch.ActionUpdated}
		if x.onBranch {
			n.Label = x.branchLabel
			if n.ChangedAt = x.changedAt; n.ChangedAt.IsZero() {
				n.ChangedAt = x.updatedAt
			}
		}
		byNode[id] = n
		order = append(order, id)
		return n
	}
	addConflict := func(c branch.Conflict) string {
		c.Selected = in.Resolved[c.ID]
		d.Conflicts = append(d.Conflicts, c)
		return c.ID
	}
	for _, s := range slots {
		if s.unique {
			if s.conflict {
				idOf := func(d diffSide) any { h, _ := d.data.(string); return idOrNil(h) }
				addConflict(branch.Conflict{ID: conflictID(in.Name, s.kind, s.field, s.key), Kind: s.kind, Path: s.field,
					Constraint: s.field, Key: s.key, Base: idOf(s.base), Main: idOf(s.main), Branch: idOf(s.br),
					Ref: branch.ConflictRef{Kind: s.kind, Constraint: s.field, Key: s.key}})
			}
			continue
		}
		n := node(s.node, s.kind)
		switch {
		case s.field == "":
			switch {
			case s.br.present && !s.base.present:
				n.Action = branch.ActionAdded
			case !s.br.present && s.base.present:
				n.Action = branch.ActionRemoved
			}
			n.MainChanged = s.mainChanged
			if s.conflict {
				n.Conflict = addConflict(branch.Conflict{ID: conflictID(in.Name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: s.base.present, Main: s.main.present, Branch: s.br.present, Ref: branch.ConflictRef{Node: n.ID}})
			}
		case strings.HasPrefix(s.field, "a:"):
			a := branch.AttrDiff{Name: s.field[2:], Previous: s.base.value(), New: s.br.value(), MainChanged: s.mainChanged,
				Properties: propChanges(s.base, s.br)}
			if s.mainChanged {
				a.Main = s.main.value()
				n.MainChanged = true
			}
			if s.conflict {
				a.Conflict = addConflict(branch.Conflict{ID: conflictID(in.Name, n.ID, s.field), Node: n.ID, Kind: n.Kind, Path: a.Name,
					Base: a.Previous, Main: a.Main, Branch: a.New, Ref: branch.ConflictRef{Node: n.ID, Field: s.field}})
			}
			n.Attributes = append(n.Attributes, a)
		default:
			rel := relationOf(in.BranchSchema, n.Kind, s.field)
			if rel == nil {
				rel = relationOf(in.MainSchema, n.Kind, s.field)
			}
			if rel == nil {
				continue // the far end of a relationship this kind does not declare
			}
			r := branch.RelDiff{Name: rel.Name, Cardinality: rel.Cardinality, MainChanged: s.mainChanged}
			r.Added, r.Removed = peerChanges(s.base.peers, s.br.peers)
			if len(r.Added)+len(r.Removed) == 0 {
				continue
			}
			r.Labels = map[string]string{}
			for _, p := range append(slices.Clone(r.Added), r.Removed...) {
				if l := info[p].branchLabel; l != "" {
					r.Labels[p] = l
				} else {
					r.Labels[p] = info[p].mainLbl
				}
			}
			if s.mainChanged {
				n.MainChanged = true
			}
			if s.conflict && r.Cardinality == "one" {
				r.Conflict = addConflict(branch.Conflict{ID: conflictID(in.Name, n.ID, s.field), Node: n.ID, Kind: n.Kind, Path: r.Name,
					Base: peerList(s.base.peers), Main: peerList(s.main.peers), Branch: peerList(s.br.peers),
					Ref: branch.ConflictRef{Node: n.ID, Field: s.field}})
			}
			n.Relationships = append(n.Relationships, r)
		}
	}
	// A node deleted on one side and changed on the other is a conflict too.
	for _, id := range order {
		n := byNode[id]
		if n.Conflict != "" {
			continue
		}
		switch x := info[id]; n.Action {
		case branch.ActionRemoved:
			if x.onMain && x.mainChanged {
				n.MainChanged = true
				n.Conflict = addConflict(branch.Conflict{ID: conflictID(in.Name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "changed", Branch: "deleted", Ref: branch.ConflictRef{Node: n.ID}})
			}
		case branch.ActionUpdated:
			if !x.onMain {
				n.MainChanged = true
				n.Conflict = addConflict(branch.Conflict{ID: conflictID(in.Name, n.ID), Node: n.ID, Kind: n.Kind, Path: "node",
					Base: "present", Main: "deleted", Branch: "changed", Ref: branch.ConflictRef{Node: n.ID}})
			}
		}
	}
	for _, id := range order {
		n := byNode[id]
		if n.ChangedAt.IsZero() {
			n.ChangedAt = d.ToTime
		}
		n.Parent = parentOf(in, info[id], n.Kind)
		if n.Action == branch.ActionUpdated && len(n.Attributes)+len(n.Relationships) == 0 && n.Conflict == "" {
			continue
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
	slices.SortFunc(d.Nodes, func(a, b branch.NodeDiff) int {
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

// parentOf is a component's parent (branch/nodes' parentOf): the first peer of its kind's
// Parent relationship on the branch, else on the default branch.
func parentOf(in DiffInput, x diffNode, kind string) *branch.DiffParent {
	for _, v := range []struct {
		set  *schema.Set
		flag string
	}{{in.BranchSchema, "branch"}, {in.MainSchema, "main"}} {
		if v.set == nil {
			continue
		}
		m, ok := v.set.Node(kind)
		if !ok {
			continue
		}
		for _, r := range m.Relationships {
			if r.Kind != schema.RelParent {
				continue
			}
			var peer, peerKind string
			for _, p := range x.parents {
				name, _ := p["name"].(string)
				sd, _ := p["side"].(string)
				id, _ := p["peer"].(string)
				if active, _ := p[v.flag].(bool); !active || name != r.Identifier || sd != side(r.Identifier, r.Direction) {
					continue
				}
				if peer == "" || id < peer {
					peer, _ = p["peer"].(string)
					peerKind, _ = p["peer_kind"].(string)
				}
			}
			if peer == "" {
				continue
			}
			if peerKind == "" {
				peerKind = r.Peer
			}
			rel := r.Name
			if pn, ok := v.set.Node(peerKind); ok {
				for _, back := range pn.Relationships {
					if back.Identifier == r.Identifier {
						rel = back.Name // the parent's name for its components
					}
				}
			}
			return &branch.DiffParent{ID: peer, Kind: peerKind, Relationship: rel}
		}
	}
	return nil
}

// propChanges lists the lineage properties that differ between two sides of an attribute.
func propChanges(before, after diffSide) []branch.PropDiff {
	var out []branch.PropDiff
	if before.isProtected != after.isProtected {
		out = append(out, branch.PropDiff{Name: "is_protected", Previous: before.isProtected, New: after.isProtected})
	}
	if before.source != after.source {
		out = append(out, branch.PropDiff{Name: "source", Previous: idOrNil(before.source), New: idOrNil(after.source)})
	}
	if before.owner != after.owner {
		out = append(out, branch.PropDiff{Name: "owner", Previous: idOrNil(before.owner), New: idOrNil(after.owner)})
	}
	return out
}

func idOrNil(id string) any {
	if id == "" {
		return nil
	}
	return id
}

func peerChanges(before, after []string) (added, removed []string) {
	for _, p := range after {
		if !slices.Contains(before, p) {
			added = append(added, p)
		}
	}
	for _, p := range before {
		if !slices.Contains(after, p) {
			removed = append(removed, p)
		}
	}
	return added, removed
}

func peerList(ps []string) []string {
	return append([]string{}, ps...)
}
