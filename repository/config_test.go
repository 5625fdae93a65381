package repository

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// problems answers the messages of a joined error of *FileError, checking each is one.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var fe *FileError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FileError", e)
		}
		out = append(out, fe.Error())
	}
	return out
}

func TestParseConfigServiceCatalog(t *testing.T) {
	dir := testenv.Corpus(t, "infrahub-demo-service-catalog")
	src, err := os.ReadFile(filepath.Join(dir, ".infrahub.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(".infrahub.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File: ".infrahub.yml",
		GeneratorDefinitions: []GeneratorDefinition{{
			Name: "dedicated_internet_generator", FilePath: "generators/implement_dedicated_internet.py",
			Targets: "automated_dedicated_internet", Query: "dedicated_internet_info", ClassName: "DedicatedInternetGenerator",
			Parameters:              map[string]any{"service_identifier": "service_identifier__value"},
			ExecuteInProposedChange: true, ExecuteAfterMerge: true, Line: 5,
		}},
		Queries: []Query{
			{Name: "dedicated_internet_info", FilePath: "generators/dedicated_internet.gql", Line: 15},
			{Name: "device_info", FilePath: "templates/device_info.gql", Line: 17},
		},
		Menus:   []Path{{"menu.yml", 22}},
		Schemas: []Path{{"schemas/base", 26}, {"schemas/location_minimal", 27}, {"schemas/vlan", 28}, {"schemas/service", 29}},
		Objects: []Path{
			{"data/01_location.yml", 34}, {"data/02_groups_tags.yml", 35}, {"data/03_ipam_domain.yml", 36},
			{"data/04_manufacturer.yml", 37}, {"data/04_profiles.yml", 38}, {"data/04_provider.yml", 39},
			{"data/05_resource_pools.yml", 40}, {"data/06_device_type.yml", 41}, {"data/07_device_template.yml", 42},
			{"data/08_device.yml", 43},
		},
		Jinja2Transforms: []Jinja2Transform{{
			Name: "device_config", Description: "Template to generate startup configuration for devices",
			Query: "device_info", TemplatePath: "templates/device_config.j2", Line: 48,
		}},
		ArtifactDefinitions: []ArtifactDefinition{{
			Name: "Startup Config", ArtifactName: "startup-config", Parameters: map[string]string{"device_name": "name__value"},
			ContentType: "text/plain", Targets: "generic_devices", Transformation: "device_config", Line: 55,
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("parsed\n%+v\nwant\n%+v", cfg, want)
	}

	// ReadConfig over the folder answers the same.
	read, err := ReadConfig(os.DirFS(dir))
	if err != nil || !reflect.DeepEqual(read, want) {
		t.Fatalf("ReadConfig: %v\n%+v", err, read)
	}

	// The corpus holds the repository without its generator's Python file: nothing runs it here,
	// so Check does not require it (the importer warns).
	if got := problems(t, cfg.Check(os.DirFS(dir))); len(got) != 0 {
		t.Fatalf("Check: %q", got)
	}

	files, err := Expand(os.DirFS(dir), cfg.Schemas, ".yml", ".yaml", ".json")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"schemas/base/dcim.yml", "schemas/base/ipam.yml", "schemas/base/location.yml",
		"schemas/base/organization.yml", "schemas/location_minimal/location_minimal.yml", "schemas/vlan/vlan.yml",
		"schemas/service/service.yml"}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Fatalf("Expand: %q", files)
	}
}

// The SDK's fixture repositories (infrahub-sdk-python tests/fixtures).
func TestParseConfigSDKFixtures(t *testing.T) {
	fixtures := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures")
	read := func(t *testing.T, rel string) (*Config, string) {
		dir := filepath.Join(fixtures, rel)
		cfg, err := ReadConfig(os.DirFS(dir))
		if err != nil {
			t.Fatal(err)
		}
		return cfg, dir
	}

	t.Run("ctl_integration", func(t *testing.T) {
		cfg, dir := read(t, "repos/ctl_integration")
		wantPy := []PythonTransform{
			{Name: "animal_person", ClassName: "AnimalPerson", FilePath: "transforms/animal_person.py", Line: 4},
			{Name: "animal_person_converted", ClassName: "ConvertedAnimalPerson", FilePath: "transforms/converted.py", ConvertQueryResponse: true, Line: 8},
		}
		if !reflect.DeepEqual(cfg.PythonTransforms, wantPy) {
			t.Fatalf("python_transforms: %+v", cfg.PythonTransforms)
		}
		wantGen := []GeneratorDefinition{
			{Name: "animal_tags", FilePath: "generators/tag_generator.py", Targets: "pet_owners", Query: "animal_person",
				ClassName: "Generator", Parameters: map[string]any{"name": "name__value"}, ExecuteInProposedChange: true, ExecuteAfterMerge: true, Line: 14},
			{Name: "animal_tags_convert", FilePath: "generators/tag_generator_convert.py", Targets: "pet_owners", Query: "animal_person",
				ClassName: "Generator", Parameters: map[string]any{"name": "name__value"}, ConvertQueryResponse: true, ExecuteInProposedChange: true, ExecuteAfterMerge: true, Line: 21},
		}
		if !reflect.DeepEqual(cfg.GeneratorDefinitions, wantGen) {
			t.Fatalf("generator_definitions: %+v", cfg.GeneratorDefinitions)
		}
		if want := []Query{{Name: "animal_person", FilePath: "queries/animal_person.gql", Line: 31}}; !reflect.DeepEqual(cfg.Queries, want) {
			t.Fatalf("queries: %+v", cfg.Queries)
		}
		// The fixture holds the query and a template, not the Python files, which are not
		// required (nothing runs them here).
		if got := problems(t, cfg.Check(os.DirFS(dir))); len(got) != 0 {
			t.Fatalf("Check: %q", got)
		}
	})

	t.Run("missing_template_file", func(t *testing.T) {
		cfg, dir := read(t, "repos/missing_template_file")
		if len(cfg.Jinja2Transforms) != 5 || cfg.Jinja2Transforms[4].Name != "worker_only_filter" || cfg.Jinja2Transforms[4].Line != 15 {
			t.Fatalf("jinja2_transforms: %+v", cfg.Jinja2Transforms)
		}
		got := problems(t, cfg.Check(os.DirFS(dir)))
		want := []string{`.infrahub.yml:3: jinja2_transforms: template_path "tag_format.file-is-missing" not found in the repository`}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Check: %q", got)
		}
	})

	t.Run("tags_transform", func(t *testing.T) {
		cfg, dir := read(t, "integration/test_infrahubctl/tags_transform")
		want := []Jinja2Transform{{Name: "my-jinja2-transform", Description: "short description", Query: "tags_query", TemplatePath: "tags_tpl.j2", Line: 12}}
		if !reflect.DeepEqual(cfg.Jinja2Transforms, want) {
			t.Fatalf("jinja2_transforms: %+v", cfg.Jinja2Transforms)
		}
		if cfg.PythonTransforms[0].ClassName != "TagsTransform" {
			t.Fatalf("python_transforms: %+v", cfg.PythonTransforms)
		}
		if got := problems(t, cfg.Check(os.DirFS(dir))); len(got) != 0 {
			t.Fatalf("Check: %q", got)
		}
	})

	// fragment_inlining's file says graphql_queries, a key InfrahubRepositoryConfig does not have
	// (extra="forbid"): the SDK's own tests build that config in code instead of reading it.
	t.Run("fragment_inlining", func(t *testing.T) {
		_, err := ReadConfig(os.DirFS(filepath.Join(fixtures, "repos/fragment_inlining")))
		got := problems(t, err)
		if len(got) != 1 || !strings.HasPrefix(got[0], ".infrahub.yml:8: graphql_queries: unknown key") || !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("got %q", got)
		}
	})
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(".infrahub.yml", []byte(`
python_transforms:
  - name: p
    file_path: p.py
check_definitions:
  - name: c
    file_path: c.py
generator_definitions:
  - name: g
    file_path: g.py
    query: q
    targets: grp
    execute_after_merge: false
artifact_definitions:
  - name: a
    parameters: {}
    content_type: application/json
    targets: grp
    transformation: p
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.PythonTransforms[0]; p.ClassName != "Transform" || p.ConvertQueryResponse {
		t.Fatalf("python: %+v", p)
	}
	if c := cfg.CheckDefinitions[0]; c.ClassName != "Check" || c.Parameters == nil || len(c.Parameters) != 0 || c.Targets != "" {
		t.Fatalf("check: %+v", c)
	}
	if g := cfg.GeneratorDefinitions[0]; g.ClassName != "Generator" || !g.ExecuteInProposedChange || g.ExecuteAfterMerge || g.ConvertQueryResponse {
		t.Fatalf("generator: %+v", g)
	}
	if a := cfg.ArtifactDefinitions[0]; a.ArtifactName != "a" || a.Parameters == nil {
		t.Fatalf("artifact: %+v", a)
	}
	// An empty mapping and a config of only comments-less empty sections are fine.
	if _, err := ParseConfig("x.yml", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
}

func TestParseConfigBadInputs(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"f.yml: the file is empty"}},
		{"not yaml", "schemas:\n  - a\n b: [\n", []string{"f.yml:2: not valid YAML: did not find expected key"}},
		{"not a mapping", "- a\n- b\n", []string{"f.yml:1: expected a mapping of sections"}},
		{"two documents", "schemas: []\n---\nobjects: []\n", []string{"f.yml:2: more than one YAML document"}},
		{"unknown section", "schemas: [a]\ngraphql_queries: []\n", []string{"f.yml:2: graphql_queries: unknown key"}},
		{"section not a list", "schemas: a.yml\n", []string{`f.yml:1: schemas: expected a list of paths, found the string "a.yml"`}},
		{"path not a string", "objects:\n  - a.yml\n  - 12\n  - {x: 1}\n", []string{
			"f.yml:3: objects[1]: expected a path, found the number 12",
			"f.yml:4: objects[2]: expected a path, found a mapping"}},
		{"path outside", "menus:\n  - ../x.yml\n  - /etc/passwd\n  - ''\n", []string{
			`f.yml:2: menus[0]: "../x.yml" is outside the repository`,
			`f.yml:3: menus[1]: "/etc/passwd" is outside the repository`,
			`f.yml:4: menus[2]: the path is empty`}},
		{"missing fields", "jinja2_transforms:\n  - name: t\n    description: d\n", []string{
			"f.yml:2: jinja2_transforms[0]: query: field required",
			"f.yml:2: jinja2_transforms[0]: template_path: field required"}},
		{"unknown field", "queries:\n  - name: q\n    file_path: q.gql\n    query: x\n", []string{
			"f.yml:4: queries[0]: query: unknown key (extra keys are not permitted; expected one of name, file_path)"}},
		{"wrong types", "python_transforms:\n  - name: 3\n    file_path: p.py\n    convert_query_response: maybe\n    class_name: null\n", []string{
			"f.yml:2: python_transforms[0]: name: expected a string, found the number 3",
			`f.yml:4: python_transforms[0]: convert_query_response: expected a boolean, found the string "maybe"`,
			"f.yml:5: python_transforms[0]: class_name: expected a string, found null"}},
		{"artifact parameters", "artifact_definitions:\n  - name: a\n    content_type: text/plain\n    targets: g\n    transformation: t\n  - name: b\n    parameters: {x: [1]}\n    content_type: text/plain\n    targets: g\n    transformation: t\n", []string{
			"f.yml:2: artifact_definitions[0]: parameters: field required",
			`f.yml:7: artifact_definitions[1]: parameters: x: expected the path of a target's value such as "name__value", found a list`}},
		{"duplicate names", "queries:\n  - name: q\n    file_path: a.gql\n  - name: q\n    file_path: b.gql\n", []string{
			`f.yml:4: queries: the name "q" is used twice (first on line 2)`}},
		{"duplicate key", "schemas: []\nschemas: [a]\n", []string{"f.yml:2: schemas: given twice (first on line 1)"}},
		{"entry not a mapping", "check_definitions:\n  - c.py\n", []string{`f.yml:2: check_definitions[0]: expected a mapping, found the string "c.py"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig("f.yml", []byte(c.src))
			if err == nil {
				t.Fatalf("no error; parsed %+v", cfg)
			}
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("%v does not wrap fault.ErrInvalid", err)
			}
			got := problems(t, err)
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %d: got %q, want it to start with %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestReadConfig(t *testing.T) {
	_, err := ReadConfig(fstest.MapFS{"README.md": {Data: []byte("x")}})
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrNotFound) || fe.Line != 0 || !strings.HasPrefix(err.Error(), ".infrahub.yml: ") {
		t.Fatalf("absent: %v", err)
	}
	cfg, err := ReadConfig(fstest.MapFS{".infrahub.yaml": {Data: []byte("schemas:\n  - s\n  - s2\n")}})
	if err != nil || cfg.File != ".infrahub.yaml" || len(cfg.Schemas) != 2 {
		t.Fatalf("%v %+v", err, cfg)
	}
	// A problem names the file it was read from.
	err = cfg.Check(fstest.MapFS{"s": {Data: []byte("x")}})
	if got := problems(t, err); !reflect.DeepEqual(got, []string{`.infrahub.yaml:3: schemas: path "s2" not found in the repository`}) {
		t.Fatalf("%q", got)
	}
}

func TestCheckReferences(t *testing.T) {
	src := `queries:
  - name: q
    file_path: q.gql
  - name: folder
    file_path: dir
jinja2_transforms:
  - name: t
    query: nope
    template_path: t.j2
python_transforms:
  - name: py
    file_path: p.py
artifact_definitions:
  - name: a1
    parameters: {}
    content_type: text/plain
    targets: g
    transformation: py
  - name: a2
    parameters: {}
    content_type: text/plain
    targets: g
    transformation: missing
generator_definitions:
  - name: g
    file_path: p.py
    query: q2
    targets: g
graphql_fragments:
  - name: f
    file_path: dir
objects:
  - dir
`
	cfg, err := ParseConfig(".infrahub.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"q.gql": {}, "t.j2": {}, "p.py": {}, "dir/a.gql": {}}
	got := problems(t, cfg.Check(fsys))
	want := []string{
		`.infrahub.yml:4: queries: file_path "dir" is a folder, expected a file`,
		`.infrahub.yml:7: jinja2_transforms: "t" names the query "nope", which is not in queries`,
		`.infrahub.yml:19: artifact_definitions: "a2" names the transformation "missing", which is neither in jinja2_transforms nor in python_transforms`,
		`.infrahub.yml:25: generator_definitions: "g" names the query "q2", which is not in queries`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
}

func TestExpand(t *testing.T) {
	fsys := fstest.MapFS{
		"s/b.yml":        {},
		"s/a.json":       {},
		"s/z/c.yaml":     {},
		"s/readme.md":    {},
		"single.txt":     {},
		"other/x.yml":    {},
		"s/z/d/e/f.json": {},
	}
	got, err := Expand(fsys, []Path{{"single.txt", 1}, {"s", 2}, {"s/b.yml", 3}}, ".yml", ".yaml", ".json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"single.txt", "s/a.json", "s/b.yml", "s/z/c.yaml", "s/z/d/e/f.json"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
	all, err := Expand(fsys, []Path{{".", 1}})
	if err != nil || len(all) != len(fsys) {
		t.Fatalf("%v %q", err, all)
	}
	_, err = Expand(fsys, []Path{{"nope", 7}})
	if !errors.Is(err, fault.ErrNotFound) || err.Error() != `.infrahub.yml:7: "nope": no such file or folder in the repository` {
		t.Fatalf("%v", err)
	}
}
