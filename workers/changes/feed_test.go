package changes_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/workers/changes"
)

func env(pos events.Position, stream events.StreamID, typ string, payload any) events.Envelope {
	raw, _ := json.Marshal(payload)
	return events.Envelope{GlobalPosition: pos, Stream: stream, Type: typ, Payload: raw}
}

func TestFeedHandsChangesInOrderAfterFrom(t *testing.T) {
	f := &changes.Feed{From: 1}
	var mu sync.Mutex
	var got []changes.Batch
	release := make(chan struct{})
	first := true
	f.Subscribe("test", func(_ context.Context, b changes.Batch) {
		if first { // busy while more arrives: the rest is coalesced
			first = false
			<-release
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.Run(ctx) }()
	main := branch.Stream("main")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Apply(ctx, []events.Envelope{
		env(1, main, nodes.TypeCreated, nodes.Created{ID: "old", Kind: "X"}), // not news
		env(2, main, nodes.TypeCreated, nodes.Created{ID: "a", Kind: "TestDevice", Attributes: map[string]nodes.Attr{"name": {Value: "a"}}}),
	}))
	time.Sleep(20 * time.Millisecond) // the subscriber took the first batch and is busy
	must(f.Apply(ctx, []events.Envelope{
		env(3, main, nodes.TypeUpdated, nodes.Updated{ID: "b", Kind: "TestInterface", Edges: []nodes.Edge{{Field: "r:x|out", Peer: "a"}}}),
		env(4, branch.LifecycleStream, branch.TypeCreated, branch.Created{Name: "dev"}),
		env(5, main, branch.TypeMerged, branch.Merged{Name: "dev", Changes: []branch.Change{{Op: "set", Node: "c", Kind: "TestDevice", Field: "a:name"}}}),
	}))
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("batches %+v, want 3 (main, main coalesced, dev)", got)
	}
	if got[0].Branch != "main" || len(got[0].Nodes) != 1 || got[0].Nodes[0].ID != "a" || got[0].Nodes[0].Action != changes.Created ||
		!slices.Equal(got[0].Nodes[0].Attributes, []string{"name"}) {
		t.Fatalf("first batch %+v", got[0])
	}
	m := got[1]
	if m.Branch != "main" || m.Position != 5 || len(m.Nodes) != 2 || m.Nodes[0].ID != "b" || !slices.Equal(m.Nodes[0].Peers, []string{"a"}) ||
		m.Nodes[1].ID != "c" || !slices.Equal(m.Nodes[1].Attributes, []string{"name"}) ||
		!slices.Equal(m.BranchEvents, []string{"merged"}) || !slices.Equal(m.MergedFrom, []string{"dev"}) {
		t.Fatalf("coalesced main batch %+v", m)
	}
	if got[2].Branch != "dev" || !slices.Equal(got[2].BranchEvents, []string{"created"}) {
		t.Fatalf("dev batch %+v", got[2])
	}
}

func TestFeedOverflowKeepsThePosition(t *testing.T) {
	f := &changes.Feed{MaxPending: 2}
	done := make(chan changes.Batch, 1)
	f.Subscribe("test", func(_ context.Context, b changes.Batch) { done <- b })
	var evs []events.Envelope
	for i := 1; i <= 5; i++ {
		evs = append(evs, env(events.Position(i), branch.Stream("main"), nodes.TypeUpdated, nodes.Updated{ID: "n", Kind: "K"}))
	}
	if err := f.Apply(context.Background(), evs); err != nil { // before Run: everything is pending
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.Run(ctx) }()
	select {
	case b := <-done:
		if !b.Overflow || len(b.Nodes) != 0 || b.Position != 5 {
			t.Fatalf("batch %+v, want an overflow at position 5", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no batch")
	}
}
