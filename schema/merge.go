package schema

import "fmt"

func cloneModel(m Model) Model {
	c := m
	c.Attributes = make([]*Attribute, 0, len(m.Attributes))
	for _, a := range m.Attributes {
		if a != nil {
			ac := *a
			c.Attributes = append(c.Attributes, &ac)
		}
	}
	c.Relationships = make([]*Relationship, 0, len(m.Relationships))
	for _, r := range m.Relationships {
		if r != nil {
			rc := *r
			c.Relationships = append(c.Relationships, &rc)
		}
	}
	c.HumanFriendlyID = append([]string(nil), m.HumanFriendlyID...)
	c.DisplayLabels = append([]string(nil), m.DisplayLabels...)
	c.OrderBy = append([]string(nil), m.OrderBy...)
	c.UniquenessConstraints = nil
	for _, u := range m.UniquenessConstraints {
		c.UniquenessConstraints = append(c.UniquenessConstraints, append([]string(nil), u...))
	}
	return c
}

func cloneNode(n *Node) *Node {
	c := *n
	c.Model = cloneModel(n.Model)
	c.InheritFrom = append([]string(nil), n.InheritFrom...)
	return &c
}

func cloneGeneric(g *Generic) *Generic {
	c := *g
	c.Model = cloneModel(g.Model)
	c.RestrictedNamespaces = append([]string(nil), g.RestrictedNamespaces...)
	c.UsedBy = nil
	return &c
}

// findByID returns the kind of a declared model holding id, if any.
func (b builder) findByID(id string) string {
	s := b.s
	if id == "" {
		return ""
	}
	for k, n := range s.declNodes {
		if n.ID == id {
			return k
		}
	}
	for k, g := range s.declGenerics {
		if g.ID == id {
			return k
		}
	}
	return ""
}

func (b builder) applyGeneric(ps *problems, g *Generic, builtin bool, i int) {
	s := b.s
	applyDecl(b, ps, g, func(g *Generic) *Model { return &g.Model }, s.declGenerics,
		func(kind string) bool { _, ok := s.declNodes[kind]; return ok }, "generics", "node", builtin, i)
}

func (b builder) applyNode(ps *problems, n *Node, builtin bool, i int) {
	s := b.s
	applyDecl(b, ps, n, func(n *Node) *Model { return &n.Model }, s.declNodes,
		func(kind string) bool { _, ok := s.declGenerics[kind]; return ok }, "nodes", "generic", builtin, i)
}

// applyDecl merges one declared generic or node into decls, the declarations of its sort:
// a new kind is added, a known one (by kind, or by id for a rename) keeps the elements the new
// declaration does not list, and state absent removes it. isOther reports a kind declared as the
// other sort, otherSort names it; section and i locate a declaration without a name.
func applyDecl[T any](b builder, ps *problems, el T, model func(T) *Model, decls map[string]T,
	isOther func(string) bool, section, otherSort string, builtin bool, i int) {
	m := model(el)
	kind := m.Namespace + m.Name
	path := kind
	if m.Name == "" || m.Namespace == "" {
		path = fmt.Sprintf("%s[%d]", section, i)
	}
	if !validateModelName(ps, m, path, builtin) {
		return
	}
	if isOther(kind) && m.State != StateAbsent {
		ps.add(m.Pos, path, "kind %s is already defined as a %s", kind, otherSort)
		return
	}
	old, had := decls[kind]
	if !had {
		if prev := b.findByID(m.ID); prev != "" && prev != kind {
			if o, ok := decls[prev]; ok {
				old, had = o, true
				delete(decls, prev)
			}
		}
	}
	if m.State == StateAbsent {
		delete(decls, kind)
		return
	}
	if had {
		om := model(old)
		mergeElements(m, om)
		if m.ID == "" {
			m.ID = om.ID
		}
	}
	decls[kind] = el
}

// mergeElements keeps in m the elements of old that m does not list, applies renames (an element
// given with the id of an old one) and drops elements whose state is absent.
func mergeElements(m, old *Model) {
	m.Attributes = mergeList(old.Attributes, m.Attributes,
		func(a *Attribute) (string, string, string) { return a.Name, a.ID, a.State })
	m.Relationships = mergeList(old.Relationships, m.Relationships,
		func(r *Relationship) (string, string, string) { return r.Name, r.ID, r.State })
}

func mergeList[T any](old, upd []*T, key func(*T) (name, id, state string)) []*T {
	out := make([]*T, 0, len(old)+len(upd))
	out = append(out, old...)
	for _, u := range upd {
		name, id, state := key(u)
		idx := -1
		for i, o := range out {
			oname, oid, _ := key(o)
			if oname == name || (id != "" && oid == id) {
				idx = i
				break
			}
		}
		switch {
		case state == StateAbsent && idx >= 0:
			out = append(out[:idx], out[idx+1:]...)
		case state == StateAbsent:
		case idx >= 0:
			out[idx] = u
		default:
			out = append(out, u)
		}
	}
	return out
}

func (b builder) applyExtension(ps *problems, e *NodeExtension) {
	s := b.s
	path := "extensions.nodes[" + e.Kind + "]"
	var m *Model
	if n, ok := s.declNodes[e.Kind]; ok {
		c := cloneNode(n)
		s.declNodes[e.Kind] = c
		m = &c.Model
	} else if g, ok := s.declGenerics[e.Kind]; ok {
		c := cloneGeneric(g)
		s.declGenerics[e.Kind] = c
		m = &c.Model
	} else {
		ps.add(e.Pos, path+".kind", "unknown kind %q", e.Kind)
		return
	}
	ext := Model{Attributes: e.Attributes, Relationships: e.Relationships}
	ext = cloneModel(ext)
	mergeElements(&ext, m)
	m.Attributes, m.Relationships = ext.Attributes, ext.Relationships
}
