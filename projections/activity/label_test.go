package activity_test

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// payloadData is the "data" of e's Payload as a reader of the event's JSON sees it.
func payloadData(t *testing.T, e activity.Event) map[string]any {
	t.Helper()
	raw, err := json.Marshal(e.Payload["data"])
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func displayLabel(t *testing.T, e activity.Event) any {
	t.Helper()
	cl, _ := payloadData(t, e)["changelog"].(map[string]any)
	if cl == nil {
		t.Fatalf("%s has no changelog: %s", e.Name, dump(e))
	}
	return cl["display_label"]
}

// The changelog names the node by its display label: after a create or an update (the new
// label), and the one it had before a delete.
func TestChangelogCarriesTheDisplayLabel(t *testing.T) {
	a := newApp(t)
	_, before := a.runAs("", commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": map[string]any{"name": "spine-1"}})
	created := one(t, a.derive(before), activity.NodeCreated)
	if got := displayLabel(t, created); got != "spine-1" {
		t.Fatalf("created: display label %v, want spine-1", got)
	}
	id := created.PrimaryNode.ID
	updated := one(t, a.deriveRun("", commands.TypeUpdateNode, map[string]any{"kind": "TestDevice", "id": id, "data": map[string]any{"name": "spine-2"}}), activity.NodeUpdated)
	if got := displayLabel(t, updated); got != "spine-2" {
		t.Fatalf("updated: display label %v, want spine-2", got)
	}
	deleted := one(t, a.deriveRun("", commands.TypeDeleteNode, map[string]any{"kind": "TestDevice", "id": id}), activity.NodeDeleted)
	if got := displayLabel(t, deleted); got != "spine-2" {
		t.Fatalf("deleted: display label %v, want spine-2", got)
	}
}
