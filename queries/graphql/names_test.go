package graphql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// A related node given as {id: <name>} resolves through the peer's default_filter, as Infrahub
// resolves it (backend/infrahub/core/relationship/model.py, Relationship.resolve): it is what
// `infrahubctl object load` sends for the names of a cardinality-many list
// (infrahub_sdk/spec/object.py passes `member_of_groups: ["generic_devices"]` as is;
// infrahub_sdk/node/related_node.py turns each string into {"id": "generic_devices"}).
func TestRelatedNodeByName(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	do := func(doc string) map[string]any {
		t.Helper()
		return run(t, f, graphql.Request{Query: doc})
	}
	if out := do(`mutation { CoreStandardGroupCreate(data: {name: {value: "generic_devices"}}) { ok } }`); out["errors"] != nil {
		t.Fatal(out["errors"])
	}
	out := do(`mutation { TestDeviceUpsert(data: {name: {value: "r3"}, member_of_groups: [{id: "generic_devices"}], tags: [{id: "red"}]}) { ok object { id } } }`)
	if out["errors"] != nil {
		t.Fatal(out["errors"])
	}
	got := fmt.Sprint(do(`{ TestDevice(name__value: "r3") { edges { node { member_of_groups { edges { node { display_label } } } tags { edges { node { display_label } } } } } } }`)["data"])
	for _, want := range []string{"member_of_groups:map[edges:[map[node:map[display_label:generic_devices]]]]", "tags:map[edges:[map[node:map[display_label:red]]]]"} {
		if !strings.Contains(got, want) {
			t.Errorf("r3 lacks %s: %s", want, got)
		}
	}
	out = do(`mutation { TestDeviceUpsert(data: {name: {value: "r4"}, member_of_groups: [{id: "no_such_group"}]}) { ok } }`)
	if errs := fmt.Sprint(out["errors"]); !strings.Contains(errs, "member_of_groups") || !strings.Contains(errs, `"no_such_group"`) {
		t.Fatalf("a name that matches nothing: %v", out["errors"])
	}
}
