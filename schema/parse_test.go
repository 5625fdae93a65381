package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"several documents", "version: \"1.0\"\n---\nversion: \"1.0\"\n", "f.yml:2: several YAML documents in one schema file"},
		{"unknown top-level key", "version: \"1.0\"\nnode: []\n", `f.yml:2: node: unknown property "node"`},
		{"unknown node key", "version: \"1.0\"\nnodes:\n  - name: Device\n    namespace: Test\n    inherits: [X]\n", `f.yml:5: TestDevice.inherits: unknown property "inherits"`},
		{"unknown choice key", "version: \"1.0\"\nnodes:\n  - name: Device\n    namespace: Test\n    attributes:\n      - name: s\n        kind: Dropdown\n        choices:\n          - name: a\n            colour: red\n", `f.yml:10: TestDevice.attributes[s].choices[a].colour: unknown property "colour"`},
		{"not a mapping", "- a\n- b\n", "f.yml:1: a schema file must be a mapping"},
		{"bad yaml", "version: \"1.0\"\nnodes: [\n", "f.yml:"},
		{"missing version", "nodes: []\n", "version: missing"},
		{"every value of a wrong type", "version: \"1.0\"\nnodes:\n  - name: Device\n    namespace: Test\n    attributes:\n      - {name: a, kind: Text, optional: maybe}\n      - {name: b, kind: Text, unique: perhaps}\n",
			"f.yml:6: cannot unmarshal !!str `maybe` into bool\nf.yml:7: cannot unmarshal !!str `perhaps` into bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.Parse("f.yml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := schema.Parse("e.yml", nil); !errors.Is(err, schema.ErrEmpty) {
		t.Errorf("empty file: %v", err)
	}
}

func TestParseJSONKeepsLines(t *testing.T) {
	f, err := schema.Parse("s.json", []byte(`{
  "version": "1.0",
  "nodes": [
    {
      "name": "Device",
      "namespace": "Test",
      "attributes": [
        {"name": "name", "kind": "Text"},
        {"name": "status", "kind": "Dropdwn"}
      ]
    }
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Nodes[0].Pos.Line != 4 || f.Nodes[0].Attributes[1].Pos.Line != 9 {
		t.Errorf("lines = %d, %d", f.Nodes[0].Pos.Line, f.Nodes[0].Attributes[1].Pos.Line)
	}
	_, err = schema.Load(nil, f)
	if err == nil || !strings.Contains(err.Error(), `s.json:9: TestDevice.attributes[status].kind: unknown kind "Dropdwn"`) {
		t.Errorf("error = %v", err)
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts can be loaded (which
// must not panic either).
func FuzzParse(f *testing.F) {
	seeds := []string{
		widget,
		device(""),
		"version: \"1.0\"\n",
		"",
		"{}",
		`{"version": "1.0", "nodes": [{"name": "A", "namespace": "Bb"}]}`,
		"version: \"1.0\"\nextensions:\n  nodes:\n    - kind: X\n",
		"version: \"1.0\"\ngenerics:\n  - name: G\n    namespace: Test\n    hierarchical: true\nnodes:\n  - name: N\n    namespace: Test\n    inherit_from: [TestG]\n    parent: TestN\n",
		"version: \"1.0\"\nnodes:\n  - &a {name: A}\n  - *a\n",
		"version: \"1.0\"\nnodes:\n  - name: Device\n    namespace: Test\n    display_label: \"{{ name__value \"\n    attributes:\n      - {name: name, kind: Text, default_value: [1]}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := schema.Parse("fuzz.yml", data)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) && !errors.Is(err, schema.ErrEmpty) {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			return
		}
		s, err := schema.Load(nil, file)
		if err == nil && s.Hash() == "" {
			t.Fatal("loaded set without a hash")
		}
	})
}
