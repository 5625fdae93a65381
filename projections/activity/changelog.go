package activity

import "encoding/json"

// NodeMutation is the "data" of a node event's Payload: Infrahub's NodeMutatedEvent payload
// (kind, node_id, action, fields, changelog). Every node event carries one, but few are ever
// read: webhooks and triggers look at most events only to find that none of theirs matches, and
// InfrahubEvent derives a page's events again. So it keeps what it is made of (the event's
// attributes and relationships, shared with the event) and builds Infrahub's nested objects only
// when encoded: building them eagerly was most of what deriving a node event cost.
//
// It encodes exactly as the map Map answers does (encoding/json: keys sorted); callers read it,
// never change it (its slices are the event's).
type NodeMutation struct {
	Kind          string
	NodeID        string
	Action        string // Infrahub's MutationAction: created, updated, deleted
	DisplayLabel  string // of the node after the change (before it for a delete)
	Attributes    []AttributeChange
	Relationships []RelationshipChange
}

// MarshalJSON encodes m as Map's answer.
func (m *NodeMutation) MarshalJSON() ([]byte, error) {
	return json.Marshal(m.Map())
}

// Map is m as Infrahub's payload objects: {"kind", "node_id", "action", "fields", "changelog":
// {"node_id", "node_kind", "display_label", "attributes", "relationships"}}, attributes by name,
// relationships by name with their peers in order, fields in the order the attributes then the
// relationships come.
func (m *NodeMutation) Map() map[string]any {
	attrs := make(map[string]any, len(m.Attributes))
	fields := make([]string, 0, len(m.Attributes)+len(m.Relationships))
	for _, a := range m.Attributes {
		attrs[a.Name] = map[string]any{"name": a.Name, "kind": a.Kind, "value": a.Value, "value_previous": a.ValuePrevious,
			"value_update_status": a.Action, "properties": map[string]any{}}
		fields = append(fields, a.Name)
	}
	rels := map[string]any{}
	for _, r := range m.Relationships {
		entry, _ := rels[r.Name].(map[string]any)
		if entry == nil {
			entry = map[string]any{"name": r.Name, "peers": []any{}}
			rels[r.Name] = entry
			fields = append(fields, r.Name)
		}
		entry["peers"] = append(entry["peers"].([]any), map[string]any{"peer_id": r.Peer.ID, "peer_kind": r.Peer.Kind,
			"peer_status": r.Action, "properties": map[string]any{}})
	}
	return map[string]any{"kind": m.Kind, "node_id": m.NodeID, "action": m.Action, "fields": fields,
		"changelog": map[string]any{"node_id": m.NodeID, "node_kind": m.Kind, "display_label": m.DisplayLabel,
			"attributes": attrs, "relationships": rels}}
}
