package memory

import (
	"context"
	"fmt"
	"slices"

	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Peers implements graph.Reader.
func (r *Reader) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	m, ok := v.Schema.Model(kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", graph.ErrInvalidQuery, kind)
	}
	rr := m.Relationship(rel)
	if rr == nil || rr.State == schema.StateAbsent {
		return nil, fmt.Errorf("%w: %s has no relationship %q", graph.ErrInvalidQuery, kind, rel)
	}
	field := relField(rr)
	nids := make([]bg.NodeID, 0, len(ids))
	for _, id := range ids {
		if nid, err := bg.ParseNodeID(id); err == nil {
			nids = append(nids, nid)
		}
	}
	peers := v.PeersOf(nids, field)
	kinds := map[bg.NodeID]string{}
	out := make(map[string][]graph.Edge, len(nids))
	for i, id := range nids {
		if len(peers[i]) == 0 {
			continue
		}
		if _, live := v.Kind(id); !live {
			continue
		}
		props := v.Props(id, field)
		var edges []graph.Edge
		for _, p := range peers[i] {
			pk, ok := kinds[p]
			if !ok {
				pk, _ = v.Kind(p)
				kinds[p] = pk
			}
			if pk == "" {
				continue
			}
			edges = append(edges, graph.Edge{Peer: p.String(), PeerKind: pk, Source: props.Source, Owner: props.Owner,
				IsProtected: props.IsProtected})
		}
		if len(edges) > 0 {
			slices.SortFunc(edges, func(a, b graph.Edge) int {
				pa, _ := bg.ParseNodeID(a.Peer)
				pb, _ := bg.ParseNodeID(b.Peer)
				return pa.Compare(pb)
			})
			out[id.String()] = edges
		}
	}
	return out, nil
}

// hierarchy returns the hierarchical relationship rel ("parent" or "children") of a live node.
func hierarchy(v *nodes.View, id string, rel string) (bg.NodeID, string, error) {
	nid, err := bg.ParseNodeID(id)
	if err != nil {
		return nid, "", fmt.Errorf("%w: %q", graph.ErrNotFound, id)
	}
	kind, ok := v.Kind(nid)
	if !ok {
		return nid, "", fmt.Errorf("%w: %q on branch %s", graph.ErrNotFound, id, v.Branch)
	}
	m, _ := v.Schema.Model(kind)
	var r *schema.Relationship
	if m != nil {
		r = m.Relationship(rel)
	}
	if r == nil || r.Kind != schema.RelHierarchy {
		return nid, "", fmt.Errorf("%w: %s is not hierarchical", graph.ErrInvalidQuery, kind)
	}
	return nid, relField(r), nil
}

// Ancestors implements graph.Reader.
func (r *Reader) Ancestors(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	cur, field, err := hierarchy(v, id, "parent")
	if err != nil {
		return nil, err
	}
	seen := map[bg.NodeID]bool{cur: true}
	var out []graph.Node
	for range graph.MaxDepth {
		var next bg.NodeID
		var kind string
		for _, p := range v.Peers(cur, field) {
			if k, live := v.Kind(p); live && !seen[p] {
				next, kind = p, k
				break
			}
		}
		if kind == "" {
			break
		}
		seen[next] = true
		out = append(out, read(v, next, kind, nil))
		cur = next
	}
	return out, nil
}

// Descendants implements graph.Reader.
func (r *Reader) Descendants(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	root, field, err := hierarchy(v, id, "children")
	if err != nil {
		return nil, err
	}
	seen := map[bg.NodeID]bool{root: true}
	level := []bg.NodeID{root}
	var out []graph.Node
	for depth := 0; depth < graph.MaxDepth && len(level) > 0; depth++ {
		var next []bg.NodeID
		for _, ps := range v.PeersOf(level, field) {
			var children []bg.NodeID
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					children = append(children, p)
				}
			}
			slices.SortFunc(children, bg.NodeID.Compare)
			for _, c := range children {
				if k, live := v.Kind(c); live {
					out = append(out, read(v, c, k, nil))
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return out, nil
}
