package activity_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/activity"
)

func TestIndexList(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	tag := a.create("TestTag", map[string]any{"name": "red"})
	var devs []string
	for i := range 12 {
		devs = append(devs, a.create("TestDevice", map[string]any{"name": fmt.Sprintf("d%d", i), "height": i}))
	}
	a.runAs("acc-1", commands.TypeUpdateNode, map[string]any{"id": devs[0], "data": map[string]any{"height": 100, "tags": []any{map[string]any{"id": tag}}}})
	a.run(commands.TypeCreateNode, map[string]any{"kind": "CoreStandardGroup", "data": map[string]any{"name": "g", "members": []any{map[string]any{"id": devs[1]}}}})
	a.run(commands.TypeCreateBranch, map[string]any{"name": "b1"})
	a.run(commands.TypeUpdateNode, map[string]any{"branch": "b1", "id": devs[2], "data": map[string]any{"height": 7}})
	a.run(commands.TypeMergeBranch, map[string]any{"branch": "b1"})
	a.run(commands.TypeDeleteNode, map[string]any{"id": devs[3]})

	ix, err := activity.NewIndex(activity.IndexConfig{Log: a.log, Graph: a.reader, WaitFor: a.fold.WaitFor, SchemaOf: a.schemaOf, MaxPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.NewInline(a.log, ix).WaitFor(ctx, a.head()); err != nil {
		t.Fatal(err)
	}
	all := a.derive(0)
	if ix.Len() != len(all) || ix.Position() != a.head() {
		t.Fatalf("index holds %d events at %d, the log derives %d at %d", ix.Len(), ix.Position(), len(all), a.head())
	}
	merged := one(t, all, activity.BranchMerged)
	yes, lvl1 := true, 1
	newestFirst := slices.Clone(all)
	slices.Reverse(newestFirst)

	for _, tc := range []struct {
		name string
		q    activity.Query
		want func(e activity.Event) bool
	}{
		{"everything", activity.Query{}, func(activity.Event) bool { return true }},
		{"node events", activity.Query{Filter: activity.Filter{Names: []string{"infrahub.node."}}}, func(e activity.Event) bool {
			return e.Name == activity.NodeCreated || e.Name == activity.NodeUpdated || e.Name == activity.NodeDeleted
		}},
		{"names", activity.Query{Filter: activity.Filter{Names: []string{activity.NodeDeleted, activity.GroupMemberAdded}}}, func(e activity.Event) bool {
			return e.Name == activity.NodeDeleted || e.Name == activity.GroupMemberAdded
		}},
		{"generic kind", activity.Query{Filter: activity.Filter{Kinds: []string{"CoreGroup"}}}, func(e activity.Event) bool {
			return e.PrimaryNode != nil && activity.KindMatches([]string{"CoreGroup"}, e.PrimaryNode.Kind, e.Branch, a.schemaOf)
		}},
		{"node", activity.Query{Filter: activity.Filter{NodeIDs: []string{devs[0]}}}, func(e activity.Event) bool {
			return e.PrimaryNode != nil && e.PrimaryNode.ID == devs[0]
		}},
		{"related", activity.Query{Filter: activity.Filter{RelatedIDs: []string{tag}}}, func(e activity.Event) bool {
			return e.PrimaryNode != nil && (e.PrimaryNode.ID == tag || slices.ContainsFunc(e.RelatedNodes, func(r activity.NodeRef) bool { return r.ID == tag }))
		}},
		{"account", activity.Query{Filter: activity.Filter{AccountIDs: []string{"acc-1"}}}, func(e activity.Event) bool { return e.AccountID == "acc-1" }},
		{"branch", activity.Query{Filter: activity.Filter{Branches: []string{"b1"}}}, func(e activity.Event) bool { return e.Branch == "b1" }},
		{"children", activity.Query{ParentIDs: []string{merged.ID}}, func(e activity.Event) bool { return e.ParentID == merged.ID }},
		{"level", activity.Query{Level: &lvl1}, func(e activity.Event) bool { return e.Level == 1 }},
		{"has children", activity.Query{HasChildren: &yes}, func(e activity.Event) bool { return e.HasChildren }},
		{"ids", activity.Query{IDs: []string{merged.ID, all[0].ID}}, func(e activity.Event) bool { return e.ID == merged.ID || e.ID == all[0].ID }},
		{"since", activity.Query{Since: merged.OccurredAt}, func(e activity.Event) bool { return !e.OccurredAt.Before(merged.OccurredAt) }},
		{"until", activity.Query{Until: merged.OccurredAt.Add(-time.Nanosecond)}, func(e activity.Event) bool { return e.OccurredAt.Before(merged.OccurredAt) }},
		{"permissions", activity.Query{Filter: activity.Filter{AllowedKinds: func(k string) bool { return k != "TestDevice" }}}, func(e activity.Event) bool {
			return e.PrimaryNode == nil || e.PrimaryNode.Kind != "TestDevice"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []activity.Event
			for _, e := range newestFirst {
				if tc.want(e) {
					want = append(want, tc.q.Filter.Visible(e))
				}
			}
			if len(want) == 0 {
				t.Fatal("the case selects nothing")
			}
			q := tc.q
			q.Limit = 100
			count, page, err := ix.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if count != len(want) || !reflect.DeepEqual(page, want) {
				t.Fatalf("count %d (want %d)\ngot  %s\nwant %s", count, len(want), dump(ids(page)), dump(ids(want)))
			}
		})
	}

	// Pages: the default page size, ascending order, offsets.
	count, page, err := ix.List(ctx, activity.Query{})
	if err != nil || count != len(all) || len(page) != min(activity.DefaultPage, len(all)) || page[0].ID != all[len(all)-1].ID {
		t.Fatalf("default page: %d events of %d, %v", len(page), count, err)
	}
	_, page, err = ix.List(ctx, activity.Query{Ascending: true, Offset: 3, Limit: 4})
	if err != nil || !reflect.DeepEqual(page, all[3:7]) {
		t.Fatalf("ascending page: %s %v", dump(ids(page)), err)
	}
	// The page's events carry their details: previous values read from the graph.
	_, page, _ = ix.List(ctx, activity.Query{Filter: activity.Filter{NodeIDs: []string{devs[0]}, Names: []string{activity.NodeUpdated}}})
	if len(page) != 1 || attr(t, page[0], "height").ValuePrevious != float64(0) || attr(t, page[0], "height").Value != float64(100) {
		t.Fatalf("details: %s", dump(page))
	}
	if _, _, err := ix.List(ctx, activity.Query{Limit: 101}); !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("a page over the limit: %v", err)
	}
	if err := ix.Reset(ctx); err != nil || ix.Len() != 0 {
		t.Fatal("reset")
	}
}

func ids(evs []activity.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name + " " + e.ID
	}
	return out
}
