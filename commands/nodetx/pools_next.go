package nodetx

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// nextAddress finds the next free address of an address pool's prefixes.
func (rx pooler) nextAddress(pool graph.NodeID, m *schema.Node, ns graph.NodeID, rels *relSet, resources []netip.Prefix, length int) (string, claimKey, error) {
	t := rx.tx
	nsRels := newRelSet(1)
	if r := m.Relationship("ip_namespace"); r != nil {
		if in, ok := rels.get(r.Name); ok {
			nsRels.set(in)
		}
	}
	hint, hasHint := t.pools.hint(pool.String())
	last, _ := netip.ParseAddr(hint)
	for _, prefix := range resources {
		bits := prefix.Bits()
		if length > 0 {
			bits = length
		}
		if bits < prefix.Bits() || bits > prefix.Addr().BitLen() {
			return "", claimKey{}, fmt.Errorf("%w: field \"prefix_length\": %d does not fit prefix %s", fault.ErrInvalid, bits, prefix)
		}
		start := netip.Addr{}
		if hasHint && prefix.Contains(last) && prefix.Contains(last.Next()) {
			start = last.Next()
		}
		a, ok := nodes.NextAddress(prefix, start, func(a netip.Addr) bool {
			if holder, ok := t.st.taken(claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}); ok && !holder.IsZero() {
				return true // allocated on some branch
			}
			host := netip.PrefixFrom(a, bits).String()
			_, exists := t.ident.match(m, map[string]attrInput{"address": {value: host, hasValue: true}}, nsRels.clone())
			return exists // used in the namespace on this branch
		})
		if ok {
			t.pools.gaveFrom(pool.String(), a.String())
			return netip.PrefixFrom(a, bits).String(), claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}, nil
		}
	}
	return "", claimKey{}, fmt.Errorf("%w: IP address pool %s is exhausted", fault.ErrConflict, pool)
}

// nextPrefix finds the first free prefix of the given length in a prefix pool's resources: one
// that overlaps no prefix of the namespace under the resource and no prefix the pool gave on
// any branch.
func (rx pooler) nextPrefix(pool graph.NodeID, ns graph.NodeID, resources []netip.Prefix, length int) (string, claimKey, error) {
	t := rx.tx
	if length <= 0 {
		return "", claimKey{}, fmt.Errorf("%w: field \"prefix_length\": the pool has no default_prefix_length; give one", fault.ErrInvalid)
	}
	all, _ := t.ipam.nodesIn(ns)
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
				if holder, ok := t.st.taken(claimKey{"CoreIPPrefixPool", poolConstraint(pool), w.String()}); ok && !holder.IsZero() {
					return true
				}
			}
			return false
		})
		if ok {
			return p.String(), claimKey{"CoreIPPrefixPool", poolConstraint(pool), p.String()}, nil
		}
	}
	return "", claimKey{}, fmt.Errorf("%w: IP prefix pool %s has no free /%d", fault.ErrConflict, pool, length)
}

// allocateNumber takes the next free number of a number pool for attribute attr of kind m.
func (rx pooler) allocateNumber(ref PoolRef, m *schema.Node, attr string) (float64, *claimKey, error) {
	t := rx.tx
	t.allocates = true
	p, err := t.pools.find(ref)
	if err != nil {
		return 0, nil, err
	}
	if p.kind != "CoreNumberPool" {
		return 0, nil, fmt.Errorf("%w: %s is a %s, not a number pool", fault.ErrInvalid, p.id, p.kind)
	}
	str := func(name string) string { v, _ := t.st.attr(p, name); s, _ := v.Value.(string); return s }
	num := func(name string) (int64, bool) {
		v, _ := t.st.attr(p, name)
		f, ok := v.Value.(float64)
		return int64(f), ok
	}
	kind, field := str("node"), str("node_attribute")
	if (kind != m.Kind && !slices.Contains(m.InheritFrom, kind)) || field != attr {
		return 0, nil, fmt.Errorf("%w: number pool %s gives %s.%s, not %s.%s", fault.ErrInvalid, p.id, kind, field, m.Kind, attr)
	}
	lo, ok1 := num("start_range")
	hi, ok2 := num("end_range")
	if !ok1 || !ok2 || lo > hi {
		return 0, nil, fmt.Errorf("%w: number pool %s has no valid start_range/end_range", fault.ErrInvalid, p.id)
	}
	return t.pools.nextNumber(numberRange{constraint: poolConstraint(p.id), what: "number pool " + p.id.String(), kind: kind, field: field, lo: lo, hi: hi})
}

// numberRange is where a number comes from: a CoreNumberPool, or a NumberPool attribute's own
// range (its constraint names the kind that declares the attribute).
type numberRange struct {
	constraint, what, kind, field string
	lo, hi                        int64
}

// nextNumber takes the next free number of a range: held by no node of the kind on this branch
// and claimed on no branch.
func (rx pooler) nextNumber(r numberRange) (float64, *claimKey, error) {
	t := rx.tx
	t.allocates = true
	used := t.pools.numbersUsed(r.constraint, r.kind, r.field)
	start := r.lo
	if h, ok := t.pools.hint(r.constraint); ok {
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
			if holder, ok := t.st.taken(key); ok && !holder.IsZero() {
				continue
			}
			used[n] = true
			t.pools.gaveFrom(r.constraint, key.key)
			return float64(n), &key, nil
		}
	}
	return 0, nil, fmt.Errorf("%w: %s is exhausted (%d–%d)", fault.ErrConflict, r.what, r.lo, r.hi)
}

// numberAttrs gives each NumberPool attribute of m that attrs does not give the next number
// of its range (parameters start_range, 1 by default, and end_range).
func (rx pooler) numberAttrs(m *schema.Node, attrs map[string]attrInput) error {
	t := rx.tx
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
		v, key, err := t.pools.nextNumber(r)
		if err != nil {
			return nodeError(m.Kind, a.Name, err)
		}
		attrs[a.Name] = attrInput{value: v, hasValue: true, extra: &attrExtra{claim: key}}
	}
	return nil
}

// numbersUsed is the set of values the nodes of kind hold in attribute field on this branch
// (read once per command and pool).
func (rx pooler) numbersUsed(cache, kind, field string) map[int64]bool {
	t := rx.tx
	if u, ok := t.numbers[cache]; ok {
		return u
	}
	u := map[int64]bool{}
	add := func(n *txNode) {
		if n == nil || !n.live {
			return
		}
		if v, ok := t.st.attr(n, field); ok {
			if f, ok := v.Value.(float64); ok {
				u[int64(f)] = true
			}
		}
	}
	for _, id := range t.v.Nodes(kind) {
		add(t.st.node(id))
	}
	for _, n := range t.st.nodes {
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

// resolve allocates what attrs and rels ask of pools (from_pool): a number for an
// attribute, a new address or prefix node for each relationship request. When existing is set
// (an upsert that found its node), a field the node already holds keeps its value and nothing
// is allocated for it.
func (rx pooler) resolve(existing *txNode, m *schema.Node, attrs map[string]attrInput, rels *relSet) error {
	t := rx.tx
	if !someAttr(attrs, func(in attrInput) bool { return in.fromPool() != nil }) &&
		!rels.some(func(in relInput) bool { return len(in.pools) > 0 }) {
		return nil // nothing asked of a pool (the common case): no names to sort
	}
	for _, name := range sortedKeys(attrs) {
		in := attrs[name]
		if in.fromPool() == nil {
			continue
		}
		if existing != nil {
			if cur, _ := t.st.attr(existing, name); cur.Value != nil {
				delete(attrs, name)
				continue
			}
		}
		v, key, err := t.pools.allocateNumber(*in.fromPool(), m, name)
		if err != nil {
			return nodeError(m.Kind, name, err)
		}
		in.value, in.hasValue = v, true
		in.with(func(x *attrExtra) { x.claim, x.fromPool = key, nil })
		attrs[name] = in
	}
	for _, in := range slices.Clone(rels.all()) { // in name order; rels changes below
		name := in.name
		if len(in.pools) == 0 {
			continue
		}
		if existing != nil && len(t.st.peersOf(existing.id, in.field)) > 0 {
			if in.pools = nil; len(in.peers) == 0 {
				rels.del(name)
			} else {
				rels.set(in)
			}
			continue
		}
		for _, ref := range in.pools {
			id, err := t.pools.allocateIP(ref)
			if err != nil {
				return nodeError(m.Kind, name, err)
			}
			if _, err := t.parse.ref(in.rel, Ref{ID: id.String()}); err != nil {
				return nodeError(m.Kind, name, err)
			}
			in.peers = append(in.peers, id)
		}
		in.pools = nil
		slices.SortFunc(in.peers, graph.NodeID.Compare)
		in.peers = slices.Compact(in.peers)
		rels.set(in)
	}
	return nil
}

// someAttr reports whether f holds for an attribute of attrs, in no order.
func someAttr(attrs map[string]attrInput, f func(attrInput) bool) bool {
	for _, in := range attrs {
		if f(in) {
			return true
		}
	}
	return false
}
