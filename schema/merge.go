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
func (s *Set) findByID(id string) string {
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

func (s *Set) applyGeneric(ps *problems, g *Generic, builtin bool, i int) {
	kind := g.Namespace + g.Name
	path := kind
	if g.Name == "" || g.Namespace == "" {
		path = fmt.Sprintf("generics[%d]", i)
	}
	if !validateModelName(ps, &g.Model, path, builtin) {
		return
	}
	if _, ok := s.declNodes[kind]; ok && g.State != StateAbsent {
		ps.add(g.Pos, path, "kind %s is already defined as a node", kind)
		return
	}
	old := s.declGenerics[kind]
	if old == nil {
		if prev := s.findByID(g.ID); prev != "" && prev != kind {
			if pg, ok := s.declGenerics[prev]; ok {
				old = pg
				delete(s.declGenerics, prev)
			}
		}
	}
	if g.State == StateAbsent {
		delete(s.declGenerics, kind)
		return
	}
	if old != nil {
		mergeElements(&g.Model, &old.Model)
		if g.ID == "" {
			g.ID = old.ID
		}
	}
	s.declGenerics[kind] = g
}

func (s *Set) applyNode(ps *problems, n *Node, builtin bool, i int) {
	kind := n.Namespace + n.Name
	path := kind
	if n.Name == "" || n.Namespace == "" {
		path = fmt.Sprintf("nodes[%d]", i)
	}
	if !validateModelName(ps, &n.Model, path, builtin) {
		return
	}
	if _, ok := s.declGenerics[kind]; ok && n.State != StateAbsent {
		ps.add(n.Pos, path, "kind %s is already defined as a generic", kind)
		return
	}
	old := s.declNodes[kind]
	if old == nil {
		if prev := s.findByID(n.ID); prev != "" && prev != kind {
			if pn, ok := s.declNodes[prev]; ok {
				old = pn
				delete(s.declNodes, prev)
			}
		}
	}
	if n.State == StateAbsent {
		delete(s.declNodes, kind)
		return
	}
	if old != nil {
		mergeElements(&n.Model, &old.Model)
		if n.ID == "" {
			n.ID = old.ID
		}
	}
	s.declNodes[kind] = n
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

func (s *Set) applyExtension(ps *problems, e *NodeExtension) {
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
