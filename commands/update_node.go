package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// TypeUpdateNode changes some fields of one node (Infrahub's <Kind>Update). Fields not given are
// kept; a list given for a cardinality-many relationship replaces the set.
const TypeUpdateNode = "node.update"

// UpdateNode is the payload of TypeUpdateNode (and of TypeUpsertNode).
type UpdateNode struct {
	Branch string   `json:"branch,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	ID     string   `json:"id,omitempty"`
	HFID   []string `json:"hfid,omitempty"`
	Data   Data     `json:"data"`
}

// UpdateNode is the Handler of TypeUpdateNode.
func (h *Nodes) UpdateNode(ctx context.Context, cmd Command) (Result, error) {
	var in UpdateNode
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	var out NodeOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		var err error
		out, err = t.updateOp(in)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}

func (t *tx) updateOp(in UpdateNode) (NodeOutcome, error) {
	n, err := t.target(in.Kind, in.ID, in.HFID)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n.model == nil {
		return NodeOutcome{}, fmt.Errorf("%w: node %s is a %s, a kind the schema of branch %s no longer has", ErrInvalid, n.id, n.kind, t.v.Branch)
	}
	attrs, rels, err := t.parseData(n.model, in.Data)
	if err != nil {
		return NodeOutcome{}, err
	}
	if err := t.resolvePools(nil, n.model, attrs, rels); err != nil {
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
func (t *tx) update(n *txNode, attrs map[string]attrInput, rels map[string]relInput) (bool, error) {
	m := n.model
	global := isGlobal(m)
	oldKeys := t.uniqueKeys(n)
	oldHFID, oldLabel := t.hfid(n), t.displayLabel(n)
	n.computed = nil // recomputed below or by outcomeOf
	ev := nodes.Updated{ID: n.id.String(), Kind: n.kind, Global: global}
	for _, name := range sortedKeys(attrs) {
		in := attrs[name]
		a, _ := attrOf(m, name)
		cur, _ := t.attr(n, name)
		next := cur
		if in.hasValue {
			if t.fromProfile(cur) {
				next.Source = "" // the node's own value now, no longer the profile's
			}
			next.Value, next.IsDefault = in.value, false
			if next.Value == nil && !a.Optional {
				return false, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is mandatory", ErrInvalid))
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
		n.attrs[name] = next
		ev.Attributes[name] = next
	}
	for _, name := range sortedKeys(rels) {
		in := rels[name]
		if len(in.peers) == 0 && mandatoryRel(in.rel) {
			return false, nodeError(m.Kind, name, fmt.Errorf("%w: the relationship is mandatory", ErrInvalid))
		}
		if err := t.checkHierarchy(n, in); err != nil {
			return false, nodeError(m.Kind, name, err)
		}
		relGlobal := in.rel.Branch == schema.BranchAgnostic && !global
		for _, p := range slices.Clone(t.peersOf(n.id, in.field)) {
			if !slices.Contains(in.peers, p) {
				e := t.edge(n.id, in.field, p, true, relGlobal)
				e.Node = ""
				ev.Edges = append(ev.Edges, e)
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
	for name, st := range t.profileValues(n, attrs) {
		if ev.Attributes == nil {
			ev.Attributes = map[string]nodes.Attr{}
		}
		ev.Attributes[name] = st
	}
	vals, err := t.computedValues(n)
	if err != nil {
		return false, err
	}
	for name, st := range vals {
		if ev.Attributes == nil {
			ev.Attributes = map[string]nodes.Attr{}
		}
		ev.Attributes[name] = st
	}
	claims, err := t.reclaim(n, oldKeys, t.uniqueKeys(n))
	if err != nil {
		return false, err
	}
	ev.Claims = append(claims, t.poolClaims(n.id, attrs)...)
	h, l := t.hfid(n), t.displayLabel(n)
	n.computed = &computed{hfid: h, label: l}
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
	t.emit(nodes.TypeUpdated, ev, global)
	t.outcome.of(n.kind).Updated++
	if a := ipAttr(n.model); a != "" && !t.ipamBusy {
		_, valueChanged := ev.Attributes[a]
		if valueChanged || len(ev.Edges) > 0 {
			if err := t.ipamAfter(n); err != nil {
				return false, err
			}
		}
	}
	if isProfileKind(n.kind) {
		if err := t.propagateProfile(n); err != nil {
			return false, err
		}
	}
	if err := t.propagateComputed(n, ev.Attributes, ev.Edges); err != nil {
		return false, err
	}
	return true, nil
}

// TypeUpsertNode creates a node or updates the one it matches (Infrahub's <Kind>Upsert): by id,
// else by hfid, else by the human-friendly id or a uniqueness constraint computed from the data.
const TypeUpsertNode = "node.upsert"

// UpsertNode is the Handler of TypeUpsertNode.
func (h *Nodes) UpsertNode(ctx context.Context, cmd Command) (Result, error) {
	var in UpdateNode
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	var out NodeOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		var err error
		out, err = t.upsertOp(in)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}

func (t *tx) upsertOp(in UpdateNode) (NodeOutcome, error) {
	m, err := t.modelOf(in.Kind)
	if err != nil {
		return NodeOutcome{}, err
	}
	var n *txNode
	switch {
	case in.ID != "":
		id, err := graph.ParseNodeID(in.ID)
		if err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"id\": %q is not a UUID", ErrInvalid, in.ID)
		}
		n = t.node(id)
		if n == nil {
			return t.createOp(CreateNode{Kind: in.Kind, ID: in.ID, Data: in.Data})
		}
	case len(in.HFID) > 0:
		if id, ok := t.byHFID(in.Kind, in.HFID); ok {
			n = t.node(id)
		}
	}
	attrs, rels, err := t.parseData(m, in.Data)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n == nil {
		t.defaultNamespace(m, rels)
		if id, ok := t.match(m, attrs, rels); ok {
			n = t.node(id)
		}
	}
	// An upsert that finds its node keeps what the node already holds where the data asks a
	// pool: loading an object file again allocates nothing new.
	if err := t.resolvePools(n, m, attrs, rels); err != nil {
		return NodeOutcome{}, err
	}
	if n == nil {
		n, err = t.createFromTemplate(m, graph.NewNodeID(), attrs, rels)
		if err != nil {
			return NodeOutcome{}, err
		}
		return t.outcomeOf(n, "created"), nil
	}
	if n.kind != m.Kind {
		return NodeOutcome{}, fmt.Errorf("%w: field \"kind\": the matching node %s is a %s, not a %s", ErrConflict, n.id, n.kind, m.Kind)
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

// match finds the existing node the data of an upsert names: by the human-friendly id computed
// from it, else by the first uniqueness constraint it fills.
func (t *tx) match(m *schema.Node, attrs map[string]attrInput, rels map[string]relInput) (graph.NodeID, bool) {
	probe := &txNode{kind: m.Kind, model: m, live: true, created: true, attrs: map[string]nodes.Attr{}, peers: map[string][]graph.NodeID{}}
	for name, in := range attrs {
		if in.hasValue {
			probe.attrs[name] = nodes.Attr{Value: in.value}
		}
	}
	for _, in := range rels {
		probe.peers[in.field] = in.peers
	}
	saved, had := t.nodes[graph.NodeID{}]
	t.nodes[graph.NodeID{}] = probe
	defer func() {
		if had {
			t.nodes[graph.NodeID{}] = saved
		} else {
			delete(t.nodes, graph.NodeID{})
		}
	}()
	// a computed attribute may be part of the human-friendly id
	_, _ = t.computedValues(probe)
	keys := t.uniqueKeys(probe)
	if key, ok := keys[nodes.ConstraintHFID]; ok {
		if id, ok := t.taken(claimKey{m.Kind, nodes.ConstraintHFID, key}); ok && t.node(id) != nil {
			return id, true
		}
	}
	for _, c := range constraints(m) {
		name := joinConstraint(c)
		if key, ok := keys[name]; ok {
			if id, ok := t.taken(claimKey{m.Kind, name, key}); ok && t.node(id) != nil {
				return id, true
			}
		}
	}
	return graph.NodeID{}, false
}

// checkHierarchy refuses a hierarchical parent that is the node itself or one of its
// descendants: the hierarchy stays a tree.
func (t *tx) checkHierarchy(n *txNode, in relInput) error {
	if in.rel.Kind != schema.RelHierarchy || in.rel.Name != "parent" || len(in.peers) == 0 {
		return nil
	}
	seen := map[graph.NodeID]bool{}
	for p := in.peers[0]; !p.IsZero() && !seen[p]; {
		if p == n.id {
			return fmt.Errorf("%w: %s is %s itself or under it: a node cannot be its own ancestor", ErrInvalid, in.peers[0], n.id)
		}
		seen[p] = true
		up := t.peersOf(p, in.field)
		if len(up) == 0 {
			break
		}
		p = up[0]
	}
	return nil
}
