package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// schemaFiles lists the schema files of paths (files or folders), sorted within a folder.
func schemaFiles(t *testing.T, paths ...string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		for _, ext := range []string{"*.yml", "*.yaml", "*.json"} {
			m, _ := filepath.Glob(filepath.Join(p, ext))
			found = append(found, m...)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out
}

// loadSchemaFiles loads schema files in one call, as `infrahub schema load` sends them.
func loadSchemaFiles(t *testing.T, f *nodeFixture, paths ...string) {
	t.Helper()
	in := commands.LoadSchema{}
	for _, p := range schemaFiles(t, paths...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(string(data))
		in.Schemas = append(in.Schemas, raw)
		in.Names = append(in.Names, p)
	}
	f.run(t, commands.TypeLoadSchema, in)
}

// loadObjectFiles loads object files one command each, as `infrahub object load` sends them,
// and returns what each did.
func loadObjectFiles(t *testing.T, f *nodeFixture, paths ...string) ([]commands.Result, error) {
	t.Helper()
	var out []commands.Result
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: filepath.Base(p), Content: string(data)}}})
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// stored counts the live nodes of every node, profile and template kind of a branch.
func stored(v *nodes.View) map[string]int64 {
	got := map[string]int64{}
	for _, k := range v.Schema.Kinds() {
		if _, isNode := v.Schema.Node(k); !isNode {
			continue
		}
		if n := v.Count(k); n > 0 {
			got[k] = n
		}
	}
	return got
}

// fileCounts counts the objects object files hold, nested ones included, straight from their
// YAML: a document's items are of its spec.kind (CoreMenuItem in a menu), a nested block's of
// its kind, else of kindless[field] (the relationship's peer).
func fileCounts(t *testing.T, kindless map[string]string, paths ...string) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	var walk func(kind string, items []any)
	walk = func(kind string, items []any) {
		for _, x := range items {
			counts[kind]++
			item, _ := x.(map[string]any)
			for field, v := range item {
				var blocks []map[string]any
				switch b := v.(type) {
				case map[string]any:
					blocks = append(blocks, b)
				case []any:
					for _, e := range b {
						if m, ok := e.(map[string]any); ok {
							blocks = append(blocks, m)
						}
					}
				}
				for _, b := range blocks {
					data, ok := b["data"]
					if !ok {
						continue
					}
					k, _ := b["kind"].(string)
					if k == "" {
						if k = kindless[field]; k == "" {
							t.Fatalf("a nested block of field %q has no kind", field)
						}
					}
					if list, isList := data.([]any); isList {
						walk(k, list)
					} else {
						walk(k, []any{data})
					}
				}
			}
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(f)
		for {
			var doc struct {
				Kind string `yaml:"kind"`
				Spec struct {
					Kind string `yaml:"kind"`
					Data []any  `yaml:"data"`
				} `yaml:"spec"`
			}
			if err := dec.Decode(&doc); err != nil {
				break
			}
			kind := doc.Spec.Kind
			if kind == "" && doc.Kind == "Menu" {
				kind = "CoreMenuItem"
			}
			walk(kind, doc.Spec.Data)
		}
		_ = f.Close()
	}
	return counts
}

func corpusPaths(root string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(root, n)
	}
	return out
}

// Every object file of the corpus meant to load loads with its schema, in the order its
// repository gives: the branch then holds exactly the objects the files hold (nested ones
// included), plus what loading them makes as Infrahub makes it; a second load changes nothing.
func TestCorpusObjectFilesLoad(t *testing.T) {
	catalog := testenv.Corpus(t, "infrahub-demo-service-catalog")
	models := testenv.Corpus(t, "infrahub-models")
	sets := []struct {
		name    string
		schemas []string
		files   []string
		// made while loading, not written in the files
		made map[string]int64
	}{
		{
			// .infrahub.yml's schemas and objects, then what it leaves commented out (the circuit
			// schema and 09_circuit.yml), the menu, the repository and the permissions.
			name:    "service catalog",
			schemas: corpusPaths(catalog, "schemas/base", "schemas/location_minimal", "schemas/vlan", "schemas/service", "schemas/circuit"),
			files: corpusPaths(catalog, "data/01_location.yml", "data/02_groups_tags.yml", "data/03_ipam_domain.yml",
				"data/04_manufacturer.yml", "data/04_profiles.yml", "data/04_provider.yml", "data/05_resource_pools.yml",
				"data/06_device_type.yml", "data/07_device_template.yml", "data/08_device.yml", "data/09_circuit.yml",
				"menu.yml", "repository.yaml", "permissions.yml"),
			made: map[string]int64{
				"IpamNamespace": 1, // the default namespace, there before any file
				// the default groups and roles; permissions.yml grants 3 of the 8 default global
				// permissions and 2 of the 3 default object permissions again (the same nodes)
				"CoreAccountGroup": 2, "CoreAccountRole": 3, "CoreGlobalPermission": 8 - 3, "CoreObjectPermission": 3 - 2,
				// the interfaces of the devices made from templates: 8 switches with 6 interface
				// templates, 8 routers with 5, and a management address from the pool for each
				"DcimInterfaceL2": 48, "DcimInterfaceL3": 40, "IpamIPAddress": 16,
			},
		},
		{
			name:    "infrahub-models base and its menu",
			schemas: corpusPaths(models, "base"),
			files:   corpusPaths(models, "base_menu.yml"),
			made: map[string]int64{"IpamNamespace": 1,
				"CoreAccountGroup": 2, "CoreAccountRole": 3, "CoreGlobalPermission": 8, "CoreObjectPermission": 3},
		},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			f := newNodeFixtureTB(t)
			loadSchemaFiles(t, f, set.schemas...)
			if _, err := f.app.EnsureDefaults(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := loadObjectFiles(t, f, set.files...); err != nil {
				t.Fatal(err)
			}
			want := fileCounts(t, map[string]string{"children": "CoreMenuItem"}, set.files...)
			for k, n := range set.made {
				want[k] += n
			}
			if got := stored(f.view(t, "main")); !maps.Equal(got, want) {
				t.Fatalf("stored per kind:\n%v\nwant:\n%v", got, want)
			}
			again, err := loadObjectFiles(t, f, set.files...)
			if err != nil {
				t.Fatalf("second load: %v", err)
			}
			for i, res := range again {
				for k, o := range res.Data.(commands.ObjectsOutcome).Kinds {
					if len(res.Positions) != 0 || o.Created+o.Updated+o.Deleted != 0 {
						t.Errorf("second load of %s: %s %+v, %d events", set.files[i], k, o, len(res.Positions))
					}
				}
			}
		})
	}
}

// The SDK's spec_objects fixtures load as its integration test loads them
// (infrahub-sdk-python tests/integration/test_spec_object.py, with the animal schema), each step
// giving the counts that test asserts; its valid menu loads, and its broken menus are refused
// and store nothing (tests/unit/ctl: invalid_menu.yml has a typo, invalid_yaml.yml bad YAML).
func TestSDKSpecObjectsLoad(t *testing.T) {
	dir := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures")
	f := newNodeFixtureTB(t)
	loadSchemaFiles(t, f, filepath.Join("objectfile", "testdata", "animal_schema.yml"))
	steps := []struct {
		file string
		kind string
		want int64
	}{
		{"animal_tags01.yml", "BuiltinTag", 3},
		{"animal_tags02.yml", "BuiltinTag", 4},
		{"animal_person01.yml", "TestingPerson", 3},
		{"animal_dog01.yml", "TestingDog", 4},
		{"animal_person02.yml", "TestingPerson", 6},
	}
	for _, s := range steps {
		if _, err := loadObjectFiles(t, f, filepath.Join(dir, "spec_objects", s.file)); err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		if n := f.view(t, "main").Count(s.kind); n != s.want {
			t.Fatalf("after %s: %d %s, want %d", s.file, n, s.kind, s.want)
		}
	}
	v := f.view(t, "main")
	if a, _ := v.Attr(byHFID(t, v, "BuiltinTag", "Veterinarian"), "description"); a.Value != "Licensed animal healthcare professional" {
		t.Errorf("Veterinarian's description = %v", a.Value)
	}
	hfids := func(person, rel string) []string {
		var out []string
		for _, id := range peersOf(t, v, byHFID(t, v, "TestingPerson", person), rel) {
			out = append(out, strings.Join(v.HFID(id), "/"))
		}
		sort.Strings(out)
		return out
	}
	checks := []struct {
		person, rel string
		want        []string
	}{
		{"Mike Johnson", "best_friends", []string{"Jane Smith/Max", "Sarah Williams/Charlie"}},
		{"Alex Thompson", "tags", []string{"Dog Lover"}},
		{"Mike Johnson", "tags", []string{"Breeder", "Veterinarian"}}, // the string "Veterinarian": {"id": name}
		{"Emily Parker", "animals", []string{"Emily Parker/Max", "Emily Parker/Whiskers"}},
		{"Bill Smith", "tags", []string{"Pet Groomer"}},
	}
	for _, c := range checks {
		if got := hfids(c.person, c.rel); !slices.Equal(got, c.want) {
			t.Errorf("%s's %s = %v, want %v", c.person, c.rel, got, c.want)
		}
	}
	if _, err := loadObjectFiles(t, f, filepath.Join(dir, "menus", "valid_menu.yml")); err != nil {
		t.Fatal(err)
	}
	if n := f.view(t, "main").Count("CoreMenuItem"); n != 3 {
		t.Fatalf("%d menu items, want 3", n)
	}
	for _, bad := range []struct{ file, want string }{
		{"invalid_menu.yml", `field "nampace": unknown attribute or relationship of CoreMenuItem`},
		{"invalid_yaml.yml", "invalid YAML"},
	} {
		before := stored(f.view(t, "main"))
		_, err := loadObjectFiles(t, f, filepath.Join(dir, "menus", bad.file))
		if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an invalid input naming %s", bad.file, err, bad.want)
		}
		if after := stored(f.view(t, "main")); !maps.Equal(before, after) {
			t.Errorf("%s stored something: %v, was %v", bad.file, after, before)
		}
	}
}
