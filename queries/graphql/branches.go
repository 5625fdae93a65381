package graphql

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// stampLayout is how branch times are written: RFC 3339 in UTC with microseconds, what Python's
// datetime.fromisoformat (the SDK's parser) reads on every version.
const stampLayout = "2006-01-02T15:04:05.000000Z"

func branchStamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(stampLayout)
}

// branchTimes are when a branch was created and when it last took the default branch's state
// (its base position, moved by a rebase): the time that position was recorded, else the
// creation time. The default branch, which has neither, dates from the first write of the log.
func (x apiRoot) branchTimes(b branch.Info) (created, based time.Time) {
	e := x.e
	recorded := func(pos events.Position) time.Time {
		if at, ok, err := e.x.Graph.RecordedAt(e.ctx, pos); err == nil && ok {
			return at
		}
		return time.Time{}
	}
	created, based = b.CreatedAt, b.CreatedAt
	if b.BranchedFrom > 0 {
		if at := recorded(b.BranchedFrom); !at.IsZero() {
			based = at
		}
	}
	if created.IsZero() {
		created = recorded(1)
	}
	if based.IsZero() {
		based = created
	}
	return created, based
}

// branchData is a branch as the Branch type shows it.
func (x apiRoot) branchData(b branch.Info) map[string]any {
	e := x.e
	created, based := e.api.branchTimes(b)
	status := b.Status
	if status == "" {
		status = "OPEN"
	}
	origin := b.OriginBranch
	if origin == "" {
		origin = b.Name // the default branch is its own origin
	}
	return map[string]any{"id": b.ID, "name": b.Name, "description": b.Description, "origin_branch": origin,
		"branched_from": branchStamp(based), "created_at": branchStamp(created), "sync_with_git": b.SyncWithGit,
		"is_default": b.IsDefault, "is_isolated": true, "has_schema_changes": b.HasSchemaChanges, "status": status,
		"graph_version": nil, "schema_differs_from_default_branch": x.schemaDiffers(b.Name)}
}

// schemaDiffers reports whether a branch's schema is not the default branch's.
func (x apiRoot) schemaDiffers(name string) bool {
	e := x.e
	mine, ok := e.x.SchemaOf(name)
	def, dok := e.x.SchemaOf(e.x.Default)
	return ok && dok && mine.Hash() != def.Hash()
}

func (x apiRoot) allBranches() []branch.Info {
	e := x.e
	if e.x.Branches == nil {
		return nil
	}
	return e.x.Branches()
}

// branches answers the Branch query.
func (x apiRoot) branches(w *jsonWriter, f *ast.Field) {
	e := x.e
	args := f.ArgumentMap(e.vars)
	name, _ := args["name"].(string)
	ids := map[string]bool{}
	if list, ok := args["ids"].([]any); ok {
		for _, x := range list {
			ids[fmt.Sprint(x)] = true
		}
	}
	out := []any{}
	for _, b := range e.api.allBranches() {
		if name != "" && b.Name != name || len(ids) > 0 && !ids[b.ID] {
			continue
		}
		out = append(out, e.api.branchData(b))
	}
	e.plain(w, f.SelectionSet, "Branch", out, nil)
}

func (x apiRoot) branchValue(name string) any {
	e := x.e
	for _, b := range e.api.allBranches() {
		if b.Name == name {
			return e.api.branchData(b)
		}
	}
	return map[string]any{"name": name}
}

// valueShaped turns a branch into InfrahubBranch's shape: every field but id and created_at is
// an object {value}.
func valueShaped(data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		switch k {
		case "id", "created_at":
			out[k] = v
		default:
			out[k] = map[string]any{"value": v}
		}
	}
	return out
}

// branchFilter holds InfrahubBranch's arguments.
type branchFilter struct {
	name          string
	partial       bool
	ids           []string
	status        string
	createdBy     string
	times         [6]*time.Time // branched_from, created_at, updated_at: after then before
	offset, limit int
	orderBy       string // "", "created_at" or "updated_at"
	desc          bool
}

var branchTimeArgs = [6]string{"branched_from__after", "branched_from__before",
	"node_metadata__created_at__after", "node_metadata__created_at__before",
	"node_metadata__updated_at__after", "node_metadata__updated_at__before"}

func parseBranchFilter(args map[string]any) (branchFilter, error) {
	var bf branchFilter
	bf.name, _ = args["name__value"].(string)
	bf.partial, _ = args["partial_match"].(bool)
	bf.status, _ = args["status__value"].(string)
	bf.createdBy, _ = args["node_metadata__created_by__id"].(string)
	if list, ok := args["ids"].([]any); ok {
		for _, x := range list {
			bf.ids = append(bf.ids, fmt.Sprint(x))
		}
	}
	for i, name := range branchTimeArgs {
		raw, ok := args[name].(string)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return bf, fmt.Errorf("%w: argument %s: %q is not an RFC 3339 time", graph.ErrInvalidQuery, name, raw)
		}
		bf.times[i] = &t
	}
	if n, ok := toInt(args["limit"]); ok {
		if n < 1 {
			return bf, fmt.Errorf("%w: argument limit: must be >= 1", graph.ErrInvalidQuery)
		}
		bf.limit = n
	}
	if n, ok := toInt(args["offset"]); ok {
		if n < 0 {
			return bf, fmt.Errorf("%w: argument offset: must be >= 0", graph.ErrInvalidQuery)
		}
		bf.offset = n
	}
	order, _ := args["order"].(map[string]any)
	if nm, ok := order["node_metadata"].(map[string]any); ok {
		for _, field := range []string{"created_at", "updated_at"} {
			if dir, ok := nm[field].(string); ok {
				if bf.orderBy != "" {
					return bf, fmt.Errorf("%w: argument order: only one of created_at or updated_at can be specified", graph.ErrInvalidQuery)
				}
				bf.orderBy, bf.desc = field, dir == "DESC"
			}
		}
	}
	if by, ok := order["by"].([]any); ok && len(by) > 0 {
		item, _ := by[0].(map[string]any)
		field, _ := item["field"].(string)
		dir, _ := item["direction"].(string)
		bf.orderBy, bf.desc = strings.TrimPrefix(field, "node_metadata__"), dir == "DESC"
	}
	return bf, nil
}

// keeps reports whether a branch passes the filter; created and based are its times.
func (bf branchFilter) keeps(b branch.Info, status string, created, based time.Time) bool {
	switch {
	case bf.name != "" && !bf.partial && b.Name != bf.name:
		return false
	case bf.name != "" && bf.partial && !strings.Contains(strings.ToLower(b.Name), strings.ToLower(bf.name)):
		return false
	case len(bf.ids) > 0 && !slices.Contains(bf.ids, b.ID):
		return false
	case bf.status != "" && status != bf.status:
		return false
	case bf.createdBy != "": // branches record no creator
		return false
	}
	for i, at := range [6]time.Time{based, based, created, created, based, based} {
		limit := bf.times[i]
		if limit == nil {
			continue
		}
		if i%2 == 0 && !at.After(*limit) || i%2 == 1 && !at.Before(*limit) {
			return false
		}
	}
	return true
}

// infrahubBranch answers InfrahubBranch: the web UI's paginated branch list, with
// attribute-shaped fields ({value}) and node_metadata.
func (x apiRoot) infrahubBranch(w *jsonWriter, f *ast.Field, path ast.Path) {
	e := x.e
	bf, err := parseBranchFilter(f.ArgumentMap(e.vars))
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	type row struct {
		b              branch.Info
		data           map[string]any
		created, based time.Time
	}
	var rows []row
	var def any
	for _, b := range e.api.allBranches() {
		data := e.api.branchData(b)
		created, based := e.api.branchTimes(b)
		if b.IsDefault {
			def = valueShaped(data)
		}
		if bf.keeps(b, data["status"].(string), created, based) {
			rows = append(rows, row{b, data, created, based})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		var c int
		switch bf.orderBy {
		case "created_at":
			c = a.created.Compare(b.created)
		case "updated_at":
			c = a.based.Compare(b.based)
		}
		if bf.desc {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.b.Name, b.b.Name)
		}
		return c
	})
	count := len(rows)
	rows = rows[min(bf.offset, len(rows)):]
	if bf.limit > 0 && len(rows) > bf.limit {
		rows = rows[:bf.limit]
	}
	edges := make([]any, 0, len(rows))
	for _, r := range rows {
		edges = append(edges, map[string]any{"node": valueShaped(r.data), "node_metadata": map[string]any{
			"created_at": branchStamp(r.created), "updated_at": branchStamp(r.based), "created_by": nil, "updated_by": nil}})
	}
	e.plain(w, f.SelectionSet, "InfrahubBranchType", map[string]any{"count": count, "edges": edges, "default_branch": def}, path)
}

// branchMutation answers BranchCreate, BranchDelete, BranchMerge and BranchRebase. By default
// the work is done before the answer, which carries the branch; with wait_until_completion:
// false (or BranchCreate's background_execution: true) it is a task of Infrahub's workflow for the
// mutation (create-branch, branch-delete, merge-branch-mutation, branch-rebase) that a worker
// runs, and the answer is {ok, task {id}} (with the branch as it is now for a merge or a rebase,
// as Infrahub's).
func (x mutator) branchMutation(w *jsonWriter, f *ast.Field, typ string, args, data map[string]any, path ast.Path) error {
	e := x.e
	name, _ := data["name"].(string)
	if name == "" {
		return fmt.Errorf("%w: data.name is missing", commands.ErrInvalid)
	}
	if !waitOf(args, true) {
		return x.branchTask(w, f, typ, name, data, path)
	}
	var err error
	switch f.Name {
	case "BranchCreate":
		_, err = e.mut.dispatch(commands.TypeCreateBranch, createBranchOf(name, data))
	case "BranchDelete":
		_, err = e.mut.dispatch(commands.TypeDeleteBranch, commands.DeleteBranch{Name: name})
	case "BranchMerge":
		_, err = e.mut.dispatch(commands.TypeMergeBranch, commands.BranchRef{Branch: name})
	case "BranchRebase":
		_, err = e.mut.dispatch(commands.TypeRebaseBranch, commands.BranchRef{Branch: name})
	}
	if err != nil {
		return err
	}
	out := map[string]any{"ok": true, "object": nil, "task": nil}
	if f.Name != "BranchDelete" {
		out["object"] = e.api.branchValue(name)
	}
	e.plain(w, f.SelectionSet, typ, out, path)
	return nil
}

func createBranchOf(name string, data map[string]any) commands.CreateBranch {
	in := commands.CreateBranch{Name: name}
	in.Description, _ = data["description"].(string)
	in.SyncWithGit, _ = data["sync_with_git"].(bool)
	return in
}

// branchTask submits the task of a branch mutation not waited for. As Infrahub's, every one but
// BranchCreate first checks that the branch exists.
func (x mutator) branchTask(w *jsonWriter, f *ast.Field, typ, name string, data map[string]any, path ast.Path) error {
	e := x.e
	workflow, params := commands.WorkflowCreateBranch, any(createBranchOf(name, data))
	switch f.Name {
	case "BranchDelete":
		workflow, params = commands.WorkflowDeleteBranch, commands.DeleteBranch{Name: name}
	case "BranchMerge":
		workflow, params = commands.WorkflowMergeBranchMutation, commands.BranchRef{Branch: name}
	case "BranchRebase":
		workflow, params = commands.WorkflowRebaseBranch, commands.BranchRef{Branch: name}
	}
	if f.Name != "BranchCreate" && !slices.ContainsFunc(e.api.allBranches(), func(b branch.Info) bool { return b.Name == name }) {
		return fmt.Errorf("%w: %q", branch.ErrNotFound, name)
	}
	id, err := x.submitTask(workflow, params)
	if err != nil {
		return err
	}
	out := map[string]any{"ok": true, "object": nil, "task": map[string]any{"id": id}}
	if f.Name == "BranchMerge" || f.Name == "BranchRebase" {
		out["object"] = e.api.branchValue(name)
	}
	e.plain(w, f.SelectionSet, typ, out, path)
	return nil
}
