package activity

import (
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// mutationAction is Infrahub's MutationAction of a node event name.
func mutationAction(name string) string {
	return strings.TrimPrefix(name, "infrahub.node.")
}

// node derives the events of one node's change: its node event, then the group events of the
// membership edges it changed, then the artifact event of an artifact.
func (d *deriving) node(br string, c nodeChange, level int) error {
	pos := d.env.GlobalPosition
	set := d.set(br)
	var model *schema.Model
	if set != nil {
		model, _ = set.Model(c.kind)
	}
	// The node before and after the event: its previous values (attributes) and display label
	// (changelog), which records leave out, and an artifact's checksums. The label alone is read
	// when that is all the node after is needed for.
	var prev, cur graph.Node
	var hasPrev, hasCur bool
	var err error
	artifact := c.kind == KindArtifact
	if c.op != NodeCreated && (!d.records || artifact) {
		if prev, hasPrev, err = d.read(br, pos-1, c.id); err != nil {
			return err
		}
	}
	if c.op != NodeDeleted && (!d.records || artifact) {
		if artifact {
			cur, hasCur, err = d.read(br, pos, c.id)
		} else {
			cur.DisplayLabel, hasCur, err = d.label(br, pos, c.id)
		}
		if err != nil {
			return err
		}
	}
	if c.kind != "" {
		d.learn(c.id, c.kind)
	}
	e := d.base(c.op, br)
	e.Level = level
	// The changelog's mutation is allocated with the primary node, one object for both, and
	// with the event's slice and its relationship when it is the envelope's one event (a node
	// event of its own) with at most one edge.
	var (
		parts   *nodeEventParts
		rels    []RelationshipChange // where the relationships go (nil: allocated)
		related []NodeRef            // where the related nodes go (nil: allocated)
	)
	switch {
	case d.records:
		e.PrimaryNode = d.ref(NodeRef{ID: c.id, Kind: c.kind})
	case len(d.out) == 0 && cap(d.out) == 0 && len(c.edges) == 0:
		sole := &soleNodeEvent{parts: nodeEventParts{ref: NodeRef{ID: c.id, Kind: c.kind}}}
		parts, d.out = &sole.parts, sole.ev[:0]
	case len(d.out) == 0 && cap(d.out) == 0 && len(c.edges) == 1:
		sole := &soleNodeEvent1{soleNodeEvent: soleNodeEvent{parts: nodeEventParts{ref: NodeRef{ID: c.id, Kind: c.kind}}}}
		parts, d.out, rels, related = &sole.parts, sole.ev[:0], sole.rel[:0], sole.related[:0]
	default:
		parts = &nodeEventParts{ref: NodeRef{ID: c.id, Kind: c.kind}}
	}
	if parts != nil {
		e.PrimaryNode = &parts.ref
	}
	if !d.records {
		e.Attributes = d.attributes(c, model, prev, hasPrev)
	}
	rels, err = d.relationships(br, c, model, rels)
	if err != nil {
		return err
	}
	e.Relationships = rels
	e.RelatedNodes = relatedOf(c.id, rels, d.scr, related)
	label := cur.DisplayLabel
	if !hasCur {
		label = prev.DisplayLabel
	}
	if !d.records {
		parts.mut = NodeMutation{Kind: c.kind, NodeID: c.id, Action: mutationAction(c.op), DisplayLabel: label,
			Attributes: e.Attributes, Relationships: e.Relationships}
		e.Payload = map[string]any{"data": &parts.mut}
	}
	d.out = append(d.out, e)
	if err := d.groups(br, c, level); err != nil {
		return err
	}
	if artifact && c.op != NodeDeleted {
		return d.artifact(br, c, level, prev, hasPrev, cur, hasCur)
	}
	return nil
}

// nodeEventParts are a node event's primary node and changelog mutation, allocated together.
type nodeEventParts struct {
	ref NodeRef
	mut NodeMutation
}

// soleNodeEvent is an envelope's one node event allocated with its parts and the slice of the
// envelope's events (one object instead of two); soleNodeEvent1 also holds the relationship and
// the related node of a node event with one edge. Each is the size the objects it replaces
// would take apart.
type soleNodeEvent struct {
	parts nodeEventParts
	ev    [1]Event
}

type soleNodeEvent1 struct {
	soleNodeEvent
	rel     [1]RelationshipChange
	related [1]NodeRef
}

// relatedOf is the peers of rels, each once, but the node id itself, in order (taken from
// scr's slab when there is one).
func relatedOf(id string, rels []RelationshipChange, scr *deriveScratch, into []NodeRef) []NodeRef {
	if len(rels) == 0 {
		return []NodeRef{}
	}
	if into != nil && cap(into) >= len(rels) {
		return appendRelated(into[:0], id, rels)
	}
	if scr == nil {
		return appendRelated(make([]NodeRef, 0, len(rels)), id, rels)
	}
	start := len(scr.related)
	scr.related = slices.Grow(scr.related, len(rels))
	out := appendRelated(scr.related[start:start:start+len(rels)], id, rels)
	scr.related = scr.related[:start+len(out)]
	return out
}

// appendRelated appends the peers of rels to out, each once, but the node id itself.
func appendRelated(out []NodeRef, id string, rels []RelationshipChange) []NodeRef {
	if len(rels) <= 16 { // a few: a scan costs less than a set
		for i, r := range rels {
			if r.Peer.ID != id && !slices.ContainsFunc(rels[:i], func(o RelationshipChange) bool { return o.Peer.ID == r.Peer.ID }) {
				out = append(out, r.Peer)
			}
		}
		return out
	}
	seen := map[string]bool{id: true}
	for _, r := range rels {
		if !seen[r.Peer.ID] {
			seen[r.Peer.ID] = true
			out = append(out, r.Peer)
		}
	}
	return out
}

// relationName is the name of the relationship of model stored in field (its identifier when
// the schema does not say).
func relationName(model *schema.Model, field string) (string, bool) {
	if model != nil {
		for _, r := range model.Relationships {
			if isRelField(field, r.Identifier, r.Direction) {
				return r.Name, true
			}
		}
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(field, "r:"), "|")
	return id, false
}

// isRelField reports whether field is nodes.RelField(identifier, direction), without building
// it: relationName asks it of every relationship of a kind for every edge.
func isRelField(field, identifier, direction string) bool {
	side := nodes.SideBoth
	switch direction {
	case "outbound":
		side = nodes.SideOut
	case "inbound":
		side = nodes.SideIn
	}
	return len(field) == 3+len(identifier)+len(side) && field[:2] == "r:" && field[2:2+len(identifier)] == identifier &&
		field[2+len(identifier)] == '|' && field[3+len(identifier):] == side
}

// relationships lists the peers the change added to or removed from the node's relationships,
// whichever end wrote the edge; into, when not nil, is the room they go to first.
func (d *deriving) relationships(br string, c nodeChange, model *schema.Model, into []RelationshipChange) ([]RelationshipChange, error) {
	var out []RelationshipChange
	for i := range c.edges {
		e := &c.edges[i]
		near := c.near(e)
		field, peer := e.Field, e.Peer
		switch {
		case near == c.id:
		case e.Peer == c.id:
			field, peer = nodes.Mirror(e.Field), near
		default:
			continue
		}
		name, _ := relationName(model, field)
		kind, err := d.kindOf(br, peer)
		if err != nil {
			return nil, err
		}
		action := ActionAdded
		if e.Remove || c.op == NodeDeleted {
			action = ActionRemoved
		}
		if out == nil && into != nil {
			out = into[:0]
		} else if out == nil && d.scr != nil {
			start := len(d.scr.rels)
			d.scr.rels = slices.Grow(d.scr.rels, len(c.edges)-i)
			out = d.scr.rels[start : start : start+len(c.edges)-i]
		}
		out = append(out, RelationshipChange{Name: name, Peer: NodeRef{ID: peer, Kind: kind}, Action: action})
	}
	if d.scr != nil && out != nil {
		d.scr.rels = d.scr.rels[:len(d.scr.rels)+len(out)]
		out = out[:len(out):len(out)]
	}
	return out, nil
}

// groups derives infrahub.group.member_added and member_removed for the membership edges of
// the change, one event per group and direction, members in edge order.
func (d *deriving) groups(br string, c nodeChange, level int) error {
	type delta struct{ added, removed []string }
	var order []string
	byGroup := map[string]*delta{}
	set := d.set(br)
	for i := range c.edges {
		e := &c.edges[i]
		if !strings.HasPrefix(e.Field, "r:"+groupMember+"|") {
			continue
		}
		near := c.near(e)
		group, member, err := d.groupEnds(br, set, near, e)
		if err != nil {
			return err
		}
		dl, ok := byGroup[group]
		if !ok {
			dl = &delta{}
			byGroup[group] = dl
			order = append(order, group)
		}
		if e.Remove || (c.op == NodeDeleted && (near == c.id || e.Peer == c.id)) {
			dl.removed = append(dl.removed, member)
		} else {
			dl.added = append(dl.added, member)
		}
	}
	for _, group := range order {
		gk, err := d.kindOf(br, group)
		if err != nil {
			return err
		}
		dl := byGroup[group]
		for _, part := range []struct {
			name string
			ids  []string
		}{{GroupMemberAdded, dl.added}, {GroupMemberRemoved, dl.removed}} {
			if len(part.ids) == 0 {
				continue
			}
			e := d.base(part.name, br)
			e.Level = level
			e.PrimaryNode = &NodeRef{ID: group, Kind: gk}
			members := make([]NodeRef, 0, len(part.ids))
			for _, id := range part.ids {
				if slices.ContainsFunc(members, func(r NodeRef) bool { return r.ID == id }) {
					continue
				}
				k, err := d.kindOf(br, id)
				if err != nil {
					return err
				}
				members = append(members, NodeRef{ID: id, Kind: k})
			}
			e.RelatedNodes = append(e.RelatedNodes, members...)
			e.Payload = map[string]any{"group": NodeRef{ID: group, Kind: gk}, "members": members, "ancestors": []NodeRef{}}
			d.out = append(d.out, e)
		}
	}
	return nil
}

// groupEnds tells the group from the member of a membership edge: by the relationship the
// edge is on the near end (members: the near end is the group), else on the far end, whichever
// end's kind is known; the far end is taken for the group when neither is.
func (d *deriving) groupEnds(br string, set *schema.Set, near string, e *nodes.Edge) (group, member string, err error) {
	isGroup := func(id, field string) (yes, known bool, err error) {
		k, err := d.kindOf(br, id)
		if err != nil || k == "" || set == nil {
			return false, false, err
		}
		m, ok := set.Model(k)
		if !ok {
			return false, false, nil
		}
		name, ok := relationName(m, field)
		return name == "members", ok, nil
	}
	yes, known, err := isGroup(near, e.Field)
	if err != nil {
		return "", "", err
	}
	if known {
		if yes {
			return near, e.Peer, nil
		}
		return e.Peer, near, nil
	}
	if yes, known, err = isGroup(e.Peer, nodes.Mirror(e.Field)); err != nil {
		return "", "", err
	}
	if known && !yes {
		return near, e.Peer, nil
	}
	return e.Peer, near, nil
}

// artifact derives infrahub.artifact.created (an artifact created) and updated (its checksum
// or storage id written).
func (d *deriving) artifact(br string, c nodeChange, level int, prev graph.Node, hasPrev bool, cur graph.Node, hasCur bool) error {
	name := ArtifactCreated
	if c.op == NodeUpdated {
		_, cs := c.value("checksum")
		_, st := c.value("storage_id")
		if !cs && !st {
			return nil
		}
		name = ArtifactUpdated
	}
	str := func(n graph.Node, ok bool, attr string) any {
		if !ok {
			return nil
		}
		if s, isStr := n.Attributes[attr].Value.(string); isStr {
			return s
		}
		return nil
	}
	e := d.base(name, br)
	e.Level = level
	e.PrimaryNode = &NodeRef{ID: c.id, Kind: KindArtifact}
	payload := map[string]any{"node_id": c.id, "checksum": str(cur, hasCur, "checksum"), "checksum_previous": str(prev, hasPrev, "checksum"),
		"storage_id": str(cur, hasCur, "storage_id"), "storage_id_previous": str(prev, hasPrev, "storage_id"),
		"artifact_definition_id": "", "target_id": "", "target_kind": ""}
	if hasCur && d.g != nil {
		scope := graph.Scope{Branch: br, At: d.env.GlobalPosition}
		for _, rel := range []string{"object", "definition"} {
			peers, err := d.g.Peers(d.ctx, scope, []string{c.id}, KindArtifact, rel)
			if err != nil {
				return err
			}
			if ps := peers[c.id]; len(ps) > 0 {
				if rel == "definition" {
					payload["artifact_definition_id"] = ps[0].Peer
				} else {
					payload["target_id"], payload["target_kind"] = ps[0].Peer, ps[0].PeerKind
					e.RelatedNodes = append(e.RelatedNodes, NodeRef{ID: ps[0].Peer, Kind: ps[0].PeerKind})
				}
			}
		}
	}
	e.Payload = payload
	d.out = append(d.out, e)
	return nil
}
