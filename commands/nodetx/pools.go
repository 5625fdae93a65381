package nodetx

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/fault"
)

// pooler takes resources from resource pools.
type pooler struct{ tx *Tx }

// PoolRef names a pool to allocate from and what to ask it (Infrahub's `from_pool` inputs and
// the InfrahubIP*PoolGetResource mutations).
type PoolRef struct {
	ID         string   `json:"id,omitempty"`
	HFID       []string `json:"hfid,omitempty"`
	Identifier string   `json:"identifier,omitempty"`
	// PrefixLength asks an IP pool for a given length instead of its default (prefixlen and
	// size are the names Infrahub's address and prefix pool inputs give it).
	PrefixLength int `json:"prefix_length,omitempty"`
	PrefixLen    int `json:"prefixlen,omitempty"`
	Size         int `json:"size,omitempty"`
	// Kind of the new resource node (prefix_type, address_type) and MemberType of a new prefix:
	// the pool's defaults when empty.
	PrefixType  string `json:"prefix_type,omitempty"`
	AddressType string `json:"address_type,omitempty"`
	MemberType  string `json:"member_type,omitempty"`
	// Data sets other attributes and relationships of the new resource node.
	Data Data `json:"data,omitempty"`
}

// parsePoolRef reads a from_pool value: a pool id or name, or {"id"|"hfid", "identifier",
// "prefix_length"}.
func parsePoolRef(x any) (PoolRef, error) {
	switch v := x.(type) {
	case string:
		if _, err := graph.ParseNodeID(v); err == nil {
			return PoolRef{ID: v}, nil
		}
		return PoolRef{HFID: []string{v}}, nil
	case map[string]any:
		raw, _ := json.Marshal(v)
		var p PoolRef
		if err := payload.Decode(raw, &p, "from_pool"); err != nil {
			return p, err
		}
		return p, p.check()
	}
	return PoolRef{}, fmt.Errorf("%w: from_pool: want a pool id, a name or {id, identifier}, got %v", fault.ErrInvalid, x)
}

// check refuses a request without a pool or with a bad length, and settles the length.
func (p *PoolRef) check() error {
	if p.ID == "" && len(p.HFID) == 0 {
		return fmt.Errorf("%w: from_pool: give the pool's \"id\" or \"hfid\"", fault.ErrInvalid)
	}
	for _, l := range []int{p.PrefixLength, p.PrefixLen, p.Size} {
		if l < 0 || l > 128 {
			return fmt.Errorf("%w: field \"prefix_length\": %d is not a prefix length", fault.ErrInvalid, l)
		}
		if p.PrefixLength == 0 {
			p.PrefixLength = l
		}
	}
	return nil
}

// poolKinds are the kinds of resource pools.
var poolKinds = []string{"CoreIPAddressPool", "CoreIPPrefixPool", "CoreNumberPool"}

// find finds the pool a reference names.
func (rx pooler) find(ref PoolRef) (*txNode, error) {
	t := rx.tx
	if ref.ID != "" {
		return t.parse.target("", ref.ID, nil)
	}
	for _, k := range poolKinds {
		if id, ok := t.st.byHFID(k, ref.HFID); ok {
			return t.st.node(id), nil
		}
	}
	return nil, fmt.Errorf("%w: no resource pool named %q on branch %s", fault.ErrNotFound, ref.HFID, t.v.Branch)
}

// poolConstraint names the global claims of a pool's allocations.
func poolConstraint(pool graph.NodeID) string { return "allocated:" + pool.String() }

// identifierConstraint names the global claims of a pool's allocation identifiers.
func identifierConstraint(pool graph.NodeID) string { return "identifier:" + pool.String() }

// allocateIP gives the next free address or prefix of an IP pool, created as a node, and returns
// it. With an identifier already used for the pool, the node allocated then is returned.
func (rx pooler) allocateIP(req PoolRef) (graph.NodeID, error) {
	t := rx.tx
	t.allocates = true
	p, err := t.pools.find(req)
	if err != nil {
		return graph.NodeID{}, err
	}
	isPrefix := p.kind == "CoreIPPrefixPool"
	if p.model == nil || (!isPrefix && p.kind != "CoreIPAddressPool") {
		return graph.NodeID{}, fmt.Errorf("%w: %s is a %s, not an IP address or prefix pool", fault.ErrInvalid, p.id, p.kind)
	}
	idKey := claimKey{p.kind, identifierConstraint(p.id), req.Identifier}
	if req.Identifier != "" {
		if holder, ok := t.st.taken(idKey); ok {
			if n := t.st.node(holder); n != nil && n.live {
				return holder, nil
			}
			return graph.NodeID{}, fmt.Errorf("%w: identifier %q of pool %s is held by %s, allocated on another branch", fault.ErrConflict, req.Identifier, p.id, holder)
		}
	}
	kindAttr := "default_address_type"
	if isPrefix {
		kindAttr = "default_prefix_type"
	}
	kind := req.AddressType
	if isPrefix {
		kind = req.PrefixType
	}
	if kind == "" {
		v, _ := t.st.attr(p, kindAttr)
		kind, _ = v.Value.(string)
	}
	if kind == "" {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s has no %s: give the kind of resource", fault.ErrInvalid, p.id, kindAttr)
	}
	m, err := t.parse.model(kind)
	if err != nil {
		return graph.NodeID{}, fmt.Errorf("pool %s: %s: %w", p.id, kindAttr, err)
	}
	want := "address"
	if isPrefix {
		want = "prefix"
	}
	if ipAttr(m) != want {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s: %s is not an IP %s kind", fault.ErrInvalid, p.id, kind, want)
	}
	attrs, rels, err := t.parse.data(m, req.Data, nil, nil)
	if err != nil {
		return graph.NodeID{}, err
	}
	if err := t.pools.resolve(nil, m, attrs, rels); err != nil {
		return graph.NodeID{}, err
	}
	if _, given := attrs[want]; given {
		return graph.NodeID{}, fmt.Errorf("%w: field %q: the pool gives it", fault.ErrInvalid, want)
	}
	nsRel, resRel := p.model.Relationship("ip_namespace"), p.model.Relationship("resources")
	if nsRel == nil || resRel == nil {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s has no resources or namespace", fault.ErrInvalid, p.id)
	}
	var ns graph.NodeID
	if list := t.st.peersOf(p.id, nodes.RelField(nsRel.Identifier, nsRel.Direction)); len(list) > 0 {
		ns = list[0]
	}
	if r := m.Relationship("ip_namespace"); r != nil && !ns.IsZero() {
		if !rels.has(r.Name) {
			rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{ns}})
		}
	}
	length := req.PrefixLength
	if length == 0 {
		v, _ := t.st.attr(p, "default_prefix_length")
		if f, ok := v.Value.(float64); ok {
			length = int(f)
		}
	}
	if isPrefix {
		mt := req.MemberType
		if mt == "" {
			v, _ := t.st.attr(p, "default_member_type")
			mt, _ = v.Value.(string)
		}
		if _, given := attrs["member_type"]; !given && mt != "" && m.Attribute("member_type") != nil {
			attrs["member_type"] = attrInput{value: mt, hasValue: true}
		}
	}
	var resources []netip.Prefix
	for _, id := range t.st.peersOf(p.id, nodes.RelField(resRel.Identifier, resRel.Direction)) {
		if n := t.st.node(id); n != nil && n.live {
			v, _ := t.st.attr(n, "prefix")
			raw, _ := v.Value.(string)
			if prefix, err := netip.ParsePrefix(raw); err == nil {
				resources = append(resources, prefix.Masked())
			}
		}
	}
	var value string
	var key claimKey
	if isPrefix {
		value, key, err = t.pools.nextPrefix(p.id, ns, resources, length)
	} else {
		value, key, err = t.pools.nextAddress(p.id, m, ns, rels, resources, length)
	}
	if err != nil {
		return graph.NodeID{}, err
	}
	attrs[want] = attrInput{value: value, hasValue: true}
	n, err := t.create(m, graph.NewNodeID(), true, attrs, rels)
	if err != nil {
		return graph.NodeID{}, fmt.Errorf("pool %s: %w", p.id, err)
	}
	keys := []claimKey{key}
	if req.Identifier != "" {
		keys = append(keys, idKey)
	}
	t.pools.claimGlobal(n.id, keys...)
	return n.id, nil
}

// claimGlobal adds global claims to the event that created node id in this command.
func (rx pooler) claimGlobal(id graph.NodeID, keys ...claimKey) {
	t := rx.tx
	for _, k := range keys {
		t.st.claims[k] = id
	}
	for i := len(t.st.events) - 1; i >= 0; i-- {
		if ev, ok := t.st.events[i].payload.(nodes.Created); ok && ev.ID == id.String() {
			for _, k := range keys {
				ev.Claims = append(ev.Claims, nodes.Claim{Kind: k.kind, Constraint: k.constraint, Key: k.key, Global: true})
			}
			t.st.events[i].payload = ev
			t.st.ahead.changed(i)
			return
		}
	}
}

// claims lists the global claims of node id's attribute values taken from number pools.
func (rx pooler) claims(id graph.NodeID, attrs map[string]attrInput) []nodes.Claim {
	t := rx.tx
	var out []nodes.Claim
	if !someAttr(attrs, func(in attrInput) bool { return in.claim() != nil }) {
		return nil // nothing taken from a number pool (the common case): no names to sort
	}
	for _, name := range sortedKeys(attrs) {
		if k := attrs[name].claim(); k != nil {
			t.st.claims[*k] = id
			out = append(out, nodes.Claim{Kind: k.kind, Constraint: k.constraint, Key: k.key, Global: true})
		}
	}
	return out
}

// hint is where a search of a pool starts: after the last resource given from it in this command
// or, before that, by this process (the claims decide; the hint only saves work).
func (rx pooler) hint(pool string) (string, bool) {
	t := rx.tx
	if s, ok := t.gave[pool]; ok {
		return s, true
	}
	if h, ok := t.hints.Load(pool); ok {
		return h.(string), true
	}
	return "", false
}

func (rx pooler) gaveFrom(pool string, s string) {
	t := rx.tx
	if t.gave == nil {
		t.gave = map[string]string{}
	}
	t.gave[pool] = s
}

// Allocate takes a resource from an IP address or prefix pool as a new node. With an
// identifier the pool gave before, it answers the node given then and writes nothing.
func (t *Tx) Allocate(ref PoolRef) (NodeOutcome, error) {
	if err := ref.check(); err != nil {
		return NodeOutcome{}, err
	}
	before := len(t.st.events)
	id, err := t.pools.allocateIP(ref)
	if err != nil {
		return NodeOutcome{}, err
	}
	what := "created"
	if len(t.st.events) == before {
		what = "unchanged"
	}
	return t.outcomeOf(t.st.node(id), what), nil
}
