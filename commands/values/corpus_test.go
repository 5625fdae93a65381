package values_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/schema"
)

// serviceCatalog loads the service catalog's schemas (as its .infrahub.yml lists them) on the
// built-in core schema.
func serviceCatalog(t *testing.T) (string, *schema.Set) {
	t.Helper()
	root := testenv.Corpus(t, "infrahub-demo-service-catalog")
	data, err := os.ReadFile(filepath.Join(root, ".infrahub.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Schemas []string `yaml:"schemas"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	var files []*schema.File
	for _, dir := range cfg.Schemas {
		paths, err := filepath.Glob(filepath.Join(root, dir, "*.yml"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no schema files in %s: %v", dir, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := schema.Parse(p, b)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	core, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(core, files...)
	if err != nil {
		t.Fatal(err)
	}
	return root, set
}

// TestServiceCatalogValues normalises every attribute value of the service catalog's object files
// whose kind the loaded schema knows, and expects no error.
func TestServiceCatalogValues(t *testing.T) {
	root, set := serviceCatalog(t)
	paths, err := filepath.Glob(filepath.Join(root, "data", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no object files: %v", err)
	}
	perKind := map[string]int{} // kind → values normalised
	attrKinds := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for doc := 1; ; doc++ {
			var d struct {
				Spec map[string]any `yaml:"spec"`
			}
			if err := dec.Decode(&d); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			walk(t, set, filepath.Base(p), d.Spec, perKind, attrKinds)
		}
	}
	for _, k := range []string{"LocationSite", "LocationCountry", "DcimDeviceType", "IpamPrefix", "DcimDevice"} {
		if perKind[k] == 0 {
			t.Errorf("no value of kind %s normalised (counts: %v)", k, perKind)
		}
	}
	for _, k := range []string{values.KindText, values.KindDropdown, values.KindIPNetwork, values.KindNumber} {
		if !attrKinds[k] {
			t.Errorf("no %s attribute value normalised (kinds: %v)", k, attrKinds)
		}
	}
	t.Logf("values normalised per kind: %v", perKind)
}

// walk normalises the attribute values of a {kind, data} block and of the blocks nested in it.
func walk(t *testing.T, set *schema.Set, file string, block map[string]any, perKind map[string]int, attrKinds map[string]bool) {
	kind, _ := block["kind"].(string)
	items, _ := block["data"].([]any)
	m, known := set.Model(kind)
	for i, it := range items {
		item, ok := it.(map[string]any)
		if !ok {
			continue
		}
		for field, v := range item {
			if nested, ok := v.(map[string]any); ok && nested["kind"] != nil && nested["data"] != nil {
				walk(t, set, file, nested, perKind, attrKinds)
				continue
			}
			if !known {
				continue
			}
			a := m.Attribute(field)
			if a == nil {
				continue
			}
			if mv, ok := v.(map[string]any); ok && a.Kind != values.KindJSON && a.Kind != values.KindAny {
				v = mv["value"]
			}
			if _, err := values.Normalize(a, v); err != nil {
				t.Errorf("%s: %s item %d field %s: %v", file, kind, i, field, err)
				continue
			}
			if !strings.HasPrefix(kind, "Profile") && !strings.HasPrefix(kind, "Template") {
				perKind[kind]++
			}
			attrKinds[a.Kind] = true
		}
	}
}

// TestSchemaDefaults normalises the default value of every attribute of the core and service
// catalog kinds, and checks every attribute kind in use is one Normalize knows.
func TestSchemaDefaults(t *testing.T) {
	_, set := serviceCatalog(t)
	n := 0
	for _, kind := range set.Kinds() {
		m, _ := set.Model(kind)
		for _, a := range m.Attributes {
			if _, err := values.Normalize(a, struct{}{}); err != nil && strings.Contains(err.Error(), "unknown attribute kind") {
				t.Errorf("%s.%s: %v", kind, a.Name, err)
			}
			if a.DefaultValue == nil {
				continue
			}
			if _, ok := values.Default(a); !ok {
				v, err := values.Normalize(a, a.DefaultValue)
				t.Errorf("%s.%s: default %#v does not normalise: %v, %v", kind, a.Name, a.DefaultValue, v, err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no default value found")
	}
	t.Logf("%d default values normalised", n)
}
