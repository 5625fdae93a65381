package graphql

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
)

// The IPAM math of include_available (Infrahub's backend/infrahub/graphql/resolvers/ipam.py):
// the free space of a prefix among its child prefixes as the largest aligned free blocks, and
// the free addresses of a prefix between its addresses as ranges.

// comparePrefix orders prefixes as Python's ipaddress networks compare: by version, network
// address, then length (a shorter, wider prefix first).
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// freeBlocks lists the space of parent that no prefix of used overlaps, as the largest aligned
// prefixes, in address order (netaddr's IPSet([parent]) - used, iter_cidrs). Used prefixes are
// masked; those outside parent are ignored.
func freeBlocks(parent netip.Prefix, used []netip.Prefix) []netip.Prefix {
	parent = parent.Masked()
	var in []netip.Prefix
	for _, u := range used {
		u = u.Masked()
		if u.Addr().Is4() == parent.Addr().Is4() && u.Overlaps(parent) {
			in = append(in, u)
		}
	}
	var out []netip.Prefix
	var walk func(p netip.Prefix)
	walk = func(p netip.Prefix) {
		overlapped := false
		for _, u := range in {
			if u.Bits() <= p.Bits() && u.Contains(p.Addr()) {
				return // p is used whole
			}
			if u.Overlaps(p) {
				overlapped = true
			}
		}
		if !overlapped {
			out = append(out, p)
			return
		}
		lo, hi := halves(p)
		walk(lo)
		walk(hi)
	}
	walk(parent)
	return out
}

// halves splits p (not a single address) into its two subnets one bit longer.
func halves(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	bits := p.Bits() + 1
	lo := netip.PrefixFrom(p.Addr(), bits)
	hiAddr := addrAdd(p.Addr(), new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-bits)))
	return lo, netip.PrefixFrom(hiAddr, bits)
}

func addrInt(a netip.Addr) *big.Int {
	b := a.AsSlice()
	return new(big.Int).SetBytes(b)
}

func intAddr(n *big.Int, is4 bool) netip.Addr {
	size := 16
	if is4 {
		size = 4
	}
	buf := make([]byte, size)
	n.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return a
}

func addrAdd(a netip.Addr, d *big.Int) netip.Addr {
	return intAddr(new(big.Int).Add(addrInt(a), d), a.Is4())
}

// lastAddr is the broadcast address of p (its last address).
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	span := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	return addrAdd(p.Addr(), span.Sub(span, big.NewInt(1)))
}

// ipRange is a run of free addresses, first to last included.
type ipRange struct{ first, last netip.Addr }

// usableBounds are the first and last addresses Infrahub offers in a prefix: all of them for
// IPv6, a pool, or an IPv4 /31 holding addresses; else the network and broadcast addresses
// are left out.
func usableBounds(p netip.Prefix, isPool, memberAddress bool) (netip.Addr, netip.Addr) {
	p = p.Masked()
	first, last := p.Addr(), lastAddr(p)
	if p.Addr().Is6() || isPool || (memberAddress && p.Bits() == 31) {
		return first, last
	}
	return first.Next(), last.Prev()
}

// rangeLabel is the display label of a free range (resolvers/ipam.py _ip_range_display_label).
func rangeLabel(r ipRange) string {
	size := new(big.Int).Sub(addrInt(r.last), addrInt(r.first))
	size.Add(size, big.NewInt(1))
	switch {
	case size.Cmp(big.NewInt(1)) == 0:
		return "1 IP address available"
	case size.Cmp(big.NewInt(1<<16)) <= 0:
		return fmt.Sprintf("%s IP addresses available", size)
	}
	return fmt.Sprintf("More than %d IP addresses available", 1<<16)
}

// sortPrefixes sorts prefixes in comparePrefix order.
func sortPrefixes(ps []netip.Prefix) { slices.SortFunc(ps, comparePrefix) }
