package main

import (
	"context"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/authn"
)

// graphFold is the graph as the projection runner folds it: the Store (every method of it), and
// after each batch it tells the API token cache which nodes the batch changed, so that a token
// verification the batch makes stale is dropped (authn.TokenCache).
type graphFold struct {
	*nodes.Store
	tokens *authn.TokenCache
}

// Apply implements projections.Projector.
func (g graphFold) Apply(ctx context.Context, batch []events.Envelope) error {
	return g.ApplyDecoded(ctx, batch, nil)
}

// ApplyDecoded implements projections.DecodedApplier.
func (g graphFold) ApplyDecoded(ctx context.Context, batch []events.Envelope, payloads []any) error {
	before := g.Store.Position()
	err := g.Store.ApplyDecoded(ctx, batch, payloads)
	var buf [16]string
	changed, all := changedNodes(batch, payloads, before, buf[:0])
	g.tokens.Folded(all || err != nil, changed)
	return err
}

// Reset implements projections.Resetter.
func (g graphFold) Reset(ctx context.Context) error {
	err := g.Store.Reset(ctx)
	g.tokens.Folded(true, nil)
	return err
}

// changedNodes appends to ids the nodes the events of batch after position before change: each
// node event's node and the ends of its edges. all is set when the batch may change others: an
// event other than a node event (a branch's merge or rebase, a schema change, ...), a node event
// whose payload was not handed decoded, an API token created (a token is found by its value).
func changedNodes(batch []events.Envelope, payloads []any, before events.Position, ids []string) (_ []string, all bool) {
	for i := range batch {
		if batch[i].GlobalPosition <= before {
			continue // the Store had folded it already: it changes nothing
		}
		var p any
		if i < len(payloads) {
			p = payloads[i]
		}
		switch p := p.(type) {
		case nodes.Created:
			if p.Kind == authn.TokenKind {
				return ids, true
			}
			ids = edgeEnds(append(ids, p.ID), p.Edges)
		case nodes.Updated:
			ids = edgeEnds(append(ids, p.ID), p.Edges)
		case nodes.Deleted:
			ids = edgeEnds(append(ids, p.ID), p.Edges)
		default:
			return ids, true
		}
	}
	return ids, false
}

// edgeEnds appends the ends of edges named in them (the near end of an edge of the event's node
// is that node, listed already).
func edgeEnds(ids []string, edges []nodes.Edge) []string {
	for _, e := range edges {
		if e.Node != "" {
			ids = append(ids, e.Node)
		}
		ids = append(ids, e.Peer)
	}
	return ids
}
