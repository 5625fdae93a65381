package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/tasks"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/task"
)

// Documents of Infrahub's clients, verbatim.
const (
	// opsmill/infrahub's UI (frontend/app): CHECK_REPOSITORY_CONNECTIVITY (gql.tada version)
	uiCheckConnectivity = `
  mutation CHECK_REPOSITORY_CONNECTIVITY($repositoryId: String!) {
    InfrahubRepositoryConnectivity(data: { id: $repositoryId }) {
      ok
      message
    }
  }
`
	// the UI's REIMPORT_LAST_COMMIT of a read-write repository (@apollo/client version)
	uiReimportLastCommit = `
  mutation REIMPORT_LAST_COMMIT($repositoryId: String!) {
    InfrahubRepositoryProcess(data: { id: $repositoryId }) {
      ok
    }
  }
`
	// the UI's REIMPORT_LAST_COMMIT of a read-only repository (gql.tada version)
	uiReimportReadOnly = `
  mutation REIMPORT_LAST_COMMIT($repositoryId: String!) {
    InfrahubReadOnlyRepositoryImportLastCommit(data: { id: $repositoryId }) {
      ok
      task {
        id
      }
    }
  }
`
	// opsmill/infrahub's backend unit tests of the mutation (RUN_REIMPORT)
	infrahubRunReimport = `
    mutation InfrahubRepositoryProcess($id: String!) {
        InfrahubRepositoryProcess(data: {id: $id}) {
            ok
        }
    }
    `
	// opsmill/infrahub's backend integration tests of Git (test_connectivity)
	infrahubConnectivity = `
        mutation InfrahubRepositoryConnectivity($id: String!) {
            InfrahubRepositoryConnectivity(data: {id: $id}) {
                ok
                message
            }
        }
        `
)

// The repository mutations of Infrahub (backend/infrahub/graphql/mutations/repository.py):
// InfrahubRepositoryProcess submits an import of the repository's commit on the request's
// branch, InfrahubReadOnlyRepositoryImportLastCommit a sync of a read-only repository (refused
// for a read-write one, and without manage_repositories), InfrahubRepositoryConnectivity answers
// the executor's check at once; a repository is named by id or by name.
func TestRepositoryMutations(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	tp := tasks.New(f.store.Catalogue(), limits.Default())
	f.x.Tasks = foldedTasks{tp, projections.NewInline(f.log, tp)}
	const commit = "d85571671cf51f561fb0695d8657747f9ce84057"
	rw := f.create(t, "", "CoreRepository", map[string]any{"name": "catalog", "location": "file:///srv/catalog", "commit": commit})
	ro := f.create(t, "", "CoreReadOnlyRepository", map[string]any{"name": "catalog-ro", "location": "file:///srv/catalog", "ref": "v1.0", "commit": commit})
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "feature"})

	exec := func(ctx context.Context, branchName, doc string, vars map[string]any) (map[string]any, string) {
		t.Helper()
		resp := f.x.Execute(ctx, graphql.Request{Query: doc, Variables: vars, Branch: branchName})
		raw, _ := json.Marshal(resp)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		if errs, ok := out["errors"].([]any); ok && len(errs) > 0 {
			return nil, fmt.Sprint(errs)
		}
		return out["data"].(map[string]any), ""
	}
	must := func(branchName, doc, field string, vars map[string]any) map[string]any {
		t.Helper()
		data, errs := exec(context.Background(), branchName, doc, vars)
		if errs != "" {
			t.Fatalf("%s: %s", field, errs)
		}
		return data[field].(map[string]any)
	}
	taskOfAnswer := func(m map[string]any) task.Task {
		t.Helper()
		tk, _ := m["task"].(map[string]any)
		id, _ := tk["id"].(string)
		if id == "" {
			t.Fatalf("no task id in %v", m)
		}
		return f.taskOf(t, id)
	}
	newest := func() task.Task {
		t.Helper()
		if err := f.x.Tasks.WaitFor(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		page, err := f.x.Tasks.List(context.Background(), tasks.Filter{Limit: 1})
		if err != nil || len(page.Tasks) == 0 {
			t.Fatalf("no task: %v", err)
		}
		return f.taskOf(t, page.Tasks[0].ID)
	}

	// the UI's re-import of a read-write repository, on a branch: that commit on that branch
	if m := must("feature", uiReimportLastCommit, "InfrahubRepositoryProcess", map[string]any{"repositoryId": rw}); m["ok"] != true || len(m) != 1 {
		t.Fatalf("InfrahubRepositoryProcess: %v", m)
	}
	tk := newest()
	var imp commands.GitImport
	_ = json.Unmarshal(tk.Parameters, &imp)
	if tk.Workflow != commands.WorkflowGitImport || imp != (commands.GitImport{RepositoryID: rw, Branch: "feature", Commit: commit}) ||
		tk.Branch != "feature" || len(tk.RelatedNodes) != 1 || tk.RelatedNodes[0].ID != rw || tk.RelatedNodes[0].Kind != "CoreRepository" {
		t.Fatalf("InfrahubRepositoryProcess task: %+v %s", tk.Created, tk.Parameters)
	}
	// Infrahub's own document, by name, with the task selected
	must("", infrahubRunReimport, "InfrahubRepositoryProcess", map[string]any{"id": "catalog"})
	if tk := newest(); !strings.Contains(string(tk.Parameters), `"branch":"main"`) || !strings.Contains(string(tk.Parameters), rw) {
		t.Fatalf("InfrahubRepositoryProcess by name: %s", tk.Parameters)
	}
	m := must("", `mutation($id: String!) { InfrahubRepositoryProcess(data: {id: $id}) { ok task { id } } }`, "InfrahubRepositoryProcess", map[string]any{"id": ro})
	if tk := taskOfAnswer(m); tk.Workflow != commands.WorkflowGitImport || !strings.Contains(string(tk.Parameters), ro) {
		t.Fatalf("InfrahubRepositoryProcess of a read-only repository: %+v", tk.Created)
	}

	// the UI's import of a read-only repository's last commit: a sync of that repository
	m = must("", uiReimportReadOnly, "InfrahubReadOnlyRepositoryImportLastCommit", map[string]any{"repositoryId": ro})
	tk = taskOfAnswer(m)
	if m["ok"] != true || tk.Workflow != commands.WorkflowGitSync || string(tk.Parameters) != fmt.Sprintf(`{"repository_id":%q}`, ro) {
		t.Fatalf("InfrahubReadOnlyRepositoryImportLastCommit: %v %+v %s", m, tk.Created, tk.Parameters)
	}
	if _, errs := exec(context.Background(), "", uiReimportReadOnly, map[string]any{"repositoryId": rw}); !strings.Contains(errs,
		"is a CoreRepository, not a CoreReadOnlyRepository. Import latest commit is only supported for read-only repositories.") {
		t.Fatalf("ImportLastCommit of a read-write repository: %s", errs)
	}
	for _, id := range []string{"nope", ""} {
		if _, errs := exec(context.Background(), "", uiReimportLastCommit, map[string]any{"repositoryId": id}); errs == "" {
			t.Fatalf("InfrahubRepositoryProcess of %q answered no error", id)
		}
	}

	// connectivity: not served without a check; else the check's answer, for the repository's id
	if _, errs := exec(context.Background(), "", uiCheckConnectivity, map[string]any{"repositoryId": rw}); !strings.Contains(errs, "not served") {
		t.Fatalf("connectivity without a check: %s", errs)
	}
	var checked []string
	f.x.CheckRepository = func(_ context.Context, id string) (bool, string) {
		checked = append(checked, id)
		if id == ro {
			return false, "error-cred: repository credential required or refused"
		}
		return true, "Successfully accessed repository"
	}
	if m := must("", infrahubConnectivity, "InfrahubRepositoryConnectivity", map[string]any{"id": rw}); m["ok"] != true || m["message"] != "Successfully accessed repository" {
		t.Fatalf("connectivity: %v", m)
	}
	if m := must("", uiCheckConnectivity, "InfrahubRepositoryConnectivity", map[string]any{"repositoryId": "catalog-ro"}); m["ok"] != false ||
		m["message"] != "error-cred: repository credential required or refused" {
		t.Fatalf("connectivity: %v", m)
	}
	if strings.Join(checked, ",") != rw+","+ro {
		t.Fatalf("checked %v", checked)
	}

	// permissions: anonymous may not; connectivity and a re-import need a write of the branch
	// (edit_default_branch on main); a read-only import needs manage_repositories
	account := func(globals ...authz.Global) context.Context {
		var ps []authz.GlobalPermission
		for _, g := range globals {
			ps = append(ps, authz.GlobalPermission{Action: g, Decision: authz.AllowAll})
		}
		return authz.With(context.Background(), &authz.Identity{AccountID: "a1", Name: "alice", AccountType: "User", Permissions: authz.NewPermissions(ps, nil)})
	}
	for _, c := range []struct {
		ctx     context.Context
		branch  string
		doc     string
		refused bool
	}{
		{authz.With(context.Background(), authz.Anonymous), "feature", uiCheckConnectivity, true},
		{authz.With(context.Background(), authz.Anonymous), "feature", uiReimportLastCommit, true},
		{account(), "", uiCheckConnectivity, true},
		{account(), "feature", uiCheckConnectivity, false},
		{account(authz.EditDefaultBranch), "", uiCheckConnectivity, false},
		{account(), "", uiReimportLastCommit, true},
		{account(authz.EditDefaultBranch), "", uiReimportLastCommit, false},
		{account(authz.EditDefaultBranch), "", uiReimportReadOnly, true},
		{account(authz.EditDefaultBranch, authz.ManageRepositories), "", uiReimportReadOnly, false},
	} {
		id := rw
		if c.doc == uiReimportReadOnly {
			id = ro
		}
		_, errs := exec(c.ctx, c.branch, c.doc, map[string]any{"repositoryId": id})
		if refused := strings.Contains(errs, "FORBIDDEN") || strings.Contains(errs, "permission"); refused != c.refused || (!c.refused && errs != "") {
			t.Errorf("%s on %q as %v: errors %s, want refused %v", strings.Fields(c.doc)[1], c.branch, authz.From(c.ctx).Name, errs, c.refused)
		}
	}
}
