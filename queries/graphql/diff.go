package graphql

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// diffOf is a branch's diff, or an error naming the argument.
func (e *exec) diffOf(name string) (branch.Diff, error) {
	if name == "" {
		name = e.scope.Branch
	}
	d, err := e.x.Graph.Diff(e.ctx, name)
	if err != nil {
		return d, fmt.Errorf("argument branch: %w", err)
	}
	return d, nil
}

// diffTree answers DiffTree and DiffTreeSummary.
func (e *exec) diffTree(w *jsonWriter, f *ast.Field, path ast.Path) {
	args := f.ArgumentMap(e.vars)
	name, _ := args["branch"].(string)
	d, err := e.diffOf(name)
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	list := filterDiff(d.Nodes, args)
	counts := map[string]int{}
	for _, n := range list {
		counts[n.Action]++
	}
	conflicts := 0
	for _, n := range list {
		conflicts += nodeConflicts(n)
	}
	tree := map[string]any{
		"base_branch": e.x.Default, "diff_branch": d.Branch,
		"from_time": stamp(d.FromTime), "to_time": stamp(d.ToTime),
		"num_added": counts[branch.ActionAdded], "num_updated": counts[branch.ActionUpdated],
		"num_removed": counts[branch.ActionRemoved], "num_conflicts": conflicts,
		"num_untracked_base_changes": 0, "num_untracked_diff_changes": 0, "num_unchanged": 0, "name": nil,
	}
	if f.Name == "DiffTree" {
		offset, _ := toInt(args["offset"])
		limit, _ := toInt(args["limit"])
		list = list[min(max(offset, 0), len(list)):]
		if limit > 0 && len(list) > limit {
			list = list[:limit]
		}
		conflictsByID := map[string]branch.Conflict{}
		for _, c := range d.Conflicts {
			conflictsByID[c.ID] = c
		}
		items := make([]any, 0, len(list))
		for _, n := range list {
			items = append(items, diffNode(n, conflictsByID, d.ToTime))
		}
		tree["nodes"] = items
	}
	e.plain(w, f.SelectionSet, f.Definition.Type.Name(), tree, path)
}

// filterDiff applies DiffTree's filters: ids, status, kind and namespace (includes/excludes).
func filterDiff(list []branch.NodeDiff, args map[string]any) []branch.NodeDiff {
	filters, _ := args["filters"].(map[string]any)
	if filters == nil {
		return list
	}
	strs := func(v any) []string {
		var out []string
		items, _ := v.([]any)
		for _, x := range items {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	incExc := func(key string) (inc, exc []string) {
		m, _ := filters[key].(map[string]any)
		return strs(m["includes"]), strs(m["excludes"])
	}
	ids := strs(filters["ids"])
	sInc, sExc := incExc("status")
	kInc, kExc := incExc("kind")
	nInc, nExc := incExc("namespace")
	keep := func(v string, inc, exc []string) bool {
		return (len(inc) == 0 || slices.Contains(inc, v)) && !slices.Contains(exc, v)
	}
	var out []branch.NodeDiff
	for _, n := range list {
		ns := namespaceOf(n.Kind)
		if (len(ids) == 0 || slices.Contains(ids, n.ID)) && keep(n.Action, sInc, sExc) && keep(n.Kind, kInc, kExc) && keep(ns, nInc, nExc) {
			out = append(out, n)
		}
	}
	return out
}

// namespaceOf is the namespace of a kind: its leading capitalised word (DcimDevice → Dcim).
func namespaceOf(kind string) string {
	for i := 1; i < len(kind); i++ {
		if kind[i] >= 'A' && kind[i] <= 'Z' {
			return kind[:i]
		}
	}
	return kind
}

func nodeConflicts(n branch.NodeDiff) int {
	c := 0
	if n.Conflict != "" {
		c++
	}
	for _, a := range n.Attributes {
		if a.Conflict != "" {
			c++
		}
	}
	for _, r := range n.Relationships {
		if r.Conflict != "" {
			c++
		}
	}
	return c
}

func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// text renders a value for the String fields of a diff (JSON for lists and objects).
func text(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case []string:
		if len(x) == 0 {
			return nil
		}
		if len(x) == 1 {
			return x[0]
		}
	case float64, bool, int, int64:
		return fmt.Sprint(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

func actionOf(prev, next any) string {
	switch {
	case prev == nil && next != nil:
		return branch.ActionAdded
	case prev != nil && next == nil:
		return branch.ActionRemoved
	}
	return branch.ActionUpdated
}

func selection(keep string) any {
	switch keep {
	case branch.KeepBase:
		return "BASE_BRANCH"
	case branch.KeepBranch:
		return "DIFF_BRANCH"
	}
	return nil
}

// conflictDetails is a ConflictDetails object.
func conflictDetails(c branch.Conflict, at time.Time) any {
	mainAction, branchAction := branch.ActionUpdated, branch.ActionUpdated
	if c.Path == "node" {
		if c.Main == "deleted" {
			mainAction = branch.ActionRemoved
		}
		if c.Branch == "deleted" {
			branchAction = branch.ActionRemoved
		}
	} else {
		mainAction, branchAction = actionOf(c.Base, c.Main), actionOf(c.Base, c.Branch)
	}
	return map[string]any{"uuid": c.ID, "base_branch_action": mainAction, "base_branch_value": text(c.Main),
		"base_branch_changed_at": stamp(at), "base_branch_label": nil, "diff_branch_action": branchAction,
		"diff_branch_value": text(c.Branch), "diff_branch_changed_at": stamp(at), "diff_branch_label": nil,
		"selected_branch": selection(c.Selected), "resolvable": true}
}

func counted(m map[string]any, action string, conflict bool) map[string]any {
	m["num_added"], m["num_updated"], m["num_removed"], m["num_conflicts"] = 0, 0, 0, 0
	switch action {
	case branch.ActionAdded:
		m["num_added"] = 1
	case branch.ActionRemoved:
		m["num_removed"] = 1
	default:
		m["num_updated"] = 1
	}
	if conflict {
		m["num_conflicts"] = 1
	}
	return m
}

// diffNode is a DiffNode object.
func diffNode(n branch.NodeDiff, conflicts map[string]branch.Conflict, end time.Time) map[string]any {
	at := n.ChangedAt
	base := "data/" + n.ID
	var attrs, rels []any
	counts := map[string]int{}
	contains := n.Conflict != ""
	for _, a := range n.Attributes {
		action := actionOf(a.Previous, a.New)
		counts[action]++
		var conflict any
		if c, ok := conflicts[a.Conflict]; ok && a.Conflict != "" {
			conflict = conflictDetails(c, at)
			contains = true
		}
		var props []any
		if !reflect.DeepEqual(a.Previous, a.New) {
			props = append(props, map[string]any{"property_type": "HAS_VALUE", "last_changed_at": stamp(at), "previous_value": text(a.Previous),
				"new_value": text(a.New), "previous_label": nil, "new_label": nil, "status": action,
				"path_identifier": base + "/" + a.Name + "/value", "conflict": nil})
		}
		for _, p := range a.Properties {
			typ := map[string]string{"is_protected": "IS_PROTECTED", "source": "HAS_SOURCE", "owner": "HAS_OWNER"}[p.Name]
			props = append(props, map[string]any{"property_type": typ, "last_changed_at": stamp(at), "previous_value": text(p.Previous),
				"new_value": text(p.New), "previous_label": nil, "new_label": nil, "status": actionOf(p.Previous, p.New),
				"path_identifier": base + "/" + a.Name + "/property/" + typ, "conflict": nil})
		}
		attrs = append(attrs, counted(map[string]any{"name": a.Name, "last_changed_at": stamp(at), "status": action,
			"path_identifier": base + "/" + a.Name, "properties": orEmpty(props), "contains_conflict": conflict != nil,
			"conflict": conflict}, action, conflict != nil))
	}
	for _, r := range n.Relationships {
		counts[branch.ActionUpdated]++
		var conflict any
		if c, ok := conflicts[r.Conflict]; ok && r.Conflict != "" {
			conflict = conflictDetails(c, at)
			contains = true
		}
		var elements []any
		element := func(peer, action string) {
			prev, next := any(nil), any(peer)
			if action == branch.ActionRemoved {
				prev, next = peer, nil
			}
			var prevLabel, nextLabel any
			if label, ok := r.Labels[peer]; ok {
				if prev != nil {
					prevLabel = label
				} else {
					nextLabel = label
				}
			}
			prop := map[string]any{"property_type": "IS_RELATED", "last_changed_at": stamp(at), "previous_value": prev,
				"new_value": next, "previous_label": prevLabel, "new_label": nextLabel, "status": action,
				"path_identifier": base + "/" + r.Name + "/" + peer + "/peer", "conflict": nil}
			elements = append(elements, counted(map[string]any{"last_changed_at": stamp(at), "status": action, "peer_id": peer,
				"peer_label": r.Labels[peer], "path_identifier": base + "/" + r.Name + "/" + peer, "contains_conflict": conflict != nil,
				"conflict": conflict, "properties": []any{prop}}, action, conflict != nil))
		}
		for _, p := range r.Added {
			element(p, branch.ActionAdded)
		}
		for _, p := range r.Removed {
			element(p, branch.ActionRemoved)
		}
		rels = append(rels, counted(map[string]any{"name": r.Name, "label": r.Name, "last_changed_at": stamp(at),
			"cardinality": strings.ToUpper(r.Cardinality), "status": branch.ActionUpdated, "path_identifier": base + "/" + r.Name,
			"elements": elements, "contains_conflict": conflict != nil}, branch.ActionUpdated, conflict != nil))
	}
	var conflict any
	if c, ok := conflicts[n.Conflict]; ok && n.Conflict != "" {
		conflict = conflictDetails(c, end)
	}
	var parent any
	if n.Parent != nil {
		parent = map[string]any{"uuid": n.Parent.ID, "kind": n.Parent.Kind, "relationship_name": n.Parent.Relationship}
	}
	return map[string]any{"uuid": n.ID, "kind": n.Kind, "label": n.Label, "status": n.Action, "path_identifier": base,
		"conflict": conflict, "contains_conflict": contains, "last_changed_at": stamp(at), "parent": parent,
		"attributes": orEmpty(attrs), "relationships": orEmpty(rels),
		"num_added": counts[branch.ActionAdded], "num_updated": counts[branch.ActionUpdated],
		"num_removed": counts[branch.ActionRemoved], "num_conflicts": nodeConflicts(n)}
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// branchValidate answers BranchValidate: ok when the branch has no unresolved conflict, and a
// message per conflict.
func (x mutator) branchValidate(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	name, _ := data["name"].(string)
	if name == "" {
		return fmt.Errorf("%w: data.name is missing", commands.ErrInvalid)
	}
	d, err := e.diffOf(name)
	if err != nil {
		return err
	}
	messages := []any{}
	for _, c := range d.Conflicts {
		state := "unresolved"
		if c.Selected != "" {
			state = "resolved for " + c.Selected
		}
		messages = append(messages, fmt.Sprintf("conflict %s on %s %s%s %s: main %v, branch %v (%s)",
			c.ID, c.Kind, c.Node, c.Key, c.Path, text(c.Main), text(c.Branch), state))
	}
	e.plain(w, f.SelectionSet, typ, map[string]any{"ok": d.Counts.Unresolved == 0, "messages": messages,
		"object": e.api.branchValue(name), "task": nil}, path)
	return nil
}

// resolveConflict answers ResolveDiffConflict: the conflict's branch is found among the open
// branches' diffs (Infrahub's input names the conflict only).
func (x mutator) resolveConflict(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	id, _ := data["conflict_id"].(string)
	keep := map[any]string{"BASE_BRANCH": branch.KeepBase, "DIFF_BRANCH": branch.KeepBranch}[data["selected_branch"]]
	if e.x.Branches == nil {
		return fmt.Errorf("%w: ResolveDiffConflict is %w", graph.ErrInvalidQuery, errNotServed)
	}
	for _, b := range e.x.Branches() {
		if b.IsDefault || b.Status == branch.StatusMerged {
			continue
		}
		d, err := e.x.Graph.Diff(e.ctx, b.Name)
		if err != nil {
			continue
		}
		for _, c := range d.Conflicts {
			if c.ID != id {
				continue
			}
			if _, err := e.mut.dispatch(commands.TypeResolveConflict, commands.ResolveConflict{Branch: b.Name, Conflict: id, Keep: keep}); err != nil {
				return err
			}
			e.plain(w, f.SelectionSet, typ, map[string]any{"ok": true}, path)
			return nil
		}
	}
	return fmt.Errorf("%w: data.conflict_id: no open branch has conflict %q", commands.ErrNotFound, id)
}

// diffUpdate answers DiffUpdate. Diffs are kept up to date as the branches change, so there is
// nothing to compute: waited for (wait_until_completion: true, or data.wait_for_completion:
// true), the branch must exist; otherwise, Infrahub's default, it is a diff-update task (whose
// worker checks the same) and the answer carries its id.
func (x mutator) diffUpdate(w *jsonWriter, f *ast.Field, typ string, args, data map[string]any, path ast.Path) error {
	e := x.e
	in := commands.DiffUpdate{}
	in.Branch, _ = data["branch"].(string)
	in.Name, _ = data["name"].(string)
	in.FromTime, _ = data["from_time"].(string)
	in.ToTime, _ = data["to_time"].(string)
	if err := in.Check(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := e.diffOf(in.Branch); err != nil {
		return err
	}
	out := map[string]any{"ok": true, "task": nil}
	if forced, _ := data["wait_for_completion"].(bool); !forced && !waitOf(args, false) {
		id, err := x.submitTask(commands.WorkflowDiffUpdate, in)
		if err != nil {
			return err
		}
		out["task"] = map[string]any{"id": id}
	}
	e.plain(w, f.SelectionSet, typ, out, path)
	return nil
}
