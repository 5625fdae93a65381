package nodetx

import (
	"net/netip"
	"slices"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// ipamRules keeps IP prefixes and addresses in their namespace and the IPAM tree up to date.
type ipamRules struct{ tx *Tx }

// ipAttr is the attribute holding an IP kind's value ("prefix" or "address"), empty for other kinds.
func ipAttr(m *schema.Node) string {
	switch {
	case m == nil:
		return ""
	case slices.Contains(m.InheritFrom, "BuiltinIPPrefix"):
		return "prefix"
	case slices.Contains(m.InheritFrom, "BuiltinIPAddress"):
		return "address"
	}
	return ""
}

// ipConstraint is the uniqueness of an IP kind within its namespace.
func ipConstraint(m *schema.Node) []string {
	if a := ipAttr(m); a != "" && m.Relationship("ip_namespace") != nil && m.Attribute(a) != nil {
		return []string{"ip_namespace", a + "__value"}
	}
	return nil
}

// defaultNamespace puts an IP prefix or address without a namespace into the default one.
func (rx ipamRules) defaultNamespace(m *schema.Node, rels *relSet) {
	t := rx.tx
	if ipAttr(m) == "" {
		return
	}
	r := m.Relationship("ip_namespace")
	if r == nil {
		return
	}
	if in, given := rels.get(r.Name); given && len(in.peers) > 0 {
		return
	}
	id, ok := t.st.byHFID("BuiltinIPNamespace", []string{"default"})
	if !ok {
		return
	}
	rels.set(relInput{name: r.Name, rel: r, field: nodes.RelField(r.Identifier, r.Direction), peers: []graph.NodeID{id}})
}

// of is an IP node's namespace and value (a prefix, or an address with its length).
func (rx ipamRules) of(n *txNode) (graph.NodeID, netip.Prefix, bool) {
	t := rx.tx
	attr := ipAttr(n.model)
	if attr == "" || !n.live {
		return graph.NodeID{}, netip.Prefix{}, false
	}
	v, _ := t.st.attr(n, attr)
	s, _ := v.Value.(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return graph.NodeID{}, netip.Prefix{}, false
	}
	var ns graph.NodeID
	if r := n.model.Relationship("ip_namespace"); r != nil {
		if list := t.st.peersOf(n.id, nodes.RelField(r.Identifier, r.Direction)); len(list) > 0 {
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

// nodesIn lists the live prefixes and addresses of a namespace on this branch, with what the
// command changed.
func (rx ipamRules) nodesIn(ns graph.NodeID) (prefixes, addresses []ipNode) {
	t := rx.tx
	seen := map[graph.NodeID]bool{}
	add := func(n *txNode) {
		if n == nil || seen[n.id] {
			return
		}
		seen[n.id] = true
		nsOf, p, ok := t.ipam.of(n)
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
			add(t.st.node(id))
		}
	}
	for _, n := range t.st.nodes {
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

// changed brings the tree of a namespace up to date after IP nodes of it were written.
func (rx ipamRules) changed(ns graph.NodeID) error {
	t := rx.tx
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
	prefixes, addresses := t.ipam.nodesIn(ns)
	for _, p := range prefixes {
		parent := container(prefixes, p.n.id, p.p, true)
		if err := t.ipam.setOne(p.n, "parent", parent); err != nil {
			return err
		}
		if err := t.ipam.setAttr(p.n, "is_top_level", parent == nil); err != nil {
			return err
		}
		for name, v := range networkFacts(p.p) {
			if err := t.ipam.setAttr(p.n, name, v); err != nil {
				return err
			}
		}
	}
	for _, a := range addresses {
		holder := container(prefixes, a.n.id, a.p, false)
		if err := t.ipam.setOne(a.n, "ip_prefix", holder); err != nil {
			return err
		}
	}
	return nil
}

// networkFacts are the read-only attributes Infrahub stores on an IP prefix from its value
// (backend/infrahub/core/node/ipam.py): netmask, hostmask, network_address and
// broadcast_address, as Python's ipaddress prints them.
func networkFacts(p netip.Prefix) map[string]string {
	p = p.Masked()
	n := p.Addr().AsSlice()
	mask, host, bcast := make([]byte, len(n)), make([]byte, len(n)), make([]byte, len(n))
	for i := range n {
		bits := min(max(p.Bits()-8*i, 0), 8)
		mask[i] = byte(0xff << (8 - bits))
		host[i] = ^mask[i]
		bcast[i] = n[i] | host[i]
	}
	addr := func(b []byte) string { a, _ := netip.AddrFromSlice(b); return a.String() }
	return map[string]string{"netmask": addr(mask), "hostmask": addr(host),
		"network_address": p.Addr().String(), "broadcast_address": addr(bcast)}
}

// setOne points a cardinality-one relationship of n at peer (nil: none) when it does not already.
func (rx ipamRules) setOne(n *txNode, name string, peer *txNode) error {
	t := rx.tx
	r := n.model.Relationship(name)
	if r == nil {
		return nil
	}
	field := nodes.RelField(r.Identifier, r.Direction)
	cur := t.st.peersOf(n.id, field)
	var want []graph.NodeID
	if peer != nil {
		want = []graph.NodeID{peer.id}
	}
	if len(cur) == len(want) && (len(cur) == 0 || cur[0] == want[0]) {
		return nil
	}
	_, err := t.update(n, nil, relsOf(relInput{name: name, rel: r, field: field, peers: want}))
	return err
}

// setAttr sets an attribute of n (a computed IPAM one) when it differs.
func (rx ipamRules) setAttr(n *txNode, name string, v any) error {
	t := rx.tx
	if n.model.Attribute(name) == nil {
		return nil
	}
	cur, _ := t.st.attr(n, name)
	if equalValue(cur.Value, nodes.Canon(v)) && !cur.IsDefault {
		return nil
	}
	_, err := t.update(n, map[string]attrInput{name: {value: nodes.Canon(v), hasValue: true}}, nil)
	return err
}

// DefaultNamespace is the name of the IP namespace the server creates at first start.
const DefaultNamespace = "default"

// markDefaultNamespace marks the IP namespace named "default" as the default one (its read-only
// attribute default, true), as Infrahub's first start does (backend/infrahub/core/
// initialization.py create_ipam_namespace); namespace names are unique, so it is the one the
// server created.
func (rx ipamRules) markDefaultNamespace(m *schema.Node, attrs map[string]attrInput) {
	if m.Kind != "IpamNamespace" || m.Attribute("default") == nil || attrs["name"].value != DefaultNamespace {
		return
	}
	attrs["default"] = attrInput{value: nodes.Canon(true), hasValue: true}
}

// after brings the IPAM tree up to date after n, an IP prefix or address, was written. A
// prefix may move anything in its namespace; an address only itself and the utilization of the
// prefixes it leaves and joins.
func (rx ipamRules) after(n *txNode) error {
	t := rx.tx
	if ipAttr(n.model) == "" || t.ipamBusy {
		return nil
	}
	ns, p, ok := t.ipam.of(n)
	if !ok || ipAttr(n.model) == "prefix" {
		return t.ipam.changed(ns)
	}
	t.ipamBusy = true
	saved := t.saveOutcome()
	defer func() {
		t.ipamBusy = false
		t.restoreOutcome(saved)
	}()
	prefixes := t.ipam.prefixesIn(ns)
	holder := container(prefixes, n.id, p, false)
	return t.ipam.setOne(n, "ip_prefix", holder)
}

// prefixesIn lists the live prefixes of a namespace (with the command's changes).
func (rx ipamRules) prefixesIn(ns graph.NodeID) []ipNode {
	t := rx.tx
	var out []ipNode
	seen := map[graph.NodeID]bool{}
	add := func(n *txNode) {
		if n == nil || seen[n.id] || ipAttr(n.model) != "prefix" {
			return
		}
		seen[n.id] = true
		if nsOf, p, ok := t.ipam.of(n); ok && nsOf == ns {
			out = append(out, ipNode{n, p.Masked()})
		}
	}
	for _, id := range t.v.Nodes("BuiltinIPPrefix") {
		add(t.st.node(id))
	}
	for _, n := range t.st.nodes {
		if n.created {
			add(n)
		}
	}
	return out
}

// ReconcileIPAM brings the IP trees of the branch up to date after a merge or rebase brought it
// changes: a prefix added on one side and an address on the other meet only there. It writes
// nothing when no IP node changed, or when the trees are already right.
func (t *Tx) ReconcileIPAM(changes []branch.Change) error {
	touched := false
	for _, c := range changes {
		id, err := graph.ParseNodeID(c.Node)
		if err != nil {
			continue
		}
		n := t.st.node(id)
		if n == nil || n.model == nil || ipAttr(n.model) != "" || c.Kind != "" && isIPKind(t.set, c.Kind) {
			touched = true // an IP node, or a node gone (maybe a prefix)
			break
		}
	}
	if !touched {
		return nil
	}
	for _, ns := range t.v.Nodes("BuiltinIPNamespace") {
		if err := t.ipam.changed(ns); err != nil {
			return err
		}
	}
	return nil
}

// isIPKind reports an IP prefix or address kind.
func isIPKind(set *schema.Set, kind string) bool {
	m, ok := set.Node(kind)
	return ok && ipAttr(m) != ""
}
