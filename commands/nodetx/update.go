package nodetx

import (
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// UpdateNode changes some fields of one node (node.update) or creates or updates the node it
// matches (node.upsert).
type UpdateNode struct {
	Branch string   `json:"branch,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	ID     string   `json:"id,omitempty"`
	HFID   []string `json:"hfid,omitempty"`
	Data   Data     `json:"data"`

	values map[string]any // Data's values decoded (Prepare)
}

// Prepare decodes the values of the payload's data ahead of Update or Upsert (see
// CreateNode.Prepare).
func (in *UpdateNode) Prepare() { in.values = prepare(in.Data) }

// Update changes the fields the payload gives of the node it names (id, or kind and hfid).
func (t *Tx) Update(in UpdateNode) (NodeOutcome, error) {
	n, err := t.parse.target(in.Kind, in.ID, in.HFID)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n.model == nil {
		return NodeOutcome{}, fmt.Errorf("%w: node %s is a %s, a kind the schema of branch %s no longer has", fault.ErrInvalid, n.id, n.kind, t.v.Branch)
	}
	attrs, rels, err := t.parse.data(n.model, in.Data, in.values, nil)
	if err != nil {
		return NodeOutcome{}, err
	}
	if err := t.pools.resolve(nil, n.model, attrs, rels); err != nil {
		return NodeOutcome{}, err
	}
	changed, err := t.update(n, attrs, rels)
	if err != nil {
		return NodeOutcome{}, err
	}
	what := "unchanged"
	if changed {
		what = "updated"
	}
	return t.outcomeOf(n, what), nil
}

// update applies the given fields to n; it reports whether anything changed (nothing is
// recorded otherwise).
func (t *Tx) update(n *txNode, attrs map[string]attrInput, rels *relSet) (bool, error) {
	m := n.model
	global := isGlobal(m)
	oldKeys := t.ident.keys(n)
	oldHFID, oldLabel := t.ident.hfid(n), t.ident.label(n)
	n.computed = nil // recomputed below or by outcomeOf
	ev := nodes.Updated{ID: n.id.String(), Kind: n.kind, Global: global}
	for _, name := range sortedKeys(attrs) {
		in := attrs[name]
		a, _ := attrOf(m, name)
		cur, _ := t.st.attr(n, name)
		next := cur
		if in.hasValue {
			if t.profiles.sourced(cur) {
				next.Source = "" // the node's own value now, no longer the profile's
			}
			next.Value, next.IsDefault = in.value, false
			if stored, ok := cur.Value.(string); ok && in.password() != "" && values.CheckPassword(stored, in.password()) {
				next.Value = stored // the same password: its stored hash is kept
			}
			if next.Value == nil && !a.Optional {
				return false, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is mandatory", fault.ErrInvalid))
			}
		}
		applyLineage(&next, in)
		next.Global = a.Branch == schema.BranchAgnostic && !global
		if equalValue(next.Value, cur.Value) && next.IsDefault == cur.IsDefault && next.Source == cur.Source &&
			next.Owner == cur.Owner && next.IsProtected == cur.IsProtected {
			continue
		}
		if ev.Attributes == nil {
			ev.Attributes = map[string]nodes.Attr{}
		}
		n.setAttr(name, next)
		ev.Attributes[name] = next
	}
	for _, in := range rels.all() { // in name order
		name := in.name
		if len(in.peers) == 0 && mandatoryRel(in.rel) {
			return false, nodeError(m.Kind, name, fmt.Errorf("%w: the relationship is mandatory", fault.ErrInvalid))
		}
		if err := t.checkHierarchy(n, in); err != nil {
			return false, nodeError(m.Kind, name, err)
		}
		relGlobal := in.rel.Branch == schema.BranchAgnostic && !global
		for _, p := range slices.Clone(t.st.peersOf(n.id, in.field)) {
			if !slices.Contains(in.peers, p) {
				ev.Edges = append(ev.Edges, t.st.ownEdge(n.id, in.field, p, true, relGlobal))
			}
		}
		for _, p := range in.peers {
			ev.Edges = t.link(n, in.rel, in.field, p, ev.Edges)
		}
		if in.props != nil {
			p := *in.props
			p.Global = relGlobal
			if cur := t.v.Props(n.id, in.field); cur.Source != p.Source || cur.Owner != p.Owner || cur.IsProtected != p.IsProtected {
				if ev.RelProps == nil {
					ev.RelProps = map[string]nodes.Props{}
				}
				ev.RelProps[in.field] = p
			}
		}
	}
	for name, st := range t.profiles.values(n, attrs) {
		if ev.Attributes == nil {
			ev.Attributes = map[string]nodes.Attr{}
		}
		ev.Attributes[name] = st
	}
	vals, err := t.computed.values(n)
	if err != nil {
		return false, err
	}
	for name, st := range vals {
		if ev.Attributes == nil {
			ev.Attributes = map[string]nodes.Attr{}
		}
		ev.Attributes[name] = st
	}
	claims, err := t.ident.reclaim(n, oldKeys, t.ident.keys(n))
	if err != nil {
		return false, err
	}
	ev.Claims = append(claims, t.pools.claims(n.id, attrs)...)
	h, l := t.ident.hfid(n), t.ident.label(n)
	n.setComputed(computed{hfid: h, label: l})
	if !slices.Equal(h, oldHFID) {
		if h == nil {
			h = []string{}
		}
		ev.HFID = &h
	}
	if l != oldLabel {
		ev.DisplayLabel = &l
	}
	if len(ev.Attributes) == 0 && len(ev.Edges) == 0 && len(ev.RelProps) == 0 && len(ev.Claims) == 0 &&
		ev.HFID == nil && ev.DisplayLabel == nil {
		t.outcome.of(n.kind).Unchanged++
		return false, nil
	}
	t.st.emit(nodes.TypeUpdated, ev, global)
	t.outcome.of(n.kind).Updated++
	if a := ipAttr(n.model); a != "" && !t.ipamBusy {
		_, valueChanged := ev.Attributes[a]
		if valueChanged || len(ev.Edges) > 0 {
			if err := t.ipam.after(n); err != nil {
				return false, err
			}
		}
	}
	if isProfileKind(n.kind) {
		if err := t.profiles.propagate(n); err != nil {
			return false, err
		}
	}
	if err := t.computed.propagate(n, ev.Attributes, ev.Edges); err != nil {
		return false, err
	}
	return true, nil
}

// Upsert creates a node or updates the one it matches: by id, else by hfid, else by the
// human-friendly id or a uniqueness constraint computed from the data.
func (t *Tx) Upsert(in UpdateNode) (NodeOutcome, error) {
	m, err := t.parse.model(in.Kind)
	if err != nil {
		return NodeOutcome{}, err
	}
	var n *txNode
	switch {
	case in.ID != "":
		id, err := graph.ParseNodeID(in.ID)
		if err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"id\": %q is not a UUID", fault.ErrInvalid, in.ID)
		}
		n = t.st.node(id)
		if n == nil {
			return t.Create(CreateNode{Kind: in.Kind, ID: in.ID, Data: in.Data, values: in.values})
		}
	case len(in.HFID) > 0:
		if id, ok := t.st.byHFID(in.Kind, in.HFID); ok {
			n = t.st.node(id)
		}
	}
	attrs, rels, err := t.parse.data(m, in.Data, in.values, nil)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n == nil {
		t.ipam.defaultNamespace(m, rels)
		if id, ok := t.ident.match(m, attrs, rels); ok {
			n = t.st.node(id)
		}
	}
	// An upsert that finds its node keeps what the node already holds where the data asks a
	// pool: loading an object file again allocates nothing new.
	if err := t.pools.resolve(n, m, attrs, rels); err != nil {
		return NodeOutcome{}, err
	}
	if n == nil {
		n, err = t.templates.create(m, graph.NewNodeID(), true, attrs, rels)
		if err != nil {
			return NodeOutcome{}, err
		}
		return t.outcomeOf(n, "created"), nil
	}
	if n.kind != m.Kind {
		return NodeOutcome{}, fmt.Errorf("%w: field \"kind\": the matching node %s is a %s, not a %s", fault.ErrConflict, n.id, n.kind, m.Kind)
	}
	changed, err := t.update(n, attrs, rels)
	if err != nil {
		return NodeOutcome{}, err
	}
	if changed {
		return t.outcomeOf(n, "updated"), nil
	}
	return t.outcomeOf(n, "unchanged"), nil
}

// checkHierarchy refuses a hierarchical parent that is the node itself or one of its
// descendants: the hierarchy stays a tree.
func (t *Tx) checkHierarchy(n *txNode, in relInput) error {
	if in.rel.Kind != schema.RelHierarchy || in.rel.Name != "parent" || len(in.peers) == 0 {
		return nil
	}
	seen := map[graph.NodeID]bool{}
	for p := in.peers[0]; !p.IsZero() && !seen[p]; {
		if p == n.id {
			return fmt.Errorf("%w: %s is %s itself or under it: a node cannot be its own ancestor", fault.ErrInvalid, in.peers[0], n.id)
		}
		seen[p] = true
		up := t.st.peersOf(p, in.field)
		if len(up) == 0 {
			break
		}
		p = up[0]
	}
	return nil
}
