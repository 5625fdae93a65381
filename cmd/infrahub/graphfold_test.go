package main

import (
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/authn"
	"github.com/infrahub-go/infrahub/task"
)

// What a fold tells the token cache and the resolver: each node event's node, kind and edges'
// ends, after the position the Store had folded; what it cannot attribute sets all.
func TestFoldChanges(t *testing.T) {
	ev := func(pos events.Position, typ string) events.Envelope {
		return events.Envelope{GlobalPosition: pos, Type: typ}
	}
	batch := []events.Envelope{ev(3, nodes.TypeCreated), ev(4, nodes.TypeUpdated), ev(5, nodes.TypeDeleted)}
	payloads := []any{
		nodes.Created{ID: "old", Kind: "BenchInterface"},
		nodes.Updated{ID: "n1", Kind: "BenchInterface", Edges: []nodes.Edge{{Field: "r:x|out", Peer: "p1"}, {Node: "n1", Field: "r:z|out", Peer: "p3"}}},
		nodes.Deleted{ID: "tok", Kind: authn.TokenKind},
	}
	c := foldChanges{}
	c.add(batch, payloads, 3)
	if want := []string{"n1", "p1", "p3", "tok"}; c.all || c.token || c.foreign || !slices.Equal(c.ids, want) ||
		!slices.Equal(c.kinds, []string{"BenchInterface", authn.TokenKind}) {
		t.Errorf("changes %+v; want ids %v", c, want)
	}
	c = foldChanges{}
	c.add(batch[1:2], []any{nodes.Updated{ID: "n1", Kind: "K", Edges: []nodes.Edge{{Node: "n2", Field: "r:y|in", Peer: "p2"}}}}, 0)
	if !c.foreign || !slices.Equal(c.ids, []string{"n1", "n2", "p2"}) {
		t.Errorf("an edge of another node: %+v", c)
	}
	c = foldChanges{}
	if c.add(batch[:1], []any{nodes.Created{ID: "t", Kind: authn.TokenKind}}, 0); !c.token {
		t.Errorf("a token created: %+v", c)
	}
	for name, tc := range map[string]struct {
		batch    []events.Envelope
		payloads []any
	}{
		"an undecoded payload": {batch, nil},
		"another event":        {[]events.Envelope{ev(9, "branch.merged")}, []any{nil}},
	} {
		c := foldChanges{}
		if c.add(tc.batch, tc.payloads, 0); !c.all {
			t.Errorf("%s: all is false", name)
		}
	}
	c = foldChanges{}
	if c.add([]events.Envelope{ev(9, events.TypeDiagnosticRecorded), ev(10, task.TypeProgressed)}, []any{nil, nil}, 0); c.all || len(c.ids) != 0 {
		t.Errorf("events that change no node: %+v; want nothing", c)
	}
	c = foldChanges{}
	if c.add(batch, nil, 5); c.all || len(c.ids) != 0 {
		t.Errorf("a batch folded already: %+v; want nothing", c)
	}
}
