package gitsync_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// withQuery is the catalog with one more query, in a file of its own.
func withQuery(t *testing.T, name string) map[string]string {
	cfg := string(catalog(t)[".infrahub.yml"].Data)
	cfg = strings.Replace(cfg, "queries:\n", fmt.Sprintf("queries:\n  - name: %s\n    file_path: \"extra/%s.gql\"\n", name, name), 1)
	return map[string]string{".infrahub.yml": cfg, "extra/" + name + ".gql": "query " + name + " { BuiltinTag { count } }\n"}
}

// Adding a read-write repository imports its default branch on Infrahub's default branch, and
// each other Git branch on an Infrahub branch of its name, created with sync_with_git. The next
// sync with the same heads imports nothing; a new head is imported. A remote refusing the
// credential makes operational_status error-cred, and the password given never shows.
func TestSyncReadWrite(t *testing.T) {
	f := newFixture(t, true)
	good := catalog(t)
	f.repos.set("c1", good, "main")
	f.repos.set("c1b", clone(good, withQuery(t, "feature_query")), "feature-x")
	cred := f.run(commands.TypeCreateNode, commands.CreateNode{Kind: "CorePasswordCredential", Data: commands.Data{
		"name": json.RawMessage(`"git"`), "username": json.RawMessage(`"bot"`), "password": json.RawMessage(`"s3cret-pw"`)}}).Data.(commands.NodeOutcome).ID
	id := f.createRepo(gitsync.KindRepository, map[string]any{"name": "catalog", "location": "https://git.example.com/catalog.git",
		"credential": cred})

	tk := f.submit(commands.WorkflowGitAddReadWrite, commands.GitRepository{RepositoryID: id})
	if tk.State != task.StateCompleted {
		t.Fatalf("add: %s %s\n%s", tk.State, tk.Error, logs(tk))
	}
	var out gitsync.SyncOutcome
	_ = json.Unmarshal(tk.Result, &out)
	if len(out.Imports) != 2 || out.Imports[0].Branch != "main" || out.Imports[1].Branch != "feature-x" || !slices.Equal(out.Branches, []string{"feature-x"}) {
		t.Fatalf("add outcome %s", tk.Result)
	}
	info, ok := f.store.Branches().Branch("feature-x")
	if !ok || !info.SyncWithGit {
		t.Fatalf("branch feature-x: %+v %v", info, ok)
	}
	if got := names(f.list("feature-x", "CoreGraphQLQuery", nil)); !slices.Contains(got, "feature_query") {
		t.Errorf("feature-x queries %v", got)
	}
	if got := names(f.list("main", "CoreGraphQLQuery", nil)); slices.Contains(got, "feature_query") {
		t.Errorf("main has the branch's query: %v", got)
	}
	if c := attr(f.get("main", id), "commit"); c != "c1" {
		t.Errorf("commit on main %v", c)
	}

	// The same heads: nothing to import. A new head on main: imported.
	tk = f.submit(commands.WorkflowGitSync, commands.GitSync{})
	if tk.State != task.StateCompleted || string(tk.Result) != `{"imports":[]}` {
		t.Fatalf("second sync: %s %s %s", tk.State, tk.Result, tk.Error)
	}
	f.repos.set("c2", clone(good, withQuery(t, "main_query")), "main")
	tk = f.submit(commands.WorkflowGitSync, commands.GitSync{RepositoryID: id})
	if tk.State != task.StateCompleted || !strings.Contains(string(tk.Result), `"commit":"c2"`) {
		t.Fatalf("sync of a new head: %s %s %s", tk.State, tk.Result, tk.Error)
	}
	if got := names(f.list("main", "CoreGraphQLQuery", nil)); !slices.Contains(got, "main_query") {
		t.Errorf("main queries %v", got)
	}

	// The remote refuses the credential.
	f.repos.mu.Lock()
	f.repos.err = fmt.Errorf("%w: authentication required for https://git.example.com/catalog.git", fault.ErrForbidden)
	f.repos.mu.Unlock()
	tk = f.submit(commands.WorkflowGitSync, commands.GitSync{})
	if tk.State != task.StateFailed || tk.Attempt != 1 {
		t.Fatalf("sync refused: %s attempt %d", tk.State, tk.Attempt)
	}
	if got := attr(f.get("main", id), "operational_status"); got != "error-cred" {
		t.Errorf("operational_status %v", got)
	}
	all, _ := json.Marshal(tk)
	if strings.Contains(string(all), "s3cret-pw") || !strings.Contains(logs(tk), "authentication required") {
		t.Errorf("task %s", all)
	}
	// Reached again: online.
	f.repos.mu.Lock()
	f.repos.err = nil
	f.repos.mu.Unlock()
	if tk = f.submit(commands.WorkflowGitSync, commands.GitSync{}); tk.State != task.StateCompleted {
		t.Fatalf("sync after: %s %s", tk.State, tk.Error)
	}
	if got := attr(f.get("main", id), "operational_status"); got != "online" {
		t.Errorf("operational_status %v", got)
	}
}

// A read-only repository imports the commit its ref names (fetched first), on the default branch.
func TestSyncReadOnly(t *testing.T) {
	f := newFixture(t, true)
	f.repos.set("c1", catalog(t), "main", "v1.0")
	id := f.createRepo(gitsync.KindReadOnlyRepository, map[string]any{"name": "catalog-ro", "location": "https://git.example.com/ro.git", "ref": "v1.0"})
	tk := f.submit(commands.WorkflowGitAddReadOnly, commands.GitRepository{RepositoryID: id})
	if tk.State != task.StateCompleted {
		t.Fatalf("add: %s %s\n%s", tk.State, tk.Error, logs(tk))
	}
	// a fetch before the ref is resolved: the mirror answers a branch it knows without asking
	// the remote, and a ref that is a branch moves
	if i := slices.Index(f.repos.calls, "resolve v1.0"); i < 1 || f.repos.calls[i-1] != "sync "+id {
		t.Errorf("calls %v: want a sync of the repository, then resolve v1.0", f.repos.calls)
	}
	repo := f.get("main", id)
	if attr(repo, "commit") != "c1" || attr(repo, "sync_status") != "in-sync" {
		t.Errorf("repository %+v", repo.Attributes)
	}
	f.checkOwned(id, "transformations", "device_config")
	if len(f.store.Branches().Branches()) != 1 {
		t.Error("a read-only repository made branches")
	}
}

// A branch created with sync_with_git gets its Git branch on the read-write remote; merged, the
// Git branch is merged into the repository's default branch and the merged commit imported on
// Infrahub's default branch.
func TestCreateBranchAndMerge(t *testing.T) {
	f := newFixture(t, true)
	good := catalog(t)
	f.repos.set("c1", good, "main")
	id := f.createRepo(gitsync.KindRepository, map[string]any{"name": "catalog", "location": "https://git.example.com/catalog.git"})
	if tk := f.submit(commands.WorkflowGitAddReadWrite, commands.GitRepository{RepositoryID: id}); tk.State != task.StateCompleted {
		t.Fatalf("add: %s %s", tk.State, tk.Error)
	}
	f.run(commands.TypeCreateBranch, commands.CreateBranch{Name: "feat", SyncWithGit: true})
	tk := f.submit(gitsync.WorkflowGitCreateBranch, gitsync.GitBranch{Branch: "feat"})
	if tk.State != task.StateCompleted || !slices.Contains(f.repos.calls, "branch feat from main") {
		t.Fatalf("create: %s %s %v", tk.State, tk.Error, f.repos.calls)
	}
	// A commit pushed on feat, then the merge.
	f.repos.set("c2", clone(good, withQuery(t, "merged_query")), "feat")
	tk = f.submit(gitsync.WorkflowGitMerge, gitsync.GitBranch{Branch: "feat"})
	if tk.State != task.StateCompleted || !slices.Contains(f.repos.calls, "merge feat into main") {
		t.Fatalf("merge: %s %s\n%s", tk.State, tk.Error, logs(tk))
	}
	if c := attr(f.get("main", id), "commit"); c != "c2" {
		t.Errorf("commit on main %v", c)
	}
	if got := names(f.list("main", "CoreGraphQLQuery", nil)); !slices.Contains(got, "merged_query") {
		t.Errorf("main queries %v", got)
	}
	// The default branch cannot be named.
	raw, _ := json.Marshal(gitsync.GitBranch{Branch: branch.Default})
	if _, err := f.try(commands.TypeSubmitTask, commands.SubmitTask{Workflow: gitsync.WorkflowGitMerge, Parameters: raw}); err == nil {
		t.Error("a merge of the default branch was accepted")
	}
}
