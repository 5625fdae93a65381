package activity_test

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/projections/activity"
)

// A node event's changelog encodes as Infrahub's NodeMutatedEvent payload, byte for byte what
// the eager map of nested objects it replaced encoded to (keys sorted, HTML escaped, fields in
// order, peers grouped by relationship in order, empty objects and lists where nothing changed).
func TestNodeMutationEncodesAsInfrahubPayload(t *testing.T) {
	m := &activity.NodeMutation{Kind: "TestDevice", NodeID: "n1", Action: "updated", DisplayLabel: "spine",
		Attributes: []activity.AttributeChange{
			{Name: "name", Kind: "Text", Value: "a<b>&c", Action: activity.ActionAdded},
			{Name: "mtu", Kind: "Number", Value: float64(9000), ValuePrevious: float64(1500), Action: activity.ActionUpdated},
			{Name: "enabled", Kind: "Boolean", Action: activity.ActionUnchanged},
		},
		Relationships: []activity.RelationshipChange{
			{Name: "tags", Peer: activity.NodeRef{ID: "t1", Kind: "TestTag"}, Action: activity.ActionAdded},
			{Name: "device", Peer: activity.NodeRef{ID: "d1", Kind: "TestDevice"}, Action: activity.ActionRemoved},
			{Name: "tags", Peer: activity.NodeRef{ID: "t2", Kind: "TestTag"}, Action: activity.ActionRemoved},
		}}
	for _, c := range []struct {
		m    *activity.NodeMutation
		want string
	}{
		{m, `{"action":"updated","changelog":{"attributes":{"enabled":{"kind":"Boolean","name":"enabled","properties":{},"value":null,"value_previous":null,"value_update_status":"unchanged"},"mtu":{"kind":"Number","name":"mtu","properties":{},"value":9000,"value_previous":1500,"value_update_status":"updated"},"name":{"kind":"Text","name":"name","properties":{},"value":"a\u003cb\u003e\u0026c","value_previous":null,"value_update_status":"added"}},"display_label":"spine","node_id":"n1","node_kind":"TestDevice","relationships":{"device":{"name":"device","peers":[{"peer_id":"d1","peer_kind":"TestDevice","peer_status":"removed","properties":{}}]},"tags":{"name":"tags","peers":[{"peer_id":"t1","peer_kind":"TestTag","peer_status":"added","properties":{}},{"peer_id":"t2","peer_kind":"TestTag","peer_status":"removed","properties":{}}]}}},"fields":["name","mtu","enabled","tags","device"],"kind":"TestDevice","node_id":"n1"}`},
		{&activity.NodeMutation{Kind: "TestDevice", NodeID: "n1", Action: "deleted"},
			`{"action":"deleted","changelog":{"attributes":{},"display_label":"","node_id":"n1","node_kind":"TestDevice","relationships":{}},"fields":[],"kind":"TestDevice","node_id":"n1"}`},
	} {
		raw, err := json.Marshal(c.m)
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) != c.want {
			t.Errorf("encoded\n%s\nwant\n%s", raw, c.want)
		}
		// Within an event's payload, as the GraphQL and SSE answers and the webhooks encode it.
		raw, err = json.Marshal(map[string]any{"data": c.m})
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) != `{"data":`+c.want+`}` {
			t.Errorf("in a payload: %s", raw)
		}
		// Map answers the objects the encoding is made of.
		if raw, _ := json.Marshal(c.m.Map()); string(raw) != c.want {
			t.Errorf("Map encodes as %s", raw)
		}
	}
}
