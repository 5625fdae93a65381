package graphql_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// TestInheritedRelationshipsAnswer: the relationships a node inherits from its generics, of kind
// Hierarchy too, and profiles on kinds with generate_profile: false, are written and read
// through the generic's interface and the node's type alike (testdata/processing).
func TestInheritedRelationshipsAnswer(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata", "processing", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	f := newFixture(t, read("hierarchy_generic.yml"))
	raw, _ := json.Marshal(read("profiles_mixed.yml"))
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	do := func(doc string) string {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
		return fmt.Sprint(out["data"])
	}
	do(`mutation { TestZoneCreate(data: {name: {value: "emea"}}) { ok } }`)
	do(`mutation { TestZoneCreate(data: {name: {value: "fr"}, region: {hfid: ["emea"]}}) { ok } }`)
	do(`mutation { TestCountryCreate(data: {name: {value: "france"}}) { ok } }`)
	do(`mutation { TestCityCreate(data: {name: {value: "paris"}, parent: {hfid: ["france"]}, managed_from: {hfid: ["france"]}}) { ok } }`)
	got := do(`{ TestArea(name__value: "fr") { edges { node { region { node { display_label } } } } }
		TestPlace(name__value: "paris") { edges { node { managed_from { node { display_label } } parent { node { display_label } } } } } }`)
	if !strings.Contains(got, "region:map[node:map[display_label:emea]]") || !strings.Contains(got, "managed_from:map[node:map[display_label:france]]") ||
		!strings.Contains(got, "parent:map[node:map[display_label:france]]") {
		t.Fatalf("inherited Hierarchy-kind relationships: %s", got)
	}
	do(`mutation { ProfileTestBoxCreate(data: {profile_name: {value: "boxes"}, note: {value: "from profile"}}) { ok } }`)
	do(`mutation { TestBoxCreate(data: {name: {value: "b1"}, profiles: [{hfid: ["boxes"]}]}) { ok } }`)
	got = do(`{ TestThing { edges { node { profiles { count } ... on TestBox { note { value is_from_profile } } } } }
		TestGadget { count } }`)
	if !strings.Contains(got, "profiles:map[count:1]") || !strings.Contains(got, "note:map[is_from_profile:true value:from profile]") {
		t.Fatalf("profiles through a generic without profiles of its own: %s", got)
	}
}
