package nodes

import (
	"fmt"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
)

// codec translates node events, and the stored form of merges and rebases, into the changes of
// the branch-aware graph and back, naming kinds, fields and constraints with the Store's
// interners. It is used under the Store's lock.
type codec struct {
	s   *Store
	buf *scratch // where created, updated and deleted append their changes
}

// scratch holds the changes made of node events and the peer lists of their edge changes: the
// graph reads both, it keeps neither, so they are reused from event to event.
type scratch struct {
	cs    []graph.Change
	peers []graph.NodeID
}

// Merge operations of branch.Change.
const (
	mergeCreate     = "create"
	mergeDelete     = "delete"
	mergeSet        = "set"
	mergeClear      = "clear"
	mergeAddPeer    = "add_peer"
	mergeRemovePeer = "remove_peer"
	mergeClaim      = "claim"
	mergeRelease    = "release"
)

// mergeChanges turns the stored form of a merge back into graph changes.
func (cod codec) mergeChanges(in []branch.Change) ([]graph.Change, error) {
	out := make([]graph.Change, 0, len(in))
	for i, c := range in {
		var g graph.Change
		var err error
		if c.Node != "" {
			if g.Node, err = parseID("node", c.Node); err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
		}
		switch c.Op {
		case mergeCreate:
			g.Op, g.Kind = graph.OpCreate, cod.kind(c.Kind)
		case mergeDelete:
			g.Op = graph.OpDelete
		case mergeSet:
			l, err := lineage(c.Source, c.Owner, c.IsProtected)
			if err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
			l.IsDefault = c.IsDefault
			g.Op, g.Field, g.Value = graph.OpSetAttr, cod.field(c.Field), graph.Value{Data: cod.s.imported(c.Field, c.Value), Lineage: l}
		case mergeClear:
			g.Op, g.Field = graph.OpClear, cod.field(c.Field)
		case mergeAddPeer, mergeRemovePeer:
			peer, err := parseID("peer", c.Peer)
			if err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
			g.Op, g.Field, g.Value = graph.OpAddPeers, cod.field(c.Field), graph.Value{Peers: []graph.NodeID{peer}}
			if c.Op == mergeRemovePeer {
				g.Op = graph.OpRemovePeers
			}
		case mergeClaim, mergeRelease:
			g.Op = graph.OpClaim
			if c.Op == mergeRelease {
				g.Op = graph.OpRelease
			}
			g.Kind, g.Constraint, g.Key = cod.kind(c.Kind), cod.constraint(c.Constraint), c.Key
		default:
			return nil, fmt.Errorf("change %d: unknown op %q", i, c.Op)
		}
		out = append(out, g)
	}
	return out, nil
}

// stored turns graph changes into the stored form of a merge or rebase.
func (cod codec) stored(cs []graph.Change) []branch.Change {
	s := cod.s
	out := make([]branch.Change, 0, len(cs))
	for _, c := range cs {
		bc := branch.Change{}
		if !c.Node.IsZero() {
			bc.Node = c.Node.String()
		}
		switch c.Op {
		case graph.OpCreate:
			bc.Op, bc.Kind = mergeCreate, s.kinds.Name(uint32(c.Kind))
		case graph.OpDelete:
			bc.Op = mergeDelete
		case graph.OpSetAttr:
			bc.Op, bc.Field = mergeSet, s.fields.Name(uint32(c.Field))
			bc.Value = exported(bc.Field, c.Value.Data)
			l := c.Value.Lineage
			bc.IsProtected, bc.IsDefault = l.IsProtected, l.IsDefault
			if !l.Source.IsZero() {
				bc.Source = l.Source.String()
			}
			if !l.Owner.IsZero() {
				bc.Owner = l.Owner.String()
			}
		case graph.OpClear:
			bc.Op, bc.Field = mergeClear, s.fields.Name(uint32(c.Field))
		case graph.OpAddPeers, graph.OpRemovePeers:
			bc.Op, bc.Field, bc.Peer = mergeAddPeer, s.fields.Name(uint32(c.Field)), c.Value.Peers[0].String()
			if c.Op == graph.OpRemovePeers {
				bc.Op = mergeRemovePeer
			}
		case graph.OpClaim, graph.OpRelease:
			bc.Op = mergeClaim
			if c.Op == graph.OpRelease {
				bc.Op, bc.Node = mergeRelease, ""
			}
			bc.Kind, bc.Constraint, bc.Key = s.kinds.Name(uint32(c.Kind)), s.constraints.Name(uint32(c.Constraint)), c.Key
		}
		out = append(out, bc)
	}
	return out
}

func (cod codec) attrs(id graph.NodeID, global bool, attrs map[string]Attr, cs []graph.Change) ([]graph.Change, error) {
	cs, _, err := cod.attrsLabel(id, global, attrs, "", cs)
	return cs, err
}

// attrsLabel is attrs, and the stored value of an attribute holding the string label (nil when
// none does): the display label and HFID share it (see labelData) without a second walk over
// the attributes.
func (cod codec) attrsLabel(id graph.NodeID, global bool, attrs map[string]Attr, label string, cs []graph.Change) ([]graph.Change, any, error) {
	var shared any
	for name, a := range attrs {
		l, err := lineage(a.Source, a.Owner, a.IsProtected)
		if err != nil {
			return nil, nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		l.IsDefault = a.IsDefault
		f := cod.attrField(name)
		data := cod.s.shared(f, a.Value)
		if str, ok := data.(string); ok && shared == nil && str == label {
			shared = data
		}
		cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: f,
			Value: graph.Value{Data: data, Lineage: l}, Global: global || a.Global})
	}
	return cs, shared, nil
}

func (cod codec) edges(id graph.NodeID, global bool, edges []Edge, cs []graph.Change) ([]graph.Change, error) {
	for _, e := range edges {
		near := id
		if e.Node != "" {
			var err error
			if near, err = parseID("edge node", e.Node); err != nil {
				return nil, err
			}
		}
		far, err := parseID("edge peer", e.Peer)
		if err != nil {
			return nil, err
		}
		op := graph.OpAddPeers
		if e.Remove {
			op = graph.OpRemovePeers
		}
		g := global || e.Global
		k := len(cod.buf.peers)
		cod.buf.peers = append(cod.buf.peers, far, near)
		ps := cod.buf.peers[k : k+2 : k+2]
		cs = append(cs,
			graph.Change{Op: op, Node: near, Field: cod.field(e.Field), Value: graph.Value{Peers: ps[0:1:1]}, Global: g},
			graph.Change{Op: op, Node: far, Field: cod.mirror(e.Field), Value: graph.Value{Peers: ps[1:2:2]}, Global: g})
	}
	return cs, nil
}

func (cod codec) props(id graph.NodeID, global bool, props map[string]Props, cs []graph.Change) ([]graph.Change, error) {
	for field, p := range props {
		l, err := lineage(p.Source, p.Owner, p.IsProtected)
		if err != nil {
			return nil, fmt.Errorf("relationship %s: %w", field, err)
		}
		cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(PropsField(field)),
			Value: graph.Value{Lineage: l}, Global: global || p.Global})
	}
	return cs, nil
}

func (cod codec) claims(id graph.NodeID, claims []Claim, cs []graph.Change) []graph.Change {
	for _, c := range claims {
		ch := graph.Change{Op: graph.OpClaim, Node: id, Kind: cod.kind(c.Kind),
			Constraint: cod.constraint(c.Constraint), Key: c.Key, Global: c.Global}
		if c.Release {
			ch.Op, ch.Node = graph.OpRelease, graph.NodeID{}
		}
		cs = append(cs, ch)
	}
	return cs
}

func (cod codec) created(p Created, meta graph.Value) ([]graph.Change, error) {
	id, err := parseID("node", p.ID)
	if err != nil {
		return nil, err
	}
	cs := append(cod.buf.cs,
		graph.Change{Op: graph.OpCreate, Node: id, Kind: cod.kind(p.Kind), Global: p.Global},
		graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldCreated), Value: meta, Global: p.Global},
		graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldUpdated), Value: meta, Global: p.Global},
	)
	// The attributes first: the label and the HFID share the stored value of the one equal to
	// the label (labelData's sharing, found on the way).
	cs, label, err := cod.attrsLabel(id, p.Global, p.Attributes, p.DisplayLabel, cs)
	if err != nil {
		return nil, err
	}
	if label == nil {
		label = p.DisplayLabel
	}
	cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldLabel), Value: graph.Value{Data: label}, Global: p.Global})
	if len(p.HFID) > 0 {
		cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldHFID), Value: graph.Value{Data: hfidShared(p.HFID, label, p.Attributes)}, Global: p.Global})
	}
	return cod.fields(id, p.Global, nil, p.Edges, p.RelProps, p.Claims, cs)
}

func (cod codec) updated(p Updated, meta graph.Value) ([]graph.Change, error) {
	id, err := parseID("node", p.ID)
	if err != nil {
		return nil, err
	}
	cs := append(cod.buf.cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldUpdated), Value: meta, Global: p.Global})
	var label any
	if p.DisplayLabel != nil {
		label = labelData(*p.DisplayLabel, p.Attributes)
	}
	if p.HFID != nil {
		cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldHFID), Value: graph.Value{Data: hfidShared(*p.HFID, label, p.Attributes)}, Global: p.Global})
	}
	if p.DisplayLabel != nil {
		cs = append(cs, graph.Change{Op: graph.OpSetAttr, Node: id, Field: cod.field(FieldLabel), Value: graph.Value{Data: label}, Global: p.Global})
	}
	return cod.fields(id, p.Global, p.Attributes, p.Edges, p.RelProps, p.Claims, cs)
}

func (cod codec) deleted(p Deleted) ([]graph.Change, error) {
	id, err := parseID("node", p.ID)
	if err != nil {
		return nil, err
	}
	cs := append(cod.buf.cs, graph.Change{Op: graph.OpDelete, Node: id, Global: p.Global})
	if cs, err = cod.edges(id, p.Global, p.Edges, cs); err != nil {
		return nil, err
	}
	return cod.claims(id, p.Claims, cs), nil
}

// fields appends the changes of a created or updated node's attributes, edges, relationship
// properties and claims.
func (cod codec) fields(id graph.NodeID, global bool, attrs map[string]Attr, edges []Edge, props map[string]Props, claims []Claim, cs []graph.Change) ([]graph.Change, error) {
	var err error
	if cs, err = cod.attrs(id, global, attrs, cs); err != nil {
		return nil, err
	}
	if cs, err = cod.edges(id, global, edges, cs); err != nil {
		return nil, err
	}
	if cs, err = cod.props(id, global, props, cs); err != nil {
		return nil, err
	}
	return cod.claims(id, claims, cs), nil
}
