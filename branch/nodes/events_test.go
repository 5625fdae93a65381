package nodes_test

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

var update = flag.Bool("update", false, "write missing golden files of stored node events")

// Every node event keeps one stored sample per schema version in testdata/golden, and each must
// still decode to the same value: a change of shape needs a new version and an upcaster.
func TestGoldenNodeEvents(t *testing.T) {
	c := events.NewCatalogue()
	nodes.RegisterEvents(c)
	label := "r1 (edge)"
	samples := map[string]any{
		nodes.TypeCreated: nodes.Created{ID: "0190a3c4-0000-7000-8000-000000000001", Kind: "InfraDevice",
			Attributes: map[string]nodes.Attr{"name": {Value: "r1", Source: "0190a3c4-0000-7000-8000-000000000009", IsProtected: true}, "role": {Value: "edge", IsDefault: true}},
			Edges:      []nodes.Edge{{Field: "r:infradevice__site|both", Peer: "0190a3c4-0000-7000-8000-000000000002"}},
			RelProps:   map[string]nodes.Props{"r:infradevice__site|both": {Owner: "0190a3c4-0000-7000-8000-000000000009"}},
			HFID:       []string{"r1"}, DisplayLabel: label,
			Claims: []nodes.Claim{{Kind: "InfraDevice", Constraint: "name__value", Key: "r1"}, {Kind: "InfraDevice", Constraint: "hfid", Key: "r1"}}},
		nodes.TypeUpdated: nodes.Updated{ID: "0190a3c4-0000-7000-8000-000000000001", Kind: "InfraDevice",
			Attributes: map[string]nodes.Attr{"role": {Value: "core"}},
			Edges: []nodes.Edge{{Field: "r:infradevice__site|both", Peer: "0190a3c4-0000-7000-8000-000000000002", Remove: true},
				{Node: "0190a3c4-0000-7000-8000-000000000003", Field: "r:x|out", Peer: "0190a3c4-0000-7000-8000-000000000004", Global: true}},
			DisplayLabel: &label, HFID: &[]string{"r1"},
			Claims: []nodes.Claim{{Kind: "InfraDevice", Constraint: "name__value", Key: "r0", Release: true}}},
		nodes.TypeDeleted: nodes.Deleted{ID: "0190a3c4-0000-7000-8000-000000000001", Kind: "CoreAccount", Global: true,
			Claims: []nodes.Claim{{Kind: "CoreAccount", Constraint: "hfid", Key: "admin", Release: true, Global: true}}},
	}
	for _, info := range c.Types() {
		sample, ok := samples[info.Name]
		if !ok {
			t.Errorf("event type %s has no golden sample", info.Name)
			continue
		}
		path := filepath.Join("testdata", "golden", info.Name+".v1.json")
		if *update {
			if _, err := os.Stat(path); os.IsNotExist(err) {
				env, err := c.New(info.Name, sample, events.Metadata{})
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(env.Payload, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		payload, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (go test ./branch/nodes -run Golden -update writes it)", info.Name, err)
		}
		got, err := c.Decode(events.Envelope{Type: info.Name, SchemaVersion: info.SchemaVersion, Payload: payload})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(got, sample) {
			t.Errorf("%s decodes to %+v, want %+v", path, got, sample)
		}
	}
}

func TestFieldNames(t *testing.T) {
	for _, tc := range []struct{ direction, field, mirror string }{
		{"outbound", "r:parent__child|out", "r:parent__child|in"},
		{"inbound", "r:parent__child|in", "r:parent__child|out"},
		{"bidirectional", "r:parent__child|both", "r:parent__child|both"},
		{"", "r:parent__child|both", "r:parent__child|both"},
	} {
		f := nodes.RelField("parent__child", tc.direction)
		if f != tc.field || nodes.Mirror(f) != tc.mirror || nodes.Mirror(nodes.Mirror(f)) != f {
			t.Errorf("%s: field %s mirror %s", tc.direction, f, nodes.Mirror(f))
		}
	}
	if got := nodes.PropsField("r:a|out"); got != "p:a|out" {
		t.Errorf("props field = %s", got)
	}
}
