package graphql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// A list reads the parts of its nodes (human-friendly id, display label, metadata) a field
// asks for wherever it is asked: in the node, in a fragment, at the edge, in an attribute, in
// a relationship's peers; the same fields answer the same whether given inline or by fragment.
func TestListReadsThePartsAsked(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	ctx := context.Background()
	inline := `{ TestDevice { edges { node_metadata { created_at updated_at } node { id hfid display_label _updated_at
		name { value updated_at } site { node { hfid display_label } } } } } }`
	fragments := `{ TestDevice { edges { ...E node { ...N } } } }
		fragment E on EdgedTestDevice { node_metadata { created_at updated_at } }
		fragment N on TestDevice { id ... on TestDevice { hfid display_label } _updated_at name { ...A } site { node { ...P } } }
		fragment A on TextAttribute { value updated_at }
		fragment P on TestSite { hfid display_label }`
	a := f.x.Execute(ctx, graphql.Request{Query: inline})
	b := f.x.Execute(ctx, graphql.Request{Query: fragments})
	if len(a.Errors) > 0 || len(b.Errors) > 0 {
		t.Fatalf("errors: %v / %v", a.Errors, b.Errors)
	}
	if string(a.Data) != string(b.Data) {
		t.Errorf("inline and by fragments differ:\n%s\n%s", a.Data, b.Data)
	}
	for _, want := range []string{`"hfid":["r1"]`, `"display_label":"r1 (core)"`, `"hfid":["paris"]`, `"created_at":"20`, `"_updated_at":"20`} {
		if !strings.Contains(string(a.Data), want) {
			t.Errorf("the answer lacks %s: %s", want, a.Data)
		}
	}
	if strings.Contains(string(a.Data), `"updated_at":null`) {
		t.Errorf("an updated_at is null: %s", a.Data)
	}
}
