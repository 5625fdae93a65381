package graphql

import (
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/commands"
	pgraph "github.com/infrahub-go/infrahub/projections/graph"
)

// poolGetResource answers InfrahubIPAddressPoolGetResource and InfrahubIPPrefixPoolGetResource:
// one pool.allocate command, then {ok, node{id kind identifier display_label branch}}.
func (e *exec) poolGetResource(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	in := commands.Allocate{Branch: e.scope.Branch}
	in.ID, _ = data["id"].(string)
	if list, ok := data["hfid"].([]any); ok {
		for _, x := range list {
			in.HFID = append(in.HFID, fmt.Sprint(x))
		}
	}
	in.Identifier, _ = data["identifier"].(string)
	if n, ok := toInt(data["prefix_length"]); ok {
		in.PrefixLength = n
	}
	in.MemberType, _ = data["member_type"].(string)
	if f.Name == "InfrahubIPPrefixPoolGetResource" {
		in.Kind, _ = data["prefix_type"].(string)
	} else {
		in.Kind, _ = data["address_type"].(string)
	}
	if d, ok := data["data"].(map[string]any); ok {
		in.Data = commands.Data{}
		for k, v := range d {
			raw, err := json.Marshal(clean(v))
			if err != nil {
				return fmt.Errorf("%w: data.%s: %v", commands.ErrInvalid, k, err)
			}
			in.Data[k] = raw
		}
	} else if data["data"] != nil {
		return fmt.Errorf("%w: data.data: want an object of attribute and relationship values", commands.ErrInvalid)
	}
	res, err := e.dispatch(commands.TypeAllocate, in)
	if err != nil {
		return err
	}
	out, _ := res.Data.(commands.NodeOutcome)
	node := map[string]any{"id": out.ID, "kind": out.Kind, "display_label": out.DisplayLabel, "branch": e.scope.Branch}
	if in.Identifier != "" {
		node["identifier"] = in.Identifier
	}
	e.plain(w, f.SelectionSet, typ, map[string]any{"ok": true, "node": node}, path)
	return nil
}

// nextAvailable answers InfrahubIPAddressGetNextAvailable and InfrahubIPPrefixGetNextAvailable
// from the branch's state, as of the query's time.
func (e *exec) nextAvailable(w *jsonWriter, f *ast.Field, path ast.Path) {
	fail := func(err error) {
		e.fail(path, err)
		w.null()
	}
	if e.x.View == nil {
		fail(fmt.Errorf("%w: %s is %w", pgraph.ErrInvalidQuery, f.Name, errNotServed))
		return
	}
	args := f.ArgumentMap(e.vars)
	raw, _ := args["prefix_id"].(string)
	id, err := graph.ParseNodeID(raw)
	if err != nil {
		fail(fmt.Errorf("%w: argument prefix_id: %q is not a node id", pgraph.ErrInvalidQuery, raw))
		return
	}
	length, _ := toInt(args["prefix_length"])
	v, err := e.x.View(e.scope.Branch, e.scope.At)
	if err != nil {
		fail(fmt.Errorf("%w: branch %s: %v", pgraph.ErrInvalidQuery, e.scope.Branch, err))
		return
	}
	key, value, ok := "address", "", false
	if f.Name == "InfrahubIPPrefixGetNextAvailable" {
		key = "prefix"
		if length == 0 {
			fail(fmt.Errorf("%w: argument prefix_length is required", pgraph.ErrInvalidQuery))
			return
		}
		value, ok, err = v.NextAvailablePrefix(id, length)
	} else {
		value, ok, err = v.NextAvailableAddress(id, length)
	}
	if err != nil {
		fail(fmt.Errorf("%w: argument prefix_id: %v", pgraph.ErrInvalidQuery, err))
		return
	}
	if !ok {
		fail(fmt.Errorf("%w: prefix %s has no free %s", commands.ErrConflict, id, key))
		return
	}
	e.plain(w, f.SelectionSet, f.Definition.Type.Name(), map[string]any{key: value}, path)
}
