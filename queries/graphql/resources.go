package graphql

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/projections/graph"
)

// Resource pool kinds.
const (
	addressPoolKind = "CoreIPAddressPool"
	prefixPoolKind  = "CoreIPPrefixPool"
	numberPoolKind  = "CoreNumberPool"
)

// pool reads a resource pool by id; anything else is not found, as in Infrahub.
func (x apiRoot) pool(id string) (graph.Node, error) {
	e := x.e
	n, err := e.x.Graph.Get(e.ctx, e.scope, id)
	if err != nil || !slices.Contains([]string{addressPoolKind, prefixPoolKind, numberPoolKind}, n.Kind) {
		return graph.Node{}, fmt.Errorf("%w: argument pool_id: no resource pool %q", graph.ErrNotFound, id)
	}
	return n, nil
}

// poolResources are the prefixes of an IP pool.
func (x apiRoot) poolResources(pool graph.Node, scope graph.Scope) ([]graph.Node, error) {
	e := x.e
	peers, err := e.x.Graph.Peers(e.ctx, scope, []string{pool.ID}, pool.Kind, "resources")
	if err != nil {
		return nil, err
	}
	out := make([]graph.Node, 0, len(peers[pool.ID]))
	for _, p := range peers[pool.ID] {
		n, err := e.x.Graph.Get(e.ctx, scope, p.Peer)
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// poolAllocated answers InfrahubResourcePoolAllocated: for an IP pool, the addresses (address
// pool) or child prefixes (prefix pool) under one of its resources; for a number pool, the nodes
// holding one of its numbers. identifier is null: allocations are not readable by node here.
func (x apiRoot) poolAllocated(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	args := f.ArgumentMap(e.vars)
	fail := func(err error) {
		e.fail(path, err)
		w.null()
	}
	poolID, _ := args["pool_id"].(string)
	resourceID, _ := args["resource_id"].(string)
	offset, _ := toInt(args["offset"])
	limit, ok := toInt(args["limit"])
	if !ok || limit <= 0 {
		limit = 10
	}
	pool, err := e.api.pool(poolID)
	if err != nil {
		fail(err)
		return
	}
	var (
		count int
		nodes []graph.Node
		label func(graph.Node) string
	)
	if pool.Kind == numberPoolKind {
		count, nodes, label, err = e.api.numbersAllocated(pool)
		nodes = nodes[min(max(offset, 0), len(nodes)):]
		if len(nodes) > limit {
			nodes = nodes[:limit]
		}
	} else {
		count, nodes, label, err = e.api.ipAllocated(pool, resourceID, offset, limit)
	}
	if err != nil {
		fail(err)
		return
	}
	edges := make([]any, 0, len(nodes))
	for _, n := range nodes {
		edges = append(edges, map[string]any{"node": map[string]any{"id": n.ID, "kind": n.Kind,
			"branch": e.api.branchName(), "display_label": label(n), "identifier": nil}})
	}
	e.plain(w, f.SelectionSet, "PoolAllocated", map[string]any{"count": count, "edges": edges}, path)
}

func (x apiRoot) branchName() string {
	e := x.e
	if e.scope.Branch == "" {
		return e.x.Default
	}
	return e.scope.Branch
}

func (x apiRoot) ipAllocated(pool graph.Node, resourceID string, offset, limit int) (int, []graph.Node, func(graph.Node) string, error) {
	e := x.e
	resources, err := e.api.poolResources(pool, e.scope)
	if err != nil {
		return 0, nil, nil, err
	}
	if !slices.ContainsFunc(resources, func(n graph.Node) bool { return n.ID == resourceID }) {
		return 0, nil, nil, fmt.Errorf("%w: argument resource_id: the selected pool_id=%s doesn't contain the requested resource_id=%s",
			graph.ErrInvalidQuery, pool.ID, resourceID)
	}
	q := graph.Query{Kind: ipAddressGeneric, Filters: map[string]any{"ip_prefix__ids": []any{resourceID}},
		Fields: []string{"address"}, Offset: max(offset, 0), Limit: limit}
	attr := "address"
	if pool.Kind == prefixPoolKind {
		q = graph.Query{Kind: ipPrefixGeneric, Filters: map[string]any{"parent__ids": []any{resourceID}},
			Fields: []string{"prefix"}, Offset: max(offset, 0), Limit: limit}
		attr = "prefix"
	}
	page, err := e.x.Graph.List(e.ctx, e.scope, q)
	if err != nil {
		return 0, nil, nil, err
	}
	return page.Count, page.Nodes, func(n graph.Node) string { return fmt.Sprint(n.Attributes[attr].Value) }, nil
}

// numberRange is a number pool's node kind, attribute and range.
func numberRange(pool graph.Node) (kind, attr string, start, end float64) {
	kind, _ = pool.Attributes["node"].Value.(string)
	attr, _ = pool.Attributes["node_attribute"].Value.(string)
	start, _ = pool.Attributes["start_range"].Value.(float64)
	end, _ = pool.Attributes["end_range"].Value.(float64)
	return kind, attr, start, end
}

func (x apiRoot) numbersAllocated(pool graph.Node) (int, []graph.Node, func(graph.Node) string, error) {
	e := x.e
	kind, attr, start, end := numberRange(pool)
	if _, ok := e.set.Model(kind); !ok || attr == "" {
		return 0, []graph.Node{}, nil, nil
	}
	page, err := e.x.Graph.List(e.ctx, e.scope, graph.Query{Kind: kind, Fields: []string{attr}, OrderBy: []graph.Order{}})
	if err != nil {
		return 0, nil, nil, err
	}
	var out []graph.Node
	for _, n := range page.Nodes {
		if v, ok := n.Attributes[attr].Value.(float64); ok && v >= start && v <= end {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b graph.Node) int {
		x, _ := a.Attributes[attr].Value.(float64)
		y, _ := b.Attributes[attr].Value.(float64)
		return int(x - y)
	})
	return len(out), out, func(n graph.Node) string { return fmt.Sprint(n.Attributes[attr].Value) }, nil
}

// poolUtilization answers InfrahubResourcePoolUtilization: the share of the pool's resources in
// use, as seen on the query's branch (utilization) and on the default branch
// (utilization_default_branch); utilization_branches is the difference. For an IP pool each
// resource prefix is an edge (its utilization computed as the prefix's own); a number pool has
// one edge, itself.
func (x apiRoot) poolUtilization(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	poolID, _ := f.ArgumentMap(e.vars)["pool_id"].(string)
	fail := func(err error) {
		e.fail(path, err)
		w.null()
	}
	pool, err := e.api.pool(poolID)
	if err != nil {
		fail(err)
		return
	}
	def := graph.Scope{Branch: e.x.Default, At: e.scope.At}
	if pool.Kind == numberPoolKind {
		here, err := e.api.numberUse(pool, e.scope)
		if err != nil {
			fail(err)
			return
		}
		onDefault, err := e.api.numberUse(pool, def)
		if err != nil {
			fail(err)
			return
		}
		node := map[string]any{"id": pool.ID, "kind": pool.Kind, "display_label": pool.DisplayLabel, "weight": 1,
			"utilization": here, "utilization_default_branch": onDefault, "utilization_branches": math.Max(here-onDefault, 0)}
		e.plain(w, f.SelectionSet, "PoolUtilization", map[string]any{"count": 1, "utilization": here,
			"utilization_default_branch": onDefault, "utilization_branches": math.Max(here-onDefault, 0),
			"edges": []any{map[string]any{"node": node}}}, path)
		return
	}
	resources, err := e.api.poolResources(pool, e.scope)
	if err != nil {
		fail(err)
		return
	}
	var total, totalDefault, size float64
	edges := make([]any, 0, len(resources))
	for _, r := range resources {
		here, err := x.resourceUse(pool, r, e.scope)
		if err != nil {
			fail(err)
			return
		}
		onDefault := 0.0
		if d, err := e.x.Graph.Get(e.ctx, def, r.ID); err == nil {
			if onDefault, err = x.resourceUse(pool, d, def); err != nil {
				fail(err)
				return
			}
		}
		weight := prefixSize(r)
		total += here * weight
		totalDefault += onDefault * weight
		size += weight
		allocWeight := 1.0
		if v, ok := r.Attributes["allocation_weight"].Value.(float64); ok {
			allocWeight = v
		}
		edges = append(edges, map[string]any{"node": map[string]any{"id": r.ID, "kind": r.Kind, "display_label": r.DisplayLabel,
			"weight": allocWeight, "utilization": here, "utilization_default_branch": onDefault,
			"utilization_branches": math.Max(here-onDefault, 0)}})
	}
	var util, utilDefault float64
	if size > 0 {
		util, utilDefault = total/size, totalDefault/size
	}
	e.plain(w, f.SelectionSet, "PoolUtilization", map[string]any{"count": len(resources), "utilization": util,
		"utilization_default_branch": utilDefault, "utilization_branches": math.Max(util-utilDefault, 0), "edges": edges}, path)
}

// resourceUse is the percentage of a resource prefix a pool has used in scope: for an address
// pool the addresses it holds among its usable hosts, for a prefix pool the share of its space
// its child prefixes cover (the prefix's computed utilization when its members are prefixes).
func (x apiRoot) resourceUse(pool, r graph.Node, scope graph.Scope) (float64, error) {
	e := x.e
	if pool.Kind != addressPoolKind {
		v, _ := r.Attributes["utilization"].Value.(float64)
		return v, nil
	}
	n, err := e.x.Graph.Count(e.ctx, scope, ipAddressGeneric, map[string]any{"ip_prefix__ids": []any{r.ID}})
	if err != nil {
		return 0, err
	}
	hosts := prefixSize(r)
	if s, _ := r.Attributes["prefix"].Value.(string); strings.Contains(s, ".") && hosts > 2 {
		hosts -= 2 // an IPv4 network's own address and its broadcast address
	}
	return math.Min(float64(n)/hosts*100, 100), nil
}

// prefixSize is the number of addresses of a prefix node (as a float: IPv6 prefixes are large);
// 1 when it holds no prefix.
func prefixSize(n graph.Node) float64 {
	s, _ := n.Attributes["prefix"].Value.(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return 1
	}
	return math.Pow(2, float64(p.Addr().BitLen()-p.Bits()))
}

// numberUse is the percentage of a number pool's range held by nodes in scope.
func (x apiRoot) numberUse(pool graph.Node, scope graph.Scope) (float64, error) {
	e := x.e
	saved := e.scope
	e.scope = scope
	n, nodes, _, err := e.api.numbersAllocated(pool)
	e.scope = saved
	_ = nodes
	if err != nil {
		return 0, err
	}
	_, _, start, end := numberRange(pool)
	if end < start {
		return 0, nil
	}
	return float64(n) / (end - start + 1) * 100, nil
}
