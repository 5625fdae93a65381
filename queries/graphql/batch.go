package graphql

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/projections/graph"
)

// level is what one selection level prefetched for its nodes: per (node kind, response key) of
// a relationship field, the peers of every node of the level, loaded in one Peers call and one
// List call whatever the number of nodes.
type level struct {
	rels map[relKey]*relData
}

type relKey struct{ kind, key string }

// relData is one relationship field of one level.
type relData struct {
	peers  map[string][]graph.Node // per parent id, filtered, ordered and paged
	edges  map[string][]graph.Edge
	counts map[string]int // per parent id, before paging
	child  *level         // the level of all the peers
}

func (l *level) rel(kind, key string) *relData {
	if l == nil {
		return nil
	}
	return l.rels[relKey{kind, key}]
}

func (d *relData) of(id string) ([]graph.Node, []graph.Edge, int) {
	return d.peers[id], d.edges[id], d.counts[id]
}

// prefetch loads, for a set of nodes, every relationship their selection asks for, then the
// next level for all the peers together.
func (e *exec) prefetch(nodes []graph.Node, sel ast.SelectionSet, path ast.Path) *level {
	if len(nodes) == 0 || len(sel) == 0 || !e.live() {
		return nil
	}
	lv := &level{rels: map[relKey]*relData{}}
	var kinds []string
	byKind := map[string][]string{}
	for _, n := range nodes {
		if _, ok := byKind[n.Kind]; !ok {
			kinds = append(kinds, n.Kind)
		}
		byKind[n.Kind] = append(byKind[n.Kind], n.ID)
	}
	for _, kind := range kinds {
		model, ok := e.set.Node(kind)
		if !ok {
			continue
		}
		ids := byKind[kind]
		for _, f := range e.sel.collect(sel, kind) {
			r := relNamed(&model.Model, f.Name)
			if r == nil || f.Definition == nil {
				continue
			}
			if !e.live() {
				return lv
			}
			key := keyOf(f)
			fpath := append(slices.Clip(path), ast.PathName(key))
			edges, err := e.x.Graph.Peers(e.ctx, e.scope, ids, kind, r.Name)
			if err != nil {
				e.fail(fpath, err)
				continue
			}
			typ := f.Definition.Type.Name()
			var args map[string]any
			if r.Cardinality != "one" {
				args = f.ArgumentMap(e.vars)
			}
			q, _ := e.listQuery(r.Peer, args)
			offset, limit := q.Offset, q.Limit
			q.Offset, q.Limit = 0, 0
			seen := map[string]bool{}
			var all []any
			for _, id := range ids {
				for _, ed := range edges[id] {
					if !seen[ed.Peer] {
						seen[ed.Peer] = true
						all = append(all, ed.Peer)
					}
				}
			}
			// made at their size: a level of many nodes fills them without growing them
			rd := &relData{peers: make(map[string][]graph.Node, len(ids)), edges: make(map[string][]graph.Edge, len(ids)),
				counts: make(map[string]int, len(ids))}
			lv.rels[relKey{kind, key}] = rd
			if len(all) == 0 {
				continue
			}
			var childSel ast.SelectionSet
			if r.Cardinality == "one" {
				for _, nf := range e.sel.collect(f.SelectionSet, typ) {
					if nf.Name == "node" {
						childSel = append(childSel, nf.SelectionSet...)
					}
				}
			} else {
				var edgesFields []*ast.Field
				for _, sf := range e.sel.collect(f.SelectionSet, typ) {
					if sf.Name == "edges" {
						edgesFields = append(edgesFields, sf)
					}
				}
				childSel = e.nodeSelections(edgesFields, "NestedEdged"+strings.TrimPrefix(typ, "NestedPaginated"))
			}
			q.Filters["ids"] = all
			q.Fields = e.sel.fieldNames(childSel)
			q.Omit = omitted(e.doc, f.SelectionSet)
			page, err := e.x.Graph.List(e.ctx, e.scope, q)
			if err != nil {
				e.fail(fpath, err)
				continue
			}
			page.Nodes = slices.DeleteFunc(page.Nodes, func(n graph.Node) bool { return !e.view.allows(n.Kind) })
			order := make(map[string]int, len(page.Nodes))
			for i, p := range page.Nodes {
				order[p.ID] = i
			}
			var union []graph.Node
			inUnion := map[string]bool{}
			for _, id := range ids {
				var mine []graph.Edge
				for _, ed := range edges[id] {
					if _, ok := order[ed.Peer]; ok {
						mine = append(mine, ed)
					}
				}
				slices.SortFunc(mine, func(a, b graph.Edge) int { return order[a.Peer] - order[b.Peer] })
				rd.counts[id] = len(mine)
				if offset > 0 {
					mine = mine[min(offset, len(mine)):]
				}
				if limit > 0 && len(mine) > limit {
					mine = mine[:limit]
				}
				list := make([]graph.Node, len(mine))
				for i, ed := range mine {
					list[i] = page.Nodes[order[ed.Peer]]
					if !inUnion[ed.Peer] {
						inUnion[ed.Peer] = true
						union = append(union, list[i])
					}
				}
				rd.peers[id], rd.edges[id] = list, mine
			}
			rd.child = e.prefetch(union, childSel, fpath)
		}
	}
	return lv
}
