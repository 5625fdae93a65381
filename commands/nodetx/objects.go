package nodetx

import (
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// loadObject upserts one object of a file, its nested objects before or after it as their link
// requires; parent is the object it is nested in (zero at the top level).
func (t *Tx) loadObject(o objectfile.Object, parent graph.NodeID) (graph.NodeID, error) {
	m, err := t.parse.model(o.Kind)
	if err != nil {
		return graph.NodeID{}, sourced(o.Source, err)
	}
	data := make(Data, len(o.Attributes)+len(o.Relationships))
	for k, v := range o.Attributes {
		raw, err := json.Marshal(v)
		if err != nil {
			return graph.NodeID{}, sourced(o.Source, fmt.Errorf("%w: field %q: %v", fault.ErrInvalid, k, err))
		}
		data[k] = raw
	}
	// Nested objects that hang from this one's relationship are upserted first, and so are those
	// of a mandatory relationship that is not a component one (a pool's resources): this object
	// cannot exist without them, and its link makes both ends.
	first := func(c objectfile.Object) bool {
		if c.Link == nil {
			return false
		}
		if c.Link.Back == "" {
			return true
		}
		r, _, ok := relOf(m, c.Link.Relationship)
		return ok && r.Kind != schema.RelComponent && (r.Optional != nil && !*r.Optional || r.MinCount > 0)
	}
	before := map[string][]any{}
	for _, c := range o.Children {
		if first(c) {
			id, err := t.loadObject(c, graph.NodeID{})
			if err != nil {
				return graph.NodeID{}, err
			}
			before[c.Link.Relationship] = append(before[c.Link.Relationship], map[string]any{"id": id.String()})
		}
	}
	rels := map[string][]any{}
	for name, refs := range o.Relationships {
		list := make([]any, 0, len(refs))
		for _, r := range refs {
			switch {
			case r.Enclosing && parent.IsZero():
				// made before its parent: the parent's link will make this end too
			case r.Enclosing:
				list = append(list, map[string]any{"id": parent.String()})
			case r.FromPool != nil:
				list = append(list, map[string]any{"from_pool": r.FromPool})
			case r.ID != "":
				list = append(list, map[string]any{"id": r.ID})
			case len(r.HFID) == 1:
				// a name (objectfile.Ref): looked up as the name infrahubctl sends, {"id": name}
				list = append(list, map[string]any{"id": r.HFID[0], "kind": r.Kind})
			default:
				ref := map[string]any{"hfid": r.HFID}
				if r.Kind != "" {
					ref["kind"] = r.Kind
				}
				list = append(list, ref)
			}
		}
		if len(list) > 0 || len(refs) == 0 {
			rels[name] = list
		}
	}
	for name, list := range before {
		rels[name] = append(rels[name], list...)
	}
	for name, list := range rels {
		var v any = list
		if r, _, ok := relOf(m, name); ok && r.Cardinality == "one" {
			v = nil
			if len(list) > 0 {
				v = list[0]
			}
		}
		raw, _ := json.Marshal(v)
		data[name] = raw
	}
	out, err := t.Upsert(UpdateNode{Kind: o.Kind, Data: data})
	if err != nil {
		return graph.NodeID{}, sourced(o.Source, err)
	}
	id, err := graph.ParseNodeID(out.ID)
	if err != nil {
		return id, err
	}
	for _, c := range o.Children {
		if c.Link == nil || !first(c) {
			if _, err := t.loadObject(c, id); err != nil {
				return graph.NodeID{}, err
			}
		}
	}
	return id, nil
}

// LoadObjects upserts the objects of an object file (resolved against the branch's schema), in
// file order, each with its nested objects.
func (t *Tx) LoadObjects(objs []objectfile.Object) error {
	for i, o := range objs {
		if err := t.ctx.Err(); err != nil { // the caller left, or its deadline passed
			return fmt.Errorf("object %d of %d: %w", i+1, len(objs), err)
		}
		if _, err := t.loadObject(o, graph.NodeID{}); err != nil {
			return err
		}
	}
	return nil
}
