package commands

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// Computed attributes of kind Jinja2: an attribute declared
//
//	computed_attribute: {kind: Jinja2, jinja2_template: "{{ name__value }}-{{ site__name__value }}"}
//
// holds the template rendered with the node's own attributes ("name__value") and those of its
// cardinality-one peers ("site__name__value"). It is computed when the command writes, and
// stored as an ordinary value in the node's events: when the node is created, when one of its
// attributes or cardinality-one peers the template reads changes, and when an attribute the
// template reads changes on such a peer (every node reading it through that relationship then
// gets an update of its own in the same command, on the same branch). A user cannot set it: the
// attribute is read-only. A path without a value renders as an empty string.

// maxComputedDepth bounds the chain of nodes one change recomputes through their peers (a
// computed attribute reading a peer's computed attribute that reads back).
const maxComputedDepth = 32

// jinjaAttr is a computed attribute of a kind with its parsed template.
type jinjaAttr struct {
	attr *schema.Attribute
	tpl  *schema.Template
}

// jinjaAttrs lists the Jinja2 computed attributes of a node kind (none for the generated
// template and profile kinds, whose objects are not nodes of the kind).
func (t *tx) jinjaAttrs(m *schema.Node) ([]jinjaAttr, error) {
	if m == nil || m.Namespace == "Template" || m.Namespace == "Profile" {
		return nil, nil
	}
	var out []jinjaAttr
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent || !a.IsJinja2() {
			continue
		}
		tpl, err := t.set.Template(*a.ComputedAttribute.Jinja2Template)
		if err != nil {
			return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: %v", ErrInvalid, err))
		}
		out = append(out, jinjaAttr{attr: a, tpl: tpl})
	}
	return out, nil
}

// templateVar is the value of a template variable for node n: "<attr>__<property>" of n
// (own holds n's values computed so far, which win) or "<rel>__<attr>__<property>" of its
// cardinality-one peer; nil when unset.
func (t *tx) templateVar(n *txNode, path string, own map[string]string) any {
	parts := strings.Split(path, "__")
	holder := n
	if len(parts) == 3 {
		r, field, ok := relOf(n.model, parts[0])
		if !ok || r.Cardinality != "one" {
			return nil
		}
		peers := t.peersOf(n.id, field)
		if len(peers) != 1 {
			return nil
		}
		if holder = t.node(peers[0]); holder == nil || holder.model == nil {
			return nil
		}
		parts, own = parts[1:], nil
	}
	if len(parts) != 2 {
		return nil
	}
	if v, ok := own[parts[0]]; ok && parts[1] == "value" {
		return v
	}
	a, ok := t.attr(holder, parts[0])
	if !ok {
		return nil
	}
	switch parts[1] {
	case "value":
		return a.Value
	case "source":
		return nonEmpty(a.Source)
	case "owner":
		return nonEmpty(a.Owner)
	case "is_protected":
		return a.IsProtected
	case "is_visible":
		return true
	}
	return nil
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// render renders a template for node n.
func (t *tx) render(n *txNode, tpl *schema.Template, own map[string]string) (string, error) {
	vals := make(map[string]any, len(tpl.Variables()))
	for _, v := range tpl.Variables() {
		vals[v] = t.templateVar(n, v, own)
	}
	return tpl.Render(vals)
}

// renderComputed renders every computed attribute of n. One may read another of the same node:
// they are rendered again until none changes.
func (t *tx) renderComputed(n *txNode, js []jinjaAttr) (map[string]string, error) {
	out := map[string]string{}
	for pass := 0; pass <= len(js); pass++ {
		next := make(map[string]string, len(js))
		for _, j := range js {
			s, err := t.render(n, j.tpl, out)
			if err != nil {
				return nil, nodeError(n.kind, j.attr.Name, fmt.Errorf("%w: computed attribute: %v", ErrInvalid, err))
			}
			next[j.attr.Name] = s
		}
		done := maps.Equal(out, next)
		out = next
		if done {
			break
		}
	}
	return out, nil
}

// computedValues renders the computed attributes of n and sets those whose value changes; it
// returns them (nil when none does).
func (t *tx) computedValues(n *txNode) (map[string]nodes.Attr, error) {
	js, err := t.jinjaAttrs(n.model)
	if len(js) == 0 || err != nil {
		return nil, err
	}
	vals, err := t.renderComputed(n, js)
	if err != nil {
		return nil, err
	}
	var changed map[string]nodes.Attr
	for _, j := range js {
		name := j.attr.Name
		cur, _ := t.attr(n, name)
		if cur.Value == vals[name] && !cur.IsDefault {
			continue
		}
		next := cur
		next.Value, next.IsDefault = vals[name], false
		if changed == nil {
			changed = map[string]nodes.Attr{}
		}
		n.attrs[name] = next
		changed[name] = next
	}
	return changed, nil
}

// computedStale reports whether a computed attribute of n no longer holds what its template
// renders.
func (t *tx) computedStale(n *txNode) (bool, error) {
	js, err := t.jinjaAttrs(n.model)
	if len(js) == 0 || err != nil {
		return false, err
	}
	vals, err := t.renderComputed(n, js)
	if err != nil {
		return false, err
	}
	for _, j := range js {
		if cur, _ := t.attr(n, j.attr.Name); cur.Value != vals[j.attr.Name] || cur.IsDefault {
			return true, nil
		}
	}
	return false, nil
}

// recompute updates a node whose computed attributes may be stale (through an update of its
// own: its human-friendly id, display label and claims follow, and so do the nodes reading it).
// A node whose template no longer renders (a method called on a peer's value that is gone) keeps
// its values, as Infrahub skips it: the write that made it stale is another node's, and is not
// refused for it.
func (t *tx) recompute(id graph.NodeID) error {
	n := t.node(id)
	if n == nil || n.model == nil {
		return nil
	}
	stale, err := t.computedStale(n)
	if err != nil || !stale {
		return nil
	}
	if t.computeDepth >= maxComputedDepth {
		return nodeError(n.kind, "", fmt.Errorf("%w: computed attributes read each other through relationships in a cycle", ErrInvalid))
	}
	t.computeDepth++
	defer func() { t.computeDepth-- }()
	_, err = t.update(n, nil, nil)
	return err
}

// propagateComputed recomputes the nodes whose computed attributes read what a write of node n
// changed: the attributes named in attrs, read by nodes pointing at n through a
// cardinality-one relationship, and the relationship slots in edges (a node given or losing a
// cardinality-one peer).
func (t *tx) propagateComputed(n *txNode, attrs map[string]nodes.Attr, edges []nodes.Edge) error {
	if len(attrs) > 0 {
		for _, dep := range t.readersOf(n, attrs) {
			if err := t.recompute(dep); err != nil {
				return err
			}
		}
	}
	for _, e := range edges {
		near := n.id
		if e.Node != "" {
			id, err := graph.ParseNodeID(e.Node)
			if err != nil {
				continue
			}
			near = id
		}
		far, err := graph.ParseNodeID(e.Peer)
		if err != nil {
			continue
		}
		for _, end := range []struct {
			id    graph.NodeID
			field string
		}{{near, e.Field}, {far, nodes.Mirror(e.Field)}} {
			if end.id == n.id || !t.readsSlot(end.id, end.field) {
				continue
			}
			if err := t.recompute(end.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// readsSlot reports whether a computed attribute of node id reads a peer through the
// cardinality-one relationship stored in field.
func (t *tx) readsSlot(id graph.NodeID, field string) bool {
	n := t.node(id)
	if n == nil {
		return false
	}
	js, _ := t.jinjaAttrs(n.model)
	for _, j := range js {
		for _, v := range j.tpl.Variables() {
			head, _, _ := strings.Cut(v, "__")
			if r, f, ok := relOf(n.model, head); ok && r.Cardinality == "one" && f == field && strings.Count(v, "__") == 2 {
				return true
			}
		}
	}
	return false
}

// readersOf lists the live nodes whose computed attributes read one of the given attributes of
// n through a cardinality-one relationship pointing at n.
func (t *tx) readersOf(n *txNode, attrs map[string]nodes.Attr) []graph.NodeID {
	var out []graph.NodeID
	seen := map[graph.NodeID]bool{}
	for _, name := range sortedKeys(attrs) {
		for _, pr := range t.set.PeerReads(name) {
			m, ok := t.set.Node(pr.Kind)
			if !ok {
				continue
			}
			_, field, ok := relOf(m, pr.Rel)
			if !ok {
				continue
			}
			for _, id := range t.peersOf(n.id, nodes.Mirror(field)) {
				if seen[id] {
					continue
				}
				d := t.node(id)
				if d == nil || d.kind != pr.Kind {
					continue
				}
				if p := t.peersOf(id, field); len(p) != 1 || p[0] != n.id {
					continue
				}
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// RefreshComputed brings the computed attributes of existing nodes up to date after a schema
// load on branch (written at pos) added a Jinja2 computed attribute or changed its template: a
// command of its own on that branch, which writes nothing for nodes already right. It is the
// SchemaLoader's After.
func (h *Nodes) RefreshComputed(ctx context.Context, cmd Command, name string, pos int64, cur, next *schema.Set) error {
	var kinds []string
	for _, m := range next.Nodes() {
		kind := m.Kind
		old, _ := cur.Node(kind)
		for _, a := range m.Attributes {
			c := a.ComputedAttribute
			if c == nil || c.Kind != "Jinja2" || c.Jinja2Template == nil {
				continue
			}
			var was *schema.Attribute
			if old != nil {
				was = old.Attribute(a.Name)
			}
			if was == nil || was.ComputedAttribute == nil || was.ComputedAttribute.Jinja2Template == nil ||
				*was.ComputedAttribute.Jinja2Template != *c.Jinja2Template {
				kinds = append(kinds, kind)
				break
			}
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	if h.WaitFor != nil {
		if err := h.WaitFor(ctx, pos); err != nil {
			return fmt.Errorf("%s: written at %d, not yet readable: %w", cmd.Type, pos, err)
		}
	} else if err := h.Sync(ctx); err != nil {
		return err
	}
	re := Command{Type: "computed.refresh", Actor: cmd.Actor}
	if cmd.ID != "" {
		re.ID = cmd.ID + "/computed"
	}
	_, _, err := h.decide(ctx, re, name, func(t *tx) error {
		for _, kind := range kinds {
			for _, id := range t.v.Nodes(kind) {
				if err := t.recompute(id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: schema written; computing %v's computed attributes: %w", cmd.Type, kinds, err)
	}
	return nil
}
