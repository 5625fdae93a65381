package nodetx

import (
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// templater makes nodes from object templates.
type templater struct{ tx *Tx }

// create creates a node, filled from its object template when it names one.
func (rx templater) create(m *schema.Node, id graph.NodeID, fresh bool, attrs map[string]attrInput, rels *relSet) (*txNode, error) {
	t := rx.tx
	tpl := t.templates.fill(m, attrs, rels)
	if tpl != nil {
		if err := t.templates.allocate(m, tpl, attrs, rels); err != nil {
			return nil, err
		}
	}
	n, err := t.create(m, id, fresh, attrs, rels)
	if err != nil || tpl == nil {
		return n, err
	}
	return n, t.templates.components(n, tpl, 0)
}

// fill adds to attrs and rels what the node's template gives and the command does
// not; it returns the template (nil when none).
func (rx templater) fill(m *schema.Node, attrs map[string]attrInput, rels *relSet) *txNode {
	t := rx.tx
	in, ok := rels.get("object_template")
	if !ok || len(in.peers) == 0 {
		return nil
	}
	tpl := t.st.node(in.peers[0])
	if tpl == nil || tpl.model == nil {
		return nil
	}
	for _, a := range m.Attributes {
		if _, given := attrs[a.Name]; given || a.State == schema.StateAbsent || tpl.model.Attribute(a.Name) == nil {
			continue
		}
		// A value the template took from a profile is left to the node's own profiles.
		if st, ok := t.st.attr(tpl, a.Name); ok && st.Value != nil && !st.IsDefault && !t.profiles.sourced(st) {
			attrs[a.Name] = attrInput{value: st.Value, hasValue: true}
		}
	}
	for _, r := range m.Relationships {
		switch r.Kind {
		case schema.RelAttribute, schema.RelGeneric, schema.RelProfile:
		default:
			continue
		}
		if rels.has(r.Name) || r.Name == "object_template" || r.State == schema.StateAbsent {
			continue
		}
		tr := tpl.model.Relationship(r.Name)
		if tr == nil || tr.Peer != r.Peer && !strings.HasPrefix(tr.Peer, "Core") {
			continue
		}
		if peers := t.st.peersOf(tpl.id, nodes.RelField(tr.Identifier, tr.Direction)); len(peers) > 0 {
			rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: peers})
		}
	}
	return tpl
}

// allocate gives each relationship and attribute the node does not give its
// resource from the pool the template names in <field>_from_resource_pool (IP address pools for
// relationships, number pools for attributes).
func (rx templater) allocate(m *schema.Node, tpl *txNode, attrs map[string]attrInput, rels *relSet) error {
	t := rx.tx
	for _, a := range m.Attributes {
		if _, given := attrs[a.Name]; given || a.State == schema.StateAbsent {
			continue
		}
		pr := tpl.model.Relationship(a.Name + schema.FromPoolSuffix)
		if pr == nil || pr.Peer != "CoreNumberPool" {
			continue
		}
		pools := t.st.peersOf(tpl.id, nodes.RelField(pr.Identifier, pr.Direction))
		if len(pools) == 0 {
			continue
		}
		v, key, err := t.pools.allocateNumber(PoolRef{ID: pools[0].String()}, m, a.Name)
		if err != nil {
			return nodeError(m.Kind, a.Name, err)
		}
		attrs[a.Name] = attrInput{value: v, hasValue: true, extra: &attrExtra{claim: key}}
	}
	for _, r := range m.Relationships {
		if rels.has(r.Name) || r.Cardinality != "one" {
			continue
		}
		pr := tpl.model.Relationship(r.Name + schema.FromPoolSuffix)
		if pr == nil || pr.Peer != "CoreIPAddressPool" {
			continue
		}
		pools := t.st.peersOf(tpl.id, nodes.RelField(pr.Identifier, pr.Direction))
		if len(pools) == 0 {
			continue
		}
		id, err := t.pools.allocateIP(PoolRef{ID: pools[0].String()})
		if err != nil {
			return nodeError(m.Kind, r.Name, err)
		}
		rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{id}})
	}
	return nil
}

// maxTemplateDepth bounds components of components made from templates.
const maxTemplateDepth = 8

// components creates, under n, a component for each one its template holds.
func (rx templater) components(n, tpl *txNode, depth int) error {
	t := rx.tx
	if depth > maxTemplateDepth {
		return fmt.Errorf("%w: object template %s nests components deeper than %d", fault.ErrInvalid, tpl.id, maxTemplateDepth)
	}
	for _, tr := range tpl.model.Relationships {
		if tr.Kind != schema.RelComponent {
			continue
		}
		nr := n.model.Relationship(tr.Name)
		if nr == nil {
			continue
		}
		for _, p := range t.st.peersOf(tpl.id, nodes.RelField(tr.Identifier, tr.Direction)) {
			ct := t.st.node(p)
			if ct == nil || !ct.live {
				continue
			}
			cm, err := t.parse.model(strings.TrimPrefix(ct.kind, "Template"))
			if err != nil {
				return fmt.Errorf("object template %s, component %s: %w", tpl.id, p, err)
			}
			rels := newRelSet(2)
			for _, r := range cm.Relationships {
				if r.Kind == schema.RelParent && r.Identifier == nr.Identifier {
					rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{n.id}})
				}
			}
			if r := cm.Relationship("object_template"); r != nil {
				rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{ct.id}})
			}
			attrs := map[string]attrInput{}
			sub := t.templates.fill(cm, attrs, rels)
			child, err := t.create(cm, graph.NewNodeID(), true, attrs, rels)
			if err != nil {
				return fmt.Errorf("object template %s, component %s: %w", tpl.id, p, err)
			}
			if sub != nil {
				if err := t.templates.components(child, sub, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
