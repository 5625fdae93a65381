package commands

import (
	"fmt"
	"maps"
	"net/netip"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// Resource pools hand out resources. An address taken from a CoreIPAddressPool is claimed for the
// pool on every branch at once (a global claim), so that two branches never get the same one;
// within a branch, an address already used in the pool's namespace is skipped too.

// poolConstraint names the global claims of a pool's allocations.
func poolConstraint(pool graph.NodeID) string { return "allocated:" + pool.String() }

// allocateAddress creates the next free address of an IP address pool and returns it.
func (t *tx) allocateAddress(pool graph.NodeID) (graph.NodeID, error) {
	t.allocates = true
	p := t.node(pool)
	if p == nil || p.model == nil || p.kind != "CoreIPAddressPool" {
		return graph.NodeID{}, fmt.Errorf("%w: %s is not an IP address pool", ErrInvalid, pool)
	}
	kindAttr, _ := t.attr(p, "default_address_type")
	kind, _ := kindAttr.Value.(string)
	m, err := t.modelOf(kind)
	if err != nil {
		return graph.NodeID{}, fmt.Errorf("pool %s: default_address_type: %w", pool, err)
	}
	if ipAttr(m) != "address" {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s: default_address_type %s is not an IP address kind", ErrInvalid, pool, kind)
	}
	pm := p.model
	nsRel := pm.Relationship("ip_namespace")
	resRel := pm.Relationship("resources")
	if nsRel == nil || resRel == nil {
		return graph.NodeID{}, fmt.Errorf("%w: pool %s has no resources or namespace", ErrInvalid, pool)
	}
	var ns graph.NodeID
	if list := t.peersOf(pool, nodes.RelField(nsRel.Identifier, nsRel.Direction)); len(list) > 0 {
		ns = list[0]
	}
	nsRels := map[string]relInput{}
	if r := m.Relationship("ip_namespace"); r != nil && !ns.IsZero() {
		nsRels[r.Name] = relInput{rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{ns}}
	}
	free := func(prefix netip.Prefix, a netip.Addr) (string, bool) {
		host := netip.PrefixFrom(a, prefix.Bits()).String()
		if holder, ok := t.taken(claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}); ok && !holder.IsZero() {
			return "", false // allocated on some branch
		}
		if _, exists := t.match(m, map[string]attrInput{"address": {value: host, hasValue: true}}, nsRels); exists {
			return "", false // used in the namespace on this branch
		}
		return host, true
	}
	for _, prefixID := range t.peersOf(pool, nodes.RelField(resRel.Identifier, resRel.Direction)) {
		pn := t.node(prefixID)
		if pn == nil || !pn.live {
			continue
		}
		v, _ := t.attr(pn, "prefix")
		raw, _ := v.Value.(string)
		prefix, err := netip.ParsePrefix(raw)
		if err != nil {
			continue
		}
		prefix = prefix.Masked()
		// Start after the last address this process gave from the pool (a hint: the claims
		// decide), then wrap around.
		first := firstHost(prefix)
		start := first
		hint, ok := t.gave[pool] // given earlier in this command
		if !ok {
			var h any
			if h, ok = t.hints.Load(pool); ok {
				hint = h.(netip.Addr)
			}
		}
		if ok {
			if last := hint; prefix.Contains(last) && prefix.Contains(last.Next()) {
				start = last.Next()
			}
		}
		for pass := 0; pass < 2; pass++ {
			from, to := start, netip.Addr{}
			if pass == 1 {
				if start == first {
					break
				}
				from, to = first, start
			}
			for a := from; a.IsValid() && prefix.Contains(a) && a != to; a = a.Next() {
				if isBroadcast(prefix, a) {
					break
				}
				host, ok := free(prefix, a)
				if !ok {
					continue
				}
				key := claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}
				n, err := t.create(m, graph.NewNodeID(), map[string]attrInput{"address": {value: host, hasValue: true}}, maps.Clone(nsRels))
				if err != nil {
					return graph.NodeID{}, fmt.Errorf("pool %s: %w", pool, err)
				}
				// The address's creation carries the pool's claim, on every branch at once.
				t.claims[key] = n.id
				for i := len(t.events) - 1; i >= 0; i-- {
					if ev, ok := t.events[i].payload.(nodes.Created); ok && ev.ID == n.id.String() {
						ev.Claims = append(ev.Claims, nodes.Claim{Kind: key.kind, Constraint: key.constraint, Key: key.key, Global: true})
						t.events[i].payload = ev
						break
					}
				}
				if t.gave == nil {
					t.gave = map[graph.NodeID]netip.Addr{}
				}
				t.gave[pool] = a
				return n.id, nil
			}
		}
	}
	return graph.NodeID{}, fmt.Errorf("%w: IP address pool %s is exhausted", ErrConflict, pool)
}

// firstHost is the first address of a prefix a host may use (the network address is skipped
// unless the prefix is a /31, /32, /127 or /128).
func firstHost(p netip.Prefix) netip.Addr {
	a := p.Addr()
	if p.Bits() >= a.BitLen()-1 {
		return a
	}
	return a.Next()
}

// isBroadcast reports the last address of an IPv4 prefix of /30 or wider.
func isBroadcast(p netip.Prefix, a netip.Addr) bool {
	if !a.Is4() || p.Bits() >= 31 {
		return false
	}
	return !p.Contains(a.Next())
}
