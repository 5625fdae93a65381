package graphql

import (
	"fmt"
	"math"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// A document is measured after parsing and before validation (gqlparser's validator expands
// fragments per use in places: a 1.4 KB document of 29 fragments, each spreading the next twice,
// never finished). The measure is linear in the document's size: each fragment is measured once
// and its measure reused at every spread.

// cost is the measure of a selection set with every fragment spread expanded.
type cost struct {
	selections int64 // fields, inline fragments and spreads, each spread counted per use
	aliases    int64 // aliased fields, per use
	depth      int   // nested field levels: { a { b } } is 2
}

// costCap keeps sums from overflowing: a measure this large is refused anyway.
const costCap = math.MaxInt64 / 4

func capped(a, b int64) int64 {
	if a > costCap-b {
		return costCap
	}
	return a + b
}

func (c cost) add(o cost) cost {
	return cost{capped(c.selections, o.selections), capped(c.aliases, o.aliases), max(c.depth, o.depth)}
}

// errFragmentCycle refuses a fragment that spreads itself (the validator would refuse it too,
// after the work this measure exists to avoid).
var errFragmentCycle = fault.New(fault.ErrInvalid, "fragment cycle")

// measurer measures one document.
type measurer struct {
	frags map[string]*ast.FragmentDefinition
	done  map[*ast.FragmentDefinition]cost
	open  map[*ast.FragmentDefinition]bool // being measured: a spread of one is a cycle
}

// measure answers the cost of a parsed document: its selections summed over its operations and
// fragment definitions (the validator walks each), the deepest nesting of any of them, and the
// aliases of its operations.
func measure(doc *ast.QueryDocument) (cost, error) {
	m := &measurer{frags: fragmentsOf(doc), done: map[*ast.FragmentDefinition]cost{}, open: map[*ast.FragmentDefinition]bool{}}
	var total cost
	for _, op := range doc.Operations {
		c, err := m.set(op.SelectionSet)
		if err != nil {
			return cost{}, err
		}
		total = total.add(c)
	}
	for _, f := range doc.Fragments {
		c, err := m.fragment(f)
		if err != nil {
			return cost{}, err
		}
		c.aliases = 0 // counted where the fragment is spread
		total = total.add(c)
	}
	return total, nil
}

// fragmentsOf indexes a document's fragments by name (the first of a name: the validator
// refuses the others).
func fragmentsOf(doc *ast.QueryDocument) map[string]*ast.FragmentDefinition {
	out := make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
	for _, f := range doc.Fragments {
		if _, dup := out[f.Name]; !dup {
			out[f.Name] = f
		}
	}
	return out
}

func (m *measurer) set(set ast.SelectionSet) (cost, error) {
	var out cost
	for _, sel := range set {
		var c cost
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			c, err = m.set(s.SelectionSet)
			c.depth++
			if s.Alias != "" && s.Alias != s.Name {
				c.aliases = capped(c.aliases, 1)
			}
		case *ast.InlineFragment:
			c, err = m.set(s.SelectionSet)
		case *ast.FragmentSpread:
			if def := m.frags[s.Name]; def != nil { // an unknown fragment is the validator's to report
				c, err = m.fragment(def)
			}
		}
		if err != nil {
			return cost{}, err
		}
		c.selections = capped(c.selections, 1)
		out.selections = capped(out.selections, c.selections)
		out.aliases = capped(out.aliases, c.aliases)
		out.depth = max(out.depth, c.depth)
	}
	return out, nil
}

func (m *measurer) fragment(def *ast.FragmentDefinition) (cost, error) {
	if c, ok := m.done[def]; ok {
		return c, nil
	}
	if m.open[def] {
		return cost{}, fmt.Errorf("%w: fragment %s spreads itself", errFragmentCycle, def.Name)
	}
	m.open[def] = true
	c, err := m.set(def.SelectionSet)
	if err != nil {
		return cost{}, err
	}
	delete(m.open, def)
	m.done[def] = c
	return c, nil
}

// admit measures a parsed document and refuses it, before it is validated, when it exceeds the
// limits; the error's extensions.code is code.
func admit(doc *ast.QueryDocument, l limits.Limits) (c cost, code string, err error) {
	c, err = measure(doc)
	if err != nil {
		return cost{}, CodeValidation, err
	}
	switch {
	case c.depth > l.QueryDepth:
		err = limits.Exceeded("the document's nesting of fields", int64(c.depth), int64(l.QueryDepth), "INFRAHUB_GRAPHQL_MAX_DEPTH")
	case c.selections > int64(l.QueryCost):
		err = limits.Exceeded("the document's cost in selections (its operations and fragments, every spread counted per use)", c.selections,
			int64(l.QueryCost), "INFRAHUB_GRAPHQL_MAX_COST")
	case c.aliases > int64(l.QueryAliases):
		err = limits.Exceeded("the document's aliased fields (every fragment spread counted per use)", c.aliases,
			int64(l.QueryAliases), "INFRAHUB_GRAPHQL_MAX_ALIASES")
	default:
		// Within the cost, expanding every fragment is cheap; fields selected under the same name
		// in one selection set are compared in pairs by the validator (and by execution's merge).
		if pairs := samePairs(doc); pairs > int64(l.QueryCost) {
			err = limits.Exceeded("the document's pairs of fields selected under the same name in a selection set", pairs,
				int64(l.QueryCost), "INFRAHUB_GRAPHQL_MAX_COST")
		}
	}
	if err != nil {
		return cost{}, CodeLimit, err
	}
	return c, "", nil
}

// samePairs counts, in every selection set of the document with its fragments expanded and the
// selections of fields of the same name merged, the pairs of fields of the same response name:
// a bound of the work of the validator's rule that fields of the same name can merge. Only called
// on a document within the cost limit without cycles: the expansion is bounded by that cost.
func samePairs(doc *ast.QueryDocument) int64 {
	frags := fragmentsOf(doc)
	var pairs int64
	var merged func(sets []ast.SelectionSet)
	merged = func(sets []ast.SelectionSet) {
		groups := map[string][]*ast.Field{}
		var keys []string
		var gather func(ast.SelectionSet)
		gather = func(set ast.SelectionSet) {
			for _, sel := range set {
				switch s := sel.(type) {
				case *ast.Field:
					k := s.Alias
					if k == "" {
						k = s.Name
					}
					if _, ok := groups[k]; !ok {
						keys = append(keys, k)
					}
					groups[k] = append(groups[k], s)
				case *ast.InlineFragment:
					gather(s.SelectionSet)
				case *ast.FragmentSpread:
					if def := frags[s.Name]; def != nil {
						gather(def.SelectionSet)
					}
				}
			}
		}
		for _, set := range sets {
			gather(set)
		}
		for _, k := range keys {
			fields := groups[k]
			n := int64(len(fields))
			pairs = capped(pairs, n*(n-1)/2)
			var subs []ast.SelectionSet
			for _, f := range fields {
				if len(f.SelectionSet) > 0 {
					subs = append(subs, f.SelectionSet)
				}
			}
			if len(subs) > 0 {
				merged(subs)
			}
		}
	}
	for _, op := range doc.Operations {
		merged([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		merged([]ast.SelectionSet{f.SelectionSet})
	}
	return pairs
}
