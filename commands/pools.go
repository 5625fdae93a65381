package commands

import (
	"fmt"
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
	used := t.addressesIn(ns)
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
		for a := firstHost(prefix); a.IsValid() && prefix.Contains(a); a = a.Next() {
			if isBroadcast(prefix, a) {
				break
			}
			host := netip.PrefixFrom(a, prefix.Bits()).String()
			if used[a] {
				continue
			}
			key := claimKey{"CoreIPAddressPool", poolConstraint(pool), a.String()}
			if holder, ok := t.taken(key); ok && !holder.IsZero() {
				continue
			}
			data := map[string]attrInput{"address": {value: host, hasValue: true}}
			rels := map[string]relInput{}
			if r := m.Relationship("ip_namespace"); r != nil && !ns.IsZero() {
				rels[r.Name] = relInput{rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{ns}}
			}
			n, err := t.create(m, graph.NewNodeID(), data, rels)
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
			return n.id, nil
		}
	}
	return graph.NodeID{}, fmt.Errorf("%w: IP address pool %s is exhausted", ErrConflict, pool)
}

// addressesIn is the set of addresses the live addresses of a namespace hold on this branch.
func (t *tx) addressesIn(ns graph.NodeID) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for _, g := range []string{"BuiltinIPAddress"} {
		for _, id := range t.v.Nodes(g) {
			n := t.node(id)
			if n == nil || !n.live {
				continue
			}
			if !ns.IsZero() {
				if r := n.model.Relationship("ip_namespace"); r != nil {
					if list := t.peersOf(id, nodes.RelField(r.Identifier, r.Direction)); len(list) > 0 && list[0] != ns {
						continue
					}
				}
			}
			v, _ := t.attr(n, "address")
			if s, ok := v.Value.(string); ok {
				if p, err := netip.ParsePrefix(s); err == nil {
					used[p.Addr()] = true
				}
			}
		}
	}
	for _, n := range t.nodes { // created by this command
		if n.created && n.live && ipAttr(n.model) == "address" {
			if v, ok := n.attrs["address"]; ok {
				if s, ok := v.Value.(string); ok {
					if p, err := netip.ParsePrefix(s); err == nil {
						used[p.Addr()] = true
					}
				}
			}
		}
	}
	return used
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
