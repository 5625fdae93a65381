package activity_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// A Deriver with Records derives the same events, in the same order, as a full one, without
// the attributes and the changelog payload of node events.
func TestDeriveRecordsLeavesOutDetailsOnly(t *testing.T) {
	a := newApp(t)
	tag := a.create("TestTag", map[string]any{"name": "red"})
	_, before := a.runAs("acc-1", commands.TypeCreateNode, map[string]any{"kind": "TestDevice",
		"data": map[string]any{"name": "sw1", "description": "first", "tags": []any{map[string]any{"id": tag}}}})
	n := 0
	for _, env := range a.envelopes(before) {
		full, err := activity.Deriver{Graph: a.reader, SchemaOf: a.schemaOf}.Derive(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		records, err := activity.Deriver{Graph: a.reader, SchemaOf: a.schemaOf, Records: true}.Derive(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		for i := range full {
			if full[i].Name == activity.NodeCreated || full[i].Name == activity.NodeUpdated || full[i].Name == activity.NodeDeleted {
				full[i].Attributes, full[i].Payload = nil, nil
				n++
			}
		}
		if !reflect.DeepEqual(full, records) {
			t.Fatalf("position %d: records %s, want %s", env.GlobalPosition, dump(records), dump(full))
		}
	}
	if n == 0 {
		t.Fatal("no node event derived")
	}
}
