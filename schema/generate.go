package schema

import (
	"slices"
	"strings"
)

func intp(v int) *int { return &v }

// generate builds the Profile<Kind> and Template<Kind> kinds.
func (b builder) generate() {
	s := b.s
	for _, kind := range sortedKeys(s.nodes) {
		n := s.nodes[kind]
		if *n.GenerateProfile && profileAllowed(n.Namespace) {
			s.profiles["Profile"+kind] = b.profileOf(&n.Model)
		}
	}
	for _, kind := range sortedKeys(s.generics) {
		g := s.generics[kind]
		if *g.GenerateProfile && profileAllowed(g.Namespace) {
			s.profiles["Profile"+kind] = b.profileOf(&g.Model)
		}
	}
	for _, kind := range sortedKeys(s.nodes) {
		if n := s.nodes[kind]; *n.GenerateTemplate {
			b.templateOf(kind)
		}
	}
	// The template of a generic is a generic too, used by the templates of its nodes.
	for _, tk := range sortedKeys(s.templates) {
		g, ok := s.generics[tk[len("Template"):]]
		if !ok {
			continue
		}
		tg := &Generic{Model: s.templates[tk].Model}
		tg.Relationships = slices.DeleteFunc(tg.Relationships, func(r *Relationship) bool { return r.Name == "related_nodes" })
		for _, used := range g.UsedBy {
			nt, ok := s.templates["Template"+used]
			if !ok {
				continue
			}
			tg.UsedBy = append(tg.UsedBy, nt.Kind)
			if !slices.Contains(nt.InheritFrom, tk) {
				nt.InheritFrom = append(nt.InheritFrom, tk)
			}
		}
		delete(s.templates, tk)
		s.generics[tk] = tg
	}
	// Generated kinds are used by the generics they inherit (CoreProfile, CoreObjectTemplate,
	// CoreNode, LineageSource): lists and lookups through a generic find them.
	for _, group := range []map[string]*Node{s.profiles, s.templates} {
		for _, kind := range sortedKeys(group) {
			for _, g := range group[kind].InheritFrom {
				if gen, ok := s.generics[g]; ok && !slices.Contains(gen.UsedBy, kind) {
					gen.UsedBy = append(gen.UsedBy, kind)
				}
			}
		}
	}
	// nodes with a template may be created from it
	t := true
	for _, kind := range sortedKeys(s.templates) {
		n, ok := s.nodes[kind[len("Template"):]]
		if !ok || n.Relationship("object_template") != nil {
			continue
		}
		n.Relationships = append(n.Relationships, &Relationship{Name: "object_template", Peer: kind,
			Kind: RelTemplate, Label: "Object Template", Identifier: "node__objecttemplate", Cardinality: "one",
			MaxCount: 1, Optional: &t, Branch: BranchAware, Direction: "outbound", OnDelete: "no-action",
			AllowOverride: "any", State: StatePresent, Pos: n.Pos})
	}
	// Every node but a group is a CoreNode (Infrahub's root interface): relationships to CoreNode
	// (group members and subscribers, lineage) take any of them.
	if g, ok := s.generics["CoreNode"]; ok {
		for _, group := range []map[string]*Node{s.nodes, s.profiles, s.templates} {
			for _, kind := range sortedKeys(group) {
				if !slices.Contains(group[kind].InheritFrom, "CoreGroup") && !slices.Contains(g.UsedBy, kind) {
					g.UsedBy = append(g.UsedBy, kind)
				}
			}
		}
		slices.Sort(g.UsedBy)
	}
}

func profileAllowed(ns string) bool { return !isReservedNamespace(ns) || ns == "Builtin" }

func (b builder) existing(kinds ...string) []string {
	s := b.s
	var out []string
	for _, k := range kinds {
		if _, ok := s.Model(k); ok {
			out = append(out, k)
		}
	}
	return out
}

func (b builder) profileOf(m *Model) *Node {
	kind := "Profile" + m.Kind
	desc := "Profile for " + m.Kind
	f, t := false, true
	filter := "profile_name__value"
	p := &Node{Model: Model{Name: m.Kind, Namespace: "Profile", Kind: kind, State: StatePresent,
		Description: &desc, Label: "Profile " + m.Label, Branch: m.Branch, DefaultFilter: &filter,
		HumanFriendlyID: []string{"profile_name__value"}, DisplayLabels: []string{"profile_name__value"},
		IncludeInMenu: &f, GenerateProfile: &f, GenerateTemplate: &f, Pos: m.Pos},
		InheritFrom: b.existing("LineageSource", "CoreProfile", "CoreNode")}
	p.DisplayLabel = &filter
	p.Attributes = []*Attribute{
		{Name: "profile_name", Kind: "Text", Label: "Profile Name", Unique: true, Branch: m.Branch,
			MinLength: intp(3), MaxLength: intp(32), OrderWeight: intp(1000), AllowOverride: "any", State: StatePresent},
		{Name: "profile_priority", Kind: "Number", Label: "Profile Priority", Optional: true, Branch: m.Branch,
			DefaultValue: 1000, OrderWeight: intp(2000), AllowOverride: "any", State: StatePresent},
	}
	for _, a := range m.Attributes {
		// A profile gives values to any attribute but unique and read-only ones (mandatory ones
		// too, since Infrahub 1.7: a node then need not give them itself).
		if a.Unique || a.ReadOnly {
			continue
		}
		c := *a
		c.Optional, c.Unique, c.Inherited, c.DefaultValue = true, false, false, nil
		p.Attributes = append(p.Attributes, &c)
	}
	p.Relationships = []*Relationship{{Name: "related_nodes", Peer: m.Kind, Kind: RelProfile, Label: "Related Nodes",
		Identifier: "node__profile", Cardinality: "many", Optional: &t, Branch: m.Branch, Direction: "bidirectional",
		OnDelete: "no-action", AllowOverride: "any", State: StatePresent, Pos: m.Pos}}
	b.addImplicitRelationships(&p.Model)
	return p
}

// templateOf builds Template<kind> and the templates of its Component peers.
func (b builder) templateOf(kind string) {
	s := b.s
	tk := "Template" + kind
	if _, done := s.templates[tk]; done {
		return
	}
	n, ok := s.nodes[kind]
	var m *Model
	if ok {
		m = &n.Model
	} else if g, ok := s.generics[kind]; ok {
		m = &g.Model
	} else {
		return
	}
	f := false
	desc := "Object template for " + kind
	filter := "template_name__value"
	tpl := &Node{Model: Model{Name: kind, Namespace: "Template", Kind: tk, State: StatePresent,
		Description: &desc, Label: "Object template " + m.Label, Branch: m.Branch, DefaultFilter: &filter,
		HumanFriendlyID: []string{"template_name__value"}, DisplayLabel: &filter,
		UniquenessConstraints: [][]string{{"template_name__value"}}, IncludeInMenu: &f,
		GenerateProfile: &f, GenerateTemplate: &f, Pos: m.Pos},
		InheritFrom: b.existing("LineageSource", "CoreObjectTemplate", "CoreNode")}
	s.templates[tk] = tpl
	tpl.Attributes = []*Attribute{{Name: "template_name", Kind: "Text", Label: "Template Name", Unique: true,
		Branch: m.Branch, OrderWeight: intp(1000), AllowOverride: "any", State: StatePresent}}
	for _, a := range m.Attributes {
		c := *a
		c.Optional, c.Unique, c.Inherited = true, false, false
		tpl.Attributes = append(tpl.Attributes, &c)
	}
	explicit := m.GenerateTemplate != nil && *m.GenerateTemplate
	var follow []string
	for _, r := range m.Relationships {
		c := *r
		c.Inherited = false
		// A template asked for by its kind leaves every relationship but its parent to the
		// objects made from it; a component's template keeps the kind's rules.
		if explicit && r.Kind != RelParent {
			t := true
			c.Optional, c.MinCount = &t, 0
		}
		switch r.Kind {
		case RelComponent, RelParent:
			// the identifier stays that of the original pair so that both ends still match
			c.Peer = "Template" + r.Peer
			if r.Kind == RelComponent {
				follow = append(follow, r.Peer)
			}
		case RelGeneric, RelAttribute:
		default:
			continue
		}
		tpl.Relationships = append(tpl.Relationships, &c)
		if pool := b.poolFor(r); pool != "" {
			tpl.Relationships = append(tpl.Relationships, b.fromPool(tk, r.Name, pool, m.Pos))
		}
	}
	for _, a := range m.Attributes {
		if a.Kind == "Number" && !a.Unique && !a.ReadOnly {
			if _, ok := s.nodes["CoreNumberPool"]; ok {
				tpl.Relationships = append(tpl.Relationships, b.fromPool(tk, a.Name, "CoreNumberPool", m.Pos))
			}
		}
	}
	b.addImplicitRelationships(&tpl.Model)
	// A template names the profiles its objects get (the kind's profiles).
	if m.GenerateProfile != nil && *m.GenerateProfile && profileAllowed(m.Namespace) && tpl.Relationship("profiles") == nil {
		if _, ok := s.generics["CoreProfile"]; ok {
			t := true
			tpl.Relationships = append(tpl.Relationships, &Relationship{Name: "profiles", Peer: "CoreProfile", Kind: RelProfile,
				Label: "Profiles", Identifier: "template__profile", Cardinality: "many", Optional: &t, Branch: BranchAware,
				Direction: "bidirectional", OnDelete: "no-action", AllowOverride: "any", State: StatePresent, Pos: m.Pos})
		}
	}
	for _, peer := range follow {
		b.templateOf(peer)
		if g, ok := s.generics[peer]; ok {
			for _, used := range g.UsedBy {
				b.templateOf(used)
			}
		}
	}
	// a Parent relationship of a component template points at a template that may not exist
	for _, r := range tpl.Relationships {
		if r.Kind == RelParent {
			b.templateOf(r.Peer[len("Template"):])
		}
	}
}

// FromPoolSuffix ends the name of a template's companion relationship to a resource pool: an
// object made from the template takes that field's value from the pool.
const FromPoolSuffix = "_from_resource_pool"

// poolFor is the pool kind a cardinality-one relationship to an IP address or prefix can take
// its peer from (empty: none).
func (b builder) poolFor(r *Relationship) string {
	s := b.s
	if r.Cardinality != "one" {
		return ""
	}
	switch {
	case b.inherits(r.Peer, "BuiltinIPAddress"):
		if _, ok := s.nodes["CoreIPAddressPool"]; ok {
			return "CoreIPAddressPool"
		}
	case b.inherits(r.Peer, "BuiltinIPPrefix"):
		if _, ok := s.nodes["CoreIPPrefixPool"]; ok {
			return "CoreIPPrefixPool"
		}
	}
	return ""
}

// inherits reports whether kind is generic or one of its nodes inherits from it.
func (b builder) inherits(kind, generic string) bool {
	s := b.s
	if kind == generic {
		return true
	}
	if n, ok := s.nodes[kind]; ok {
		return slices.Contains(n.InheritFrom, generic)
	}
	return false
}

// fromPool is a template's companion relationship <field>_from_resource_pool to a pool kind.
func (b builder) fromPool(tk, field, pool string, pos Pos) *Relationship {
	t := true
	return &Relationship{Name: field + FromPoolSuffix, Peer: pool, Kind: RelAttribute, Label: labelOf(field + FromPoolSuffix),
		Identifier: strings.ToLower(tk) + "__" + field + FromPoolSuffix, Cardinality: "one", Optional: &t, Branch: BranchAware,
		Direction: "outbound", OnDelete: "no-action", AllowOverride: "any", State: StatePresent, Pos: pos}
}
