package commands

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/schema"
)

// Resource pools hand out resources: CoreIPAddressPool addresses, CoreIPPrefixPool prefixes and
// CoreNumberPool numbers. What a pool gives is claimed for the pool on every branch at once (a
// global claim), so that two branches never get the same resource; within a branch, a resource
// already used (an address or prefix of the pool's namespace, a number some node holds) is
// skipped too. An allocation may carry an identifier: asking again with it returns the same
// resource.

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
		if err := decodeStrict(raw, &p); err != nil {
			return p, fmt.Errorf("from_pool: %w", err)
		}
		return p, p.check()
	}
	return PoolRef{}, fmt.Errorf("%w: from_pool: want a pool id, a name or {id, identifier}, got %v", ErrInvalid, x)
}

// check refuses a request without a pool or with a bad length, and settles the length.
func (p *PoolRef) check() error {
	if p.ID == "" && len(p.HFID) == 0 {
		return fmt.Errorf("%w: from_pool: give the pool's \"id\" or \"hfid\"", ErrInvalid)
	}
	for _, l := range []int{p.PrefixLength, p.PrefixLen, p.Size} {
		if l < 0 || l > 128 {
			return fmt.Errorf("%w: field \"prefix_length\": %d is not a prefix length", ErrInvalid, l)
		}
		if p.PrefixLength == 0 {
			p.PrefixLength = l
		}
	}
	return nil
}

// poolKinds are the kinds of resource pools.
var poolKinds = []string{"CoreIPAddressPool", "CoreIPPrefixPool", "CoreNumberPool"}

// pool finds the pool a reference names.
func (t *tx) pool(ref PoolRef) (*txNode, error) {
	if ref.ID != "" {
		return t.target("", ref.ID, nil)
	}
	for _, k := range poolKinds {
		if id, ok := t.byHFID(k, ref.HFID); ok {
			return t.node(id), nil
		}
	}
	return nil, fmt.Errorf("%w: no resource pool named %q on branch %s", ErrNotFound, ref.HFID, t.v.Branch)
}

// poolConstraint names the global claims of a pool's allocations.
func poolConstraint(pool graph.NodeID) string { return "allocated:" + pool.String() }

// identifierConstraint names the global claims of a pool's allocation identifiers.
func identifierConstraint(pool graph.NodeID) string { return "identifier:" + pool.String() }

// allocateIP gives the next free address or prefix of an IP pool, created as a node, and returns
// it. With an identifier already used for the pool, the node allocated then is returned.
func (t *tx) allocateIP(req PoolRef) (graph.NodeID, error) {
	t.allocates = true
	p, err := t.pool(req)
	if err != nil {
		return graph.NodeID{}, err
	}
	isPrefix := p.kind == "CoreIPPrefixPool"
	if p.model == nil || (!isPrefix && p.kind != "CoreIPAddressPool") {
		return graph.NodeID{}, fmt.Errorf("%w: %s is a %s, not an IP address or prefix pool", ErrInvalid, p.id, p.kind)
	}
	idKey := claimKey{p.kind, identifierConstraint(p.id), req.Identifier}
	if req.Identifier != "" {
		if holder, ok := t.taken(idKey); ok {
			if n := t.node(holder); n != nil && n.live {
				return holder, nil
			}
			return graph.NodeID{}, fmt.Errorf("%w: identifier %q of pool %s is held by %s, allocated on another branch", ErrConflict, req.Identifier, p.id, holder)
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
		v, _ := t.attr(p, kindAttr)
		kind, _ = v.Value.(string)
	}
	if kind == "" {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s has no %s: give the kind of resource", ErrInvalid, p.id, kindAttr)
	}
	m, err := t.modelOf(kind)
	if err != nil {
		return graph.NodeID{}, fmt.Errorf("pool %s: %s: %w", p.id, kindAttr, err)
	}
	want := "address"
	if isPrefix {
		want = "prefix"
	}
	if ipAttr(m) != want {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s: %s is not an IP %s kind", ErrInvalid, p.id, kind, want)
	}
	attrs, rels, err := t.parseData(m, req.Data)
	if err != nil {
		return graph.NodeID{}, err
	}
	if err := t.resolvePools(nil, m, attrs, rels); err != nil {
		return graph.NodeID{}, err
	}
	if _, given := attrs[want]; given {
		return graph.NodeID{}, fmt.Errorf("%w: field %q: the pool gives it", ErrInvalid, want)
	}
	nsRel, resRel := p.model.Relationship("ip_namespace"), p.model.Relationship("resources")
	if nsRel == nil || resRel == nil {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s has no resources or namespace", ErrInvalid, p.id)
	}
	var ns graph.NodeID
	if list := t.peersOf(p.id, nodes.RelField(nsRel.Identifier, nsRel.Direction)); len(list) > 0 {
		ns = list[0]
	}
	if r := m.Relationship("ip_namespace"); r != nil && !ns.IsZero() {
		if _, given := rels[r.Name]; !given {
			rels[r.Name] = relInput{rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{ns}}
		}
	}
	length := req.PrefixLength
	if length == 0 {
		v, _ := t.attr(p, "default_prefix_length")
		if f, ok := v.Value.(float64); ok {
			length = int(f)
		}
	}
	if isPrefix {
		mt := req.MemberType
		if mt == "" {
			v, _ := t.attr(p, "default_member_type")
			mt, _ = v.Value.(string)
		}
		if _, given := attrs["member_type"]; !given && mt != "" && m.Attribute("member_type") != nil {
			attrs["member_type"] = attrInput{value: mt, hasValue: true}
		}
	}
	var resources []netip.Prefix
	for _, id := range t.peersOf(p.id, nodes.RelField(resRel.Identifier, resRel.Direction)) {
		if n := t.node(id); n != nil && n.live {
			v, _ := t.attr(n, "prefix")
			raw, _ := v.Value.(string)
			if prefix, err := netip.ParsePrefix(raw); err == nil {
				resources = append(resources, prefix.Masked())
			}
		}
	}
	var value string
	var key claimKey
	if isPrefix {
		value, key, err = t.nextPrefix(p.id, ns, resources, length)
	} else {
		value, key, err = t.nextAddress(p.id, m, ns, rels, resources, length)
	}
	if err != nil {
		return graph.NodeID{}, err
	}
	attrs[want] = attrInput{value: value, hasValue: true}
	n, err := t.create(m, graph.NewNodeID(), attrs, rels)
	if err != nil {
		return graph.NodeID{}, fmt.Errorf("pool %s: %w", p.id, err)
	}
	keys := []claimKey{key}
	if req.Identifier != "" {
		keys = append(keys, idKey)
	}
	t.claimGlobal(n.id, keys...)
	return n.id, nil
}

// claimGlobal adds global claims to the event that created node id in this command.
func (t *tx) claimGlobal(id graph.NodeID, keys ...claimKey) {
	for _, k := range keys {
		t.claims[k] = id
	}
	for i := len(t.events) - 1; i >= 0; i-- {
		if ev, ok := t.events[i].payload.(nodes.Created); ok && ev.ID == id.String() {
			for _, k := range keys {
				ev.Claims = append(ev.Claims, nodes.Claim{Kind: k.kind, Constraint: k.constraint, Key: k.key, Global: true})
			}
			t.events[i].payload = ev
			return
		}
	}
}

// poolClaims lists the global claims of node id's attribute values taken from number pools.
func (t *tx) poolClaims(id graph.NodeID, attrs map[string]attrInput) []nodes.Claim {
	var out []nodes.Claim
	for _, name := range sortedKeys(attrs) {
		if k := attrs[name].claim; k != nil {
			t.claims[*k] = id
			out = append(out, nodes.Claim{Kind: k.kind, Constraint: k.constraint, Key: k.key, Global: true})
		}
	}
	return out
}

// hint is where a search of a pool starts: after the last resource given from it in this command
// or, before that, by this process (the claims decide; the hint only saves work).
func (t *tx) hint(pool string) (string, bool) {
	if s, ok := t.gave[pool]; ok {
		return s, true
	}
	if h, ok := t.hints.Load(pool); ok {
		return h.(string), true
	}
	return "", false
}

func (t *tx) gaveFrom(pool string, s string) {
	if t.gave == nil {
		t.gave = map[string]string{}
	}
	t.gave[pool] = s
}

// nextAddress finds the next free address of an address pool's prefixes.
func (t *tx) nextAddress(pool graph.NodeID, m *schema.Node, ns graph.NodeID, rels map[string]relInput, resources []netip.Prefix, length int) (string, claimKey, error) {
	nsRels := map[string]relInput{}
	if r := m.Relationship("ip_namespace"); r != nil {
		if in, ok := rels[r.Name]; ok {
			nsRels[r.Name] = in
		}
	}
	hint, hasHint := t.hint(pool.String())
	last, _ := netip.ParseAddr(hint)
	for _, prefix := range resources {
		bits := prefix.Bits()
		if length > 0 {
			bits = length
		}
		if bits < prefix.Bits() || bits > prefix.Addr().BitLen() {
			return "", claimKey{}, fmt.Errorf("%w: field \"prefix_length\": %d does not fit prefix %s", ErrInvalid, bits, prefix)
		}
		start := netip.Addr{}
		if hasHint && prefix.Contains(last) && prefix.Contains(last.Next()) {
			start = last.Next()
		}
		a, ok := nodes.NextAddress(prefix, start, func(a netip.Addr) bool {
			if holder, ok := t.taken(claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}); ok && !holder.IsZero() {
				return true // allocated on some branch
			}
			host := netip.PrefixFrom(a, bits).String()
			_, exists := t.match(m, map[string]attrInput{"address": {value: host, hasValue: true}}, maps.Clone(nsRels))
			return exists // used in the namespace on this branch
		})
		if ok {
			t.gaveFrom(pool.String(), a.String())
			return netip.PrefixFrom(a, bits).String(), claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}, nil
		}
	}
	return "", claimKey{}, fmt.Errorf("%w: IP address pool %s is exhausted", ErrConflict, pool)
}

// nextPrefix finds the first free prefix of the given length in a prefix pool's resources: one
// that overlaps no prefix of the namespace under the resource and no prefix the pool gave on
// any branch.
func (t *tx) nextPrefix(pool graph.NodeID, ns graph.NodeID, resources []netip.Prefix, length int) (string, claimKey, error) {
	if length <= 0 {
		return "", claimKey{}, fmt.Errorf("%w: field \"prefix_length\": the pool has no default_prefix_length; give one", ErrInvalid)
	}
	all, _ := t.ipNodesIn(ns)
	for _, res := range resources {
		if length < res.Bits() || length > res.Addr().BitLen() {
			continue
		}
		var used []netip.Prefix
		for _, c := range all {
			if c.p != res && res.Overlaps(c.p) && c.p.Bits() > res.Bits() {
				used = append(used, c.p)
			}
		}
		p, ok := nodes.NextPrefix(res, length, used, func(c netip.Prefix) bool {
			// Taken by the pool on some branch: this prefix or one holding it.
			for b := c.Bits(); b >= res.Bits(); b-- {
				w, _ := c.Addr().Prefix(b)
				if holder, ok := t.taken(claimKey{"CoreIPPrefixPool", poolConstraint(pool), w.String()}); ok && !holder.IsZero() {
					return true
				}
			}
			return false
		})
		if ok {
			return p.String(), claimKey{"CoreIPPrefixPool", poolConstraint(pool), p.String()}, nil
		}
	}
	return "", claimKey{}, fmt.Errorf("%w: IP prefix pool %s has no free /%d", ErrConflict, pool, length)
}

// allocateNumber takes the next free number of a number pool for attribute attr of kind m.
func (t *tx) allocateNumber(ref PoolRef, m *schema.Node, attr string) (float64, *claimKey, error) {
	t.allocates = true
	p, err := t.pool(ref)
	if err != nil {
		return 0, nil, err
	}
	if p.kind != "CoreNumberPool" {
		return 0, nil, fmt.Errorf("%w: %s is a %s, not a number pool", ErrInvalid, p.id, p.kind)
	}
	str := func(name string) string { v, _ := t.attr(p, name); s, _ := v.Value.(string); return s }
	num := func(name string) (int64, bool) {
		v, _ := t.attr(p, name)
		f, ok := v.Value.(float64)
		return int64(f), ok
	}
	kind, field := str("node"), str("node_attribute")
	if (kind != m.Kind && !slices.Contains(m.InheritFrom, kind)) || field != attr {
		return 0, nil, fmt.Errorf("%w: number pool %s gives %s.%s, not %s.%s", ErrInvalid, p.id, kind, field, m.Kind, attr)
	}
	lo, ok1 := num("start_range")
	hi, ok2 := num("end_range")
	if !ok1 || !ok2 || lo > hi {
		return 0, nil, fmt.Errorf("%w: number pool %s has no valid start_range/end_range", ErrInvalid, p.id)
	}
	return t.nextNumber(numberRange{constraint: poolConstraint(p.id), what: "number pool " + p.id.String(), kind: kind, field: field, lo: lo, hi: hi})
}

// numberRange is where a number comes from: a CoreNumberPool, or a NumberPool attribute's own
// range (its constraint names the kind that declares the attribute).
type numberRange struct {
	constraint, what, kind, field string
	lo, hi                        int64
}

// nextNumber takes the next free number of a range: held by no node of the kind on this branch
// and claimed on no branch.
func (t *tx) nextNumber(r numberRange) (float64, *claimKey, error) {
	t.allocates = true
	used := t.numbersUsed(r.constraint, r.kind, r.field)
	start := r.lo
	if h, ok := t.hint(r.constraint); ok {
		if n, err := strconv.ParseInt(h, 10, 64); err == nil && n >= r.lo && n < r.hi {
			start = n + 1
		}
	}
	for pass := 0; pass < 2; pass++ {
		from, to := start, r.hi
		if pass == 1 {
			from, to = r.lo, start-1
		}
		for n := from; n <= to; n++ {
			if used[n] {
				continue
			}
			key := claimKey{"CoreNumberPool", r.constraint, strconv.FormatInt(n, 10)}
			if holder, ok := t.taken(key); ok && !holder.IsZero() {
				continue
			}
			used[n] = true
			t.gaveFrom(r.constraint, key.key)
			return float64(n), &key, nil
		}
	}
	return 0, nil, fmt.Errorf("%w: %s is exhausted (%d–%d)", ErrConflict, r.what, r.lo, r.hi)
}

// numberPoolAttrs gives each NumberPool attribute of m that attrs does not give the next number
// of its range (parameters start_range, 1 by default, and end_range).
func (t *tx) numberPoolAttrs(m *schema.Node, attrs map[string]attrInput) error {
	for _, a := range m.Attributes {
		if a.Kind != values.KindNumberPool || a.State == schema.StateAbsent {
			continue
		}
		if in, given := attrs[a.Name]; given && in.hasValue {
			continue
		}
		owner := m.Kind
		if a.Inherited {
			for _, g := range m.InheritFrom {
				if gm, ok := t.set.Generic(g); ok && gm.Attribute(a.Name) != nil {
					owner = g
					break
				}
			}
		}
		r := numberRange{constraint: "numberpool:" + owner + "." + a.Name, what: "the NumberPool of " + owner + "." + a.Name,
			kind: owner, field: a.Name, lo: 1, hi: math.MaxInt64}
		if p := a.Parameters; p != nil {
			if p.StartRange != nil {
				r.lo = *p.StartRange
			}
			if p.EndRange != nil {
				r.hi = *p.EndRange
			}
		}
		v, key, err := t.nextNumber(r)
		if err != nil {
			return nodeError(m.Kind, a.Name, err)
		}
		attrs[a.Name] = attrInput{value: v, hasValue: true, claim: key}
	}
	return nil
}

// numbersUsed is the set of values the nodes of kind hold in attribute field on this branch
// (read once per command and pool).
func (t *tx) numbersUsed(cache, kind, field string) map[int64]bool {
	if u, ok := t.numbers[cache]; ok {
		return u
	}
	u := map[int64]bool{}
	add := func(n *txNode) {
		if n == nil || !n.live {
			return
		}
		if v, ok := t.attr(n, field); ok {
			if f, ok := v.Value.(float64); ok {
				u[int64(f)] = true
			}
		}
	}
	for _, id := range t.v.Nodes(kind) {
		add(t.node(id))
	}
	for _, n := range t.nodes {
		if n.created && (n.kind == kind || slices.Contains(n.model.InheritFrom, kind)) {
			add(n)
		}
	}
	if t.numbers == nil {
		t.numbers = map[string]map[int64]bool{}
	}
	t.numbers[cache] = u
	return u
}

// resolvePools allocates what attrs and rels ask of pools (from_pool): a number for an
// attribute, a new address or prefix node for each relationship request. When existing is set
// (an upsert that found its node), a field the node already holds keeps its value and nothing
// is allocated for it.
func (t *tx) resolvePools(existing *txNode, m *schema.Node, attrs map[string]attrInput, rels map[string]relInput) error {
	for _, name := range sortedKeys(attrs) {
		in := attrs[name]
		if in.fromPool == nil {
			continue
		}
		if existing != nil {
			if cur, _ := t.attr(existing, name); cur.Value != nil {
				delete(attrs, name)
				continue
			}
		}
		v, key, err := t.allocateNumber(*in.fromPool, m, name)
		if err != nil {
			return nodeError(m.Kind, name, err)
		}
		in.value, in.hasValue, in.claim, in.fromPool = v, true, key, nil
		attrs[name] = in
	}
	for _, name := range sortedKeys(rels) {
		in := rels[name]
		if len(in.pools) == 0 {
			continue
		}
		if existing != nil && len(t.peersOf(existing.id, in.field)) > 0 {
			if in.pools = nil; len(in.peers) == 0 {
				delete(rels, name)
			} else {
				rels[name] = in
			}
			continue
		}
		for _, ref := range in.pools {
			id, err := t.allocateIP(ref)
			if err != nil {
				return nodeError(m.Kind, name, err)
			}
			if _, err := t.resolveRef(in.rel, Ref{ID: id.String()}); err != nil {
				return nodeError(m.Kind, name, err)
			}
			in.peers = append(in.peers, id)
		}
		in.pools = nil
		slices.SortFunc(in.peers, graph.NodeID.Compare)
		in.peers = slices.Compact(in.peers)
		rels[name] = in
	}
	return nil
}
