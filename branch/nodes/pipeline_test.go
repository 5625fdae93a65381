package nodes_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// mixedLog is the bench log of n created nodes, with an update of every third node (a new name,
// claims moved, an edge removed) and a deletion of every seventh node after it, interleaved.
func mixedLog(t *testing.T, cat *events.Catalogue, n int) ([]events.Envelope, []any) {
	t.Helper()
	created, _ := benchLog(t, cat, n)
	var envs []events.Envelope
	add := func(typ string, p any) {
		env, err := cat.New(typ, p, events.Metadata{Actor: fmt.Sprintf("actor-%d", len(envs)%3)})
		if err != nil {
			t.Fatal(err)
		}
		env.GlobalPosition, env.Stream, env.StreamVersion = events.Position(len(envs)+1), branch.Stream(branch.Default), int64(len(envs)+1)
		env.RecordedAt = time.Unix(1_700_000_000, 0).Add(time.Duration(len(envs)) * time.Second)
		envs = append(envs, env)
	}
	for i, env := range created {
		v, err := cat.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		c := v.(nodes.Created)
		add(nodes.TypeCreated, c)
		if j := i - 5; j >= 0 && j%3 == 0 {
			old := created[j]
			ov, _ := cat.Decode(old)
			oc := ov.(nodes.Created)
			name := fmt.Sprintf("renamed-%d", j)
			hfid := []string{name}
			add(nodes.TypeUpdated, nodes.Updated{ID: oc.ID, Kind: oc.Kind, Attributes: map[string]nodes.Attr{"name": {Value: name}},
				Edges: []nodes.Edge{{Field: oc.Edges[0].Field, Peer: oc.Edges[0].Peer, Remove: true}}, HFID: &hfid, DisplayLabel: &name,
				Claims: []nodes.Claim{{Kind: oc.Kind, Constraint: "name__value", Key: oc.Claims[0].Key, Release: true},
					{Kind: oc.Kind, Constraint: "name__value", Key: name}}})
		}
		if j := i - 9; j >= 0 && j%7 == 0 {
			ov, _ := cat.Decode(created[j])
			oc := ov.(nodes.Created)
			add(nodes.TypeDeleted, nodes.Deleted{ID: oc.ID, Kind: oc.Kind, Edges: []nodes.Edge{{Field: oc.Edges[1].Field, Peer: oc.Edges[1].Peer, Remove: true}},
				Claims: []nodes.Claim{{Kind: oc.Kind, Constraint: "hfid", Key: oc.Claims[1].Key, Release: true}}})
		}
	}
	payloads := make([]any, len(envs))
	for i, env := range envs {
		v, err := cat.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		payloads[i] = v
	}
	return envs, payloads
}

// picture is what a Store holds of the nodes of a log at position at.
func picture(t *testing.T, s *nodes.Store, payloads []any, at events.Position) string {
	t.Helper()
	v, err := s.View(branch.Default, at)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "count %d\n", v.Count("BenchDevice"))
	for _, p := range payloads {
		c, ok := p.(nodes.Created)
		if !ok {
			continue
		}
		id, _ := graph.ParseNodeID(c.ID)
		kind, live := v.Kind(id)
		created, updated := v.Meta(id)
		fmt.Fprintf(&b, "%s %s %v %v %q %v %v", c.ID, kind, live, v.HFID(id), v.DisplayLabel(id), created, updated)
		for _, name := range slices.Sorted(maps.Keys(c.Attributes)) {
			a, _ := v.Attr(id, name)
			fmt.Fprintf(&b, " %s=%v", name, a)
		}
		for _, e := range c.Edges {
			fmt.Fprintf(&b, " %s=%v", e.Field, v.Peers(id, e.Field))
			peer, _ := graph.ParseNodeID(e.Peer)
			fmt.Fprintf(&b, " mirror=%v", v.HasPeer(peer, nodes.Mirror(e.Field), id))
		}
		for _, cl := range c.Claims {
			holder, ok := v.Taken(cl.Kind, cl.Constraint, cl.Key)
			fmt.Fprintf(&b, " %s=%v/%v", cl.Constraint, holder, ok)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// A long batch, folded in two stages (node changes made ahead by a goroutine), gives the state
// an event-by-event fold gives: at the head and at past positions, with payloads decoded or not.
func TestPipelinedFoldIsTheSequentialOne(t *testing.T) {
	cat := nodes.NewCatalogue()
	envs, payloads := mixedLog(t, cat, 300)
	fold := func(batch int, decoded bool) *nodes.Store {
		s, err := nodes.New()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(envs); i += batch {
			j := min(i+batch, len(envs))
			var ps []any
			if decoded {
				ps = payloads[i:j]
			}
			if err := s.ApplyDecoded(context.Background(), envs[i:j], ps); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	one := fold(1, true)
	for _, tc := range []struct {
		batch   int
		decoded bool
	}{{1000, true}, {1000, false}, {100, true}} {
		s := fold(tc.batch, tc.decoded)
		for _, at := range []events.Position{0, 50, 333} {
			if got, want := picture(t, s, payloads, at), picture(t, one, payloads, at); got != want {
				t.Fatalf("batches of %d (decoded %v) at %d:\n%s\nwant\n%s", tc.batch, tc.decoded, at, got, want)
			}
		}
	}
}

// An event that cannot be folded stops a pipelined batch where an event-by-event fold stops:
// the events before it folded, the same error.
func TestPipelinedFoldStopsAtTheBadEvent(t *testing.T) {
	cat := nodes.NewCatalogue()
	envs, payloads := mixedLog(t, cat, 150)
	bad := 97
	c := payloads[bad].(nodes.Created)
	c.ID = "not-a-uuid"
	payloads[bad] = c
	var errs [2]error
	var stores [2]*nodes.Store
	for k, batch := range []int{1, len(envs)} {
		s, err := nodes.New()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(envs) && err == nil; i += batch {
			j := min(i+batch, len(envs))
			err = s.ApplyDecoded(context.Background(), envs[i:j], payloads[i:j])
		}
		errs[k], stores[k] = err, s
	}
	if errs[0] == nil || errs[1] == nil || errs[0].Error() != errs[1].Error() {
		t.Fatalf("errors %v and %v", errs[0], errs[1])
	}
	if p0, p1 := stores[0].Position(), stores[1].Position(); p0 != p1 || p1 != envs[bad-1].GlobalPosition {
		t.Fatalf("stopped at %d and %d, want %d", p0, p1, envs[bad-1].GlobalPosition)
	}
	if !reflect.DeepEqual(picture(t, stores[0], payloads[:bad], 0), picture(t, stores[1], payloads[:bad], 0)) {
		t.Fatal("different states before the bad event")
	}
}
