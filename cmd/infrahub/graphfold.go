package main

import (
	"context"
	"slices"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/authn"
)

// graphFold is the graph as the projection runner folds it: the Store (every method of it), and
// after each batch it tells the API token cache (authn.TokenCache) and the permissions resolver
// (authz.Resolver) what the batch changed, so that an answer the batch makes stale is dropped.
type graphFold struct {
	*nodes.Store
	tokens *authn.TokenCache
	perms  *authz.Resolver
}

// Apply implements projections.Projector.
func (g graphFold) Apply(ctx context.Context, batch []events.Envelope) error {
	return g.ApplyDecoded(ctx, batch, nil)
}

// ApplyDecoded implements projections.DecodedApplier.
func (g graphFold) ApplyDecoded(ctx context.Context, batch []events.Envelope, payloads []any) error {
	before := g.Store.Position()
	err := g.Store.ApplyDecoded(ctx, batch, payloads)
	var ids, kinds [16]string
	c := foldChanges{ids: ids[:0], kinds: kinds[:0], all: err != nil}
	c.add(batch, payloads, before)
	g.tokens.Folded(c.all || c.token, c.ids)
	if g.perms != nil {
		g.perms.Folded(c.all || c.foreign, c.kinds, c.ids)
	}
	return err
}

// Reset implements projections.Resetter.
func (g graphFold) Reset(ctx context.Context) error {
	err := g.Store.Reset(ctx)
	g.tokens.Folded(true, nil)
	if g.perms != nil {
		g.perms.Folded(true, nil, nil)
	}
	return err
}

// foldChanges is what a folded batch changed: the nodes of its node events and the ends of their
// edges (ids), their kinds, whether it created an API token (a token is found by its value) or
// changed an edge whose near end is another node than the event's (of a kind not listed), and
// whether it may have changed anything (all: an event other than a node event that changes the
// graph, such as a branch's merge or rebase or a schema change, or a node event whose payload was
// not handed decoded; an event that changes no node, such as a diagnostic or a task's, changes
// nothing they read).
type foldChanges struct {
	ids, kinds          []string
	all, token, foreign bool
}

// add adds what the events of batch after position before change.
func (c *foldChanges) add(batch []events.Envelope, payloads []any, before events.Position) {
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
			c.token = c.token || p.Kind == authn.TokenKind
			c.node(p.ID, p.Kind, p.Edges)
		case nodes.Updated:
			c.node(p.ID, p.Kind, p.Edges)
		case nodes.Deleted:
			c.node(p.ID, p.Kind, p.Edges)
		default:
			if nodes.ChangesGraph(batch[i].Type) { // not handed decoded, or not a node event
				c.all = true
				return
			}
		}
	}
}

func (c *foldChanges) node(id, kind string, edges []nodes.Edge) {
	c.ids = append(c.ids, id)
	if !slices.Contains(c.kinds, kind) {
		c.kinds = append(c.kinds, kind)
	}
	for _, e := range edges {
		if e.Node != "" && e.Node != id {
			c.foreign = true
			c.ids = append(c.ids, e.Node)
		}
		c.ids = append(c.ids, e.Peer)
	}
}
