package activity_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/activity"
)

func TestDeriveNodeEvents(t *testing.T) {
	a := newApp(t)
	tag1 := a.create("TestTag", map[string]any{"name": "red"})
	tag2 := a.create("TestTag", map[string]any{"name": "blue"})

	// Created: every attribute listed (Infrahub's create_attribute), added when it has a
	// value, unchanged when null; passwords masked; the relationship's peers added.
	_, before := a.runAs("acc-1", commands.TypeCreateNode, map[string]any{"kind": "TestDevice",
		"data": map[string]any{"name": "sw1", "description": "first", "secret": "hunter2", "tags": []any{map[string]any{"id": tag1}}}})
	envs := a.envelopes(before)
	evs := a.derive(before)
	created := one(t, evs, activity.NodeCreated)
	dev := created.PrimaryNode.ID
	if created.PrimaryNode.Kind != "TestDevice" || created.AccountID != "acc-1" || created.Branch != branch.Default || created.Level != 0 {
		t.Fatalf("created: %s", dump(created))
	}
	if created.ID != envs[0].EventID.String() || created.Position != envs[0].GlobalPosition || !created.OccurredAt.Equal(envs[0].OccurredAt) {
		t.Fatalf("created id/position %s %d, envelope %s %d", created.ID, created.Position, envs[0].EventID, envs[0].GlobalPosition)
	}
	for name, want := range map[string]activity.AttributeChange{
		"name":        {Name: "name", Kind: "Text", Value: "sw1", Action: activity.ActionAdded},
		"description": {Name: "description", Kind: "Text", Value: "first", Action: activity.ActionAdded},
		"height":      {Name: "height", Kind: "Number", Action: activity.ActionUnchanged},
		"secret":      {Name: "secret", Kind: "Password", Value: "***", Action: activity.ActionAdded},
	} {
		if got := attr(t, created, name); !reflect.DeepEqual(got, want) {
			t.Errorf("created %s: got %+v, want %+v", name, got, want)
		}
	}
	wantRel := []activity.RelationshipChange{{Name: "tags", Peer: activity.NodeRef{ID: tag1, Kind: "TestTag"}, Action: activity.ActionAdded}}
	if !reflect.DeepEqual(created.Relationships, wantRel) {
		t.Errorf("created relationships: %s", dump(created.Relationships))
	}
	if !reflect.DeepEqual(created.RelatedNodes, []activity.NodeRef{{ID: tag1, Kind: "TestTag"}}) {
		t.Errorf("created related nodes: %s", dump(created.RelatedNodes))
	}
	data := payloadData(t, created)
	if data["action"] != "created" || data["node_id"] != dev || data["kind"] != "TestDevice" {
		t.Errorf("created payload: %s", dump(data))
	}

	// Updated: only the attributes written, with the values they had just before.
	evs = a.deriveRun("acc-2", commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"description": "second", "height": 42}})
	upd := one(t, evs, activity.NodeUpdated)
	if len(upd.Attributes) != 2 || upd.AccountID != "acc-2" {
		t.Fatalf("updated: %s", dump(upd))
	}
	if got := attr(t, upd, "description"); got.Value != "second" || got.ValuePrevious != "first" || got.Action != activity.ActionUpdated {
		t.Errorf("description: %+v", got)
	}
	if got := attr(t, upd, "height"); got.Value != float64(42) || got.ValuePrevious != nil || got.Action != activity.ActionAdded {
		t.Errorf("height: %+v", got)
	}
	evs = a.deriveRun("", commands.TypeUpdateNode, map[string]any{"id": dev, "data": map[string]any{"description": nil}})
	if got := attr(t, one(t, evs, activity.NodeUpdated), "description"); got.Value != nil || got.ValuePrevious != "second" || got.Action != activity.ActionRemoved {
		t.Errorf("description cleared: %+v", got)
	}

	// A peer added, then one removed, by relationship.add and relationship.remove.
	evs = a.deriveRun("", commands.TypeAddPeers, map[string]any{"id": dev, "kind": "TestDevice", "name": "tags", "peers": []any{map[string]any{"id": tag2}}})
	upd = one(t, evs, activity.NodeUpdated)
	if upd.PrimaryNode.ID != dev || !reflect.DeepEqual(upd.Relationships, []activity.RelationshipChange{{Name: "tags", Peer: activity.NodeRef{ID: tag2, Kind: "TestTag"}, Action: activity.ActionAdded}}) {
		t.Errorf("peer added: %s", dump(evs))
	}
	evs = a.deriveRun("", commands.TypeRemovePeers, map[string]any{"id": dev, "kind": "TestDevice", "name": "tags", "peers": []any{map[string]any{"id": tag1}}})
	upd = one(t, evs, activity.NodeUpdated)
	if !reflect.DeepEqual(upd.Relationships, []activity.RelationshipChange{{Name: "tags", Peer: activity.NodeRef{ID: tag1, Kind: "TestTag"}, Action: activity.ActionRemoved}}) {
		t.Errorf("peer removed: %s", dump(evs))
	}

	// Deleted: every attribute the node had, now null; its peers removed.
	evs = a.deriveRun("", commands.TypeDeleteNode, map[string]any{"id": dev})
	del := one(t, evs, activity.NodeDeleted)
	if got := attr(t, del, "name"); got.Value != nil || got.ValuePrevious != "sw1" || got.Action != activity.ActionRemoved {
		t.Errorf("deleted name: %+v", got)
	}
	if got := attr(t, del, "height"); got.ValuePrevious != float64(42) || got.Action != activity.ActionRemoved {
		t.Errorf("deleted height: %+v", got)
	}
	if !reflect.DeepEqual(del.Relationships, []activity.RelationshipChange{{Name: "tags", Peer: activity.NodeRef{ID: tag2, Kind: "TestTag"}, Action: activity.ActionRemoved}}) {
		t.Errorf("deleted relationships: %s", dump(del.Relationships))
	}

	// Deriving again gives the same events, ids included.
	all := a.derive(0)
	again := a.derive(0)
	if !reflect.DeepEqual(all, again) {
		t.Fatal("deriving twice differs")
	}
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.ID] {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		seen[e.ID] = true
	}
}

func TestDeriveGroupEvents(t *testing.T) {
	a := newApp(t)
	d1 := a.create("TestDevice", map[string]any{"name": "d1"})
	d2 := a.create("TestDevice", map[string]any{"name": "d2"})
	_, before := a.runAs("", commands.TypeCreateNode, map[string]any{"kind": "CoreStandardGroup", "data": map[string]any{"name": "g1", "members": []any{map[string]any{"id": d1}}}})
	evs := a.derive(before)
	g := one(t, evs, activity.NodeCreated).PrimaryNode.ID
	added := one(t, evs, activity.GroupMemberAdded)
	if *added.PrimaryNode != (activity.NodeRef{ID: g, Kind: "CoreStandardGroup"}) || !reflect.DeepEqual(added.RelatedNodes, []activity.NodeRef{{ID: d1, Kind: "TestDevice"}}) {
		t.Fatalf("member added: %s", dump(added))
	}
	if m, _ := added.Payload["members"].([]activity.NodeRef); !reflect.DeepEqual(m, []activity.NodeRef{{ID: d1, Kind: "TestDevice"}}) {
		t.Fatalf("members: %s", dump(added.Payload))
	}
	// A member added from the member's side (member_of_groups) is a member of the group too.
	evs = a.deriveRun("", commands.TypeUpdateNode, map[string]any{"id": d2, "data": map[string]any{"member_of_groups": []any{map[string]any{"id": g}}}})
	added = one(t, evs, activity.GroupMemberAdded)
	if added.PrimaryNode.ID != g || !reflect.DeepEqual(added.RelatedNodes, []activity.NodeRef{{ID: d2, Kind: "TestDevice"}}) {
		t.Fatalf("member added from its side: %s", dump(evs))
	}
	evs = a.deriveRun("", commands.TypeRemovePeers, map[string]any{"id": g, "kind": "CoreStandardGroup", "name": "members", "peers": []any{map[string]any{"id": d1}}})
	removed := one(t, evs, activity.GroupMemberRemoved)
	if removed.PrimaryNode.ID != g || !reflect.DeepEqual(removed.RelatedNodes, []activity.NodeRef{{ID: d1, Kind: "TestDevice"}}) {
		t.Fatalf("member removed: %s", dump(evs))
	}
	// A generic kind filter matches the group's kind.
	if !(activity.Filter{Kinds: []string{"CoreGroup"}}).Match(removed, a.schemaOf) || (activity.Filter{Kinds: []string{"TestDevice"}}).Match(removed, a.schemaOf) {
		t.Fatal("kind filter on a generic")
	}
}

func TestDeriveArtifactEvents(t *testing.T) {
	a := newApp(t)
	dev := a.create("TestDevice", map[string]any{"name": "d1"})
	grp := a.create("CoreStandardGroup", map[string]any{"name": "targets", "members": []any{map[string]any{"id": dev}}})
	repo := a.create("CoreRepository", map[string]any{"name": "r", "location": "file:///nowhere", "commit": "c1"})
	q := a.create("CoreGraphQLQuery", map[string]any{"name": "q", "query": "query { TestDevice { edges { node { id } } } }", "repository": map[string]any{"id": repo}})
	tr := a.create("CoreTransformJinja2", map[string]any{"name": "t", "template_path": "t.j2", "query": map[string]any{"id": q}, "repository": map[string]any{"id": repo}})
	def := a.create("CoreArtifactDefinition", map[string]any{"name": "cfg", "artifact_name": "cfg", "parameters": map[string]any{},
		"content_type": "text/plain", "targets": map[string]any{"id": grp}, "transformation": map[string]any{"id": tr}})
	_, before := a.runAs("", commands.TypeCreateNode, map[string]any{"kind": "CoreArtifact", "data": map[string]any{"name": "cfg", "status": "Ready",
		"content_type": "text/plain", "checksum": "c1", "storage_id": "s1", "object": map[string]any{"id": dev}, "definition": map[string]any{"id": def}}})
	evs := a.derive(before)
	art := one(t, evs, activity.ArtifactCreated)
	id := one(t, evs, activity.NodeCreated).PrimaryNode.ID
	want := map[string]any{"node_id": id, "checksum": "c1", "checksum_previous": nil, "storage_id": "s1", "storage_id_previous": nil,
		"artifact_definition_id": def, "target_id": dev, "target_kind": "TestDevice"}
	if !reflect.DeepEqual(art.Payload, want) || art.PrimaryNode.ID != id || art.PrimaryNode.Kind != "CoreArtifact" {
		t.Fatalf("artifact created: %s", dump(art))
	}
	evs = a.deriveRun("", commands.TypeUpdateNode, map[string]any{"id": id, "data": map[string]any{"checksum": "c2", "storage_id": "s2"}})
	art = one(t, evs, activity.ArtifactUpdated)
	want["checksum"], want["checksum_previous"], want["storage_id"], want["storage_id_previous"] = "c2", "c1", "s2", "s1"
	if !reflect.DeepEqual(art.Payload, want) {
		t.Fatalf("artifact updated: %s", dump(art))
	}
	// A change that is not the content's gives no artifact event.
	evs = a.deriveRun("", commands.TypeUpdateNode, map[string]any{"id": id, "data": map[string]any{"status": "Error"}})
	if len(named(evs, activity.ArtifactUpdated)) != 0 || len(named(evs, activity.NodeUpdated)) != 1 {
		t.Fatalf("status change: %s", dump(evs))
	}
}

func TestDeriveBranchAndMergeEvents(t *testing.T) {
	a := newApp(t)
	dev := a.create("TestDevice", map[string]any{"name": "d1", "description": "main"})
	evs := a.deriveRun("acc-1", commands.TypeCreateBranch, map[string]any{"name": "b1", "sync_with_git": true})
	bc := one(t, evs, activity.BranchCreated)
	if bc.Branch != "b1" || bc.Payload["sync_with_git"] != true || bc.Payload["branch_id"] == "" || bc.AccountID != "acc-1" {
		t.Fatalf("branch created: %s", dump(bc))
	}
	if info, _ := a.store.Branches().Branch("b1"); info.ID != bc.Payload["branch_id"] {
		t.Fatalf("branch id %v, state says %s", bc.Payload["branch_id"], info.ID)
	}
	evs = a.deriveRun("", commands.TypeUpdateNode, map[string]any{"branch": "b1", "id": dev, "data": map[string]any{"description": "branch"}})
	if u := one(t, evs, activity.NodeUpdated); u.Branch != "b1" || attr(t, u, "description").ValuePrevious != "main" {
		t.Fatalf("update on b1: %s", dump(u))
	}
	newTag := ""
	{
		out := a.run(commands.TypeCreateNode, map[string]any{"branch": "b1", "kind": "TestTag", "data": map[string]any{"name": "t"}})
		newTag, _ = out["id"].(string)
	}
	evs = a.deriveRun("", commands.TypeMergeBranch, map[string]any{"branch": "b1"})
	m := one(t, evs, activity.BranchMerged)
	if !m.HasChildren || m.Branch != "b1" || m.Level != 0 || m.Payload["source_branch"] != "b1" {
		t.Fatalf("merged: %s", dump(m))
	}
	var kids []activity.Event
	for _, e := range evs {
		if e.ParentID == m.ID {
			kids = append(kids, e)
			if e.Level != 1 || e.Branch != branch.Default || e.Position != m.Position {
				t.Fatalf("merge child: %s", dump(e))
			}
		}
	}
	upd := one(t, kids, activity.NodeUpdated)
	if upd.PrimaryNode.ID != dev || upd.PrimaryNode.Kind != "TestDevice" {
		t.Fatalf("merge child updated: %s", dump(upd))
	}
	if d := attr(t, upd, "description"); d.Value != "branch" || d.ValuePrevious != "main" || d.Action != activity.ActionUpdated {
		t.Fatalf("merged description: %+v", d)
	}
	if c := one(t, kids, activity.NodeCreated); c.PrimaryNode.ID != newTag || attr(t, c, "name").Value != "t" {
		t.Fatalf("merge child created: %s", dump(c))
	}
	evs = a.deriveRun("", commands.TypeDeleteBranch, map[string]any{"name": "b1"})
	if d := one(t, evs, activity.BranchDeleted); d.Branch != "b1" {
		t.Fatalf("deleted: %s", dump(d))
	}
	// Events of a deleted branch still derive (without previous values).
	if _, err := activity.Derive(context.Background(), a.reader, a.schemaOf, a.envelopes(0)[0]); err != nil {
		t.Fatal(err)
	}
	all := a.derive(0)
	if len(named(all, activity.SchemaUpdated)) == 0 {
		t.Fatal("no schema update event for the schema load")
	}
}
