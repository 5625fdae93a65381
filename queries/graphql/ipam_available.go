package graphql

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// The kinds of the free space Infrahub lists among the nodes of BuiltinIPPrefix and
// BuiltinIPAddress with include_available (backend/infrahub/core/schema/definitions/core/ipam.py:
// InternalIPPrefixAvailable inherits BuiltinIPPrefix, InternalIPRangeAvailable inherits
// BuiltinIPAddress and adds last_address). They are GraphQL types only: never stored.
const (
	prefixAvailableKind = "InternalIPPrefixAvailable"
	rangeAvailableKind  = "InternalIPRangeAvailable"
)

// availableModel is the model of an available kind: its generic's, plus last_address for a
// range; nil for any other kind.
func availableModel(set *schema.Set, kind string) *schema.Model {
	generic := ipPrefixGeneric
	if kind == rangeAvailableKind {
		generic = ipAddressGeneric
	} else if kind != prefixAvailableKind {
		return nil
	}
	g, ok := set.Generic(generic)
	if !ok {
		return nil
	}
	m := g.Model
	m.Kind = kind
	if kind == rangeAvailableKind {
		m.Attributes = append(slices.Clip(m.Attributes), &schema.Attribute{Name: "last_address", Kind: "IPHost", Optional: true})
	}
	return &m
}

// availableTypes defines the object types of the available kinds, implementing their generic
// (and CoreNode), so that documents may select them in fragments; they have no root fields.
func (b *builder) availableTypes() {
	for _, kind := range []string{prefixAvailableKind, rangeAvailableKind} {
		m := availableModel(b.set, kind)
		if m == nil || b.known[kind] {
			continue
		}
		generic := ipPrefixGeneric
		if kind == rangeAvailableKind {
			generic = ipAddressGeneric
		}
		if !b.known[generic] {
			continue
		}
		ifaces := []string{generic}
		if b.known[coreNode] {
			ifaces = append(ifaces, coreNode)
		}
		slices.Sort(ifaces)
		d := b.define(ast.Object, kind, "")
		d.Interfaces = ifaces
		g, _ := b.set.Generic(generic)
		b.fields(d, m, true, hierarchyOf(g.Hierarchical, generic))
	}
}

// ipamView answers the lists with include_available and holds the relationships of the
// available nodes it made (they are in no store).
type ipamView struct {
	e     *exec
	peers map[string]map[string]graph.Node // available node id → relationship → peer
}

// parentOf is the prefix whose free space a list with include_available shows: the first of
// parent__ids for prefixes, of ip_prefix__ids for addresses (resolvers/ipam.py).
func parentOf(kind string, args map[string]any) string {
	if on, _ := args["include_available"].(bool); !on {
		return ""
	}
	key := "parent__ids"
	if kind == ipAddressGeneric {
		key = "ip_prefix__ids"
	} else if kind != ipPrefixGeneric {
		return ""
	}
	if ids, ok := args[key].([]any); ok && len(ids) > 0 {
		id, _ := ids[0].(string)
		return id
	}
	return ""
}

// list reads the page of q (a list of the generic kind with include_available under parentID)
// as Infrahub's ipam_paginated_list_resolver does: the real nodes are paged (with the node
// before and after the page read as context), the free space between them is added in order,
// and count is the number of real nodes. handled is false when parentID names no IP prefix:
// the list is then a plain one.
func (v *ipamView) list(q graph.Query, parentID string, kinds []string) (nodes []graph.Node, handled bool, err error) {
	e := v.e
	parent, err := e.x.Graph.Get(e.ctx, e.scope, parentID)
	if errors.Is(err, graph.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	s, _ := parent.Attributes["prefix"].Value.(string)
	pp, perr := netip.ParsePrefix(s)
	if perr != nil {
		return nil, false, nil
	}
	offset, limit := q.Offset, q.Limit
	fetchFirst, fetchLast := offset > 0, limit > 0
	if fetchFirst {
		q.Offset = offset - 1
	}
	if fetchLast {
		limit++
		q.Limit = limit
		if g, ok := e.set.Generic(q.Kind); ok && len(kinds) > 0 && len(g.UsedBy) > 0 {
			q.Limit *= len(g.UsedBy)
		}
	}
	attr := "prefix"
	if q.Kind == ipAddressGeneric {
		attr = "address"
	}
	for _, f := range []string{attr, "is_pool", "member_type"} {
		if !slices.Contains(q.Fields, f) {
			q.Fields = append(q.Fields, f)
		}
	}
	page, err := e.x.Graph.List(e.ctx, e.scope, q)
	if err != nil {
		return nil, false, err
	}
	objs := page.Nodes
	var first, last *graph.Node
	if fetchFirst && len(objs) > 2 {
		first, objs = &objs[0], objs[1:]
	}
	if fetchLast && len(objs) >= limit && limit >= 2 {
		last, objs = &objs[len(objs)-1], objs[:len(objs)-1]
	}
	ns := v.namespace(parent)
	if q.Kind == ipAddressGeneric {
		nodes = v.ranges(parent, pp, ns, objs, first, last)
	} else {
		nodes = v.prefixes(parent, pp, ns, objs, first, last)
	}
	if len(kinds) > 0 {
		nodes = filterKinds(nodes, kinds, limit)
	}
	return nodes, true, nil
}

// namespace is the IP namespace of the parent prefix (zero when it has none).
func (v *ipamView) namespace(parent graph.Node) graph.Node {
	e := v.e
	edges, err := e.x.Graph.Peers(e.ctx, e.scope, []string{parent.ID}, ipPrefixGeneric, "ip_namespace")
	if err != nil || len(edges[parent.ID]) == 0 {
		return graph.Node{}
	}
	ns, err := e.x.Graph.Get(e.ctx, e.scope, edges[parent.ID][0].Peer)
	if err != nil {
		return graph.Node{}
	}
	return ns
}

// filterKinds keeps the available nodes and the real ones of kinds; with a limit, limit real
// nodes at most (resolvers/ipam.py _filter_kinds).
func filterKinds(nodes []graph.Node, kinds []string, limit int) []graph.Node {
	var out []graph.Node
	max := limit
	for _, n := range nodes {
		avail := n.Kind == prefixAvailableKind || n.Kind == rangeAvailableKind
		if !avail && !slices.Contains(kinds, n.Kind) {
			continue
		}
		if limit > 0 && avail {
			max++
		}
		out = append(out, n)
	}
	if limit > 0 && len(out) > max {
		out = out[:max]
	}
	return out
}

func nodePrefix(n graph.Node, attr string) (netip.Prefix, bool) {
	s, _ := n.Attributes[attr].Value.(string)
	p, err := netip.ParsePrefix(s)
	return p, err == nil
}

// prefixes interleaves the free blocks of parent with its child prefixes objs, the context
// nodes bounding the blocks kept (resolvers/ipam.py _resolve_available_prefix_nodes).
func (v *ipamView) prefixes(parent graph.Node, pp netip.Prefix, ns graph.Node, objs []graph.Node, first, last *graph.Node) []graph.Node {
	used := make([]netip.Prefix, 0, len(objs)+2)
	for _, n := range objs {
		if p, ok := nodePrefix(n, "prefix"); ok {
			used = append(used, p)
		}
	}
	var lo, hi netip.Prefix
	if first != nil {
		lo, _ = nodePrefix(*first, "prefix")
		used = append(used, lo)
	}
	if last != nil {
		hi, _ = nodePrefix(*last, "prefix")
		used = append(used, hi)
	}
	type item struct {
		p netip.Prefix
		n graph.Node
	}
	var items []item
	for _, n := range objs {
		p, _ := nodePrefix(n, "prefix")
		items = append(items, item{p.Masked(), n})
	}
	free := freeBlocks(pp, used)
	for _, p := range free {
		if (first != nil && lo.IsValid() && comparePrefix(p, lo.Masked()) < 0) || (last != nil && hi.IsValid() && comparePrefix(p, hi.Masked()) > 0) {
			continue
		}
		items = append(items, item{p, v.availablePrefix(parent, ns, p)})
	}
	slices.SortStableFunc(items, func(a, b item) int { return comparePrefix(a.p, b.p) })
	if len(items) == 1 && items[0].n.Kind == prefixAvailableKind && items[0].p == pp.Masked() && pp.Bits() < pp.Addr().BitLen() {
		// an empty prefix offers its two halves
		a, b := halves(pp.Masked())
		return []graph.Node{v.availablePrefix(parent, ns, a), v.availablePrefix(parent, ns, b)}
	}
	out := make([]graph.Node, len(items))
	for i, it := range items {
		out[i] = it.n
	}
	return out
}

// ranges interleaves the free address ranges of parent with its addresses objs, sorted by
// address (resolvers/ipam.py _resolve_available_address_nodes).
func (v *ipamView) ranges(parent graph.Node, pp netip.Prefix, ns graph.Node, objs []graph.Node, first, last *graph.Node) []graph.Node {
	isPool, _ := parent.Attributes["is_pool"].Value.(bool)
	memberType, _ := parent.Attributes["member_type"].Value.(string)
	lo, hi := usableBounds(pp, isPool, memberType == "address")
	mk := func(a, b netip.Addr) graph.Node { return v.availableRange(parent, pp, ns, ipRange{a, b}) }
	if len(objs) == 0 {
		if lo.Compare(hi) > 0 {
			return nil
		}
		return []graph.Node{mk(lo, hi)}
	}
	if first != nil {
		if p, ok := nodePrefix(*first, "address"); ok {
			lo = p.Addr().Next()
		}
	}
	if last != nil {
		if p, ok := nodePrefix(*last, "address"); ok {
			hi = p.Addr().Prev()
		}
	}
	type item struct {
		a netip.Addr
		n graph.Node
	}
	sorted := make([]item, 0, len(objs))
	for _, n := range objs {
		p, _ := nodePrefix(n, "address")
		sorted = append(sorted, item{p.Addr(), n})
	}
	slices.SortStableFunc(sorted, func(a, b item) int { return a.a.Compare(b.a) })
	var out []graph.Node
	if sorted[0].a.Compare(lo) > 0 {
		out = append(out, mk(lo, sorted[0].a.Prev()))
	}
	var prev netip.Addr
	for _, it := range sorted {
		if prev.IsValid() && prev.Next().Compare(it.a) < 0 {
			out = append(out, mk(prev.Next(), it.a.Prev()))
		}
		out = append(out, it.n)
		prev = it.a
	}
	if prev.Compare(hi) < 0 {
		out = append(out, mk(prev.Next(), hi))
	}
	return out
}

// availableID names an available node by what it stands for (the same block reads with the
// same id), as a UUID.
func availableID(kind, parentID, value string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + parentID + "\x00" + value))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func defaultAttr(v any) graph.Attribute { return graph.Attribute{Value: v, IsDefault: true} }

// availablePrefix is a free block as Infrahub makes its InternalIPPrefixAvailable node (not
// saved): prefix, the generic's defaults (member_type address, is_pool false), parent and
// namespace; the computed attributes (utilization…) are null.
func (v *ipamView) availablePrefix(parent, ns graph.Node, p netip.Prefix) graph.Node {
	s := p.String()
	n := graph.Node{ID: availableID(prefixAvailableKind, parent.ID, s), Kind: prefixAvailableKind, DisplayLabel: s,
		Attributes: map[string]graph.Attribute{"prefix": {Value: s}, "member_type": defaultAttr("address"),
			"is_pool": defaultAttr(false), "description": defaultAttr(nil)}}
	v.remember(n.ID, map[string]graph.Node{"parent": parent, "ip_namespace": ns})
	return n
}

// availableRange is a free range as Infrahub makes its InternalIPRangeAvailable node: address
// and last_address with the prefix's length, a description, and its display label.
func (v *ipamView) availableRange(parent graph.Node, pp netip.Prefix, ns graph.Node, r ipRange) graph.Node {
	a := netip.PrefixFrom(r.first, pp.Bits()).String()
	b := netip.PrefixFrom(r.last, pp.Bits()).String()
	n := graph.Node{ID: availableID(rangeAvailableKind, parent.ID, a), Kind: rangeAvailableKind, DisplayLabel: rangeLabel(r),
		Attributes: map[string]graph.Attribute{"address": {Value: a}, "last_address": {Value: b},
			"description": {Value: "Available IP range " + a + " - " + b}}}
	v.remember(n.ID, map[string]graph.Node{"ip_prefix": parent, "ip_namespace": ns})
	return n
}

func (v *ipamView) remember(id string, rels map[string]graph.Node) {
	if v.peers == nil {
		v.peers = map[string]map[string]graph.Node{}
	}
	v.peers[id] = rels
}

// relationship writes relationship r of available node n: its parent, prefix or namespace
// (read with their own relationships), or an empty list.
func (v *ipamView) relationship(w *jsonWriter, f *ast.Field, r *schema.Relationship, n graph.Node, path ast.Path) {
	e := v.e
	typ := f.Definition.Type.Name()
	if r.Cardinality != "one" {
		e.many(w, f, typ, strings.TrimPrefix(typ, "NestedPaginated"), nil, nil, 0, nil, path)
		return
	}
	peer, ok := v.peers[n.ID][r.Name]
	if !ok || peer.ID == "" {
		emptyEdge(e, w, f.SelectionSet, typ)
		return
	}
	var childSel ast.SelectionSet
	for _, nf := range e.sel.collect(f.SelectionSet, typ) {
		if nf.Name == "node" {
			childSel = append(childSel, nf.SelectionSet...)
		}
	}
	lv := e.prefetch([]graph.Node{peer}, childSel, path)
	e.edge(w, f.SelectionSet, typ, peer, graph.Edge{Peer: peer.ID, PeerKind: peer.Kind}, true, lv, path)
}

// firstFree is the first free block of prefix id among its child prefixes, as large as it is
// aligned; ok is false when the prefix is full. An id that names no IP prefix wraps
// graph.ErrInvalidQuery.
func (v *ipamView) firstFree(id string) (string, bool, error) {
	e := v.e
	n, err := e.x.Graph.Get(e.ctx, e.scope, id)
	if errors.Is(err, graph.ErrNotFound) {
		return "", false, fmt.Errorf("%w: no IP prefix %s", graph.ErrInvalidQuery, id)
	}
	if err != nil {
		return "", false, err
	}
	pp, ok := nodePrefix(n, "prefix")
	if !ok {
		return "", false, fmt.Errorf("%w: node %s is not an IP prefix", graph.ErrInvalidQuery, id)
	}
	page, err := e.x.Graph.List(e.ctx, e.scope, graph.Query{Kind: ipPrefixGeneric, Filters: map[string]any{"parent__ids": []any{id}},
		Fields: []string{"prefix"}, OrderBy: []graph.Order{}})
	if err != nil {
		return "", false, err
	}
	used := make([]netip.Prefix, 0, len(page.Nodes))
	for _, c := range page.Nodes {
		if p, ok := nodePrefix(c, "prefix"); ok {
			used = append(used, p)
		}
	}
	free := freeBlocks(pp, used)
	if len(free) == 0 {
		return "", false, nil
	}
	return free[0].String(), true, nil
}
