package nodes

import (
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"

	"github.com/infrahub-go/infrahub/fault"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Utilization is the percentage of an IP prefix its children use, computed when read: the space
// of its child prefixes for a prefix of member_type prefix, else its addresses among its usable
// hosts (network and broadcast excluded for IPv4 prefixes wider than /31). False for a node that
// is not a prefix.
func (v *View) Utilization(id graph.NodeID) (float64, bool) {
	kind, ok := v.Kind(id)
	if !ok {
		return 0, false
	}
	m, ok := v.Schema.Node(kind)
	if !ok || !slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
		return 0, false
	}
	prefixOf := func(id graph.NodeID) (netip.Prefix, bool) {
		a, ok := v.Attr(id, "prefix")
		s, _ := a.Value.(string)
		p, err := netip.ParsePrefix(s)
		return p.Masked(), ok && err == nil
	}
	p, ok := prefixOf(id)
	if !ok {
		return 0, false
	}
	space := func(p netip.Prefix) *big.Float {
		return new(big.Float).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits())))
	}
	size, used := space(p), new(big.Float)
	mt, _ := v.Attr(id, "member_type")
	if mt.Value == "prefix" {
		if r := m.Relationship("children"); r != nil {
			for _, c := range v.Peers(id, RelField(r.Identifier, r.Direction)) {
				if cp, ok := prefixOf(c); ok {
					used.Add(used, space(cp))
				}
			}
		}
	} else {
		if p.Addr().Is4() && p.Bits() < 31 {
			size.Sub(size, big.NewFloat(2))
		}
		if r := m.Relationship("ip_addresses"); r != nil {
			used.SetInt64(int64(len(v.Peers(id, RelField(r.Identifier, r.Direction)))))
		}
	}
	if size.Sign() <= 0 {
		return 0, true
	}
	r, _ := new(big.Float).Quo(used.Mul(used, big.NewFloat(100)), size).Float64()
	return math.Round(r*100) / 100, true
}

// NextAddress is the first address of p, from start (or p's first host when start is not valid)
// and then wrapping around, that used does not report. The network address of an IPv4 prefix
// wider than /31 (and of an IPv6 one wider than /127) and the IPv4 broadcast address are skipped.
func NextAddress(p netip.Prefix, start netip.Addr, used func(netip.Addr) bool) (netip.Addr, bool) {
	p = p.Masked()
	first := p.Addr()
	if p.Bits() < first.BitLen()-1 {
		first = first.Next()
	}
	if !start.IsValid() || !p.Contains(start) || start.Less(first) {
		start = first
	}
	usable := func(a netip.Addr) bool {
		if !a.IsValid() || !p.Contains(a) {
			return false
		}
		// the last address of an IPv4 prefix of /30 or wider is its broadcast
		return !a.Is4() || p.Bits() >= 31 || p.Contains(a.Next())
	}
	for a := start; usable(a); a = a.Next() {
		if !used(a) {
			return a, true
		}
	}
	for a := first; a != start && usable(a); a = a.Next() {
		if !used(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// NextPrefix is the first prefix of the given length inside parent that overlaps none of used
// and that blocked (nil: none) does not refuse.
func NextPrefix(parent netip.Prefix, bits int, used []netip.Prefix, blocked func(netip.Prefix) bool) (netip.Prefix, bool) {
	parent = parent.Masked()
	if bits < parent.Bits() || bits > parent.Addr().BitLen() {
		return netip.Prefix{}, false
	}
	sorted := slices.Clone(used)
	slices.SortFunc(sorted, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	c := netip.PrefixFrom(parent.Addr(), bits)
	for parent.Contains(c.Addr()) {
		next, clash := netip.Addr{}, false
		for _, u := range sorted {
			if u.Overlaps(c) {
				clash = true
				// continue after the wider of the two
				end := lastAddr(u)
				if e := lastAddr(c); end.Less(e) {
					end = e
				}
				if next.IsValid() && end.Less(next) {
					continue
				}
				next = end
			}
		}
		if !clash && (blocked == nil || !blocked(c)) {
			return c, true
		}
		if !next.IsValid() {
			next = lastAddr(c)
		}
		n := next.Next()
		if !n.IsValid() {
			break
		}
		// align up to the next boundary of the length
		c = netip.PrefixFrom(n, bits).Masked()
		if c.Addr().Less(n) {
			a := lastAddr(c).Next()
			if !a.IsValid() {
				break
			}
			c = netip.PrefixFrom(a, bits)
		}
	}
	return netip.Prefix{}, false
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// ErrNotPrefix reports a node that is not an IP prefix where one is needed.
var ErrNotPrefix = fault.New(fault.ErrInvalid, "not an IP prefix")

// prefixNode reads an IP prefix node: its prefix and model.
func (v *View) prefixNode(id graph.NodeID) (netip.Prefix, *schema.Node, error) {
	kind, ok := v.Kind(id)
	if !ok {
		return netip.Prefix{}, nil, fmt.Errorf("%w: no node %s on branch %s", ErrNotPrefix, id, v.Branch)
	}
	m, ok := v.Schema.Node(kind)
	if !ok || !slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
		return netip.Prefix{}, nil, fmt.Errorf("%w: node %s is a %s", ErrNotPrefix, id, kind)
	}
	a, _ := v.Attr(id, "prefix")
	s, _ := a.Value.(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, nil, fmt.Errorf("%w: node %s holds %q", ErrNotPrefix, id, s)
	}
	return p.Masked(), m, nil
}

// NextAvailableAddress is the first address of prefix id that no address of it (or of the
// prefixes under it) uses, with the given mask length (0: the prefix's). False when it is full.
func (v *View) NextAvailableAddress(id graph.NodeID, length int) (string, bool, error) {
	p, m, err := v.prefixNode(id)
	if err != nil {
		return "", false, err
	}
	if length == 0 {
		length = p.Bits()
	}
	if length < p.Bits() || length > p.Addr().BitLen() {
		return "", false, fmt.Errorf("prefix_length %d does not fit prefix %s", length, p)
	}
	used := map[netip.Addr]bool{}
	addrs, children := m.Relationship("ip_addresses"), m.Relationship("children")
	var walk func(graph.NodeID, int)
	walk = func(n graph.NodeID, depth int) {
		if addrs != nil {
			for _, a := range v.Peers(n, RelField(addrs.Identifier, addrs.Direction)) {
				x, _ := v.Attr(a, "address")
				s, _ := x.Value.(string)
				if ap, err := netip.ParsePrefix(s); err == nil {
					used[ap.Addr()] = true
				}
			}
		}
		if children != nil && depth < 128 {
			for _, c := range v.Peers(n, RelField(children.Identifier, children.Direction)) {
				walk(c, depth+1)
			}
		}
	}
	walk(id, 0)
	a, ok := NextAddress(p, netip.Addr{}, func(a netip.Addr) bool { return used[a] })
	if !ok {
		return "", false, nil
	}
	return netip.PrefixFrom(a, length).String(), true, nil
}

// NextAvailablePrefix is the first prefix of the given length under prefix id that overlaps
// none of its child prefixes. False when there is none.
func (v *View) NextAvailablePrefix(id graph.NodeID, length int) (string, bool, error) {
	p, m, err := v.prefixNode(id)
	if err != nil {
		return "", false, err
	}
	if length <= p.Bits() || length > p.Addr().BitLen() {
		return "", false, fmt.Errorf("prefix_length %d does not fit under prefix %s", length, p)
	}
	var used []netip.Prefix
	if r := m.Relationship("children"); r != nil {
		for _, c := range v.Peers(id, RelField(r.Identifier, r.Direction)) {
			if cp, _, err := v.prefixNode(c); err == nil {
				used = append(used, cp)
			}
		}
	}
	n, ok := NextPrefix(p, length, used, nil)
	if !ok {
		return "", false, nil
	}
	return n.String(), true, nil
}
