package schema

import "slices"

// checkCommonParent checks that both ends of r have the card-one relationship cp: their peers
// must then share that parent.
func (b builder) checkCommonParent(ps *problems, m *Model, r *Relationship, cp string) {
	s := b.s
	path := relPath(m.Kind, r.Name) + ".common_parent"
	for _, end := range []string{m.Kind, r.Peer} {
		em, ok := s.Model(end)
		if !ok {
			return // reported as an unknown peer
		}
		if pr := em.Relationship(cp); pr == nil || pr.Cardinality != "one" {
			ps.add(r.Pos, path, "%s has no relationship %s of cardinality one", end, cp)
		}
	}
}

// family returns kind with the generics it inherits from and, for a generic, the nodes using it.
func (b builder) family(kind string) []string {
	s := b.s
	out := []string{kind}
	if n, ok := s.nodes[kind]; ok {
		out = append(out, n.InheritFrom...)
	}
	if g, ok := s.generics[kind]; ok {
		out = append(out, g.UsedBy...)
	}
	return out
}

// checkPairing checks that the relationships of the peer sharing r's identifier point back at
// m (or a kind related to it by inheritance).
func (b builder) checkPairing(ps *problems, m *Model, r *Relationship) {
	s := b.s
	peer, ok := s.Model(r.Peer)
	if !ok {
		return
	}
	mine := b.family(m.Kind)
	var other *Relationship
	for _, pr := range peer.Relationships {
		if pr.Identifier != r.Identifier || pr == r {
			continue
		}
		for _, k := range b.family(pr.Peer) {
			if k == "CoreNode" || slices.Contains(mine, k) { // every node is a CoreNode
				return
			}
		}
		other = pr
	}
	if other != nil {
		ps.add(r.Pos, relPath(m.Kind, r.Name)+".identifier", "identifier %q pairs with %s.%s, whose peer %s is not %s",
			r.Identifier, r.Peer, other.Name, other.Peer, m.Kind)
	}
}
