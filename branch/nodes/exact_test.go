package nodes_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// Exact hands over a payload only when it is what decoding the stored JSON gives.
func TestExactIsTheDecoding(t *testing.T) {
	c := events.NewCatalogue()
	nodes.RegisterEvents(c)
	empty, label := []string(nil), "r1 <edge> & \u2028"
	id := "0190a3c4-0000-7000-8000-000000000001"
	cases := []struct {
		name  string
		typ   string
		p     any
		exact bool
	}{
		{"created", nodes.TypeCreated, nodes.Created{ID: id, Kind: "InfraDevice", Attributes: map[string]nodes.Attr{
			"name": {Value: "r1", Source: id, IsProtected: true}, "asn": {Value: 64512.0}, "on": {Value: true}, "none": {IsDefault: true},
			"tags": {Value: []any{"a", 1.5, map[string]any{"k": []any{}}}}, "cfg": {Value: map[string]any{"x": nil}}},
			Edges: []nodes.Edge{{Field: "r:x|out", Peer: id}}, HFID: []string{"r1"}, DisplayLabel: label,
			Claims: []nodes.Claim{{Kind: "InfraDevice", Constraint: "hfid", Key: `["r1"]`}}}, true},
		{"updated", nodes.TypeUpdated, nodes.Updated{ID: id, Kind: "InfraDevice", HFID: &[]string{}, DisplayLabel: &label,
			RelProps: map[string]nodes.Props{"r:x|out": {Owner: id}}}, true},
		{"updated, hfid null", nodes.TypeUpdated, nodes.Updated{ID: id, Kind: "InfraDevice", HFID: &empty}, true},
		{"deleted", nodes.TypeDeleted, nodes.Deleted{ID: id, Kind: "InfraDevice", Edges: []nodes.Edge{{Node: id, Field: "r:x|in", Peer: id, Remove: true}}}, true},
		{"an int", nodes.TypeCreated, nodes.Created{ID: id, Kind: "K", Attributes: map[string]nodes.Attr{"n": {Value: 3}}}, false},
		{"a []string", nodes.TypeCreated, nodes.Created{ID: id, Kind: "K", Attributes: map[string]nodes.Attr{"n": {Value: []string{"a"}}}}, false},
		{"a nil list", nodes.TypeCreated, nodes.Created{ID: id, Kind: "K", Attributes: map[string]nodes.Attr{"n": {Value: []any(nil)}}}, false},
		{"invalid UTF-8", nodes.TypeUpdated, nodes.Updated{ID: id, Kind: "K", Attributes: map[string]nodes.Attr{"n": {Value: "a\xffb"}}}, false},
		{"invalid UTF-8 key", nodes.TypeDeleted, nodes.Deleted{ID: id, Kind: "K", Claims: []nodes.Claim{{Kind: "K", Constraint: "c", Key: "\xff"}}}, false},
		{"another type", "x", struct{}{}, false},
	}
	for _, tc := range cases {
		got, ok := nodes.Exact(tc.p)
		if ok != tc.exact {
			t.Errorf("%s: exact %v, want %v", tc.name, ok, tc.exact)
		}
		if !ok {
			continue
		}
		env, err := c.New(tc.typ, tc.p, events.Metadata{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := c.Decode(env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			t.Errorf("%s: handed %#v (%s), the log decodes to %#v", tc.name, got, g, want)
		}
	}
}
