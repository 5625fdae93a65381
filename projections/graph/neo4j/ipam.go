package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"

	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// NextAvailableAddress implements graph.IPAM: at most three statements (the branch, the position
// of a scope at a time, StmtIPAM), the answer computed by IPAMFromRows.
func (r *Reader) NextAvailableAddress(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return r.next(ctx, s, prefixID, length, false)
}

// NextAvailablePrefix implements graph.IPAM as NextAvailableAddress.
func (r *Reader) NextAvailablePrefix(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return r.next(ctx, s, prefixID, length, true)
}

func (r *Reader) next(ctx context.Context, s graph.Scope, prefixID string, length int, prefix bool) (string, bool, error) {
	if _, err := bg.ParseNodeID(prefixID); err != nil {
		return "", false, fmt.Errorf("%w: %q is not a node id", graph.ErrInvalidQuery, prefixID)
	}
	rd, err := r.begin(ctx, s)
	if err != nil {
		return "", false, err
	}
	defer rd.tx.Close(ctx)
	tree, rels := ipamIdentifiers(rd.set)
	rows, err := rd.run(ctx, StmtIPAM, map[string]any{"id": prefixID, "tree": tree, "rels": rels,
		"prefix_attr": "prefix", "address_attr": "address"})
	if err != nil {
		return "", false, err
	}
	return IPAMFromRows(rd.set, rows, prefixID, length, prefix)
}

// ipamIdentifiers is the identifiers of the children relationships of the IP prefix kinds of
// set (tree) and of their children and ip_addresses relationships (rels), sorted.
func ipamIdentifiers(set *schema.Set) (tree, rels []string) {
	tree, rels = []string{}, []string{}
	for _, m := range set.Nodes() {
		if !slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
			continue
		}
		for _, r := range m.Relationships {
			if r.Name == "children" && !slices.Contains(tree, r.Identifier) {
				tree = append(tree, r.Identifier)
			}
			if (r.Name == "children" || r.Name == "ip_addresses") && !slices.Contains(rels, r.Identifier) {
				rels = append(rels, r.Identifier)
			}
		}
	}
	slices.Sort(tree)
	slices.Sort(rels)
	return tree, rels
}

// ipamNode is one row of StmtIPAM.
type ipamNode struct {
	kind   string
	live   bool
	prefix string
	peers  []map[string]any
}

// IPAMFromRows answers NextAvailableAddress (prefix false) or NextAvailablePrefix (true) of
// prefix id from the rows of StmtIPAM, as nodes.View does: the addresses are those of the
// ip_addresses relationship of the prefix and of the prefixes under it (its children, within
// IPAMDepth levels), the prefixes those of its live children that are IP prefixes. An id that is
// no live node, a node that is not an IP prefix or a length that does not fit wraps
// graph.ErrInvalidQuery.
func IPAMFromRows(set *schema.Set, rows []map[string]any, id string, length int, prefix bool) (string, bool, error) {
	ns := map[string]ipamNode{}
	for _, row := range rows {
		nid, _ := row["id"].(string)
		if nid == "" {
			return "", false, fmt.Errorf("%w: neo4j graph reader: ipam row without id", fault.ErrUnavailable)
		}
		n := ipamNode{live: row["status"] == "active"}
		n.kind, _ = row["kind"].(string)
		if js, _ := row["prefix"].(string); js != "" {
			var v any
			if err := json.Unmarshal([]byte(js), &v); err == nil {
				n.prefix, _ = v.(string)
			}
		}
		list, _ := row["peers"].([]any)
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				n.peers = append(n.peers, m)
			}
		}
		ns[nid] = n
	}
	prefixOf := func(nid string) (netip.Prefix, *schema.Node, error) {
		n, ok := ns[nid]
		if !ok || !n.live {
			return netip.Prefix{}, nil, fmt.Errorf("%w: no node %s", nodes.ErrNotPrefix, nid)
		}
		m, ok := set.Node(n.kind)
		if !ok || !slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
			return netip.Prefix{}, nil, fmt.Errorf("%w: node %s is a %s", nodes.ErrNotPrefix, nid, n.kind)
		}
		p, err := netip.ParsePrefix(n.prefix)
		if err != nil {
			return netip.Prefix{}, nil, fmt.Errorf("%w: node %s holds %q", nodes.ErrNotPrefix, nid, n.prefix)
		}
		return p.Masked(), m, nil
	}
	p, m, err := prefixOf(id)
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", graph.ErrInvalidQuery, err)
	}
	// peers is the peers of nid through relationship rs (nil: none), sorted, and the addresses
	// they hold.
	peers := func(nid string, rs *schema.Relationship) (ids, addrs []string) {
		if rs == nil {
			return nil, nil
		}
		for _, e := range ns[nid].peers {
			name, _ := e["name"].(string)
			sd, _ := e["side"].(string)
			peer, _ := e["peer"].(string)
			if name != rs.Identifier || sd != side(rs.Identifier, rs.Direction) || peer == "" || slices.Contains(ids, peer) {
				continue
			}
			ids = append(ids, peer)
			if js, _ := e["address"].(string); js != "" {
				var v any
				if json.Unmarshal([]byte(js), &v) == nil {
					s, _ := v.(string)
					addrs = append(addrs, s)
				}
			}
		}
		slices.Sort(ids)
		return ids, addrs
	}
	children := m.Relationship("children")
	if prefix {
		if length <= p.Bits() || length > p.Addr().BitLen() {
			return "", false, fmt.Errorf("%w: prefix_length %d does not fit under prefix %s", graph.ErrInvalidQuery, length, p)
		}
		var used []netip.Prefix
		ids, _ := peers(id, children)
		for _, c := range ids {
			if cp, _, err := prefixOf(c); err == nil {
				used = append(used, cp)
			}
		}
		n, ok := nodes.NextPrefix(p, length, used, nil)
		if !ok {
			return "", false, nil
		}
		return n.String(), true, nil
	}
	if length == 0 {
		length = p.Bits()
	}
	if length < p.Bits() || length > p.Addr().BitLen() {
		return "", false, fmt.Errorf("%w: prefix_length %d does not fit prefix %s", graph.ErrInvalidQuery, length, p)
	}
	used := map[netip.Addr]bool{}
	addresses := m.Relationship("ip_addresses")
	seen := map[string]int{} // the shallowest depth a node was walked at: the same addresses
	var walk func(string, int)
	walk = func(nid string, depth int) {
		if d, ok := seen[nid]; ok && d <= depth {
			return
		}
		seen[nid] = depth
		_, addrs := peers(nid, addresses)
		for _, s := range addrs {
			if ap, err := netip.ParsePrefix(s); err == nil {
				used[ap.Addr()] = true
			}
		}
		if depth < IPAMDepth {
			ids, _ := peers(nid, children)
			for _, c := range ids {
				walk(c, depth+1)
			}
		}
	}
	walk(id, 0)
	a, ok := nodes.NextAddress(p, netip.Addr{}, func(a netip.Addr) bool { return used[a] })
	if !ok {
		return "", false, nil
	}
	return netip.PrefixFrom(a, length).String(), true, nil
}

// utilizationInputs is the IP prefix kinds of set and the identifiers of their children and
// ip_addresses relationships, for StmtReadNodes' util column.
func utilizationInputs(set *schema.Set) (kinds, rels []string) {
	kinds = []string{}
	for _, m := range set.Nodes() {
		if slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
			kinds = append(kinds, m.Kind)
		}
	}
	_, rels = ipamIdentifiers(set)
	return kinds, rels
}

// Utilization is the utilization of an IP prefix of kind (false for another kind) from its
// stored attributes and the util column of StmtReadNodes, as nodes.View.Utilization computes
// it: the space of its child prefixes for a prefix of member_type prefix, else its addresses
// among its usable hosts (network and broadcast excluded for IPv4 prefixes wider than /31), as
// a percentage rounded to two decimals.
func Utilization(set *schema.Set, kind string, stored map[string]graph.Attribute, util any) (float64, bool) {
	m, ok := set.Node(kind)
	if !ok || !slices.Contains(m.InheritFrom, "BuiltinIPPrefix") {
		return 0, false
	}
	s, _ := stored["prefix"].Value.(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return 0, false
	}
	p = p.Masked()
	// peers is the peers of rs in util (distinct), with their prefix texts.
	peers := func(rs *schema.Relationship) (ids, prefixes []string) {
		if rs == nil {
			return nil, nil
		}
		list, _ := util.([]any)
		for _, x := range list {
			e, _ := x.(map[string]any)
			name, _ := e["name"].(string)
			sd, _ := e["side"].(string)
			peer, _ := e["peer"].(string)
			if name != rs.Identifier || sd != side(rs.Identifier, rs.Direction) || peer == "" || slices.Contains(ids, peer) {
				continue
			}
			ids = append(ids, peer)
			var v any
			if js, _ := e["prefix"].(string); js != "" && json.Unmarshal([]byte(js), &v) == nil {
				t, _ := v.(string)
				prefixes = append(prefixes, t)
			}
		}
		return ids, prefixes
	}
	space := func(p netip.Prefix) *big.Float {
		return new(big.Float).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits())))
	}
	size, used := space(p), new(big.Float)
	if stored["member_type"].Value == "prefix" {
		_, prefixes := peers(m.Relationship("children"))
		for _, t := range prefixes {
			if cp, err := netip.ParsePrefix(t); err == nil {
				used.Add(used, space(cp.Masked()))
			}
		}
	} else {
		if p.Addr().Is4() && p.Bits() < 31 {
			size.Sub(size, big.NewFloat(2))
		}
		ids, _ := peers(m.Relationship("ip_addresses"))
		used.SetInt64(int64(len(ids)))
	}
	if size.Sign() <= 0 {
		return 0, true
	}
	r, _ := new(big.Float).Quo(used.Mul(used, big.NewFloat(100)), size).Float64()
	return math.Round(r*100) / 100, true
}
