package graphql

import (
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
)

// The repository kinds of Infrahub's core schema.
const (
	kindGenericRepository  = "CoreGenericRepository"
	kindRepository         = "CoreRepository"
	kindReadOnlyRepository = "CoreReadOnlyRepository"
)

// repositoryMutation answers Infrahub's repository mutations
// (backend/infrahub/graphql/mutations/repository.py), each on a repository named by id or by
// name (its default filter):
//
//   - InfrahubRepositoryProcess: an import of the repository's current commit on the request's
//     branch (task git-repository-import);
//   - InfrahubReadOnlyRepositoryImportLastCommit: a sync of a read-only repository, which imports
//     the last commit of its ref (task git_repositories_sync); it needs the update permission of
//     CoreReadOnlyRepository (manage_repositories), as Infrahub asks;
//   - InfrahubRepositoryConnectivity: whether the remote can be reached with the repository's
//     credential, answered at once ({ok, message}); as any mutation in Infrahub, it needs an
//     account and, on the default branch, edit_default_branch.
//
// Submitting a task is authorized by task.submit (commands).
func (x mutator) repositoryMutation(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	name := e.scope.Branch
	if name == "" {
		name = e.x.Default
	}
	onDefault := name == e.x.Default
	if f.Name == "InfrahubRepositoryConnectivity" && e.x.CheckRepository == nil {
		return fmt.Errorf("%w: mutation %s is %w", graph.ErrInvalidQuery, f.Name, errNotServed)
	}
	who, err := e.who()
	if err != nil {
		return err
	}
	switch f.Name {
	case "InfrahubRepositoryConnectivity":
		if err := authz.RequireBranchWrite(who, onDefault); err != nil {
			return err
		}
	case "InfrahubReadOnlyRepositoryImportLastCommit":
		if m, ok := e.set.Node(kindReadOnlyRepository); ok {
			if err := authz.RequireKind(who, authz.KindOf(m), authz.Update, onDefault); err != nil {
				return err
			}
		}
	}
	id, _ := data["id"].(string)
	n, err := x.repository(id)
	if err != nil {
		return err
	}
	answer := map[string]any{"ok": true}
	switch f.Name {
	case "InfrahubRepositoryProcess":
		commit := attrString(n, "commit")
		if commit == "" {
			return fmt.Errorf("%w: repository %s has no commit to import yet", fault.ErrInvalid, attrString(n, "name"))
		}
		tid, err := x.submitFor(n, name, commands.WorkflowGitImport, commands.GitImport{RepositoryID: n.ID, Branch: name, Commit: commit})
		if err != nil {
			return err
		}
		answer["task"] = map[string]any{"id": tid}
	case "InfrahubReadOnlyRepositoryImportLastCommit":
		if n.Kind != kindReadOnlyRepository {
			return fmt.Errorf("%w: Node %s is a %s, not a %s. Import latest commit is only supported for read-only repositories.",
				fault.ErrInvalid, id, n.Kind, kindReadOnlyRepository)
		}
		tid, err := x.submitFor(n, name, commands.WorkflowGitSync, commands.GitSync{RepositoryID: n.ID})
		if err != nil {
			return err
		}
		answer["task"] = map[string]any{"id": tid}
	case "InfrahubRepositoryConnectivity":
		ok, msg := e.x.CheckRepository(e.ctx, n.ID)
		answer = map[string]any{"ok": ok, "message": msg}
	}
	e.plain(w, f.SelectionSet, typ, answer, path)
	return nil
}

// repository reads the repository named by id: its id, else its name (the default filter of
// CoreGenericRepository), on the request's branch.
func (x mutator) repository(id string) (graph.Node, error) {
	e := x.e
	if id == "" {
		return graph.Node{}, fmt.Errorf("%w: field \"data.id\" is empty", fault.ErrInvalid)
	}
	n, err := e.x.Graph.Get(e.ctx, e.scope, id)
	if err == nil {
		if n.Kind != kindRepository && n.Kind != kindReadOnlyRepository {
			return graph.Node{}, fmt.Errorf("%w: node %s is a %s, not a repository", fault.ErrInvalid, id, n.Kind)
		}
		return n, nil
	}
	if _, known := e.set.Node(kindRepository); !known {
		return graph.Node{}, err
	}
	page, lerr := e.x.Graph.List(e.ctx, e.scope, graph.Query{Kind: kindGenericRepository, Filters: map[string]any{"name__value": id}, Limit: 2})
	if lerr != nil {
		return graph.Node{}, lerr
	}
	if len(page.Nodes) != 1 {
		return graph.Node{}, fmt.Errorf("%w: no repository with id or name %q", fault.ErrNotFound, id)
	}
	return page.Nodes[0], nil
}

// submitFor submits a task of workflow with params on branch name, related to repository n, and
// answers its id.
func (x mutator) submitFor(n graph.Node, name, workflow string, params any) (string, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return "", err
	}
	res, err := x.dispatch(commands.TypeSubmitTask, commands.SubmitTask{Workflow: workflow, Parameters: raw, Branch: name,
		RelatedNodes: []task.RelatedNode{{ID: n.ID, Kind: n.Kind}}})
	if err != nil {
		return "", err
	}
	out, ok := res.Data.(commands.TaskOutcome)
	if !ok {
		return "", fmt.Errorf("task.submit answered %T", res.Data)
	}
	return out.Task.ID, nil
}

// attrString is attribute name of n as a string ("" when absent or not a string).
func attrString(n graph.Node, name string) string {
	if a, ok := n.Attributes[name]; ok {
		if s, ok := a.Value.(string); ok {
			return s
		}
	}
	return ""
}
