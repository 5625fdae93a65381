package graphql

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// An acceptance test of schema processing: every schema of the corpus that Infrahub accepts
// loads, gives a GraphQL schema that passes gqlparser's schema validation (what a load checks,
// Check), and every GraphQL document of its repository validates against it.

// acceptRepo is a repository: the schemas Infrahub accepts from it (each a list of paths under
// root loaded together over the built-in schema) and those it refuses, with the reason.
type acceptRepo struct {
	name    string
	root    string
	schemas map[string][]string
	refused map[string]refusal
	// byName validates each document against the schema of the same base name only (testdata);
	// otherwise every document of the repository is validated against each of its schemas.
	byName bool
}

// refusal is a schema Infrahub refuses: its paths, what our error must say (one of wants), and
// why.
type refusal struct {
	paths  []string
	wants  []string
	reason string
}

// gqlExpected are the documents that do not validate against the schemas of their repository:
// what the error must name, and why. An entry says whether Infrahub refuses the document too, or
// names the directive or root field this project lacks yet (the change that adds it removes the
// entry: the test fails while the entry is listed and the document validates).
var gqlExpected = map[string]struct{ want, reason string }{
	"infrahub-sdk-python/tests/fixtures/repos/ctl_integration/queries/animal_person.gql": {"TestingPerson",
		"Infrahub refuses it too against these schemas: TestingPerson and TestingAnimal are defined by the SDK's Python integration tests, not by a schema of the corpus"},
	"infrahub-sdk-python/tests/fixtures/unit/test_infrahubctl/graphql/invalid_query.gql": {"NonExistentType",
		"invalid on purpose: the SDK's tests expect infrahubctl to report it (Infrahub refuses it)"},
}

// infrahubYAMLMissing are the files a corpus .infrahub.yml lists that the corpus does not hold.
var infrahubYAMLMissing = map[string]string{
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/fragments/interfaces.gql":           "the SDK's fixture lists files its tests write themselves",
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/fragments/devices.gql":              "the SDK's fixture lists files its tests write themselves",
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/queries/query_two_files.gql":        "the SDK's fixture lists files its tests write themselves",
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/queries/query_no_fragments.gql":     "the SDK's fixture lists files its tests write themselves",
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/queries/query_transitive.gql":       "the SDK's fixture lists files its tests write themselves",
	"infrahub-sdk-python/tests/fixtures/repos/fragment_inlining/queries/query_missing_fragment.gql": "the SDK's fixture lists files its tests write themselves",
}

func acceptRepos(t *testing.T) []acceptRepo {
	corpus := testenv.Corpus(t)
	lib := acceptRepo{name: "schema-library", root: filepath.Join(corpus, "schema-library"), schemas: map[string][]string{},
		refused: map[string]refusal{
			// corpus README, known-bad inputs: they name kinds the library no longer defines
			"experimental/circuit_service": {wants: []string{`"CircuitEndpoint"`}, reason: "names CircuitEndpoint, which does not exist"},
			"experimental/security":        {wants: []string{`"Infra`}, reason: "names Infra* kinds the library no longer defines"},
			"experimental/topology":        {wants: []string{`"Infra`}, reason: "names Infra* kinds the library no longer defines"},
		}}
	lib.schemas["base"] = []string{"base"}
	for _, group := range []string{"extensions", "experimental"} {
		entries, err := os.ReadDir(filepath.Join(lib.root, group))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			folder := group + "/" + e.Name()
			if r, ok := lib.refused[folder]; ok {
				r.paths = testenv.SchemaLibraryFolders(t, folder)
				lib.refused[folder] = r
				continue
			}
			lib.schemas[folder] = testenv.SchemaLibraryFolders(t, folder)
		}
	}
	models := acceptRepo{name: "infrahub-models", root: filepath.Join(corpus, "infrahub-models"),
		schemas: map[string][]string{"base": {"base"}}, refused: map[string]refusal{
			"examples/extension_rack.yml":  {wants: []string{`"InfraSite"`}, reason: "extends InfraSite, which base/ no longer defines (corpus README)"},
			"examples/netbox":              {wants: []string{"status"}, reason: "written for an older base: adds a status relationship where base nodes hold a status attribute"},
			"examples/nautobot":            {wants: []string{"status"}, reason: "written for an older base: adds a status relationship where base nodes hold a status attribute"},
			"examples/ipfabric":            {wants: []string{"Template"}, reason: "uses the Template namespace, which Infrahub now reserves"},
			"examples/extension_power.yml": {wants: []string{"Template"}, reason: "uses the Template namespace, which Infrahub now reserves"},
		}}
	for _, ex := range []string{"examples/extension_contract.yml", "examples/extension_peering_manager.yml",
		"examples/ipam_kind_override.yml", "examples/security/infrastructure_security.yml"} {
		models.schemas[ex] = []string{"base", ex}
	}
	for k, r := range models.refused {
		r.paths = []string{"base", k}
		models.refused[k] = r
	}
	catalogRoot := filepath.Join(corpus, "infrahub-demo-service-catalog")
	catalog := acceptRepo{name: "infrahub-demo-service-catalog", root: catalogRoot,
		schemas: map[string][]string{
			".infrahub.yml schemas": repoSchemas(t, catalogRoot),
			// the circuit schema the .infrahub.yml leaves commented out loads with the others
			"with schemas/circuit": append(repoSchemas(t, catalogRoot), "schemas/circuit"),
		}}
	// An answer of GET /api/schema holds read-side properties (inherited, kind, hash): Infrahub
	// 1.11 drops them with a warning, this project refuses them (not implemented yet); either
	// way the schema is refused.
	sdkRefusal := "a GET /api/schema answer of an older Infrahub that the SDK's tests replay, not a schema file: Infrahub refuses its kinds of reserved namespaces"
	sdk := acceptRepo{name: "infrahub-sdk-python", root: filepath.Join(corpus, "infrahub-sdk-python"),
		schemas: map[string][]string{
			"valid_model_01.json":       {"tests/fixtures/models/valid_model_01.json"},
			"valid_generic_schema.json": {"tests/fixtures/models/valid_generic_schema.json"},
		},
		refused: map[string]refusal{
			"valid_schemas": {paths: []string{"tests/fixtures/models/valid_schemas"}, wants: []string{"BuiltinLocation"},
				reason: "written for an older core: names BuiltinLocation, which Infrahub 1.x no longer defines, and a relationship named Organization (names must match ^[a-z0-9_]+$); only the SDK's offline parser accepts them"},
			"schema_01.json": {paths: []string{"tests/fixtures/schema_01.json"}, wants: []string{"reserved namespace", `unknown property "inherited"`}, reason: sdkRefusal},
			"schema_02.json": {paths: []string{"tests/fixtures/schema_02.json"}, wants: []string{"reserved namespace", `unknown property "inherited"`}, reason: sdkRefusal},
			"schema_03.json": {paths: []string{"tests/fixtures/schema_03.json"}, wants: []string{"reserved namespace", `unknown property "inherited"`}, reason: sdkRefusal},
			"schema_04.json": {paths: []string{"tests/fixtures/schema_04.json"}, wants: []string{"reserved namespace", `unknown property "inherited"`}, reason: sdkRefusal},
			"schema_ipam.json": {paths: []string{"tests/fixtures/schema_ipam.json"}, wants: []string{`"InfraInterfaceL3"`, `unknown property "inherited"`},
				reason: "a GET /api/schema answer of an older Infrahub for the SDK's IPAM tests: names InfraInterfaceL3, which it does not hold"},
			// corpus README, known-bad inputs
			"empty.json":               {paths: []string{"tests/fixtures/models/empty.json"}, wants: []string{"empty schema file"}, reason: "empty on purpose"},
			"non_valid_json_01.json":   {paths: []string{"tests/fixtures/models/non_valid_json_01.json"}, wants: []string{"did not find expected"}, reason: "not JSON, on purpose"},
			"non_valid_model_01.json":  {paths: []string{"tests/fixtures/models/non_valid_model_01.json"}, wants: []string{"namespace: missing"}, reason: "invalid on purpose"},
			"non_valid_namespace.json": {paths: []string{"tests/fixtures/models/non_valid_namespace.json"}, wants: []string{"must match"}, reason: "invalid on purpose"},
		}}
	own := acceptRepo{name: "testdata/processing", root: filepath.Join("testdata", "processing"), byName: true,
		schemas: map[string][]string{
			"hierarchy_generic": {"hierarchy_generic.yml"},
			"profiles_mixed":    {"profiles_mixed.yml"},
		}}
	return []acceptRepo{lib, models, catalog, sdk, own}
}

// repoSchemas lists the schemas of a repository's .infrahub.yml.
func repoSchemas(t *testing.T, root string) []string {
	raw, err := os.ReadFile(filepath.Join(root, ".infrahub.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Schemas []string `yaml:"schemas"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Schemas
}

// loadPaths loads paths (files or folders under root) together over the built-in schema.
func loadPaths(t *testing.T, core *schema.Set, root string, paths []string) (*schema.Set, error) {
	var files []*schema.File
	var errs []error
	for _, p := range paths {
		for _, name := range schemaFiles(t, filepath.Join(root, p)) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, name)
			f, err := schema.Parse(filepath.ToSlash(rel), data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			files = append(files, f)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return schema.Load(core, files...)
}

// documents returns the .gql files of a repository (relative to the corpus for the corpus
// repositories) with their text.
func documents(t *testing.T, repo acceptRepo) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(repo.root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".gql" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[docName(t, repo, path)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func docName(t *testing.T, repo acceptRepo, path string) string {
	if repo.byName {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(testenv.Corpus(t), path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// infrahubYAMLDocuments returns the GraphQL documents the repository's .infrahub.yml files list
// (queries, graphql_queries, graphql_fragments), by the same names as documents.
func infrahubYAMLDocuments(t *testing.T, repo acceptRepo) []string {
	var out []string
	err := filepath.WalkDir(repo.root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != ".infrahub.yml" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		type entry struct {
			FilePath string `yaml:"file_path"`
		}
		var cfg struct {
			Queries   []entry `yaml:"queries"`
			GQL       []entry `yaml:"graphql_queries"`
			Fragments []entry `yaml:"graphql_fragments"`
		}
		if err := yaml.Unmarshal(raw, &cfg); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, e := range slices.Concat(cfg.Queries, cfg.GQL, cfg.Fragments) {
			out = append(out, docName(t, repo, filepath.Join(filepath.Dir(path), e.FilePath)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAcceptCorpusSchemasAndDocuments(t *testing.T) {
	core := builtin(t)
	validated := 0
	// Validate refuses documents beyond the default limits: every real one is within them.
	var deepest int
	var costliest, pairs int64
	for _, repo := range acceptRepos(t) {
		t.Run(repo.name, func(t *testing.T) {
			docs := documents(t, repo)
			for _, name := range infrahubYAMLDocuments(t, repo) {
				if _, ok := docs[name]; !ok && infrahubYAMLMissing[name] == "" {
					t.Errorf(".infrahub.yml lists %s, which is not in the corpus", name)
				}
			}
			for _, key := range sortedKeys(repo.refused) {
				r := repo.refused[key]
				_, err := loadPaths(t, core, repo.root, r.paths)
				if err == nil || !slices.ContainsFunc(r.wants, func(w string) bool { return strings.Contains(err.Error(), w) }) {
					t.Errorf("%s: Infrahub refuses it (%s); want an error containing one of %q, got %v", key, r.reason, r.wants, err)
				}
			}
			for _, key := range sortedKeys(repo.schemas) {
				set, err := loadPaths(t, core, repo.root, repo.schemas[key])
				if err != nil {
					t.Errorf("%s: load: %v", key, err)
					continue
				}
				if err := Check(set); err != nil {
					t.Errorf("%s: a load of it would be refused: %v", key, err)
					continue
				}
				var s *ast.Schema
				for _, name := range sortedKeys(docs) {
					if repo.byName && strings.TrimSuffix(filepath.Base(name), ".gql") != key {
						continue
					}
					if s == nil {
						s = build(t, set)
					}
					validated++
					_, errs := Validate(s, docs[name])
					if doc, err := parse(docs[name]); err == nil {
						if c, err := measure(doc); err == nil {
							deepest, costliest, pairs = max(deepest, c.depth), max(costliest, c.selections), max(pairs, samePairs(doc))
						}
					}
					exp, listed := gqlExpected[name]
					switch {
					case listed && len(errs) == 0:
						t.Errorf("%s validates against %s now: remove it from gqlExpected (%s)", name, key, exp.reason)
					case listed && !strings.Contains(errs.Error(), exp.want):
						t.Errorf("%s against %s: %v, want an error naming %q (%s)", name, key, errs, exp.want, exp.reason)
					case !listed && len(errs) > 0:
						t.Errorf("%s against %s: %v", name, key, errs)
					}
				}
			}
		})
	}
	for name := range gqlExpected {
		if !strings.HasPrefix(name, "infrahub-") {
			t.Errorf("gqlExpected: %s is not a corpus path", name)
		}
	}
	if validated < 12 {
		t.Errorf("validated %d documents, want at least 12", validated)
	}
	l := limits.Default()
	t.Logf("corpus documents: the deepest nests %d field levels (limit %d), the costliest %d selections (limit %d), %d pairs of same-name fields",
		deepest, l.QueryDepth, costliest, l.QueryCost, pairs)
}

// TestAcceptSDKSchemaFixturesAreListed: every schema file of the SDK's tests is either loaded by
// the acceptance test or listed as refused, so that a new fixture cannot be left out.
func TestAcceptSDKSchemaFixturesAreListed(t *testing.T) {
	var sdk acceptRepo
	for _, r := range acceptRepos(t) {
		if r.name == "infrahub-sdk-python" {
			sdk = r
		}
	}
	listed := map[string]bool{}
	for _, paths := range sdk.schemas {
		for _, p := range paths {
			listed[p] = true
		}
	}
	for _, r := range sdk.refused {
		for _, p := range r.paths {
			listed[p] = true
		}
	}
	var found []string
	err := filepath.WalkDir(filepath.Join(sdk.root, "tests"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".json", ".yml", ".yaml":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var top map[string]any
		if yaml.Unmarshal(data, &top) != nil || (top["nodes"] == nil && top["generics"] == nil) {
			if !strings.Contains(path, "/models/") {
				return nil // not a schema (object files, menus, repository configurations)
			}
		}
		rel, _ := filepath.Rel(sdk.root, path)
		rel = filepath.ToSlash(rel)
		if !listed[rel] && !listed[filepath.ToSlash(filepath.Dir(rel))] {
			found = append(found, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	if len(found) > 0 {
		t.Errorf("schema files of the SDK's tests neither loaded nor listed as refused: %v", found)
	}
	if len(listed) < 12 {
		t.Errorf("listed %d SDK schema files, want at least 12", len(listed))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
