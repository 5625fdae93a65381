package commands_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
)

// A turn encodes the events of its commands once all are decided (nodetx.DecideSinceLater):
// each command's events are what encoding them right after deciding it gives, although later
// commands of the turn changed the same nodes (an attribute, the peers of a relationship, a
// peer moved from one node to another, a node deleted).
func TestTurnEncodesEachCommandAsDecided(t *testing.T) {
	f := newNodeFixture(t)
	s1 := f.create(t, "TestSite", map[string]any{"name": "s1"})
	t1 := f.create(t, "TestTag", map[string]any{"name": "t1"})
	t2 := f.create(t, "TestTag", map[string]any{"name": "t2"})
	x, y := graph.NewNodeID().String(), graph.NewNodeID().String()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	q := func(s string) string { return `"` + s + `"` }
	steps := []func(tx *nodetx.Tx) error{
		func(tx *nodetx.Tx) error {
			_, err := tx.Create(createCase("TestDevice", x, map[string]string{"name": `"x"`, "site": q(s1), "tags": `[` + q(t1) + `]`}))
			return err
		},
		func(tx *nodetx.Tx) error {
			_, err := tx.Update(commands.UpdateNode{ID: x, Data: commands.Data{"name": raw(`"x2"`), "asn": raw(`7`), "tags": raw(`[` + q(t2) + `]`)}})
			return err
		},
		func(tx *nodetx.Tx) error {
			_, err := tx.Peers(commands.RelationshipPeers{ID: x, Name: "tags", Peers: []json.RawMessage{raw(q(t1))}}, false)
			return err
		},
		func(tx *nodetx.Tx) error {
			_, err := tx.Create(createCase("TestDevice", y, map[string]string{"name": `"y"`, "site": q(s1), "tags": `[` + q(t1) + `]`}))
			return err
		},
		func(tx *nodetx.Tx) error {
			_, err := tx.Update(commands.UpdateNode{ID: y, Data: commands.Data{"site": raw(`null`)}})
			return err
		},
		func(tx *nodetx.Tx) error {
			_, err := tx.Delete(commands.DeleteNode{ID: x})
			return err
		},
	}
	cat := f.store.Catalogue()
	meta := func(k int) events.Metadata { return events.Metadata{CommandID: string(rune('a' + k)), Actor: "u"} }
	v := f.view(t, "main")
	now := nodetx.New(context.Background(), v, nil, limits.Default())
	later := nodetx.New(context.Background(), v, nil, limits.Default())
	var want []nodetx.Decision
	var pending []nodetx.Pending
	for k, step := range steps {
		mark := now.Mark()
		if err := step(now); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		d, err := now.DecideSince(cat, "main", meta(k), mark)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
		mark = later.Mark()
		if err := step(later); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		_, p, err := later.DecideSinceLater(cat, "main", meta(k), mark)
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() != len(d.Events) {
			t.Fatalf("step %d: %d events pending, %d decided", k, p.Len(), len(d.Events))
		}
		pending = append(pending, p)
	}
	for k, p := range pending {
		evs, payloads, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(evs, want[k].Events) || !reflect.DeepEqual(payloads, want[k].Payloads) {
			t.Errorf("step %d encoded later:\n%s\nright after deciding it:\n%s", k, payloadsOf(evs), payloadsOf(want[k].Events))
		}
	}
}

func payloadsOf(evs []events.Envelope) string {
	var s string
	for _, e := range evs {
		s += e.Type + " " + string(e.Payload) + "\n"
	}
	return s
}
