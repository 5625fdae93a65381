package commands

import (
	"net/netip"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// The IPAM tree: in each namespace, a prefix's parent is the most specific prefix that contains
// it, an address's ip_prefix the most specific prefix that contains it, and a prefix without
// parent is top level. Writes keep it so on every branch (utilization is computed when read:
// nodes.View.Utilization).

// ipOf is an IP node's namespace and value (a prefix, or an address with its length).
func (t *tx) ipOf(n *txNode) (graph.NodeID, netip.Prefix, bool) {
	attr := ipAttr(n.model)
	if attr == "" || !n.live {
		return graph.NodeID{}, netip.Prefix{}, false
	}
	v, _ := t.attr(n, attr)
	s, _ := v.Value.(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return graph.NodeID{}, netip.Prefix{}, false
	}
	var ns graph.NodeID
	if r := n.model.Relationship("ip_namespace"); r != nil {
		if list := t.peersOf(n.id, nodes.RelField(r.Identifier, r.Direction)); len(list) > 0 {
			ns = list[0]
		}
	}
	return ns, p, true
}

// ipNode is an IP prefix or address of a namespace.
type ipNode struct {
	n *txNode
	p netip.Prefix
}

// ipNodesIn lists the live prefixes and addresses of a namespace on this branch, with what the
// command changed.
func (t *tx) ipNodesIn(ns graph.NodeID) (prefixes, addresses []ipNode) {
	seen := map[graph.NodeID]bool{}
	add := func(n *txNode) {
		if n == nil || seen[n.id] {
			return
		}
		seen[n.id] = true
		nsOf, p, ok := t.ipOf(n)
		if !ok || nsOf != ns {
			return
		}
		if ipAttr(n.model) == "prefix" {
			prefixes = append(prefixes, ipNode{n, p.Masked()})
		} else {
			addresses = append(addresses, ipNode{n, p})
		}
	}
	for _, g := range []string{"BuiltinIPPrefix", "BuiltinIPAddress"} {
		for _, id := range t.v.Nodes(g) {
			add(t.node(id))
		}
	}
	for _, n := range t.nodes {
		if n.created {
			add(n)
		}
	}
	return prefixes, addresses
}

// container is the most specific prefix that holds p: a strictly wider prefix for a prefix
// (strict), any prefix holding its IP for an address.
func container(prefixes []ipNode, self graph.NodeID, p netip.Prefix, strict bool) *txNode {
	var best *ipNode
	for i := range prefixes {
		c := &prefixes[i]
		if c.n.id == self || c.p.Addr().Is4() != p.Addr().Is4() || !c.p.Contains(p.Addr()) {
			continue
		}
		// A prefix holds a narrower prefix; an address, whatever its length, by its IP alone.
		if strict && c.p.Bits() >= p.Bits() {
			continue
		}
		if best == nil || c.p.Bits() > best.p.Bits() {
			best = c
		}
	}
	if best == nil {
		return nil
	}
	return best.n
}

// ipamChanged brings the tree of a namespace up to date after IP nodes of it were written.
func (t *tx) ipamChanged(ns graph.NodeID) error {
	if t.ipamBusy {
		return nil
	}
	t.ipamBusy = true
	// The tree's own updates are not the command's: its per-kind counts stay as they were.
	saved := t.saveOutcome()
	defer func() {
		t.ipamBusy = false
		t.restoreOutcome(saved)
	}()
	prefixes, addresses := t.ipNodesIn(ns)
	for _, p := range prefixes {
		parent := container(prefixes, p.n.id, p.p, true)
		if err := t.setOne(p.n, "parent", parent); err != nil {
			return err
		}
		if err := t.setAttr(p.n, "is_top_level", parent == nil); err != nil {
			return err
		}
	}
	for _, a := range addresses {
		holder := container(prefixes, a.n.id, a.p, false)
		if err := t.setOne(a.n, "ip_prefix", holder); err != nil {
			return err
		}
	}
	return nil
}

// setOne points a cardinality-one relationship of n at peer (nil: none) when it does not already.
func (t *tx) setOne(n *txNode, name string, peer *txNode) error {
	r := n.model.Relationship(name)
	if r == nil {
		return nil
	}
	field := nodes.RelField(r.Identifier, r.Direction)
	cur := t.peersOf(n.id, field)
	var want []graph.NodeID
	if peer != nil {
		want = []graph.NodeID{peer.id}
	}
	if len(cur) == len(want) && (len(cur) == 0 || cur[0] == want[0]) {
		return nil
	}
	_, err := t.update(n, nil, map[string]relInput{name: {rel: r, field: field, peers: want}})
	return err
}

// setAttr sets an attribute of n (a computed IPAM one) when it differs.
func (t *tx) setAttr(n *txNode, name string, v any) error {
	if n.model.Attribute(name) == nil {
		return nil
	}
	cur, _ := t.attr(n, name)
	if equalValue(cur.Value, nodes.Canon(v)) && !cur.IsDefault {
		return nil
	}
	_, err := t.update(n, map[string]attrInput{name: {value: nodes.Canon(v), hasValue: true}}, nil)
	return err
}

// ipamAfter brings the IPAM tree up to date after n, an IP prefix or address, was written. A
// prefix may move anything in its namespace; an address only itself and the utilization of the
// prefixes it leaves and joins.
func (t *tx) ipamAfter(n *txNode) error {
	if ipAttr(n.model) == "" || t.ipamBusy {
		return nil
	}
	ns, p, ok := t.ipOf(n)
	if !ok || ipAttr(n.model) == "prefix" {
		return t.ipamChanged(ns)
	}
	t.ipamBusy = true
	saved := t.saveOutcome()
	defer func() {
		t.ipamBusy = false
		t.restoreOutcome(saved)
	}()
	prefixes := t.prefixesIn(ns)
	holder := container(prefixes, n.id, p, false)
	return t.setOne(n, "ip_prefix", holder)
}

// prefixesIn lists the live prefixes of a namespace (with the command's changes).
func (t *tx) prefixesIn(ns graph.NodeID) []ipNode {
	var out []ipNode
	seen := map[graph.NodeID]bool{}
	add := func(n *txNode) {
		if n == nil || seen[n.id] || ipAttr(n.model) != "prefix" {
			return
		}
		seen[n.id] = true
		if nsOf, p, ok := t.ipOf(n); ok && nsOf == ns {
			out = append(out, ipNode{n, p.Masked()})
		}
	}
	for _, id := range t.v.Nodes("BuiltinIPPrefix") {
		add(t.node(id))
	}
	for _, n := range t.nodes {
		if n.created {
			add(n)
		}
	}
	return out
}

func (t *tx) saveOutcome() map[string]Outcome {
	saved := map[string]Outcome{}
	for k, o := range t.outcome {
		saved[k] = *o
	}
	return saved
}

func (t *tx) restoreOutcome(saved map[string]Outcome) {
	for k, o := range t.outcome {
		if s, ok := saved[k]; ok {
			*o = s
		} else {
			*o = Outcome{}
		}
	}
}
