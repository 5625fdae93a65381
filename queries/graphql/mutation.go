package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// mutations runs the fields of a mutation one after the other, each as a command, and answers
// each with what it wrote (read-your-writes).
func (x mutator) mutations(w *jsonWriter, set ast.SelectionSet, def *ast.Definition) {
	e := x.e
	w.beginObject()
	for _, f := range e.sel.collect(set, def.Name) {
		if !e.live() { // the mutations not begun are not made
			return
		}
		key := keyOf(f)
		path := ast.Path{ast.PathName(key)}
		w.key(key)
		if f.Name == "__typename" {
			w.value(def.Name)
		} else if err := e.mut.mutation(w, f, path); err != nil {
			e.fail(path, err)
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
}

var errNotServed = errors.New("not served yet")

// dispatch runs a command and waits until the reads see what it wrote.
func (x mutator) dispatch(typ string, payload any) (commands.Result, error) {
	e := x.e
	if e.x.Dispatch == nil {
		return commands.Result{}, fmt.Errorf("%w: mutations are not accepted by this server", commands.ErrInvalid)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := e.x.Dispatch(e.ctx, commands.Command{Type: typ, Payload: raw})
	if err != nil {
		return res, err
	}
	if n := len(res.Positions); n > 0 {
		if err := e.x.Graph.WaitFor(e.ctx, res.Positions[n-1]); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (x mutator) mutation(w *jsonWriter, f *ast.Field, path ast.Path) error {
	e := x.e
	args := f.ArgumentMap(e.vars)
	data, _ := args["data"].(map[string]any)
	typ := f.Definition.Type.Name()
	switch f.Name {
	case "BranchCreate", "BranchDelete", "BranchMerge", "BranchRebase":
		return e.mut.branchMutation(w, f, typ, args, data, path)
	case "BranchValidate":
		return e.mut.branchValidate(w, f, typ, data, path)
	case "SchemaDropdownAdd", "SchemaDropdownRemove", "SchemaEnumAdd", "SchemaEnumRemove":
		return e.mut.schemaChoice(w, f, typ, data, path)
	case "ResolveDiffConflict":
		return e.mut.resolveConflict(w, f, typ, data, path)
	case "DiffUpdate":
		return e.mut.diffUpdate(w, f, typ, args, data, path)
	case "InfrahubTaskCancel", "InfrahubTaskRetry":
		return e.mut.taskAction(w, f, typ, data, path)
	case "InfrahubRepositoryProcess", "InfrahubReadOnlyRepositoryImportLastCommit", "InfrahubRepositoryConnectivity":
		return e.mut.repositoryMutation(w, f, typ, data, path)
	case "InfrahubAccountTokenCreate", "InfrahubAccountTokenDelete", "InfrahubAccountSelfUpdate":
		return e.mut.accountMutation(w, f, typ, data, path)
	case "InfrahubIPAddressPoolGetResource", "InfrahubIPPrefixPoolGetResource", "IPAddressPoolGetResource", "IPPrefixPoolGetResource":
		return e.mut.poolGetResource(w, f, typ, data, path)
	case "RelationshipAdd", "RelationshipRemove":
		cmd := commands.TypeAddPeers
		if f.Name == "RelationshipRemove" {
			cmd = commands.TypeRemovePeers
		}
		id, _ := data["id"].(string)
		name, _ := data["name"].(string)
		var peers []json.RawMessage
		list, _ := data["nodes"].([]any)
		for _, p := range list {
			raw, _ := json.Marshal(clean(p))
			peers = append(peers, raw)
		}
		if _, err := e.mut.dispatch(cmd, commands.RelationshipPeers{Branch: e.scope.Branch, ID: id, Name: name, Peers: peers}); err != nil {
			return err
		}
		e.plain(w, f.SelectionSet, typ, map[string]any{"ok": true}, path)
		return nil
	}
	for _, op := range []string{"Create", "Update", "Upsert", "Delete"} {
		kind, ok := strings.CutSuffix(f.Name, op)
		if !ok {
			continue
		}
		if _, known := e.set.Model(kind); !known {
			break
		}
		return e.mut.nodeMutation(w, f, kind, op, data, typ, path)
	}
	return fmt.Errorf("%w: mutation %s is %w", graph.ErrInvalidQuery, f.Name, errNotServed)
}

// clean drops the null entries of an input and the properties we do not take (is_default,
// is_visible): a field given null in GraphQL is a field not given.
func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if val == nil || k == "is_default" || k == "is_visible" {
				continue
			}
			out[k] = clean(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = clean(val)
		}
		return out
	}
	return v
}

// hfidOf reads an hfid argument: a list of strings (or of numbers, as text); a null element is
// refused rather than looked up as "<nil>".
func hfidOf(v any) ([]string, error) {
	list, _ := v.([]any)
	var out []string
	for i, p := range list {
		if p == nil {
			return nil, fmt.Errorf("%w: hfid: element %d is null", graph.ErrInvalidQuery, i)
		}
		out = append(out, fmt.Sprint(p))
	}
	return out, nil
}

func (x mutator) nodeMutation(w *jsonWriter, f *ast.Field, kind, op string, data map[string]any, typ string, path ast.Path) error {
	e := x.e
	id, _ := data["id"].(string)
	hfid, err := hfidOf(data["hfid"])
	if err != nil {
		return err
	}
	fields := commands.Data{}
	for k, v := range data {
		if k == "id" || k == "hfid" || v == nil {
			continue
		}
		raw, err := json.Marshal(clean(v))
		if err != nil {
			return err
		}
		fields[k] = raw
	}
	var res commands.Result
	switch op {
	case "Create":
		res, err = e.mut.dispatch(commands.TypeCreateNode, commands.CreateNode{Branch: e.scope.Branch, Kind: kind, ID: id, Data: fields})
	case "Update":
		res, err = e.mut.dispatch(commands.TypeUpdateNode, commands.UpdateNode{Branch: e.scope.Branch, Kind: kind, ID: id, HFID: hfid, Data: fields})
	case "Upsert":
		res, err = e.mut.dispatch(commands.TypeUpsertNode, commands.UpdateNode{Branch: e.scope.Branch, Kind: kind, ID: id, HFID: hfid, Data: fields})
	case "Delete":
		res, err = e.mut.dispatch(commands.TypeDeleteNode, commands.DeleteNode{Branch: e.scope.Branch, Kind: kind, ID: id, HFID: hfid})
	}
	if err != nil {
		return err
	}
	out, _ := res.Data.(commands.NodeOutcome)
	w.beginObject()
	for _, sf := range e.sel.collect(f.SelectionSet, typ) {
		key := keyOf(sf)
		w.key(key)
		switch sf.Name {
		case "__typename":
			w.value(typ)
		case "ok":
			w.value(true)
		case "object":
			n, gerr := e.x.Graph.Get(e.ctx, e.scope, out.ID)
			if gerr != nil {
				e.fail(append(path, ast.PathName(key)), gerr)
				w.null()
				break
			}
			lv := e.prefetch([]graph.Node{n}, sf.SelectionSet, path)
			e.node(w, sf.SelectionSet, n, lv, append(path, ast.PathName(key)))
		default:
			w.null()
		}
		w.valueDone()
	}
	w.endObject()
	return nil
}
