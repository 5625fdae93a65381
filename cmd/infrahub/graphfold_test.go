package main

import (
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/authn"
)

// The nodes a fold tells the token cache about: each node event's node and its edges' ends,
// after the position the Store had folded; anything it cannot attribute changes "all".
func TestChangedNodes(t *testing.T) {
	ev := func(pos events.Position, typ string) events.Envelope {
		return events.Envelope{GlobalPosition: pos, Type: typ}
	}
	batch := []events.Envelope{ev(3, nodes.TypeCreated), ev(4, nodes.TypeUpdated), ev(5, nodes.TypeDeleted)}
	payloads := []any{
		nodes.Created{ID: "old", Kind: "BenchInterface"},
		nodes.Updated{ID: "n1", Kind: "BenchInterface", Edges: []nodes.Edge{{Field: "r:x|out", Peer: "p1"}, {Node: "n2", Field: "r:y|in", Peer: "p2"}}},
		nodes.Deleted{ID: "tok", Kind: authn.TokenKind},
	}
	ids, all := changedNodes(batch, payloads, 3, nil)
	if want := []string{"n1", "p1", "n2", "p2", "tok"}; all || !slices.Equal(ids, want) {
		t.Errorf("changed %v all %v; want %v, false", ids, all, want)
	}
	for name, tc := range map[string]struct {
		batch    []events.Envelope
		payloads []any
	}{
		"a token created":      {batch[:1], []any{nodes.Created{ID: "t", Kind: authn.TokenKind}}},
		"an undecoded payload": {batch, nil},
		"another event":        {[]events.Envelope{ev(9, "branch.merged")}, []any{nil}},
	} {
		if _, all := changedNodes(tc.batch, tc.payloads, 0, nil); !all {
			t.Errorf("%s: all is false", name)
		}
	}
	if ids, all := changedNodes(batch, nil, 5, nil); all || len(ids) != 0 {
		t.Errorf("a batch folded already: %v %v; want nothing", ids, all)
	}
}
