package nodetx

import (
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// parser reads the data of a command against the schema: its fields, the nodes it names.
type parser struct{ tx *Tx }

// data splits a command's data into attributes and relationships of model, resolving and
// checking everything; the error names the field.
// pre holds values of data already decoded (Prepare; nil: none); prep, the attributes already
// parsed (PrepareCreate; nil, or made for another model: none).
func (rx parser) data(m *schema.Node, data Data, pre map[string]any, prep *prepared) (map[string]attrInput, *relSet, error) {
	t := rx.tx
	var (
		attrs map[string]attrInput
		names []string
	)
	if prep.fits(m) {
		attrs, names = prep.take()
	} else {
		prep = nil
		attrs = make(map[string]attrInput, len(data))
		names = sortedKeys(data)
	}
	rels := newRelSet(min(len(data)-len(attrs), len(m.Relationships)))
	// room holds the peers of every relationship given, each its own part of it (a full
	// capacity: appending to one never writes another's): one allocation for the peers of
	// many commands of the transaction, not one per relationship
	room := t.peerRoom
	defer func() { t.peerRoom = room }()
	for _, name := range names {
		value := func() (any, error) {
			if v, ok := pre[name]; ok {
				return v, nil
			}
			return decodeValue(data[name])
		}
		if prep != nil {
			if err := prep.errs[name]; err != nil {
				return nil, nil, err
			}
			if _, ok := attrs[name]; ok {
				continue
			}
		} else if a, ok := attrOf(m, name); ok {
			v, err := value()
			if err != nil {
				return nil, nil, nodeError(m.Kind, name, err)
			}
			in, err := attrValue(m, a, v, t.lim)
			if err != nil {
				return nil, nil, err
			}
			attrs[name] = in
			continue
		}
		r, ok := relNamed(m, name)
		if !ok {
			return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: %s has no attribute or relationship %q", fault.ErrInvalid, m.Kind, name))
		}
		if r.ReadOnly {
			return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: the relationship is read-only", fault.ErrInvalid))
		}
		refs, err := prep.relRefs(name)
		if refs == nil && err == nil {
			refs, err = relRefs(m, r, value)
		}
		if err != nil {
			return nil, nil, err
		}
		in := relInput{name: name, rel: r, field: rx.relField(r)}
		if need := len(refs); need > 0 {
			if cap(room)-len(room) < need {
				room = make([]graph.NodeID, 0, max(need, peersAtOnce))
			}
			in.peers, room = room[len(room):len(room):len(room)+need], room[:len(room)+need]
		}
		for _, ref := range refs {
			if ref.FromPool != nil {
				in.pools = append(in.pools, *ref.FromPool) // allocated by resolvePools
				continue
			}
			id, err := t.parse.ref(r, ref)
			if err != nil {
				return nil, nil, nodeError(m.Kind, name, err)
			}
			if !slices.Contains(in.peers, id) {
				in.peers = append(in.peers, id)
			}
			if ref.Source != "" || ref.Owner != "" || ref.IsProtected != nil {
				p := nodes.Props{Source: ref.Source, Owner: ref.Owner, IsProtected: ref.IsProtected != nil && *ref.IsProtected}
				in.props = &p
			}
		}
		if len(in.peers) == 0 {
			in.peers = nil // all from pools: as if none were given
		} else {
			in.peers = in.peers[:len(in.peers):len(in.peers)] // a later append copies, as before
		}
		if err := checkCount(r, len(in.peers)+len(in.pools)); err != nil {
			return nil, nil, nodeError(m.Kind, name, err)
		}
		slices.SortFunc(in.peers, graph.NodeID.Compare)
		rels.set(in)
	}
	return attrs, rels, nil
}

// peersAtOnce is how many peers parser.data makes room for at a time.
const peersAtOnce = 32

// relRefs reads the related nodes given for relationship r of model m (value decodes them from
// the command); the error names the field. Like attrValue, it reads nothing but its arguments.
func relRefs(m *schema.Node, r *schema.Relationship, value func() (any, error)) ([]Ref, error) {
	v, err := value()
	if err != nil {
		return nil, nodeError(m.Kind, r.Name, err)
	}
	refs, err := parseRefs(r, v)
	if err != nil {
		return nil, nodeError(m.Kind, r.Name, err)
	}
	return parsedRefs(refs), nil
}

// parsedRefs is refs with their ids parsed (when node ids), and not nil.
func parsedRefs(refs []Ref) []Ref {
	for i := range refs { // an id is parsed here, out of the decision's way
		if refs[i].ID != "" {
			if id, err := graph.ParseNodeID(refs[i].ID); err == nil {
				refs[i].id, refs[i].isID = id, true
			}
		}
	}
	if refs == nil {
		refs = []Ref{} // none given: not to be read again
	}
	return refs
}

// attrValue reads the value given for attribute a of model m (v, decoded from the command):
// checked and normalised; the error names the field. It reads nothing but its arguments, so
// that a batch can parse its attributes concurrently with its decisions (PrepareCreate).
func attrValue(m *schema.Node, a *schema.Attribute, v any, lim limits.Limits) (attrInput, error) {
	name := a.Name
	in, err := parseAttrInput(v)
	if err != nil {
		return in, nodeError(m.Kind, name, err)
	}
	if in.fromPool() != nil {
		if in.hasValue {
			return in, nodeError(m.Kind, name, fmt.Errorf("%w: give value or from_pool, not both", fault.ErrInvalid))
		}
		return in, nil // allocated by resolvePools
	}
	if !in.hasValue {
		return in, nil
	}
	if a.ReadOnly {
		return in, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is read-only", fault.ErrInvalid))
	}
	if err := values.CheckSize(a, in.value, lim); err != nil {
		return in, nodeError(m.Kind, name, err)
	}
	nv, err := values.Normalize(a, in.value)
	if err != nil {
		return in, nodeError(m.Kind, name, err)
	}
	if clear, ok := in.value.(string); ok && a.Kind == values.KindHashedPassword && !values.IsPasswordHash(clear) {
		in.with(func(x *attrExtra) { x.password = clear })
	}
	if tok, ok := nv.(string); ok && m.Kind == values.TokenKind && name == "token" {
		nv = values.TokenDigest(tok) // an API token is stored as its digest only
	}
	in.value = nodes.Canon(nv)
	return in, nil
}

// ref finds the node a reference names, checking it exists and has a kind the
// relationship accepts.
func (rx parser) ref(r *schema.Relationship, ref Ref) (graph.NodeID, error) {
	t := rx.tx
	var id graph.NodeID
	switch {
	case ref.FromPool != nil:
		x, err := t.pools.allocateIP(*ref.FromPool)
		if err != nil {
			return id, err
		}
		id = x
	case ref.Ref != "":
		x, ok := t.refs[ref.Ref]
		if !ok {
			return id, fmt.Errorf("%w: no earlier operation of the batch is labelled %q", fault.ErrNotFound, ref.Ref)
		}
		id = x
	case ref.isID:
		id = ref.id
	case ref.ID != "":
		x, err := graph.ParseNodeID(ref.ID)
		if err != nil {
			// not a node id: a name (see named)
			if x, err = rx.named(refKind(r, ref), ref.ID); err != nil {
				return id, err
			}
		}
		id = x
	default:
		x, err := rx.byHFID(refKind(r, ref), ref.HFID)
		if err != nil {
			return id, err
		}
		id = x
	}
	n := t.st.node(id)
	if n == nil {
		return id, fmt.Errorf("%w: related node %s does not exist", fault.ErrNotFound, id)
	}
	if n.kind != r.Peer && !slices.Contains(t.v.Kinds(r.Peer), n.kind) {
		return id, fmt.Errorf("%w: related node %s is a %s, the relationship takes %s", fault.ErrInvalid, id, n.kind, r.Peer)
	}
	return id, nil
}

// refKind is the kind a reference is looked up in: the kind it names, else the relationship's
// peer.
func refKind(r *schema.Relationship, ref Ref) string {
	if ref.Kind != "" {
		return ref.Kind
	}
	return r.Peer
}

// model finds a node kind for a command; the error names the field.
func (rx parser) model(kind string) (*schema.Node, error) {
	t := rx.tx
	if kind == "" {
		return nil, fmt.Errorf("%w: field \"kind\" is required", fault.ErrInvalid)
	}
	if m, ok := t.set.Node(kind); ok {
		return m, nil
	}
	if g, ok := t.set.Generic(kind); ok {
		return nil, fmt.Errorf("%w: field \"kind\": %s is a generic; use one of its node kinds %v", fault.ErrInvalid, kind, g.UsedBy)
	}
	return nil, fmt.Errorf("%w: field \"kind\": unknown kind %q on branch %s", fault.ErrInvalid, kind, t.v.Branch)
}

// target finds the node an update, delete or relationship command names: by id (with a kind, an
// id that is not a node id is a name, as Infrahub's NodeManager.find_object takes it), or hfid.
func (rx parser) target(kind, id string, hfid []string) (*txNode, error) {
	t := rx.tx
	switch {
	case id != "":
		nid, err := graph.ParseNodeID(id)
		if err != nil && kind != "" {
			if nid, err = rx.named(kind, id); err != nil {
				return nil, fmt.Errorf("field \"id\": %w", err)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: field \"id\": %q is not a node id", fault.ErrInvalid, id)
		}
		n := t.st.node(nid)
		if n == nil {
			return nil, fmt.Errorf("%w: node %s on branch %s", fault.ErrNotFound, id, t.v.Branch)
		}
		if kind != "" && n.kind != kind && !slices.Contains(t.v.Kinds(kind), n.kind) {
			return nil, fmt.Errorf("%w: field \"kind\": node %s is a %s, not a %s", fault.ErrInvalid, id, n.kind, kind)
		}
		return n, nil
	case len(hfid) > 0:
		if kind == "" {
			return nil, fmt.Errorf("%w: field \"kind\" is required with \"hfid\"", fault.ErrInvalid)
		}
		nid, err := rx.byHFID(kind, hfid)
		if err != nil {
			return nil, err
		}
		return t.st.node(nid), nil
	}
	return nil, fmt.Errorf("%w: give field \"id\" or \"hfid\"", fault.ErrInvalid)
}

// relField is the storage field of relationship r (nodes.RelField), made once per transaction.
func (rx parser) relField(r *schema.Relationship) string {
	t := rx.tx
	f, ok := t.fields[r]
	if !ok {
		if t.fields == nil {
			t.fields = map[*schema.Relationship]string{}
		}
		f = nodes.RelField(r.Identifier, r.Direction)
		t.fields[r] = f
	}
	return f
}
