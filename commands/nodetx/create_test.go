package nodetx_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
)

// A create states the keys of its uniqueness constraints and its human-friendly id, each read
// once from its values and its peers (an interface's [device, name__value] constraint and its
// [device__name__value, name__value] human-friendly id both read name__value and its device),
// whether the device is given by id, as {"id": …} or by human-friendly id, the data prepared
// or not; a later create of the same values is refused by the constraint the user declared.
func TestCreateIdentity(t *testing.T) {
	f := newCreateFixture(t)
	v, err := f.store.View("main", 0)
	if err != nil {
		t.Fatal(err)
	}
	dev, other := f.devices[3], f.devices[4]
	for _, c := range []struct {
		name, device string
		prepare      bool
	}{
		{"by id", `"` + dev + `"`, false}, {"by id object", `{"id": "` + dev + `"}`, true},
		{"by id object, not prepared", ` { "id" : "` + dev + `" } `, false}, {"by hfid", `["dev-3"]`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx := nodetx.New(context.Background(), v, nil, limits.Default())
			in := nodetx.CreateNode{Kind: "BenchInterface", Data: nodetx.Data{"name": json.RawMessage(`"eth7"`),
				"device": json.RawMessage(c.device)}}
			if c.prepare {
				in.PrepareFor(v.Schema, limits.Default())
			}
			out, err := tx.Create(in)
			if err != nil {
				t.Fatal(err)
			}
			d, err := tx.Decide(f.store.Catalogue(), "main", events.Metadata{CommandID: "c1"})
			if err != nil || len(d.Events) != 1 {
				t.Fatalf("%d events, %v", len(d.Events), err)
			}
			var ev nodes.Created
			if err := json.Unmarshal(d.Events[0].Payload, &ev); err != nil {
				t.Fatal(err)
			}
			wantClaims := []nodes.Claim{
				{Kind: "BenchInterface", Constraint: "device,name__value", Key: `["` + dev + `","eth7"]`},
				{Kind: "BenchInterface", Constraint: nodes.ConstraintHFID, Key: "dev-3\x00eth7"},
			}
			if !reflect.DeepEqual(ev.Claims, wantClaims) {
				t.Errorf("claims %+v, want %+v", ev.Claims, wantClaims)
			}
			if want := []string{"dev-3", "eth7"}; !reflect.DeepEqual(ev.HFID, want) || !reflect.DeepEqual(out.HFID, want) {
				t.Errorf("hfid %q (answered %q), want %q", ev.HFID, out.HFID, want)
			}
			if ev.DisplayLabel != "eth7" || len(ev.Edges) != 1 || ev.Edges[0].Peer != dev {
				t.Errorf("display label %q, edges %+v", ev.DisplayLabel, ev.Edges)
			}
			// the same name on the same device: refused by the constraint; on another device: not
			again := nodetx.CreateNode{Kind: "BenchInterface", Data: nodetx.Data{"name": json.RawMessage(`"eth7"`),
				"device": json.RawMessage(`{"id":"` + dev + `"}`)}}
			_, err = tx.Create(again)
			var ue *nodetx.UniquenessError
			if !errors.As(err, &ue) || ue.Constraint != "device,name__value" || ue.Holder != out.ID {
				t.Errorf("the same interface again: %v", err)
			}
			again.Data["device"] = json.RawMessage(`{"id":"` + other + `"}`)
			if out, err := tx.Create(again); err != nil || !reflect.DeepEqual(out.HFID, []string{"dev-4", "eth7"}) {
				t.Errorf("on another device: %+v, %v", out, err)
			}
		})
	}
	// a device: one unique attribute, its own human-friendly id; a taken name refused by it
	tx := nodetx.New(context.Background(), v, nil, limits.Default())
	out, err := tx.Create(nodetx.CreateNode{Kind: "BenchDevice", Data: nodetx.Data{"name": json.RawMessage(`"new-1"`),
		"site": json.RawMessage(`{"id":"` + f.sites[0] + `"}`), "tags": json.RawMessage(`[{"id":"` + f.tags[0] + `"}, "` + f.tags[1] + `"]`)}})
	if err != nil || !reflect.DeepEqual(out.HFID, []string{"new-1"}) || out.DisplayLabel != "new-1" {
		t.Fatalf("device: %+v, %v", out, err)
	}
	d, err := tx.Decide(f.store.Catalogue(), "main", events.Metadata{CommandID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	var ev nodes.Created
	if err := json.Unmarshal(d.Events[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	wantClaims := []nodes.Claim{{Kind: "BenchDevice", Constraint: "name__value", Key: "new-1"}, {Kind: "BenchDevice", Constraint: nodes.ConstraintHFID, Key: "new-1"}}
	if !reflect.DeepEqual(ev.Claims, wantClaims) || len(ev.Edges) != 3 {
		t.Errorf("device claims %+v, edges %+v", ev.Claims, ev.Edges)
	}
	_, err = tx.Create(nodetx.CreateNode{Kind: "BenchDevice", Data: nodetx.Data{"name": json.RawMessage(`"dev-5"`)}})
	var ue *nodetx.UniquenessError
	if !errors.As(err, &ue) || ue.Constraint != "name__value" || ue.Holder != f.devices[5] {
		t.Errorf("a taken device name: %v", err)
	}
}
