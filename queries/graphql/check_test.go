package graphql

import (
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

// TestCheckNamesKindAndField: a schema valid in the schema language whose GraphQL type cannot
// implement its interfaces is reported at the declaration of the field, naming kind and field.
func TestCheckNamesKindAndField(t *testing.T) {
	f, err := schema.Parse("bad.yml", []byte(`version: "1.0"
generics:
  - {name: Place, namespace: Test, hierarchical: true, attributes: [{name: name, kind: Text, unique: true}]}
  - name: Owned
    namespace: Test
    relationships:
      - {name: parent, peer: TestOwner, cardinality: one, optional: true}
nodes:
  - {name: Owner, namespace: Test, attributes: [{name: name, kind: Text, unique: true}]}
  - {name: Site, namespace: Test, inherit_from: [TestPlace, TestOwned]}
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(builtin(t), f)
	if err != nil {
		t.Fatal(err)
	}
	err = Check(set)
	var se *schema.Error
	if !errors.As(err, &se) || len(se.Problems) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	p := se.Problems[0]
	if p.File != "bad.yml" || p.Line != 7 || p.Path != "TestSite.relationships[parent]" ||
		!strings.Contains(p.Message, "For TestSite to implement TestOwned the field parent must have type NestedEdgedTestOwner!") {
		t.Errorf("problem %+v", p)
	}
	if _, err := Build(set); err == nil {
		t.Error("Build accepts what Check refuses")
	}
	if err := Check(builtin(t)); err != nil {
		t.Errorf("the built-in schema: %v", err)
	}
}

func TestCheckLocates(t *testing.T) {
	sdl := "type Query {\n  a: Int\n}\n\ntype NestedEdgedTestSite {\n  node: TestSite\n  properties(x: Int): Int\n}\n"
	for line, want := range map[int][2]string{
		5: {"NestedEdgedTestSite", ""},
		7: {"NestedEdgedTestSite", "properties"},
		2: {"Query", "a"},
		0: {"", ""},
	} {
		if typ, field := locate(sdl, line); typ != want[0] || field != want[1] {
			t.Errorf("line %d: %q %q, want %q", line, typ, field, want)
		}
	}
	set := builtin(t)
	for typ, want := range map[string]string{"NestedEdgedBuiltinTag": "BuiltinTag", "BuiltinTagCreateInput": "BuiltinTag",
		"PaginatedCoreNode": "CoreNode", "BuiltinTag": "BuiltinTag", "Query": ""} {
		if k, _ := kindOf(set, typ); k != want {
			t.Errorf("kindOf(%s) = %q, want %q", typ, k, want)
		}
	}
}
