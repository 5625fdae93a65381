package graphql

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/schema"
)

// expandDirective is Infrahub's @expand(exclude: [String], add_properties: Boolean): a field
// carrying it gets __typename; on the `node` of the `edges` of a top-level <Kind> query it also
// gets the node's id and, for each attribute of the kind (but those in exclude), {value
// is_default is_from_profile} (with add_properties, also is_protected, source and owner {id
// display_label __typename} and updated_at).
const expandDirective = "expand"

func hasExpand(ds ast.DirectiveList) *ast.Directive {
	return ds.ForName(expandDirective)
}

// expandRoot applies @expand's node expansion to the top-level fields of an operation: it
// returns a copy of set in which every `node @expand` under the `edges` of a <Kind> query holds
// the generated selections. The validated document is left unchanged (it is cached).
func (x selector) expandRoot(set ast.SelectionSet) ast.SelectionSet {
	e := x.e
	out := slices.Clone(set)
	for i, sel := range out {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		model, ok := e.set.Model(f.Name)
		if !ok {
			continue
		}
		edges := slices.Clone(f.SelectionSet)
		changed := false
		for j, es := range edges {
			ef, ok := es.(*ast.Field)
			if !ok || ef.Name != "edges" {
				continue
			}
			nodes := slices.Clone(ef.SelectionSet)
			for k, ns := range nodes {
				nf, ok := ns.(*ast.Field)
				if !ok || nf.Name != "node" {
					continue
				}
				d := hasExpand(nf.Directives)
				if d == nil {
					continue
				}
				args := d.ArgumentMap(e.vars)
				var exclude []string
				if list, ok := args["exclude"].([]any); ok {
					for _, v := range list {
						if s, ok := v.(string); ok {
							exclude = append(exclude, s)
						}
					}
				}
				props, _ := args["add_properties"].(bool)
				copied := *nf
				copied.SelectionSet = append(slices.Clip(nf.SelectionSet), generatedNode(model.Attributes, exclude, props, nf.Position)...)
				nodes[k] = &copied
				changed = true
			}
			if changed {
				ec := *ef
				ec.SelectionSet = nodes
				edges[j] = &ec
			}
		}
		if changed {
			fc := *f
			fc.SelectionSet = edges
			out[i] = &fc
		}
	}
	return out
}

// generatedNode is the selection @expand adds to a node: id and its attributes.
func generatedNode(attrs []*schema.Attribute, exclude []string, props bool, pos *ast.Position) ast.SelectionSet {
	leaf := func(name string) *ast.Field { return &ast.Field{Name: name, Position: pos} }
	ref := func(name string) *ast.Field {
		return &ast.Field{Name: name, Position: pos, SelectionSet: ast.SelectionSet{leaf("id"), leaf("display_label"), leaf("__typename")}}
	}
	out := ast.SelectionSet{leaf("id")}
	for _, a := range attrs {
		if a.State == schema.StateAbsent || slices.Contains(exclude, a.Name) {
			continue
		}
		sub := ast.SelectionSet{leaf("value"), leaf("is_default"), leaf("is_from_profile")}
		if props {
			sub = append(sub, leaf("is_protected"), ref("source"), ref("owner"), leaf("updated_at"))
		}
		out = append(out, &ast.Field{Name: a.Name, Position: pos, SelectionSet: sub})
	}
	return out
}

// withTypename returns f with __typename added to its selection when it carries @expand and does
// not select it already.
func withTypename(f *ast.Field) *ast.Field {
	if len(f.SelectionSet) == 0 || hasExpand(f.Directives) == nil {
		return f
	}
	for _, s := range f.SelectionSet {
		if sf, ok := s.(*ast.Field); ok && sf.Name == "__typename" && sf.Alias == "" {
			return f
		}
	}
	copied := *f
	copied.SelectionSet = append(slices.Clip(f.SelectionSet), &ast.Field{Name: "__typename", Position: f.Position})
	return &copied
}
