package objectfile

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/limits"
)

// What infrahubctl ignores loads, and each key ignored is a warning naming file, line, document
// and path. infrahub_sdk/yaml.py (InfrahubFileData: apiVersion defaults to v1, metadata is a
// mapping, other keys are dropped by pydantic), spec/object.py (InfrahubObjectFileData: kind,
// parameters, data defaulting to []; get_relationship_info reads kind and data of a nested
// block) and spec/models.py (InfrahubObjectParameters: expand_range).
func TestIgnoredKeys(t *testing.T) {
	set := animalSchema(t)
	tests := []struct {
		name    string
		yaml    string
		objects map[string]int
		want    []string
	}{
		{"metadata and an unknown top-level key", header + "metadata: {owner: team}\nversion: \"1.0\"\nspec:\n  kind: TestingPerson\n  data:\n    - name: x\n",
			map[string]int{"TestingPerson": 1},
			[]string{`f.yml:4: document 1, version: unknown key, ignored (did you mean "apiVersion"?)`}},
		{"missing apiVersion", "kind: Object\nspec:\n  kind: TestingPerson\n  data:\n    - name: x\n",
			map[string]int{"TestingPerson": 1},
			[]string{`f.yml:1: document 1, apiVersion: missing, taken as "infrahub.app/v1"`}},
		{"unknown spec key, no data", header + "spec:\n  kind: TestingPerson\n  datas: []\n",
			map[string]int{},
			[]string{`f.yml:5: document 1, spec.datas: unknown key, ignored (did you mean "data"?)`, `f.yml:4: document 1, spec.data: missing: the document holds no objects`}},
		{"unknown parameter", header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: true\n    render_jinja2: false\n  data:\n    - name: \"p[1-2]\"\n",
			map[string]int{"TestingPerson": 2},
			[]string{`f.yml:7: document 1, spec.parameters.render_jinja2: unknown key, ignored`}},
		{"extra keys in a nested block", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        kind: TestingDog\n        id: 18a9f2c4-5b0e-4e1a-9c2d-3f4b5a6c7d8e\n        description: dogs of x\n        data:\n          - {name: Rex, breed: b}\n          - {name: Max, breed: b}\n",
			map[string]int{"TestingPerson": 1, "TestingDog": 2},
			[]string{
				`f.yml:9: document 1, item 1, field "animals".id: ignored: a nested block with data creates objects from its kind and data only`,
				`f.yml:10: document 1, item 1, field "animals".description: ignored: a nested block with data creates objects from its kind and data only`,
			}},
		{"extra keys in list elements and a one-object block", header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals:\n        - kind: TestingCat\n          hfid: [x, Tom]\n          data: {name: Tom, breed: b}\n      collar:\n        from_pool: collars\n        data: {size: M}\n",
			map[string]int{"TestingPerson": 1, "TestingCat": 1, "TestingCollar": 1},
			[]string{
				`f.yml:9: document 1, item 1, field "animals", element 1.hfid: ignored: a nested block with data creates objects from its kind and data only`,
				`f.yml:12: document 1, item 1, field "collar".from_pool: ignored: a nested block with data creates objects from its kind and data only`,
			}},
		{"warnings of two documents in file order", header + "foo: 1\nspec:\n  kind: TestingPerson\n  data:\n    - name: x\n      tags:\n        data: [{name: t}]\n        bar: 2\n---\n" + header + "baz: 3\nspec:\n  kind: TestingPerson\n  data: []\n",
			map[string]int{"TestingPerson": 1, "BuiltinTag": 1},
			[]string{
				`f.yml:3: document 1, foo: unknown key, ignored`,
				`f.yml:10: document 1, item 1, field "tags".bar: ignored: a nested block with data creates objects from its kind and data only`,
				`f.yml:14: document 2, baz: unknown key, ignored`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := ParseFile(context.Background(), "f.yml", []byte(tt.yaml), limits.Default())
			if err != nil {
				t.Fatal(err)
			}
			objs, warnings, err := Resolve(context.Background(), set, docs, limits.Default())
			if err != nil {
				t.Fatal(err)
			}
			if got := countKinds(objs, nil); !reflect.DeepEqual(got, tt.objects) {
				t.Errorf("objects per kind = %v, want %v", got, tt.objects)
			}
			got := make([]string, len(warnings))
			for i, w := range warnings {
				got[i] = w.String()
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
