package graphql

import (
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/projections/graph"
)

// omitted is what a list of nodes answered under sets need not read of them (graph.Query.Omit):
// the human-friendly id unless a field hfid is asked, the display label unless display_label
// is, the metadata unless node_metadata, relationship_metadata, _updated_at or an attribute's
// updated_at is. It looks for those names anywhere below sets (fragments included, the
// selections of other levels too), so it only ever omits what nothing there reads.
func omitted(doc *ast.QueryDocument, sets ...ast.SelectionSet) graph.NodeParts {
	omit := graph.OmitHFID | graph.OmitLabel | graph.OmitMeta
	seen := map[string]bool{} // fragments walked
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			switch x := s.(type) {
			case *ast.Field:
				switch x.Name {
				case "hfid":
					omit &^= graph.OmitHFID
				case "display_label":
					omit &^= graph.OmitLabel
				case "node_metadata", "relationship_metadata", "_updated_at", "updated_at":
					omit &^= graph.OmitMeta
				}
				walk(x.SelectionSet)
			case *ast.InlineFragment:
				walk(x.SelectionSet)
			case *ast.FragmentSpread:
				if seen[x.Name] {
					continue
				}
				seen[x.Name] = true
				def := x.Definition
				if def == nil && doc != nil {
					def = doc.Fragments.ForName(x.Name)
				}
				if def == nil {
					omit = 0
					continue
				}
				walk(def.SelectionSet)
			default:
				omit = 0
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return omit
}
