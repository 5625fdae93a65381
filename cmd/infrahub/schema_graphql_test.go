package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaLoadChecksGraphQLAndWarns: the server refuses a schema whose GraphQL API would be
// invalid, naming the kind and field (serve wires graphql.Check into the application), and the
// CLI prints the warnings of a load it accepts.
func TestSchemaLoadChecksGraphQLAndWarns(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": dir})
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	places := write("places.yml", `version: "1.0"
generics:
  - name: Place
    namespace: Test
    hierarchical: true
    attributes: [{name: name, kind: Text, unique: true}]
  - name: Owned
    namespace: Test
    relationships:
      - {name: parent, peer: TestOwner, cardinality: one, optional: true}
nodes:
  - name: Owner
    namespace: Test
    menu_placement: TestNowhere
    attributes: [{name: name, kind: Text, unique: true}]
  - name: Lot
    namespace: Test
    inherit_from: [TestOwned]
`)
	out, err := runCLI(t, cli, "schema", "load", places)
	if err != nil || !strings.Contains(out, ": loaded (hash") ||
		!strings.Contains(out, "warning: "+places+`:12: TestOwner.menu_placement: menu_placement "TestNowhere" names no kind`) {
		t.Fatalf("load: %q, %v", out, err)
	}
	site := write("site.yml", `version: "1.0"
nodes:
  - name: Site
    namespace: Test
    inherit_from: [TestPlace, TestOwned]
`)
	_, err = runCLI(t, cli, "schema", "load", site)
	if err == nil || !strings.Contains(err.Error(), places+":10: TestSite.relationships[parent]: the GraphQL schema generated for this schema is invalid") {
		t.Fatalf("load of a schema whose GraphQL is invalid: %v", err)
	}
}
