package nodetx

import (
	"fmt"
	"maps"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// computer keeps computed attributes of kind Jinja2 up to date.
type computer struct{ tx *Tx }

// maxComputedDepth bounds the chain of nodes one change recomputes through their peers (a
// computed attribute reading a peer's computed attribute that reads back).
const maxComputedDepth = 32

// jinjaAttr is a computed attribute of a kind with its parsed template.
type jinjaAttr struct {
	attr *schema.Attribute
	tpl  *schema.Template
}

// attrs lists the Jinja2 computed attributes of a node kind (none for the generated
// template and profile kinds, whose objects are not nodes of the kind).
func (rx computer) attrs(m *schema.Node) ([]jinjaAttr, error) {
	t := rx.tx
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
			return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: %v", fault.ErrInvalid, err))
		}
		out = append(out, jinjaAttr{attr: a, tpl: tpl})
	}
	return out, nil
}

// variable is the value of a template variable for node n: "<attr>__<property>" of n
// (own holds n's values computed so far, which win) or "<rel>__<attr>__<property>" of its
// cardinality-one peer; nil when unset.
func (rx computer) variable(n *txNode, path string, own map[string]string) any {
	t := rx.tx
	parts := strings.Split(path, "__")
	holder := n
	if len(parts) == 3 {
		r, field, ok := relOf(n.model, parts[0])
		if !ok || r.Cardinality != "one" {
			return nil
		}
		peers := t.st.peersOf(n.id, field)
		if len(peers) != 1 {
			return nil
		}
		if holder = t.st.node(peers[0]); holder == nil || holder.model == nil {
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
	a, ok := t.st.attr(holder, parts[0])
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
func (rx computer) render(n *txNode, tpl *schema.Template, own map[string]string) (string, error) {
	t := rx.tx
	vals := make(map[string]any, len(tpl.Variables()))
	for _, v := range tpl.Variables() {
		vals[v] = t.computed.variable(n, v, own)
	}
	return tpl.Render(vals)
}

// renderAll renders every computed attribute of n. One may read another of the same node:
// they are rendered again until none changes.
func (rx computer) renderAll(n *txNode, js []jinjaAttr) (map[string]string, error) {
	t := rx.tx
	out := map[string]string{}
	for pass := 0; pass <= len(js); pass++ {
		next := make(map[string]string, len(js))
		for _, j := range js {
			s, err := t.computed.render(n, j.tpl, out)
			if err != nil {
				return nil, nodeError(n.kind, j.attr.Name, fmt.Errorf("%w: computed attribute: %v", fault.ErrInvalid, err))
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

// values renders the computed attributes of n and sets those whose value changes; it
// returns them (nil when none does).
func (rx computer) values(n *txNode) (map[string]nodes.Attr, error) {
	t := rx.tx
	js, err := t.computed.attrs(n.model)
	if len(js) == 0 || err != nil {
		return nil, err
	}
	vals, err := t.computed.renderAll(n, js)
	if err != nil {
		return nil, err
	}
	var changed map[string]nodes.Attr
	for _, j := range js {
		name := j.attr.Name
		cur, _ := t.st.attr(n, name)
		if cur.Value == vals[name] && !cur.IsDefault {
			continue
		}
		next := cur
		next.Value, next.IsDefault = vals[name], false
		if changed == nil {
			changed = map[string]nodes.Attr{}
		}
		n.setAttr(name, next)
		changed[name] = next
	}
	return changed, nil
}

// stale reports whether a computed attribute of n no longer holds what its template
// renders.
func (rx computer) stale(n *txNode) (bool, error) {
	t := rx.tx
	js, err := t.computed.attrs(n.model)
	if len(js) == 0 || err != nil {
		return false, err
	}
	vals, err := t.computed.renderAll(n, js)
	if err != nil {
		return false, err
	}
	for _, j := range js {
		if cur, _ := t.st.attr(n, j.attr.Name); cur.Value != vals[j.attr.Name] || cur.IsDefault {
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
func (rx computer) recompute(id graph.NodeID) error {
	t := rx.tx
	n := t.st.node(id)
	if n == nil || n.model == nil {
		return nil
	}
	stale, err := t.computed.stale(n)
	if err != nil || !stale {
		return nil
	}
	if t.computeDepth >= maxComputedDepth {
		return nodeError(n.kind, "", fmt.Errorf("%w: computed attributes read each other through relationships in a cycle", fault.ErrInvalid))
	}
	t.computeDepth++
	defer func() { t.computeDepth-- }()
	_, err = t.update(n, nil, nil)
	return err
}

// propagate recomputes the nodes whose computed attributes read what a write of node n
// changed: the attributes named in attrs, read by nodes pointing at n through a
// cardinality-one relationship, and the relationship slots in edges (a node given or losing a
// cardinality-one peer).
func (rx computer) propagate(n *txNode, attrs map[string]nodes.Attr, edges []nodes.Edge) error {
	t := rx.tx
	if len(attrs) > 0 {
		for _, dep := range t.computed.readersOf(n, attrs) {
			if err := t.computed.recompute(dep); err != nil {
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
		}{{near, e.Field}, {far, t.st.mirror(e.Field)}} {
			if end.id == n.id || !t.computed.readsSlot(end.id, end.field) {
				continue
			}
			if err := t.computed.recompute(end.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// readsSlot reports whether a computed attribute of node id reads a peer through the
// cardinality-one relationship stored in field.
func (rx computer) readsSlot(id graph.NodeID, field string) bool {
	t := rx.tx
	n := t.st.node(id)
	if n == nil {
		return false
	}
	js, _ := t.computed.attrs(n.model)
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
func (rx computer) readersOf(n *txNode, attrs map[string]nodes.Attr) []graph.NodeID {
	t := rx.tx
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
			for _, id := range t.st.peersOf(n.id, nodes.Mirror(field)) {
				if seen[id] {
					continue
				}
				d := t.st.node(id)
				if d == nil || d.kind != pr.Kind {
					continue
				}
				if p := t.st.peersOf(id, field); len(p) != 1 || p[0] != n.id {
					continue
				}
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// ComputedChanged lists the node kinds of next that gained a Jinja2 computed attribute, or whose
// template changed, since cur: their existing nodes need computing (Tx.Recompute).
func ComputedChanged(cur, next *schema.Set) []string {
	var kinds []string
	for _, m := range next.Nodes() {
		old, _ := cur.Node(m.Kind)
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
				kinds = append(kinds, m.Kind)
				break
			}
		}
	}
	return kinds
}

// Recompute brings the computed attributes of every node of kinds up to date; nodes already
// right are not written.
func (t *Tx) Recompute(kinds []string) error {
	for _, kind := range kinds {
		for _, id := range t.v.Nodes(kind) {
			if err := t.computed.recompute(id); err != nil {
				return err
			}
		}
	}
	return nil
}
