package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
)

// TestBatchLateErrorIsSingleError checks that an operation decided late in a large batch (its
// attributes parsed ahead, beside the decisions of the earlier ones) is refused with the error
// the same node.create answers alone, field order included, and that the batch writes nothing.
func TestBatchLateErrorIsSingleError(t *testing.T) {
	f := newNodeFixture(t)
	bad := []map[string]any{
		{"name": 12},                                                 // a wrong type
		{"name": "ok-1", "asn": 70000},                               // out of range
		{"name": "ok-2", "serial": "x"},                              // read-only
		{"name": "ok-3", "nope": 1},                                  // unknown field
		{"name": "ok-4", "asn": "x", "site": "not-a-site"},           // asn's error comes first
		{"name": "ok-5", "tags": []any{"a", "b"}, "role": "nowhere"}, // role's error comes first
		{"name": "Bad Name", "enabled": true, "aliases": []any{"a"}},
		{"name": "ok-6", "enabled": map[string]any{"value": true, "is_protected": "x"}},
		{"name": "ok-7", "role": map[string]any{"value": "core", "from_pool": map[string]any{"id": "x"}}},
		{"name": "ok-8", "site": 12},
		{"name": "ok-9", "site": []any{1, []any{2}}},
		{"name": "ok-10", "tags": []any{map[string]any{"id": "x", "bogus": 1}}},
		{"name": "ok-11", "tags": []any{"0190a000-0000-7000-8000-0000000000ff"}},
		{"name": "ok-12", "interfaces": map[string]any{"hfid": []any{true, nil}}},
	}
	for i, data := range bad {
		_, single := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestDevice", "data": data})
		if single == nil {
			t.Fatalf("case %d: the single create is accepted", i)
		}
		ops := make([]any, 0, 300)
		for j := range 299 {
			ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestDevice",
				"data": map[string]any{"name": fmt.Sprintf("dev-%d-%d", i, j), "asn": 1 + j}}})
		}
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestDevice", "data": data}})
		_, err := f.try(t, commands.TypeBatch, map[string]any{"operations": ops})
		want := "operation 300 (node.create): " + single.Error()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("case %d: batch answers %v, want %q", i, err, want)
		}
		if _, ok := f.view(t, "main").ByHFID("TestDevice", []string{fmt.Sprintf("dev-%d-0", i)}); ok {
			t.Errorf("case %d: the refused batch wrote its first operation", i)
		}
	}
	// The same large batch without the bad operation is written whole.
	ops := make([]any, 0, 300)
	for j := range 300 {
		ops = append(ops, map[string]any{"type": "node.create", "ref": fmt.Sprint(j), "payload": map[string]any{"kind": "TestDevice",
			"data": map[string]any{"name": fmt.Sprintf("good-%d", j), "role": "core"}}})
	}
	head := f.head(t)
	res := f.run(t, commands.TypeBatch, map[string]any{"operations": ops})
	out := res.Data.(commands.BatchOutcome)
	if out.Kinds["TestDevice"].Created != 300 || len(out.Nodes) != 300 {
		t.Fatalf("good batch: %+v", out.Kinds)
	}
	// Its events (encoded while the batch was decided) are in the order of its operations.
	evs, err := f.log.ReadAll(context.Background(), events.Position(head), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 300 {
		t.Fatalf("%d events, want 300", len(evs))
	}
	for j, ev := range evs {
		p := string(ev.Payload)
		if !strings.Contains(p, fmt.Sprintf(`"good-%d"`, j)) || !strings.Contains(p, out.Nodes[j].ID) {
			t.Fatalf("event %d is not operation %d's: %s", j+1, j+1, p)
		}
	}
}

// TestBatchCreateThenUpdateKeepsCreatedEvent checks that a node created and changed in one
// batch is appended as created with its first values, then changed: the change does not reach
// back into the creation's event.
func TestBatchCreateThenUpdateKeepsCreatedEvent(t *testing.T) {
	f := newNodeFixture(t)
	head := f.head(t)
	id := "0190a000-0000-7000-8000-000000000001"
	f.run(t, commands.TypeBatch, map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestDevice", "id": id, "data": map[string]any{"name": "first"}}},
		map[string]any{"type": "node.update", "payload": map[string]any{"kind": "TestDevice", "id": id, "data": map[string]any{"name": "second", "role": "core"}}},
	}})
	evs, err := f.log.ReadAll(context.Background(), events.Position(head), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	created, changed := string(evs[0].Payload), string(evs[1].Payload)
	if !strings.Contains(created, `"first"`) || strings.Contains(created, `"second"`) || strings.Contains(created, `"core"`) {
		t.Errorf("the created event states the later change: %s", created)
	}
	if !strings.Contains(changed, `"second"`) || !strings.Contains(changed, `"core"`) {
		t.Errorf("the change is not appended: %s", changed)
	}
	if got := dump(t, f.view(t, "main")); !strings.Contains(fmt.Sprint(got), "second") {
		t.Errorf("the node does not hold the change: %v", got)
	}
}
