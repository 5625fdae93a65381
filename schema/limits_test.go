package schema_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// Every schema file of the corpus is within the default limits, and so is everything the
// schema library holds loaded at once on the core.
func TestCorpusSchemasWithinLimits(t *testing.T) {
	root := corpusDir(t)
	var files []*schema.File
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isSchemaFile(path) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := schema.Parse(path, data); err == nil && (len(f.Nodes) > 0 || len(f.Generics) > 0 || f.Extensions != nil) {
			files = append(files, f)
		}
		return nil
	})
	if len(files) < 50 {
		t.Fatalf("found %d schema files in the corpus, expected many more", len(files))
	}
	for _, f := range files {
		if err := schema.CheckLimits(nil, []*schema.File{f}, limits.Default()); err != nil {
			t.Errorf("%v", err)
		}
	}
	lib := filepath.Join(root, "schema-library")
	if err := schema.CheckLimits(coreSet(t), parsePaths(t, lib, allExtensions(t, lib)...), limits.Default()); err != nil {
		t.Fatal(err)
	}
}

// A description longer than DescriptionBytes, wherever it is, refuses the load with the file,
// line, element, limit and variable named; so do more kinds than SchemaKinds.
func TestSchemaLimits(t *testing.T) {
	long := strings.Repeat("x", 10<<20) // the 10 MB description
	lim := limits.Default()
	cases := []struct {
		name, yml, want string
	}{
		{"node", "version: '1.0'\nnodes:\n  - name: Widget\n    namespace: Test\n    description: " + long + "\n",
			"w.yml:3: TestWidget.description: limit exceeded: description in bytes is 10485760, at most 4096 (INFRAHUB_MAX_DESCRIPTION_BYTES)"},
		{"attribute", "version: '1.0'\nnodes:\n  - name: Widget\n    namespace: Test\n    attributes:\n      - name: name\n        kind: Text\n        description: " + long + "\n",
			"w.yml:6: TestWidget.name.description: limit exceeded: description in bytes is 10485760"},
		{"choice", "version: '1.0'\nnodes:\n  - name: Widget\n    namespace: Test\n    attributes:\n      - name: status\n        kind: Dropdown\n        choices:\n          - name: up\n            description: " + long + "\n",
			"TestWidget.status.choices.up.description: limit exceeded"},
		{"extension", "version: '1.0'\nextensions:\n  nodes:\n    - kind: BuiltinTag\n      relationships:\n        - name: widgets\n          peer: BuiltinTag\n          cardinality: many\n          description: " + long + "\n",
			"BuiltinTag.widgets.description: limit exceeded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := schema.Parse("w.yml", []byte(c.yml))
			if err != nil {
				t.Fatal(err)
			}
			err = schema.CheckLimits(nil, []*schema.File{f}, lim)
			if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one holding %q", err, c.want)
			}
		})
	}
	core := coreSet(t)
	lim.SchemaKinds = len(core.Nodes()) + len(core.Generics()) + 1
	f, err := schema.Parse("k.yml", []byte("version: '1.0'\nnodes:\n  - {name: One, namespace: Test}\n  - {name: Two, namespace: Test}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.CheckLimits(core, []*schema.File{f}, lim); !errors.Is(err, limits.ErrExceeded) ||
		!strings.Contains(err.Error(), "nodes and generics of the branch's schema is") || !strings.Contains(err.Error(), "(INFRAHUB_MAX_SCHEMA_KINDS)") {
		t.Fatalf("error %v", err)
	}
	lim.SchemaKinds++
	if err := schema.CheckLimits(core, []*schema.File{f}, lim); err != nil {
		t.Fatalf("within the bound: %v", err)
	}
}
