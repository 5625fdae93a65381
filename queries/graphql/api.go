package graphql

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// WorkerInfo is one process of the deployment in InfrahubStatus's workers.
type WorkerInfo struct {
	ID     string
	Active bool
	// SchemaHash answers the hash of a branch's schema as this worker has it; nil for the
	// process answering (the schema the request runs against).
	SchemaHash func(branch string) string
}

// status answers InfrahubStatus. Without Executor.Workers this server is the one worker, and
// it always uses the branch's current schema (it builds the GraphQL schema from it on demand),
// so the schema hash is in sync as soon as a load is answered (what `infrahubctl schema load
// --wait` polls for). With Workers, every live process is listed with the request branch's
// schema hash as it has it, and the hashes are in sync when every active worker has the same.
func (x apiRoot) status(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	var workers []WorkerInfo
	if e.x.Workers != nil {
		workers = e.x.Workers(e.ctx)
	}
	if len(workers) == 0 {
		id := e.x.WorkerID
		if id == "" {
			id = "infrahub-go"
		}
		workers = []WorkerInfo{{ID: id, Active: true}}
	}
	br := e.scope.Branch
	if br == "" {
		br = e.x.Default
	}
	edges := make([]any, 0, len(workers))
	synced, first := true, ""
	for _, wk := range workers {
		hash := e.set.Hash()
		if wk.SchemaHash != nil {
			hash = wk.SchemaHash(br)
		}
		if wk.Active {
			if first == "" {
				first = hash
			}
			synced = synced && hash == first
		}
		node := map[string]any{"id": wk.ID, "active": wk.Active, "schema_hash": hash}
		if hash == "" {
			node["schema_hash"] = nil
		}
		edges = append(edges, map[string]any{"node": node})
	}
	e.plain(w, f.SelectionSet, "Status", map[string]any{
		"summary": map[string]any{"schema_hash_synced": synced},
		"workers": map[string]any{"edges": edges},
	}, path)
}

// search answers InfrahubSearchAnywhere: a node by id when q is a UUID, else the nodes and
// groups one of whose attributes matches q (a substring ignoring case unless partial_match is
// false or case_sensitive is true), limit (default 10) and offset applied, count being every
// match. When q is an IP address or prefix, parent_prefixes lists the prefixes holding it, the
// most specific first.
func (x apiRoot) search(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	args := f.ArgumentMap(e.vars)
	q, _ := args["q"].(string)
	limit, ok := toInt(args["limit"])
	if !ok || limit < 0 {
		limit = 10
	}
	limit = min(limit, e.limits.SearchResults)
	offset, _ := toInt(args["offset"])
	offset = max(offset, 0)
	partial := true
	if b, ok := args["partial_match"].(bool); ok {
		partial = b
	}
	caseSensitive, _ := args["case_sensitive"].(bool)
	fail := func(err error) {
		e.fail(path, err)
		w.null()
	}
	if strings.TrimSpace(q) == "" { // would match every node
		fail(fmt.Errorf("%w: argument q is empty", graph.ErrInvalidQuery))
		return
	}
	var found []graph.Node
	if _, err := uuid.Parse(q); err == nil {
		if n, err := e.x.Graph.Get(e.ctx, e.scope, q); err == nil {
			found = append(found, n)
		}
	} else {
		for _, kind := range []string{coreNode, coreGroup} {
			if _, ok := e.set.Model(kind); !ok {
				continue
			}
			query := graph.Query{Kind: kind, Filters: map[string]any{"any__value": q}, PartialMatch: partial,
				OrderBy: []graph.Order{}, Fields: []string{}}
			if caseSensitive {
				query.Fields = nil // every attribute, to check the case
			}
			page, err := e.x.Graph.List(e.ctx, e.scope, query)
			if err != nil {
				fail(err)
				return
			}
			for _, n := range page.Nodes {
				if !caseSensitive || matchesExactly(n, q, partial) {
					found = append(found, n)
				}
			}
		}
	}
	count := len(found)
	found = found[min(offset, len(found)):]
	if len(found) > limit {
		found = found[:limit]
	}
	edges := make([]any, 0, len(found))
	for _, n := range found {
		edges = append(edges, map[string]any{"node": map[string]any{"id": n.ID, "kind": n.Kind}})
	}
	out := map[string]any{"count": count, "edges": edges, "parent_prefixes": nil}
	if parents, ok, err := e.api.parentPrefixes(q, f); err != nil {
		fail(err)
		return
	} else if ok {
		out["parent_prefixes"] = parents
	}
	e.plain(w, f.SelectionSet, "NodeEdges", out, path)
}

// matchesExactly reports whether an attribute of n holds q with its case (containing it when
// partial).
func matchesExactly(n graph.Node, q string, partial bool) bool {
	for _, a := range n.Attributes {
		s, ok := a.Value.(string)
		if ok && (s == q || partial && strings.Contains(s, q)) {
			return true
		}
	}
	return false
}

// parentPrefixes lists the IP prefixes holding q (an address or a prefix), most specific
// first; ok is false when q is neither or parent_prefixes is not selected.
func (x apiRoot) parentPrefixes(q string, f *ast.Field) ([]any, bool, error) {
	e := x.e
	asked := slices.ContainsFunc(e.sel.collect(f.SelectionSet, "NodeEdges"), func(sf *ast.Field) bool { return sf.Name == "parent_prefixes" })
	target, err := netip.ParsePrefix(q)
	if err != nil {
		addr, aerr := netip.ParseAddr(q)
		if aerr != nil || !asked {
			return nil, false, nil
		}
		target = netip.PrefixFrom(addr, addr.BitLen())
	}
	if !asked {
		return nil, false, nil
	}
	out := []any{}
	if _, ok := e.set.Model(ipPrefixGeneric); !ok {
		return out, true, nil
	}
	page, err := e.x.Graph.List(e.ctx, e.scope, graph.Query{Kind: ipPrefixGeneric, Fields: []string{"prefix"}, OrderBy: []graph.Order{}})
	if err != nil {
		return nil, false, err
	}
	type hit struct {
		n    graph.Node
		bits int
	}
	var hits []hit
	for _, n := range page.Nodes {
		s, _ := n.Attributes["prefix"].Value.(string)
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is4() != target.Addr().Is4() || p.Bits() > target.Bits() || !p.Contains(target.Addr()) {
			continue
		}
		hits = append(hits, hit{n, p.Bits()})
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(b.bits, a.bits) })
	for _, h := range hits {
		out = append(out, map[string]any{"node": map[string]any{"id": h.n.ID, "kind": h.n.Kind}})
	}
	return out, true, nil
}

// relationships answers Relationship(ids): the relationships whose identifier is among ids,
// one edge per pair of linked nodes, its peers being the source then the destination (the end
// whose direction is inbound is the destination). A relationship has no id of its own here: its
// id is derived from the identifier and its two nodes, stable across calls. limit defaults to
// 10, as Infrahub's.
func (x apiRoot) relationships(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	args := f.ArgumentMap(e.vars)
	var identifiers, excluded []string
	for _, key := range []string{"ids", "excluded_namespaces"} {
		list, _ := args[key].([]any)
		for _, x := range list {
			if s, ok := x.(string); ok {
				if key == "ids" {
					identifiers = append(identifiers, s)
				} else {
					excluded = append(excluded, s)
				}
			}
		}
	}
	limit, ok := toInt(args["limit"])
	if !ok || limit <= 0 {
		limit = 10
	}
	offset, _ := toInt(args["offset"])
	type end struct{ id, kind string }
	type pair struct {
		identifier string
		src, dst   end
	}
	var pairs []pair
	seen := map[string]bool{}
	skip := func(kind string) bool { return slices.Contains(excluded, namespaceOf(kind)) }
	for _, n := range e.set.Nodes() {
		for _, r := range n.Relationships {
			if r.State == schema.StateAbsent || !slices.Contains(identifiers, r.Identifier) || skip(n.Kind) {
				continue
			}
			page, err := e.x.Graph.List(e.ctx, e.scope, graph.Query{Kind: n.Kind, Fields: []string{}, OrderBy: []graph.Order{}})
			if err != nil {
				e.fail(path, err)
				w.null()
				return
			}
			ids := make([]string, 0, len(page.Nodes))
			for _, node := range page.Nodes {
				if node.Kind == n.Kind {
					ids = append(ids, node.ID)
				}
			}
			if len(ids) == 0 {
				continue
			}
			peers, err := e.x.Graph.Peers(e.ctx, e.scope, ids, n.Kind, r.Name)
			if err != nil {
				e.fail(path, err)
				w.null()
				return
			}
			for _, id := range ids {
				for _, p := range peers[id] {
					if skip(p.PeerKind) {
						continue
					}
					src, dst := end{id, n.Kind}, end{p.Peer, p.PeerKind}
					if r.Direction == "inbound" {
						src, dst = dst, src
					}
					lo, hi := min(src.id, dst.id), max(src.id, dst.id)
					key := r.Identifier + "|" + lo + "|" + hi
					if seen[key] {
						continue
					}
					seen[key] = true
					pairs = append(pairs, pair{r.Identifier, src, dst})
				}
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		return cmp.Or(strings.Compare(a.identifier, b.identifier), strings.Compare(a.src.id, b.src.id), strings.Compare(a.dst.id, b.dst.id))
	})
	count := len(pairs)
	pairs = pairs[min(max(offset, 0), len(pairs)):]
	if len(pairs) > limit {
		pairs = pairs[:limit]
	}
	edges := make([]any, 0, len(pairs))
	for _, p := range pairs {
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("%s|%s|%s", p.identifier, p.src.id, p.dst.id))).String()
		edges = append(edges, map[string]any{"node": map[string]any{"id": id, "identifier": p.identifier,
			"updated_at": nil, "updated_by": nil, "peers": []any{
				map[string]any{"id": p.src.id, "kind": p.src.kind}, map[string]any{"id": p.dst.id, "kind": p.dst.kind}}}})
	}
	e.plain(w, f.SelectionSet, "Relationships", map[string]any{"count": count, "edges": edges}, path)
}
