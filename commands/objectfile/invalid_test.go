package objectfile

import (
	"reflect"
	"strings"
	"testing"
)

const header = "apiVersion: infrahub.app/v1\nkind: Object\n"

// Every invalid object file gives exactly the expected problems, each naming file, line,
// document, item and field.
func TestInvalidObjectFiles(t *testing.T) {
	set := animalSchema(t)
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"wrong apiVersion", "apiVersion: infrahub.app/v2\nkind: Object\nspec:\n  kind: TestingPerson\n  data: []\n",
			[]string{`f.yml:1: document 1, apiVersion: unsupported apiVersion "infrahub.app/v2" (expected "infrahub.app/v1")`}},
		{"unknown document kind", "apiVersion: infrahub.app/v1\nkind: Objects\nspec:\n  kind: TestingPerson\n  data: []\n",
			[]string{`f.yml:2: document 1, kind: unknown document kind "Objects" (expected "Object" or "Menu")`}},
		{"missing spec.kind", header + "spec:\n  data:\n    - name: x\n",
			[]string{`f.yml:4: document 1, spec.kind: missing`}},
		{"data not a list", header + "spec:\n  kind: TestingPerson\n  data:\n    name: x\n",
			[]string{`f.yml:6: document 1, spec.data: must be a list of objects`}},
		{"missing spec", header, []string{`f.yml:1: document 1, spec: missing`}},
		{"metadata not a mapping", header + "metadata: [a]\nspec:\n  kind: TestingPerson\n  data: []\n",
			[]string{`f.yml:3: document 1, metadata: must be a mapping`}},
		{"data null", header + "spec:\n  kind: TestingPerson\n  data:\n",
			[]string{`f.yml:5: document 1, spec.data: must be a list of objects`}},
		{"parameters not a mapping", header + "spec:\n  kind: TestingPerson\n  parameters: not_a_dict\n  data: []\n",
			[]string{`f.yml:5: document 1, spec.parameters: must be a mapping`}},
		{"key twice in a nested block", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        kind: TestingDog\n        kind: TestingCat\n        data: []\n",
			[]string{`f.yml:9: document 1, item 1, field "animals".kind: given twice`}},
		{"bad expand_range", header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: maybe\n  data: []\n",
			[]string{`f.yml:6: document 1, spec.parameters.expand_range: must be true or false, not "maybe"`}},
		{"unknown kind", header + "spec:\n  kind: TestingDogg\n  data:\n    - name: x\n",
			[]string{`f.yml:4: document 1, spec.kind: unknown kind "TestingDogg" (did you mean "TestingDog"?)`}},
		{"generic kind", header + "spec:\n  kind: TestingAnimal\n  data:\n    - name: x\n",
			[]string{`f.yml:4: document 1, spec.kind: TestingAnimal is a generic: objects are created with a node kind`}},
		{"unknown field", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n    - nmae: y\n",
			[]string{`f.yml:7: document 1, item 2, field "nmae": unknown attribute or relationship of TestingPerson (did you mean "name"?)`}},
		{"field given twice", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      name: y\n",
			[]string{`f.yml:7: document 1, item 1, field "name": given twice`}},
		{"item not a mapping", header + "spec:\n  kind: TestingPerson\n  data:\n    - x\n",
			[]string{`f.yml:6: document 1, item 1: an object must be a mapping of fields`}},
		{"list for a Text attribute", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: [a, b]\n",
			[]string{`f.yml:6: document 1, item 1, field "name": attribute of kind Text takes a single value, not a list`}},
		{"HFID list length wrong", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      best_friends:\n        - [Jane Smith]\n",
			[]string{`f.yml:8: document 1, item 1, field "best_friends", element 1: HFID ["Jane Smith"] has 1 element(s) but the human_friendly_id of TestingAnimal has 2 (owner__name__value, name__value)`}},
		{"HFID string for a two-part HFID", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      best_friends: Max\n",
			[]string{`f.yml:7: document 1, item 1, field "best_friends": HFID ["Max"] has 1 element(s) but the human_friendly_id of TestingAnimal has 2 (owner__name__value, name__value)`}},
		{"cardinality one given a list", header + "spec:\n  kind: TestingDog\n  data:\n    - name: Rex\n      breed: x\n      owner: [Jane Smith, Mike Johnson]\n",
			[]string{`f.yml:8: document 1, item 1, field "owner": relationship of cardinality one takes one object, not a list of 2`}},
		{"cardinality one given a list of lists", header + "spec:\n  kind: TestingDog\n  data:\n    - name: Rex\n      owner: [[Jane Smith], [Mike Johnson]]\n",
			[]string{`f.yml:7: document 1, item 1, field "owner": relationship of cardinality one takes one object, not a list`}},
		{"cardinality one given data list", header + "spec:\n  kind: TestingDog\n  data:\n    - name: Rex\n      owner:\n        data:\n          - name: Jane\n",
			[]string{`f.yml:9: document 1, item 1, field "owner".data: relationship of cardinality one takes one object: data must be a mapping, not a list`}},
		{"nested generic without kind", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        data:\n          - name: Rex\n",
			[]string{`f.yml:8: document 1, item 1, field "animals": TestingAnimal is a generic: give the kind of the objects to create (one of TestingCat, TestingDog)`}},
		{"nested kind not a peer", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        kind: TestingPerson\n        data:\n          - name: Rex\n",
			[]string{`f.yml:8: document 1, item 1, field "animals".kind: TestingPerson is not a TestingAnimal, the peer of relationship "animals"`}},
		{"related object without id, hfid or data", header + "spec:\n  kind: TestingDog\n  data:\n    - name: Rex\n      owner: {kind: TestingPerson}\n",
			[]string{`f.yml:7: document 1, item 1, field "owner": a related object needs id, hfid or data`}},
		{"unknown key in a related object", header + "spec:\n  kind: TestingDog\n  data:\n    - name: Rex\n      owner: {name: Jane}\n",
			[]string{`f.yml:7: document 1, item 1, field "owner".name: unknown key`}},
		{"unknown field in a nested object", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        kind: TestingDog\n        data:\n          - name: Rex\n            bred: Husky\n",
			[]string{`f.yml:11: document 1, item 1, field "animals", item 1, field "bred": unknown attribute or relationship of TestingDog (did you mean "breed"?)`}},
		{"peer without HFID, then wrong HFID in document 2", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: Jane\n      collar: M\n---\n" + header + "spec:\n  kind: TestingPerson\n  data:\n    - name: Jane\n      tags: [[a, b]]\n",
			[]string{
				`f.yml:7: document 1, item 1, field "collar": TestingCollar has no human_friendly_id: refer to it by id`,
				`f.yml:15: document 2, item 1, field "tags", element 1: HFID ["a", "b"] has 2 element(s) but the human_friendly_id of BuiltinTag has 1 (name__value)`,
			}},
		{"mapping for a Number attribute", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      height: {cm: 170}\n",
			[]string{`f.yml:7: document 1, item 1, field "height": attribute of kind Number takes a single value, not a mapping`}},
		{"bad range", header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: true\n  data:\n    - name: \"Person[3-1]\"\n",
			[]string{`f.yml:8: document 1, item 1, field "name": bad range "[3-1]": start 3 is after end 1`}},
		{"mixed range", header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: true\n  data:\n    - name: \"Person[1-c]\"\n",
			[]string{`f.yml:8: document 1, item 1, field "name": bad range "[1-c]": "1-c" mixes numbers and letters or is not a single-letter range`}},
		{"ranges of different lengths", header + "spec:\n  kind: TestingDog\n  parameters:\n    expand_range: true\n  data:\n    - name: \"Dog[1-3]\"\n      breed: \"Breed[1-2]\"\n",
			[]string{`f.yml:9: document 1, item 1, field "breed": range "Breed[1-2]" expands to 2 values but field "name" to 3: ranges of one item must have the same length`}},
		{"second document", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n---\n" + header + "spec:\n  kind: TestingPerson\n  data:\n    - name: y\n      height: 1\n      weight: 2\n",
			[]string{`f.yml:15: document 2, item 1, field "weight": unknown attribute or relationship of TestingPerson (did you mean "height"?)`}},
		{"every problem at once", header + "spec:\n  kind: TestingPerson\n  data:\n    - nmae: x\n    - name: y\n      tags: {}\n",
			[]string{
				`f.yml:6: document 1, item 1, field "nmae": unknown attribute or relationship of TestingPerson (did you mean "name"?)`,
				`f.yml:8: document 1, item 2, field "tags": a related object needs id, hfid or data`,
			}},
		{"invalid YAML", header + "spec:\n  kind: [\n", []string{`f.yml:4: document 1: invalid YAML: did not find expected node content`}},
		{"empty file", "", []string{`f.yml: no document in the file`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := load(set, "f.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error; %d objects", len(objs))
			}
			if got := problems(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// YAML anchors are followed; an alias cycle ends in an error, not a crash.
func TestAliases(t *testing.T) {
	set := animalSchema(t)
	ok := header + "spec:\n  kind: TestingDog\n  data:\n    - &rex {name: Rex, breed: &b Husky, owner: Jane}\n    - {name: Max, breed: *b, owner: Jane}\n"
	objs, err := load(set, "a.yml", []byte(ok))
	if err != nil || len(objs) != 2 || objs[1].Attributes["breed"] != "Husky" {
		t.Fatalf("objects %+v, error %v", objs, err)
	}
	cycle := header + "spec:\n  kind: TestingPerson\n  data:\n    - &p\n      name: x\n      animals:\n        kind: TestingDog\n        data:\n          - name: d\n            breed: b\n            best_friend:\n              data: *p\n"
	if _, err := load(set, "c.yml", []byte(cycle)); err == nil || !strings.Contains(err.Error(), "nesting of objects is 33, at most 32 (INFRAHUB_MAX_OBJECT_NESTING)") {
		t.Fatalf("error %v, want a nesting error", err)
	}
}
