// Package authzsource adapts the graph read port to authz.Source: the accounts, groups, roles
// and permissions that authorization resolves, read from the default branch at its head.
package authzsource

import (
	"context"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Source reads through any graph.Reader.
type Source struct {
	r   graph.Reader
	now func() time.Time
}

// New is the source over r.
func New(r graph.Reader) *Source { return &Source{r: r, now: time.Now} }

var head = graph.Scope{} // the default branch at the head

// Position implements authz.Source: the position current now.
func (s *Source) Position(ctx context.Context) (events.Position, error) {
	return s.r.PositionAt(ctx, s.now())
}

// Nodes implements authz.Source.
func (s *Source) Nodes(ctx context.Context, kind string, ids []string) ([]authz.Node, error) {
	in := make([]any, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	page, err := s.r.List(ctx, head, graph.Query{Kind: kind, Filters: map[string]any{"ids": in}, OrderBy: []graph.Order{}})
	if err != nil {
		return nil, err
	}
	out := make([]authz.Node, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		attrs := make(map[string]any, len(n.Attributes))
		for k, a := range n.Attributes {
			attrs[k] = a.Value
		}
		out = append(out, authz.Node{ID: n.ID, Kind: n.Kind, Attrs: attrs})
	}
	return out, nil
}

// Peers implements authz.Source.
func (s *Source) Peers(ctx context.Context, ids []string, kind, rel string) (map[string][]authz.Ref, error) {
	edges, err := s.r.Peers(ctx, head, ids, kind, rel)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]authz.Ref, len(edges))
	for id, es := range edges {
		refs := make([]authz.Ref, len(es))
		for i, e := range es {
			refs[i] = authz.Ref{ID: e.Peer, Kind: e.PeerKind}
		}
		out[id] = refs
	}
	return out, nil
}

// Named implements authz.Source.
func (s *Source) Named(ctx context.Context, kind, name string) (string, error) {
	page, err := s.r.List(ctx, head, graph.Query{Kind: kind, Filters: map[string]any{"name__value": name},
		OrderBy: []graph.Order{}, Limit: 1, Fields: []string{}})
	if err != nil || len(page.Nodes) == 0 {
		return "", err
	}
	return page.Nodes[0].ID, nil
}
