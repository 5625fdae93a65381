package graphql

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/commands"
)

// poolGetResource answers InfrahubIPAddressPoolGetResource and InfrahubIPPrefixPoolGetResource:
// one pool.allocate command, then {ok, node{id kind identifier display_label branch}}.
func (x mutator) poolGetResource(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	in := commands.Allocate{Branch: e.scope.Branch}
	in.ID, _ = data["id"].(string)
	var err error
	if in.HFID, err = hfidOf(data["hfid"]); err != nil {
		return err
	}
	in.Identifier, _ = data["identifier"].(string)
	if n, ok := toInt(data["prefix_length"]); ok {
		in.PrefixLength = n
	}
	in.MemberType, _ = data["member_type"].(string)
	in.Kind, _ = data["prefix_type"].(string) // the SDK sends an address's kind as prefix_type too
	if kind, ok := data["address_type"].(string); ok && !strings.Contains(f.Name, "Prefix") {
		in.Kind = kind
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
	res, err := e.mut.dispatch(commands.TypeAllocate, in)
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
// from the read port, as of the query's scope.
func (e *exec) nextAvailable(w *jsonWriter, f *ast.Field, path ast.Path) {
	fail := func(err error) {
		e.fail(path, err)
		w.null()
	}
	args := f.ArgumentMap(e.vars)
	id, _ := args["prefix_id"].(string)
	length, _ := toInt(args["prefix_length"])
	key, value, ok, err := "address", "", false, error(nil)
	if f.Name == "InfrahubIPPrefixGetNextAvailable" {
		key = "prefix"
		if length == 0 {
			// without a length, the first free block whatever its size (pools/prefix.py
			// get_next_available_prefix with prefix_length None)
			value, ok, err = e.ipam.firstFree(id)
		} else {
			value, ok, err = e.x.Graph.NextAvailablePrefix(e.ctx, e.scope, id, length)
		}
	} else {
		value, ok, err = e.x.Graph.NextAvailableAddress(e.ctx, e.scope, id, length)
	}
	if err != nil {
		fail(fmt.Errorf("argument prefix_id: %w", err))
		return
	}
	if !ok {
		fail(fmt.Errorf("%w: prefix %s has no free %s", commands.ErrConflict, id, key))
		return
	}
	e.plain(w, f.SelectionSet, f.Definition.Type.Name(), map[string]any{key: value}, path)
}
