package gitsync_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers/changes"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// OnChange submits one task per trigger, with an id derived from it: a batch seen twice (or
// by two servers) submits nothing more. An import's own update of the commit (with
// sync_status) triggers nothing.
func TestOnChange(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	id := f.createRepo(gitsync.KindRepository, map[string]any{"name": "catalog", "location": "https://git.example.com/catalog.git"})
	ro := f.createRepo(gitsync.KindReadOnlyRepository, map[string]any{"name": "ro", "location": "https://git.example.com/ro.git", "ref": "v1"})
	created := changes.Batch{Branch: "main", Nodes: []changes.NodeChange{
		{ID: id, Kind: gitsync.KindRepository, Action: changes.Created},
		{ID: ro, Kind: gitsync.KindReadOnlyRepository, Action: changes.Created},
		{ID: "x", Kind: "BuiltinTag", Action: changes.Created}}}
	f.syncer.OnChange(ctx, created)
	f.syncer.OnChange(ctx, created)

	f.run(commands.TypeUpdateNode, commands.UpdateNode{Kind: gitsync.KindRepository, ID: id, Data: commands.Data{"commit": json.RawMessage(`"abc123"`)}})
	f.sync()
	update := changes.Batch{Branch: "main", Position: f.store.Position(), Nodes: []changes.NodeChange{
		{ID: id, Kind: gitsync.KindRepository, Action: changes.Updated, Attributes: []string{"commit"}}}}
	f.syncer.OnChange(ctx, update)
	f.syncer.OnChange(ctx, update)
	// What an import writes: no trigger.
	f.syncer.OnChange(ctx, changes.Batch{Branch: "main", Position: f.store.Position(), Nodes: []changes.NodeChange{
		{ID: id, Kind: gitsync.KindRepository, Action: changes.Updated, Attributes: []string{"commit", "operational_status", "sync_status"}}}})
	// A read-only repository's ref.
	f.run(commands.TypeUpdateNode, commands.UpdateNode{Kind: gitsync.KindReadOnlyRepository, ID: ro, Data: commands.Data{"ref": json.RawMessage(`"v2"`)}})
	f.sync()
	f.syncer.OnChange(ctx, changes.Batch{Branch: "main", Position: f.store.Position(), Nodes: []changes.NodeChange{
		{ID: ro, Kind: gitsync.KindReadOnlyRepository, Action: changes.Updated, Attributes: []string{"ref"}}}})

	// Branches: one with sync_with_git created, then merged; one without.
	f.run(commands.TypeCreateBranch, commands.CreateBranch{Name: "feat", SyncWithGit: true})
	f.run(commands.TypeCreateBranch, commands.CreateBranch{Name: "local-only"})
	f.sync()
	for range 2 {
		f.syncer.OnChange(ctx, changes.Batch{Branch: "feat", BranchEvents: []string{"created"}})
		f.syncer.OnChange(ctx, changes.Batch{Branch: "local-only", BranchEvents: []string{"created"}})
		f.syncer.OnChange(ctx, changes.Batch{Branch: "main", BranchEvents: []string{"merged"}, MergedFrom: []string{"feat", "local-only"}})
	}

	feat, _ := f.store.Branches().Branch("feat")
	got := map[string]string{}
	for _, ev := range readAll(t, f) {
		if ev.Type != task.TypeCreated {
			continue
		}
		var c task.Created
		_ = json.Unmarshal(ev.Payload, &c)
		if _, dup := got[c.ID]; dup {
			t.Errorf("task %s submitted twice", c.ID)
		}
		got[c.ID] = c.Workflow + " " + string(c.Parameters)
	}
	want := map[string]string{
		"git-add-" + id:                    commands.WorkflowGitAddReadWrite + ` {"repository_id":"` + id + `"}`,
		"git-add-" + ro:                    commands.WorkflowGitAddReadOnly + ` {"repository_id":"` + ro + `"}`,
		"git-branch-create-" + feat.ID:     gitsync.WorkflowGitCreateBranch + ` {"branch":"feat"}`,
		"git-merge-" + feat.ID:             gitsync.WorkflowGitMerge + ` {"branch":"feat"}`,
		importID(got, `"commit":"abc123"`): commands.WorkflowGitImport + ` {"repository_id":"` + id + `","branch":"main","commit":"abc123"}`,
		importID(got, `"commit":"v2"`):     commands.WorkflowGitImport + ` {"repository_id":"` + ro + `","branch":"main","commit":"v2"}`,
	}
	if len(got) != len(want) {
		t.Errorf("tasks submitted:\n%v\nwant:\n%v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("task %s: %q, want %q", k, got[k], v)
		}
	}
}

// importID finds the id of the import task whose parameters hold s.
func importID(tasks map[string]string, s string) string {
	var ids []string
	for id, v := range tasks {
		if strings.HasPrefix(id, "git-import-") && strings.Contains(v, s) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) != 1 {
		return "missing import of " + s
	}
	return ids[0]
}
