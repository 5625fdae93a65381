package schema

import (
	"slices"
	"strings"
)

func attrPath(kind, name string) string { return kind + ".attributes[" + name + "]" }
func relPath(kind, name string) string  { return kind + ".relationships[" + name + "]" }

// Attribute returns the model's attribute called name, or nil.
func (m *Model) Attribute(name string) *Attribute {
	for _, a := range m.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Relationship returns the model's relationship called name, or nil.
func (m *Model) Relationship(name string) *Relationship {
	for _, r := range m.Relationships {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// resolve rebuilds the resolved view from the declared models.
func (b builder) resolve(ps *problems) {
	s := b.s
	s.generics = map[string]*Generic{}
	s.nodes = map[string]*Node{}
	s.profiles = map[string]*Node{}
	s.templates = map[string]*Node{}
	for _, kind := range sortedKeys(s.declGenerics) {
		g := cloneGeneric(s.declGenerics[kind])
		g.Kind = kind
		fillModel(&g.Model)
		resolveOwnElements(ps, &g.Model)
		if g.Hierarchical {
			addHierarchy(&g.Model, kind, nil, nil)
		}
		s.generics[kind] = g
	}
	for _, kind := range sortedKeys(s.declNodes) {
		n := cloneNode(s.declNodes[kind])
		n.Kind = kind
		fillModel(&n.Model)
		resolveOwnElements(ps, &n.Model)
		b.inherit(ps, n)
		s.nodes[kind] = n
	}
	for _, kind := range sortedKeys(s.nodes) {
		n := s.nodes[kind]
		for _, gk := range n.InheritFrom {
			if g, ok := s.generics[gk]; ok {
				g.UsedBy = append(g.UsedBy, kind)
			}
		}
		b.addImplicitRelationships(&n.Model)
	}
	for _, kind := range sortedKeys(s.generics) {
		b.addImplicitRelationships(&s.generics[kind].Model)
	}
	for _, kind := range sortedKeys(s.generics) {
		b.finishModel(ps, &s.generics[kind].Model)
	}
	for _, kind := range sortedKeys(s.nodes) {
		b.finishModel(ps, &s.nodes[kind].Model)
	}
	if len(ps.list) > 0 {
		return
	}
	b.generate()
	b.checkMenuPlacements()
	b.indexPeerReads()
	b.computeHashes()
}

func fillModel(m *Model) {
	m.Kind = m.Namespace + m.Name
	if m.State == "" {
		m.State = StatePresent
	}
	if m.Branch == "" {
		m.Branch = BranchAware
	}
	if m.Label == "" {
		m.Label = m.Name
	}
	if m.IncludeInMenu == nil {
		t := true
		m.IncludeInMenu = &t
	}
	if m.GenerateProfile == nil {
		t := !isReservedNamespace(m.Namespace) || m.Namespace == "Builtin"
		m.GenerateProfile = &t
	}
	if m.GenerateTemplate == nil {
		f := false
		m.GenerateTemplate = &f
	}
	if len(m.DisplayLabels) > 0 && m.DisplayLabel == nil && len(m.DisplayLabels) == 1 {
		dl := m.DisplayLabels[0]
		m.DisplayLabel = &dl
	}
}

// resolveOwnElements validates the model's own attributes and relationships and fills defaults.
func resolveOwnElements(ps *problems, m *Model) {
	seen := map[string]bool{}
	for _, a := range m.Attributes {
		p := attrPath(m.Kind, a.Name)
		if seen[a.Name] {
			ps.add(a.Pos, p+".name", "%q is declared twice", a.Name)
		}
		seen[a.Name] = true
		resolveAttribute(ps, a, p, m.Branch)
	}
	for _, r := range m.Relationships {
		p := relPath(m.Kind, r.Name)
		if seen[r.Name] {
			ps.add(r.Pos, p+".name", "%q is already used by another attribute or relationship", r.Name)
		}
		seen[r.Name] = true
		resolveRelationship(ps, r, p, m.Kind)
	}
}

func (b builder) inherit(ps *problems, n *Node) {
	s := b.s
	for _, gk := range n.InheritFrom {
		g, ok := s.generics[gk]
		if !ok {
			if _, isNode := s.declNodes[gk]; isNode {
				ps.add(n.Pos, n.Kind+".inherit_from", "%s is a node, not a generic", gk)
			} else {
				ps.add(n.Pos, n.Kind+".inherit_from", "unknown generic %q", gk)
			}
			continue
		}
		if len(g.RestrictedNamespaces) > 0 && !slices.Contains(g.RestrictedNamespaces, n.Namespace) {
			ps.add(n.Pos, n.Kind+".inherit_from", "namespace %s may not inherit from %s (restricted to %s)",
				n.Namespace, gk, strings.Join(g.RestrictedNamespaces, ", "))
		}
		for _, ga := range g.Attributes {
			if r := n.Relationship(ga.Name); r != nil {
				ps.add(r.Pos, relPath(n.Kind, r.Name), "conflicts with attribute %s inherited from %s", ga.Name, gk)
				continue
			}
			if a := n.Attribute(ga.Name); a != nil {
				p := attrPath(n.Kind, a.Name)
				switch {
				case a.Inherited && a.Kind != ga.Kind:
					ps.add(n.Pos, p+".kind", "kind %s inherited from %s conflicts with kind %s inherited from another generic", ga.Kind, gk, a.Kind)
				case a.Inherited:
				case a.Kind != ga.Kind:
					ps.add(a.Pos, p+".kind", "kind %s conflicts with kind %s of the attribute inherited from %s", a.Kind, ga.Kind, gk)
				case ga.AllowOverride == "none":
					ps.add(a.Pos, p, "overrides the attribute inherited from %s, which does not allow it (allow_override: none)", gk)
				}
				continue
			}
			c := *ga
			c.Inherited = true
			n.Attributes = append(n.Attributes, &c)
		}
		for _, gr := range g.Relationships {
			if g.Hierarchical && IsHierarchyField(gr.Name) {
				continue // the node gets its own parent and children below
			}
			if a := n.Attribute(gr.Name); a != nil {
				ps.add(a.Pos, attrPath(n.Kind, a.Name), "conflicts with relationship %s inherited from %s", gr.Name, gk)
				continue
			}
			if r := n.Relationship(gr.Name); r != nil {
				p := relPath(n.Kind, r.Name)
				switch {
				case r.Inherited && (r.Peer != gr.Peer || r.Cardinality != gr.Cardinality):
					ps.add(n.Pos, p, "relationship inherited from %s conflicts with the one inherited from another generic", gk)
				case r.Inherited:
				case gr.AllowOverride == "none":
					ps.add(r.Pos, p, "overrides the relationship inherited from %s, which does not allow it (allow_override: none)", gk)
				case r.Cardinality != gr.Cardinality:
					ps.add(r.Pos, p+".cardinality", "%s conflicts with cardinality %s of the relationship inherited from %s", r.Cardinality, gr.Cardinality, gk)
				}
				continue
			}
			c := *gr
			c.Inherited = true
			n.Relationships = append(n.Relationships, &c)
		}
		inheritProperties(&n.Model, &g.Model)
		if g.Hierarchical {
			if n.Hierarchy != nil && *n.Hierarchy != gk {
				ps.add(n.Pos, n.Kind+".inherit_from", "inherits from two hierarchical generics, %s and %s", *n.Hierarchy, gk)
				continue
			}
			h := gk
			n.Hierarchy = &h
		}
	}
	var parents []string
	for _, r := range n.Relationships {
		if r.Kind == RelParent {
			parents = append(parents, r.Name)
		}
	}
	if len(parents) > 1 {
		ps.add(n.Pos, n.Kind+".relationships", "only one relationship of kind Parent is allowed, found %s", strings.Join(parents, ", "))
	}
	if n.Hierarchy == nil {
		for prop, v := range map[string]*string{"parent": n.Parent, "children": n.Children} {
			if v != nil && *v != "" {
				ps.add(n.Pos, n.Kind+"."+prop, "only a node inheriting from a hierarchical generic has a %s", prop)
			}
		}
		return
	}
	addHierarchy(&n.Model, *n.Hierarchy, n.Parent, n.Children)
}

func inheritProperties(n, g *Model) {
	if len(n.HumanFriendlyID) == 0 {
		n.HumanFriendlyID = append([]string(nil), g.HumanFriendlyID...)
	}
	if n.DisplayLabel == nil && len(n.DisplayLabels) == 0 {
		n.DisplayLabel = g.DisplayLabel
		n.DisplayLabels = append([]string(nil), g.DisplayLabels...)
	}
	if n.DefaultFilter == nil {
		n.DefaultFilter = g.DefaultFilter
	}
	if len(n.OrderBy) == 0 {
		n.OrderBy = append([]string(nil), g.OrderBy...)
	}
	if len(n.UniquenessConstraints) == 0 {
		for _, u := range g.UniquenessConstraints {
			n.UniquenessConstraints = append(n.UniquenessConstraints, append([]string(nil), u...))
		}
	}
	if n.Icon == nil {
		n.Icon = g.Icon
	}
	if n.MenuPlacement == nil || *n.MenuPlacement == "" {
		n.MenuPlacement = g.MenuPlacement
	}
}

// HierarchyFields are the fields a kind of a hierarchy (a hierarchical generic and the nodes
// inheriting from it) gets for its place in the tree: parent and children are relationships,
// ancestors and descendants exist in GraphQL only. Every other relationship of a generic, whatever
// its kind, is inherited by its nodes as declared.
var HierarchyFields = []string{"parent", "children", "ancestors", "descendants"}

// IsHierarchyField reports whether name is one of HierarchyFields.
func IsHierarchyField(name string) bool { return slices.Contains(HierarchyFields, name) }

// addHierarchy gives m its parent and children relationships within hierarchy h.
func addHierarchy(m *Model, h string, parent, children *string) {
	pk, ck := h, h
	if parent != nil && *parent != "" {
		pk = *parent
	}
	if children != nil && *children != "" {
		ck = *children
	}
	hp := h
	f := false
	t := true
	mandatory := parent != nil && *parent != "" && *parent != h // a parent of the hierarchy itself may be absent (a root)
	if m.Relationship("parent") == nil {
		opt, minCount := &t, 0
		if mandatory {
			opt, minCount = &f, 1
		}
		m.Relationships = append(m.Relationships, &Relationship{Name: "parent", Peer: pk, Kind: RelHierarchy,
			Label: "Parent", Identifier: "parent__child", Cardinality: "one", MinCount: minCount, MaxCount: 1, Optional: opt,
			Direction: "outbound", Hierarchical: &hp, OnDelete: "no-action", AllowOverride: "any", State: StatePresent, Pos: m.Pos})
	}
	if m.Relationship("children") == nil {
		m.Relationships = append(m.Relationships, &Relationship{Name: "children", Peer: ck, Kind: RelHierarchy,
			Label: "Children", Identifier: "parent__child", Cardinality: "many", Optional: &t,
			Direction: "inbound", Hierarchical: &hp, OnDelete: "no-action", AllowOverride: "any", State: StatePresent, Pos: m.Pos})
	}
}

// addImplicitRelationships adds the relationships Infrahub gives every node and generic when the
// core defines their peers: group membership and subscription, and profiles. Every node and
// generic outside the reserved namespaces has profiles, whatever its generate_profile (which only
// decides whether Profile<Kind> exists), so that a generic and the nodes inheriting from it agree
// on it even when only some of them generate a profile (Infrahub's manage_profile_relationships).
func (b builder) addImplicitRelationships(n *Model) {
	s := b.s
	t := true
	add := func(name, peer, kind, id string, readOnly bool) {
		if _, ok := s.generics[peer]; !ok {
			return
		}
		if n.Relationship(name) != nil {
			return
		}
		n.Relationships = append(n.Relationships, &Relationship{Name: name, Peer: peer, Kind: kind,
			Label: labelOf(name), Identifier: id, Cardinality: "many", Optional: &t, Branch: BranchAware,
			Direction: "bidirectional", OnDelete: "no-action", AllowOverride: "any", State: StatePresent,
			ReadOnly: readOnly, Pos: n.Pos})
	}
	if profileAllowed(n.Namespace) {
		add("profiles", "CoreProfile", RelProfile, "node__profile", false)
	}
	add("member_of_groups", "CoreGroup", RelGroup, "group_member", false)
	add("subscriber_of_groups", "CoreGroup", RelGroup, "group_subscriber", false)
}

// modelBranch returns the branch support of kind (aware when unknown).
func (b builder) modelBranch(kind string) string {
	s := b.s
	if m, ok := s.Model(kind); ok {
		return m.Branch
	}
	return BranchAware
}

// finishModel runs the checks that need every model resolved: peers, relationship branch,
// identifiers, human_friendly_id, uniqueness, display label and order.
func (b builder) finishModel(ps *problems, m *Model) {
	s := b.s
	ids := map[string][]*Relationship{}
	for _, r := range m.Relationships {
		if !r.Inherited {
			if _, ok := s.Model(r.Peer); !ok && r.Peer != "" {
				ps.add(r.Pos, relPath(m.Kind, r.Name)+".peer", "unknown kind %q", r.Peer)
			}
		}
		if r.CommonParent != nil && *r.CommonParent != "" && !r.Inherited {
			b.checkCommonParent(ps, m, r, *r.CommonParent)
		}
		if r.Branch == "" {
			pb := b.modelBranch(r.Peer)
			switch {
			case m.Branch == BranchLocal || pb == BranchLocal:
				r.Branch = BranchLocal
			case m.Branch == BranchAgnostic && pb == BranchAgnostic:
				r.Branch = BranchAgnostic
			default:
				r.Branch = BranchAware
			}
		}
		if r.Kind != RelHierarchy {
			key := r.Identifier + "\x00" + r.Peer
			ids[key] = append(ids[key], r)
		}
	}
	for _, key := range sortedKeys(ids) {
		rs := ids[key]
		id, _, _ := strings.Cut(key, "\x00")
		if len(rs) < 2 {
			continue
		}
		if len(rs) == 2 && rs[0].Direction != rs[1].Direction && rs[0].Direction != "bidirectional" && rs[1].Direction != "bidirectional" {
			continue
		}
		r := rs[1]
		ps.add(r.Pos, relPath(m.Kind, r.Name)+".identifier", "identifier %q is also used by relationship %s; give one an explicit identifier or set opposite directions (inbound/outbound)", id, rs[0].Name)
	}
	for _, r := range m.Relationships {
		switch r.Kind {
		case RelGeneric, RelAttribute, RelComponent, RelParent:
			if !r.Inherited {
				b.checkPairing(ps, m, r)
			}
		}
	}
	b.validateReferences(ps, m)
	b.checkComputed(ps, m)
}
