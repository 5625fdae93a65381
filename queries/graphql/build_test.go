package graphql

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/schema"
)

func builtin(t testing.TB) *schema.Set {
	t.Helper()
	set, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// loadRepoSchema loads the schema files and folders listed under `schemas` in a repository's
// .infrahub.yml, in one load over the built-in schema.
func loadRepoSchema(t testing.TB, repo string) *schema.Set {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, ".infrahub.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Schemas []string `yaml:"schemas"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf(".infrahub.yml: %v", err)
	}
	var paths []string
	for _, p := range cfg.Schemas {
		paths = append(paths, filepath.Join(repo, p))
	}
	return loadSchema(t, paths...)
}

func loadSchema(t testing.TB, paths ...string) *schema.Set {
	t.Helper()
	var files []*schema.File
	for _, p := range paths {
		for _, name := range schemaFiles(t, p) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := schema.Parse(name, data)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			files = append(files, f)
		}
	}
	set, err := schema.Load(builtin(t), files...)
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return set
}

func schemaFiles(t testing.TB, p string) []string {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		return []string{p}
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".yml", ".yaml", ".json":
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func build(t testing.TB, set *schema.Set) *ast.Schema {
	t.Helper()
	s, err := Build(set)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustValidate(t *testing.T, s *ast.Schema, query string) *ast.QueryDocument {
	t.Helper()
	doc, errs := Validate(s, query)
	if len(errs) > 0 {
		t.Fatalf("validate:\n%s\nerrors: %v", query, errs)
	}
	return doc
}

func mustReject(t *testing.T, s *ast.Schema, query, want string) {
	t.Helper()
	_, errs := Validate(s, query)
	if len(errs) == 0 {
		t.Fatalf("validated, want an error containing %q:\n%s", want, query)
	}
	if !strings.Contains(errs.Error(), want) {
		t.Fatalf("errors %v, want one containing %q", errs, want)
	}
}

func TestBuildBuiltin(t *testing.T) {
	set := builtin(t)
	s := build(t, set)
	for _, name := range []string{"BuiltinTag", "PaginatedBuiltinTag", "EdgedBuiltinTag", "NestedEdgedBuiltinTag",
		"NestedPaginatedBuiltinTag", "BuiltinTagCreate", "BuiltinTagCreateInput", "BuiltinTagUpdateInput",
		"BuiltinTagUpsertInput", "BuiltinTagDelete", "CoreNode", "CoreGroup", "LineageSource", "TextAttribute",
		"NumberAttribute", "CheckboxAttribute", "Dropdown", "IPHost", "IPNetwork", "MacAddress", "JSONAttribute",
		"ListAttribute", "AnyAttribute", "RelatedNodeInput", "DeleteInput", "Branch", "InfrahubInfo", "DateTime",
		"GenericScalar", "BigInt"} {
		if s.Types[name] == nil {
			t.Errorf("type %s missing", name)
		}
	}
	for _, g := range set.Generics() {
		if g.Namespace == internalNamespace {
			continue
		}
		if d := s.Types[g.Kind]; d == nil || d.Kind != ast.Interface {
			t.Errorf("generic %s is not an interface", g.Kind)
		}
		if s.Query.Fields.ForName(g.Kind) == nil {
			t.Errorf("no query field for generic %s", g.Kind)
		}
	}
	for _, list := range [][]*schema.Node{set.Nodes(), set.Profiles(), set.Templates()} {
		for _, n := range list {
			if n.Namespace == internalNamespace {
				if s.Types[n.Kind] != nil {
					t.Errorf("internal kind %s is exposed", n.Kind)
				}
				continue
			}
			if d := s.Types[n.Kind]; d == nil || d.Kind != ast.Object {
				t.Errorf("node %s is not an object", n.Kind)
			}
			if s.Query.Fields.ForName(n.Kind) == nil {
				t.Errorf("no query field for %s", n.Kind)
			}
			for _, op := range []string{"Create", "Update", "Upsert", "Delete"} {
				if s.Mutation.Fields.ForName(n.Kind+op) == nil {
					t.Errorf("no mutation %s%s", n.Kind, op)
				}
			}
		}
	}
	// every node kind but groups implements CoreNode
	if !implements(s, "BuiltinTag", "CoreNode") || implements(s, "CoreStandardGroup", "CoreNode") ||
		!implements(s, "CoreStandardGroup", "CoreGroup") {
		t.Error("wrong interfaces for BuiltinTag or CoreStandardGroup")
	}

	// Infrahub's own examples (spec §1.2 and appendix C)
	mustValidate(t, s, `query { BuiltinTag(name__value:"red", offset:0, limit:50) { count edges { node { id hfid display_label name { value is_protected source { id } } } node_metadata { created_at } } } }`)
	mustValidate(t, s, `mutation { BuiltinTagCreate(data:{name:{value:"red"}, description:{value:"x", source:"acc", is_protected:true}}) { ok object { id hfid } } }`)
	mustValidate(t, s, `mutation { BranchCreate(data:{name:"feat-1", description:"d", sync_with_git:false}) { ok object { id name branched_from is_default sync_with_git has_schema_changes } } }`)
	mustValidate(t, s, `mutation { BranchCreate(data:{name:"feat-1"}, background_execution:true) { ok task { id } } }`)
	mustValidate(t, s, `mutation { BranchDelete(data:{name:"feat-1"}) { ok } }`)
	mustValidate(t, s, `query { Branch { id name description origin_branch branched_from created_at sync_with_git is_default has_schema_changes } InfrahubInfo { version deployment_id } }`)
	mustValidate(t, s, `mutation { BuiltinTagUpdate(data:{id:"x", name:{value:"blue", is_default:false}}) { ok object { id } } }`)
	mustValidate(t, s, `mutation { BuiltinTagUpsert(data:{hfid:["blue"], name:{value:"blue"}}) { ok object { id } } }`)
	mustValidate(t, s, `mutation { BuiltinTagDelete(data:{hfid:["blue"]}) { ok } }`)
	mustValidate(t, s, `mutation { RelationshipAdd(data:{id:"g", name:"members", nodes:[{id:"t"}]}) { ok } RelationshipRemove(data:{id:"g", name:"members", nodes:[{hfid:["t"], _relation__is_protected:true}]}) { ok } }`)
	mustValidate(t, s, `mutation { CoreStandardGroupCreate(data:{name:{value:"g"}, members:[{id:"a"},{hfid:["b"], _relation__source:"s"}], parent:{id:"p"}}, context:{account:{id:"acc"}}) { ok object { id } } }`)
	// generics, fragments, hierarchy, nested filters and order
	mustValidate(t, s, `query { CoreGroup(name__value: "g", members__ids: ["x"], order: {by: [{field: "name__value", direction: DESC}]}) {
	  count permissions { count edges { node { kind view create update delete } } }
	  edges { node { __typename id display_label name { value updated_at is_from_profile permissions { update_value } }
	    ... on CoreStandardGroup { parent { node { id } properties { is_protected source { id } owner { id } } }
	      children(limit: 10, name__value: "x") { count edges { node { id } } }
	      ancestors { edges { node { id } } } descendants(offset: 1) { count }
	      members(include_descendants: true, offset: 0, limit: 5) { count edges { node { __typename id ... on BuiltinTag { name { value } } } properties { is_protected } } } }
	    member_of_groups { edges { node { id } } } } } } }`)
	mustValidate(t, s, `query { BuiltinTag(member_of_groups__name__value: "g", member_of_groups__ids: ["x"], any__value: "r", partial_match: true, ids: ["a"], hfid: ["red"], name__values: ["a", "b"], name__isnull: false, name__source__id: "s", name__owner__id: "o", description__is_protected: true, node_metadata__created_at__after: "2024-01-01T00:00:00Z") { count } }`)
	// errors name the culprit
	mustReject(t, s, `query { BuiltinTag { edges { node { nope { value } } } } }`, "nope")
	mustReject(t, s, `query { BuiltinTag(nope__value: "x") { count } }`, "nope__value")
	mustReject(t, s, `mutation { BuiltinTagCreate(data: {name: {value: 1.5}}) { ok } }`, "String")
	mustReject(t, s, `mutation { BuiltinTagDelete { ok } }`, "data")
}

func implements(s *ast.Schema, object, iface string) bool {
	for _, d := range s.GetImplements(s.Types[object]) {
		if d.Name == iface {
			return true
		}
	}
	return false
}

func TestBuildServiceCatalog(t *testing.T) {
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	set := loadRepoSchema(t, repo)
	s := build(t, set)
	// the generator query's fragments: interface kinds implement the generic of the relationship
	if peer := s.Types["DcimInterfaceL2"]; peer == nil || len(peer.Interfaces) < 2 {
		t.Fatalf("DcimInterfaceL2 must implement its generics and CoreNode: %v", peer)
	}
	// typed attribute objects of the catalog's kinds
	mustValidate(t, s, `query { IpamIPAddress { edges { node { address { value ip hostmask netmask prefixlen version with_hostmask with_netmask is_default is_from_profile is_protected updated_at source { id } owner { id } } } } } }`)
	mustValidate(t, s, `query { IpamPrefix { edges { node { prefix { value broadcast_address hostmask netmask prefixlen num_addresses version with_hostmask with_netmask } } } } }`)
	mustValidate(t, s, `query { DcimDevice(location__shortname__value: "atl", status__values: ["active"]) { count edges { node { status { value label color description } location { node { id } properties { updated_at } } } } } }`)
	mustValidate(t, s, `mutation { DcimDeviceCreate(data: {name: {value: "d"}, location: {hfid: ["atl"]}}) { ok object { id } } }`)
	for _, p := range set.Profiles() {
		if s.Query.Fields.ForName(p.Kind) == nil || s.Mutation.Fields.ForName(p.Kind+"Create") == nil {
			t.Errorf("profile %s not exposed", p.Kind)
		}
	}
	for _, p := range set.Templates() {
		if s.Query.Fields.ForName(p.Kind) == nil || s.Mutation.Fields.ForName(p.Kind+"Create") == nil {
			t.Errorf("template %s not exposed", p.Kind)
		}
	}
	if len(set.Templates()) == 0 {
		t.Error("the service catalog declares templates; none generated")
	}
}

// sdkSchemas are the loadable schema files of the SDK's fixtures. None of them is what the
// fixtures' .gql files query (those need the built-in schema only, or a schema not in the
// corpus), but each must build.
var sdkSchemas = []string{
	"tests/fixtures/models/valid_model_01.json",
	"tests/fixtures/models/valid_generic_schema.json",
}

func TestBuildSDKSchemas(t *testing.T) {
	for _, p := range sdkSchemas {
		t.Run(filepath.Base(p), func(t *testing.T) {
			set := loadSchema(t, testenv.Corpus(t, "infrahub-sdk-python", p))
			s := build(t, set)
			if strings.Contains(p, "generic") {
				mustValidate(t, s, `query { TestingAnimal { edges { node { __typename name { value } ... on DogDog { breed { value } } } } } }`)
			}
		})
	}
}

// gqlSkipped are the corpus .gql files that are not validated, with the reason.
var gqlSkipped = map[string]string{
	"infrahub-sdk-python/tests/fixtures/repos/ctl_integration/queries/animal_person.gql": "its schema (TestingPerson, TestingAnimal with height and animals) is defined in the SDK's Python test code, not in the corpus",
}

// gqlInvalid are the corpus .gql files that are invalid on purpose, with the error they must give.
var gqlInvalid = map[string]string{
	"infrahub-sdk-python/tests/fixtures/unit/test_infrahubctl/graphql/invalid_query.gql": "NonExistentType",
}

// TestCorpusDocuments validates every .gql file of the corpus repositories against the schema
// of its repository: the service catalog's own schema, and the built-in schema for the SDK's
// fixtures (they query BuiltinTag only).
func TestCorpusDocuments(t *testing.T) {
	root := testenv.Corpus(t)
	var once sync.Once
	var catalog, core *ast.Schema
	schemas := func() {
		catalog = build(t, loadRepoSchema(t, filepath.Join(root, "infrahub-demo-service-catalog")))
		core = build(t, builtin(t))
	}
	seen := map[string]bool{}
	validated := 0
	for _, repo := range []string{"infrahub-demo-service-catalog", "infrahub-sdk-python"} {
		err := filepath.WalkDir(filepath.Join(root, repo), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".gql" {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			seen[rel] = true
			if reason, ok := gqlSkipped[rel]; ok {
				t.Logf("skip %s: %s", rel, reason)
				return nil
			}
			once.Do(schemas)
			s := core
			if repo == "infrahub-demo-service-catalog" {
				s = catalog
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			t.Run(rel, func(t *testing.T) {
				if want, ok := gqlInvalid[rel]; ok {
					mustReject(t, s, string(data), want)
					return
				}
				mustValidate(t, s, string(data))
			})
			validated++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []map[string]string{gqlSkipped, gqlInvalid} {
		for rel := range m {
			if !seen[rel] {
				t.Errorf("%s is listed but not in the corpus", rel)
			}
		}
	}
	if validated < 7 {
		t.Errorf("validated %d documents, want at least 7", validated)
	}
}

// introspectionQuery is the standard introspection document of GraphiQL and graphql-js.
const introspectionQuery = `
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

func TestIntrospection(t *testing.T) {
	s := build(t, builtin(t))
	mustValidate(t, s, introspectionQuery)
	mustValidate(t, s, `{ __type(name: "BuiltinTag") { name fields { name } } BuiltinTag { __typename } }`)
}

func TestSDL(t *testing.T) {
	s := build(t, builtin(t))
	sdl := SDL(s)
	for _, want := range []string{"type BuiltinTag implements CoreNode", "interface CoreGroup", "type Query", "BuiltinTagCreate(data: BuiltinTagCreateInput!, context: ContextInput): BuiltinTagCreate"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("SDL lacks %q", want)
		}
	}
	if strings.Contains(sdl, "__Schema") {
		t.Error("SDL holds the built-in introspection types")
	}
	// the printed SDL is itself a valid schema equal in its types
	again, err := loadSDL(sdl)
	if err != nil {
		t.Fatalf("reload SDL: %v", err)
	}
	if len(again.Types) != len(s.Types) {
		t.Errorf("reloaded SDL has %d types, want %d", len(again.Types), len(s.Types))
	}
}

func TestSchemasCache(t *testing.T) {
	var c Schemas
	core := builtin(t)
	same := builtin(t) // another set with the same hash, as two branches would have
	var wg sync.WaitGroup
	got := make([]*ast.Schema, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := core
			if i%2 == 1 {
				set = same
			}
			s, err := c.Get(set)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	wg.Wait()
	for _, s := range got[1:] {
		if s != got[0] {
			t.Fatal("sets with the same hash got different schemas")
		}
	}
	if c.Len() != 1 {
		t.Fatalf("cache holds %d schemas, want 1", c.Len())
	}
	other := loadSchema(t, testenv.Corpus(t, "infrahub-sdk-python", "tests/fixtures/models/valid_model_01.json"))
	s2, err := c.Get(other)
	if err != nil {
		t.Fatal(err)
	}
	if s2 == got[0] || c.Len() != 2 || s2.Types["InfraDevice"] == nil {
		t.Fatal("another schema must get its own build")
	}
	c.Forget(other.Hash())
	if c.Len() != 1 {
		t.Fatal("Forget kept the schema")
	}
}

func loadSDL(sdl string) (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: "reloaded.graphql", Input: sdl})
}

// TestBuildSchemaLibrary builds the schema library's base with each extension: whatever loads
// must build (an extension whose dependencies are missing does not load and is only logged).
func TestBuildSchemaLibrary(t *testing.T) {
	lib := testenv.Corpus(t, "schema-library")
	base := filepath.Join(lib, "base")
	exts, err := os.ReadDir(filepath.Join(lib, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	core := builtin(t)
	built := 0
	for _, e := range append([]os.DirEntry{nil}, exts...) {
		paths := []string{base}
		name := "base"
		if e != nil {
			name = e.Name()
			paths = append(paths, filepath.Join(lib, "extensions", name))
		}
		var files []*schema.File
		for _, p := range paths {
			for _, f := range schemaFiles(t, p) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := schema.Parse(f, data)
				if err != nil {
					t.Fatalf("parse %s: %v", f, err)
				}
				files = append(files, parsed)
			}
		}
		set, err := schema.Load(core, files...)
		if err != nil {
			t.Logf("%s does not load alone: %v", name, strings.SplitN(err.Error(), "\n", 2)[0])
			continue
		}
		if _, err := Build(set); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		built++
	}
	if built < 20 {
		t.Errorf("built %d schemas of the library, want at least 20", built)
	}
}
