package objectfile

import (
	"reflect"
	"testing"
)

// Value forms beyond the corpus: ids, {id}, {hfid}, explicit kinds, null and empty lists, list
// and JSON attributes, attribute property mappings.
func TestValueForms(t *testing.T) {
	set := animalSchema(t)
	const id = "18a9f2c4-5b0e-4e1a-9c2d-3f4b5a6c7d8e"
	person := func(fields string) string {
		return header + "spec:\n  kind: TestingPerson\n  data:\n    - name: p\n" + fields
	}
	dog := func(fields string) string {
		return header + "spec:\n  kind: TestingDog\n  data:\n    - name: d\n      breed: b\n" + fields
	}
	tests := []struct {
		name  string
		yaml  string
		field string
		rels  []Ref // when a relationship is checked
		attr  any   // when an attribute is checked
	}{
		{"uuid string is an id", dog("      owner: " + id + "\n"), "owner", []Ref{{ID: id, Kind: "TestingPerson"}}, nil},
		{"id mapping", dog("      owner: {id: " + id + "}\n"), "owner", []Ref{{ID: id, Kind: "TestingPerson"}}, nil},
		{"hfid mapping as a list", dog("      owner: {hfid: [Jane]}\n"), "owner", []Ref{{HFID: []string{"Jane"}, Kind: "TestingPerson"}}, nil},
		{"hfid mapping as a string", dog("      owner: {hfid: Jane}\n"), "owner", []Ref{{HFID: []string{"Jane"}, Kind: "TestingPerson"}}, nil},
		{"explicit kind narrows a generic peer", person("      best_friends:\n        - {kind: TestingCat, hfid: [Jane, Tom]}\n"), "best_friends",
			[]Ref{{HFID: []string{"Jane", "Tom"}, Kind: "TestingCat"}}, nil},
		{"null clears", dog("      best_friend: null\n"), "best_friend", []Ref{}, nil},
		{"empty list clears", person("      tags: []\n"), "tags", []Ref{}, nil},
		{"a single string for cardinality many", person("      tags: Veterinarian\n"), "tags", []Ref{{HFID: []string{"Veterinarian"}, Kind: "BuiltinTag"}}, nil},
		{"member_of_groups", person("      member_of_groups: [g1, {id: " + id + "}]\n"), "member_of_groups",
			[]Ref{{HFID: []string{"g1"}, Kind: "CoreGroup"}, {ID: id, Kind: "CoreGroup"}}, nil},
		{"list attribute", person("      nicknames: [a, b]\n"), "nicknames", nil, []any{"a", "b"}},
		{"JSON attribute mapping", person("      notes: {a: 1}\n"), "notes", nil, map[string]any{"a": 1}},
		{"attribute properties", person("      height: {value: 170, is_protected: true}\n"), "height", nil, map[string]any{"value": 170, "is_protected": true}},
		{"number kept as written", person("      height: 170\n"), "height", nil, 170},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := load(set, "v.yml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			o := objs[0]
			if tt.rels != nil {
				if got := o.Relationships[tt.field]; !reflect.DeepEqual(got, tt.rels) {
					t.Fatalf("%s = %#v, want %#v", tt.field, got, tt.rels)
				}
				return
			}
			if got := o.Attributes[tt.field]; !reflect.DeepEqual(got, tt.attr) {
				t.Fatalf("%s = %#v, want %#v", tt.field, got, tt.attr)
			}
		})
	}
}

// The enclosing reference given to nested objects carries the parent's HFID when it can be
// computed from the file: from attributes, or through a relationship given by HFID.
func TestParentHFID(t *testing.T) {
	set := animalSchema(t)
	r := &resolver{set: set, c: &collector{}}
	dog, _ := set.Node("TestingDog")
	person, _ := set.Node("TestingPerson")
	tests := []struct {
		name string
		obj  Object
		kind string
		want []string
	}{
		{"attributes", Object{Attributes: map[string]any{"name": "Jane"}}, "TestingPerson", []string{"Jane"}},
		{"number attribute", Object{Attributes: map[string]any{"name": 7}}, "TestingPerson", []string{"7"}},
		{"missing attribute", Object{Attributes: map[string]any{}}, "TestingPerson", nil},
		{"through a relationship", Object{Attributes: map[string]any{"name": "Rex"},
			Relationships: map[string][]Ref{"owner": {{Kind: "TestingPerson", HFID: []string{"Jane"}}}}}, "TestingDog", []string{"Jane", "Rex"}},
		{"relationship by id", Object{Attributes: map[string]any{"name": "Rex"},
			Relationships: map[string][]Ref{"owner": {{Kind: "TestingPerson", ID: "x"}}}}, "TestingDog", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := person
			if tt.kind == "TestingDog" {
				n = dog
			}
			if got := r.hfidOf(n, tt.obj); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("hfid = %v, want %v", got, tt.want)
			}
		})
	}
}
