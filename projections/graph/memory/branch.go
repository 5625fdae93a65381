package memory

import (
	"context"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Diff implements graph.Differ.
func (r *Reader) Diff(ctx context.Context, name string) (branch.Diff, error) {
	if err := ctx.Err(); err != nil {
		return branch.Diff{}, err
	}
	if name == "" {
		name = branch.Default
	}
	return r.store.Diff(name)
}

// Dump implements graph.Dumper with nodes.View.Dump.
func (r *Reader) Dump(ctx context.Context, s graph.Scope) (graph.Dump, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return graph.Dump{}, err
	}
	d := graph.Dump{Branch: v.Branch, Position: v.Position}
	for _, n := range v.Dump() {
		out := graph.DumpedNode{ID: n.ID, Kind: n.Kind, HFID: n.HFID, DisplayLabel: n.DisplayLabel,
			Attributes: make(map[string]graph.DumpedAttribute, len(n.Attributes)), Relationships: n.Relationships}
		for name, a := range n.Attributes {
			out.Attributes[name] = graph.DumpedAttribute{Value: a.Value, IsDefault: a.IsDefault, Source: a.Source, Owner: a.Owner,
				IsProtected: a.IsProtected, Global: a.Global}
		}
		d.Nodes = append(d.Nodes, out)
	}
	return d, nil
}
