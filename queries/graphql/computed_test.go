package graphql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

const computedGQLSchema = `
version: "1.0"
nodes:
  - name: Site
    namespace: Cmp
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Cmp
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ name__value }}.{{ site__name__value }}.example.com"
    relationships:
      - {name: site, peer: CmpSite, cardinality: one, kind: Attribute}
`

// Computed attributes through GraphQL: computed by the create mutation, read like any
// attribute, recomputed when the peer changes, refused as input.
func TestComputedAttributeGraphQL(t *testing.T) {
	f := newFixture(t, computedGQLSchema)
	do := func(doc string) string {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
		return fmt.Sprint(out["data"])
	}
	do(`mutation { CmpSiteCreate(data: {name: {value: "par"}}) { ok } }`)
	got := do(`mutation { CmpDeviceCreate(data: {name: {value: "r1"}, site: {hfid: ["par"]}}) { ok object { fqdn { value } } } }`)
	if !strings.Contains(got, "fqdn:map[value:r1.par.example.com]") {
		t.Fatalf("create: %s", got)
	}
	do(`mutation { CmpSiteUpdate(data: {hfid: ["par"], name: {value: "paris"}}) { ok } }`)
	if got := do(`{ CmpDevice { edges { node { fqdn { value } } } } }`); !strings.Contains(got, "value:r1.paris.example.com") {
		t.Fatalf("after the site's rename: %s", got)
	}
	out := run(t, f, graphql.Request{Query: `mutation { CmpDeviceUpdate(data: {hfid: ["r1"], fqdn: {value: "mine"}}) { ok } }`})
	if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), "fqdn") {
		t.Fatalf("setting the computed attribute: %v", out)
	}
	if got := do(`{ CmpDevice { edges { node { fqdn { value } } } } }`); !strings.Contains(got, "value:r1.paris.example.com") {
		t.Fatalf("after a refused update: %s", got)
	}
}
