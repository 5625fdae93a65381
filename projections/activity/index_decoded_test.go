package activity_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// An Index applying the payloads the writer handed over (Decoded) keeps the records one
// decoding the log's JSON keeps: List answers the same events, ids included, whatever is asked.
func TestIndexFromHandedPayloads(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	tag := a.create("TestTag", map[string]any{"name": "red"})
	var devs []string
	for i := range 10 {
		devs = append(devs, a.create("TestDevice", map[string]any{"name": fmt.Sprintf("d%d", i), "tags": []any{map[string]any{"id": tag}}}))
	}
	a.run(commands.TypeCreateNode, map[string]any{"kind": "CoreStandardGroup", "data": map[string]any{"name": "g",
		"members": []any{map[string]any{"id": devs[0]}, map[string]any{"id": devs[1]}}}})
	a.run(commands.TypeCreateBranch, map[string]any{"name": "b1"})
	for _, id := range devs[:9] { // a merge naming more nodes than are kept inline
		a.run(commands.TypeUpdateNode, map[string]any{"branch": "b1", "id": id, "data": map[string]any{"height": 7}})
	}
	a.run(commands.TypeMergeBranch, map[string]any{"branch": "b1"})
	envs := a.envelopes(0)
	lists := make([][]activity.Event, 2)
	for i, handed := range []bool{false, true} {
		cfg := activity.IndexConfig{Log: a.log, Graph: a.reader, WaitFor: a.fold.WaitFor, SchemaOf: a.schemaOf, MaxPage: 1000}
		if handed {
			cfg.Decoded = a.handed.Payload
		}
		ix, err := activity.NewIndex(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for k := range envs { // one at a time, as the writer hands them over
			if err := ix.Apply(ctx, envs[k:k+1]); err != nil {
				t.Fatal(err)
			}
		}
		n, page, err := ix.List(ctx, activity.Query{Limit: 1000, Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(page) {
			t.Fatalf("count %d, page of %d", n, len(page))
		}
		lists[i] = page
	}
	all := a.derive(0)
	if !reflect.DeepEqual(lists[0], all) || !reflect.DeepEqual(lists[1], all) {
		t.Fatalf("listed %d events from the JSON, %d from the handed payloads, the log derives %d", len(lists[0]), len(lists[1]), len(all))
	}
	if len(named(all, activity.NodeUpdated)) < 9 || len(named(all, activity.GroupMemberAdded)) != 1 {
		t.Fatalf("the log derives %s", dump(all))
	}
}
