package nodes

import (
	"math"
	"math/big"
	"net/netip"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
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
