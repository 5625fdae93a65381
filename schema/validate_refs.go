package schema

import (
	"fmt"
	"slices"
	"strings"
)

// refRule says what a reference (hfid, uniqueness constraint, display label, order_by) may name.
type refRule struct {
	prop        string // property name for messages
	bareRel     bool   // a card-one relationship by its name alone (uniqueness constraints)
	mandatory   bool   // relationships must be mandatory (human_friendly_id)
	metadata    bool   // node_metadata__created_at / updated_at (order_by)
	orderSuffix bool   // optional __asc / __desc (order_by)
}

// checkRef validates one reference of m; it returns a message or "".
func (b builder) checkRef(m *Model, ref string, rule refRule) string {
	if rule.orderSuffix {
		ref = strings.TrimSuffix(strings.TrimSuffix(ref, "__asc"), "__desc")
	}
	if rule.metadata && (ref == "node_metadata__created_at" || ref == "node_metadata__updated_at") {
		return ""
	}
	parts := strings.Split(ref, "__")
	switch len(parts) {
	case 1:
		if rule.bareRel {
			if r := m.Relationship(parts[0]); r != nil {
				if r.Cardinality != "one" {
					return fmt.Sprintf("%q: relationship %s must have cardinality one", ref, r.Name)
				}
				return ""
			}
		}
		return fmt.Sprintf("%q is not of the form <attribute>__value or <relationship>__<attribute>__value", ref)
	case 2:
		a := m.Attribute(parts[0])
		if a == nil {
			if m.Relationship(parts[0]) != nil {
				return fmt.Sprintf("%q: %s is a relationship; use %s__<attribute>__value", ref, parts[0], parts[0])
			}
			return fmt.Sprintf("%q: unknown attribute %s", ref, parts[0])
		}
		if !rule.metadata && !isAttrProperty(parts[1]) {
			return fmt.Sprintf("%q: unknown attribute property %s", ref, parts[1])
		}
		return ""
	case 3:
		r := m.Relationship(parts[0])
		if r == nil {
			return fmt.Sprintf("%q: unknown relationship %s", ref, parts[0])
		}
		if r.Cardinality != "one" {
			return fmt.Sprintf("%q: relationship %s must have cardinality one", ref, r.Name)
		}
		if rule.mandatory && r.IsOptional() {
			return fmt.Sprintf("%q: relationship %s must be mandatory (optional: false)", ref, r.Name)
		}
		if !b.peerHasAttr(r.Peer, parts[1]) {
			return fmt.Sprintf("%q: peer %s has no attribute %s", ref, r.Peer, parts[1])
		}
		if !rule.metadata && !isAttrProperty(parts[2]) {
			return fmt.Sprintf("%q: unknown attribute property %s", ref, parts[2])
		}
		return ""
	}
	return fmt.Sprintf("%q is not of the form <attribute>__value or <relationship>__<attribute>__value", ref)
}

func isAttrProperty(p string) bool {
	switch p {
	case "value", "id", "is_protected", "is_visible", "source", "owner", "updated_at":
		return true
	}
	return false
}

// validateReferences checks human_friendly_id, uniqueness_constraints, display labels, order_by
// and default_filter, derives the human_friendly_id from a single unique attribute and adds the
// uniqueness constraint that a human_friendly_id implies.
func (b builder) validateReferences(ps *problems, m *Model) {
	hfidRule := refRule{prop: "human_friendly_id"}
	for i, ref := range m.HumanFriendlyID {
		if msg := b.checkRef(m, ref, hfidRule); msg != "" {
			ps.add(m.Pos, fmt.Sprintf("%s.human_friendly_id[%d]", m.Kind, i), "%s", msg)
		}
	}
	for i, uc := range m.UniquenessConstraints {
		for _, ref := range uc {
			if msg := b.checkRef(m, ref, refRule{prop: "uniqueness_constraints", bareRel: true}); msg != "" {
				ps.add(m.Pos, fmt.Sprintf("%s.uniqueness_constraints[%d]", m.Kind, i), "%s", msg)
			}
		}
	}
	for i, ref := range m.OrderBy {
		if msg := b.checkRef(m, ref, refRule{prop: "order_by", metadata: true, orderSuffix: true}); msg != "" {
			ps.add(m.Pos, fmt.Sprintf("%s.order_by[%d]", m.Kind, i), "%s", msg)
		}
	}
	for i, ref := range m.DisplayLabels {
		if msg := b.checkRef(m, ref, refRule{prop: "display_labels"}); msg != "" {
			ps.add(m.Pos, fmt.Sprintf("%s.display_labels[%d]", m.Kind, i), "%s", msg)
		}
	}
	if m.DisplayLabel != nil {
		b.checkDisplayLabel(ps, m, *m.DisplayLabel)
	}
	if m.DefaultFilter != nil && *m.DefaultFilter != "" {
		if msg := b.checkRef(m, *m.DefaultFilter, refRule{prop: "default_filter"}); msg != "" {
			ps.add(m.Pos, m.Kind+".default_filter", "%s", msg)
		}
	}
	if len(m.HumanFriendlyID) == 0 {
		var unique []string
		for _, a := range m.Attributes {
			if a.Unique {
				unique = append(unique, a.Name+"__value")
			}
		}
		if len(unique) == 1 {
			m.HumanFriendlyID = unique
		}
	}
	if len(m.HumanFriendlyID) > 0 {
		// the implied constraint names a relationship by its name alone
		implied := make([]string, len(m.HumanFriendlyID))
		for i, ref := range m.HumanFriendlyID {
			implied[i] = ref
			if parts := strings.Split(ref, "__"); len(parts) == 3 {
				implied[i] = parts[0]
			}
		}
		if !slices.ContainsFunc(m.UniquenessConstraints, func(u []string) bool { return slices.Equal(u, implied) }) {
			m.UniquenessConstraints = append(m.UniquenessConstraints, implied)
		}
	}
}

func (b builder) checkDisplayLabel(ps *problems, m *Model, dl string) {
	path := m.Kind + ".display_label"
	if !strings.Contains(dl, "{{") && !strings.Contains(dl, "{%") {
		if msg := b.checkRef(m, dl, refRule{prop: "display_label"}); msg != "" {
			ps.add(m.Pos, path, "%s", msg)
		}
		return
	}
	t := b.parseTemplate(ps, m.Pos, path, dl)
	if t == nil {
		return
	}
	for _, v := range t.Variables() {
		if msg := b.checkRef(m, v, refRule{prop: "display_label"}); msg != "" {
			ps.add(m.Pos, path, "template variable %s", msg)
		}
	}
}

// peerHasAttr reports whether kind has attribute name; a generic lacking it is accepted when
// every node using it has it (from another generic).
func (b builder) peerHasAttr(kind, name string) bool {
	s := b.s
	m, ok := s.Model(kind)
	if !ok || m.Attribute(name) != nil {
		return true // an unknown peer is reported on its own
	}
	g, ok := s.generics[kind]
	if !ok || len(g.UsedBy) == 0 {
		return false
	}
	for _, nk := range g.UsedBy {
		if n, ok := s.nodes[nk]; !ok || n.Attribute(name) == nil {
			return false
		}
	}
	return true
}
