package rest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/queries/rest"
	"github.com/infrahub-go/infrahub/schema"
)

// infrahubAPI adds Infrahub's REST API (schema, menu, config, info and the 404 of unknown
// paths) to the fixture's server, as the server's routes do.
func (f *fixture) infrahubAPI() *fixture {
	state := f.store.Branches()
	(&rest.API{State: state, Commands: f.dispatch, Default: branch.Default}).Register(f.mux)
	(&rest.Menu{Graph: f.port, State: state, Default: branch.Default}).Register(f.mux)
	(&rest.App{Version: "1.2.3", DeploymentID: "infrahub-go", AllowAnonymousAccess: true}).Register(f.mux)
	return f
}

// do sends one request and answers the status and the body.
func (f *fixture) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// schemaPayloads reads schema files (and the .yml, .yaml and .json files under folders, in
// name order) as `infrahubctl schema load` sends them: each file's content as a JSON object
// (SchemaFile.payload, infrahub_sdk/yaml.py).
func schemaPayloads(t *testing.T, root string, paths ...string) []any {
	t.Helper()
	var files []string
	for _, p := range paths {
		full := filepath.Join(root, p)
		st, err := os.Stat(full)
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsDir() {
			files = append(files, full)
			continue
		}
		var found []string
		_ = filepath.WalkDir(full, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains([]string{".yml", ".yaml", ".json"}, filepath.Ext(path)) {
				found = append(found, path)
			}
			return err
		})
		sort.Strings(found)
		files = append(files, found...)
	}
	out := make([]any, 0, len(files))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, doc)
	}
	return out
}

// loadSchemas sends the SDK's schema load (InfrahubSchema.load in
// infrahub_sdk/schema/__init__.py: POST /api/schema/load?branch=<branch> with
// {"schemas": [...]}) and checks what the SDK reads of the answer.
func (f *fixture) loadSchemas(t *testing.T, schemas []any) map[string]any {
	t.Helper()
	status, body := f.do(t, http.MethodPost, "/api/schema/load?branch=main", map[string]any{"schemas": schemas})
	if status != http.StatusOK {
		t.Fatalf("schema load: %d %.2000s", status, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	// SchemaLoadResponse(hash=status["hash"], previous_hash=status["previous_hash"])
	for _, k := range []string{"hash", "previous_hash"} {
		if s, ok := out[k].(string); !ok || s == "" {
			t.Fatalf("schema load answer: %s = %v, want a hash", k, out[k])
		}
	}
	return out
}

// corpusSchemas are the schema sets of the corpus that load here.
func corpusSchemas(t *testing.T) map[string][]any {
	lib := testenv.Corpus(t, "schema-library")
	var extensions []string
	entries, err := os.ReadDir(filepath.Join(lib, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		extensions = append(extensions, filepath.Join("extensions", e.Name()))
	}
	var experimental []string
	knownBad := map[string]bool{"circuit_service": true, "security": true, "topology": true} // the corpus README's known-bad files
	entries, err = os.ReadDir(filepath.Join(lib, "experimental"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !knownBad[e.Name()] {
			experimental = append(experimental, filepath.Join("experimental", e.Name()))
		}
	}
	models := testenv.Corpus(t, "infrahub-models")
	catalog := testenv.Corpus(t, "infrahub-demo-service-catalog")
	return map[string][]any{
		"schema-library base":                              schemaPayloads(t, lib, "base"),
		"schema-library base and extensions":               schemaPayloads(t, lib, append([]string{"base"}, append(extensions, "experimental/location_extended")...)...),
		"schema-library base, extensions and experimental": schemaPayloads(t, lib, append(append([]string{"base"}, extensions...), experimental...)...),
		"infrahub-models base":                             schemaPayloads(t, models, "base"),
		"infrahub-models base and examples":                schemaPayloads(t, models, "base", "examples/extension_contract.yml", "examples/extension_peering_manager.yml", "examples/ipam_kind_override.yml", "examples/security/infrastructure_security.yml"),
		"service catalog (.infrahub.yml schemas)":          schemaPayloads(t, catalog, "schemas/base", "schemas/location_minimal", "schemas/vlan", "schemas/service"),
	}
}

// GET /api/schema of a server holding each schema set of the corpus decodes as the SDK's read
// models demand, lists every kind of the branch but the Internal ones, and GET
// /api/schema/{kind} answers each of them in its model.
func TestSchemaAnswerFitsSDKModels(t *testing.T) {
	for name, schemas := range corpusSchemas(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t).infrahubAPI()
			f.loadSchemas(t, schemas)
			// InfrahubSchema._fetch: GET /api/schema?branch=main (urlencode([("branch", branch)]))
			status, body := f.do(t, http.MethodGet, "/api/schema?branch=main", nil)
			if status != http.StatusOK {
				t.Fatalf("GET /api/schema: %d %.500s", status, body)
			}
			root, problems := validateSchemaAnswer(body)
			if len(problems) > 0 {
				t.Fatalf("GET /api/schema does not fit the SDK's models:\n%s", firstProblems(problems))
			}
			set, _ := f.store.Branches().Schema("main")
			got := kindsOf(root)
			for _, k := range set.Kinds() {
				m, _ := set.Model(k)
				if _, ok := got[k]; ok == (m.Namespace == schema.InternalNamespace) {
					t.Errorf("kind %s listed: %v", k, ok)
				}
			}
			if root.Main == nil || *root.Main != set.Hash() {
				t.Errorf("main = %v, want %s", root.Main, set.Hash())
			}
			for kind, section := range got {
				status, body := f.do(t, http.MethodGet, "/api/schema/"+kind+"?branch=main", nil)
				if problems := validateKindAnswer(section, body); status != http.StatusOK || len(problems) > 0 {
					t.Fatalf("GET /api/schema/%s: %d %v", kind, status, problems)
				}
			}
		})
	}
}

// The strict decoding refuses what pydantic refuses: a null list, a missing name, a value of
// the wrong type, a value outside an enumeration.
func TestSDKModelValidatorRefuses(t *testing.T) {
	valid := `{"main":"h","nodes":[{"name":"Device","namespace":"Test","kind":"TestDevice","inherit_from":[],
		"attributes":[{"name":"name","kind":"Text"}],"relationships":[{"name":"tags","peer":"BuiltinTag","optional":true}]}],
		"generics":[],"profiles":[],"templates":[],"namespaces":[]}`
	if _, problems := validateSchemaAnswer([]byte(valid)); len(problems) > 0 {
		t.Fatalf("valid answer refused: %v", problems)
	}
	for _, bad := range []struct{ from, to string }{
		{`"inherit_from":[]`, `"inherit_from":null`},
		{`"generics":[]`, `"generics":null`},
		{`"name":"Device",`, ``},
		{`"optional":true`, `"optional":null`},
		{`"optional":true`, `"optional":"maybe"`},
		{`"kind":"Text"`, `"kind":"Txt"`},
		{`"peer":"BuiltinTag"`, `"peer":"BuiltinTag","on_delete":""`},
		{`"relationships":[`, `"relationships":null,"x":[`},
	} {
		doc := strings.Replace(valid, bad.from, bad.to, 1)
		if _, problems := validateSchemaAnswer([]byte(doc)); len(problems) == 0 {
			t.Errorf("%s accepted", bad.to)
		}
	}
}

// The SDK's namespaces filter (InfrahubSchema.all/fetch(namespaces=[...]): GET
// /api/schema?branch=main&namespaces=Test&namespaces=Builtin) keeps the kinds of those
// namespaces; main and namespaces describe the whole schema, as Infrahub answers them.
func TestSchemaNamespacesFilter(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	_, all := f.do(t, http.MethodGet, "/api/schema?branch=main", nil)
	status, body := f.do(t, http.MethodGet, "/api/schema?branch=main&namespaces=Test&namespaces=Builtin", nil)
	root, problems := validateSchemaAnswer(body)
	if status != http.StatusOK || len(problems) > 0 {
		t.Fatalf("%d %v", status, problems)
	}
	whole, _ := validateSchemaAnswer(all)
	kinds := kindsOf(root)
	if kinds["TestDevice"] != "nodes" || kinds["BuiltinTag"] != "nodes" || kinds["CoreGroup"] != "" || kinds["ProfileTestDevice"] != "" {
		t.Fatalf("filtered kinds: %v", kinds)
	}
	if *root.Main != *whole.Main || len(root.Namespaces.V) != len(whole.Namespaces.V) || len(root.Namespaces.V) < 5 {
		t.Fatalf("main %v / %v, namespaces %d / %d", *root.Main, *whole.Main, len(root.Namespaces.V), len(whole.Namespaces.V))
	}
	if status, _ := f.do(t, http.MethodGet, "/api/schema?branch=nope", nil); status != http.StatusNotFound {
		t.Fatalf("unknown branch: %d", status)
	}
}

// The web UI's schema summary (getSchemaSummaryFromApi in
// frontend/app/src/entities/schema/api/get-schema-summary-from-api.ts: GET
// /api/schema/summary?branch=main) answers Infrahub's SchemaBranchHash: the hash of the schema
// and of each node and generic, the ones GET /api/schema answers.
func TestSchemaSummary(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	status, body := f.do(t, http.MethodGet, "/api/schema/summary?branch=main", nil)
	var sum struct {
		Main     string            `json:"main"`
		Nodes    map[string]string `json:"nodes"`
		Generics map[string]string `json:"generics"`
	}
	if err := json.Unmarshal(body, &sum); status != http.StatusOK || err != nil {
		t.Fatalf("%d %v %.300s", status, err, body)
	}
	_, all := f.do(t, http.MethodGet, "/api/schema?branch=main", nil)
	root, _ := validateSchemaAnswer(all)
	if sum.Main == "" || sum.Main != *root.Main {
		t.Fatalf("main %q, schema's %q", sum.Main, *root.Main)
	}
	for _, n := range root.Nodes.V {
		if sum.Nodes[*n.Kind] != *n.Hash {
			t.Errorf("node %s: summary %q, schema %q", *n.Kind, sum.Nodes[*n.Kind], *n.Hash)
		}
	}
	for _, g := range root.Generics.V {
		if sum.Generics[*g.Kind] != *g.Hash {
			t.Errorf("generic %s: summary %q, schema %q", *g.Kind, sum.Generics[*g.Kind], *g.Hash)
		}
	}
	if _, ok := sum.Nodes["ProfileTestDevice"]; ok {
		t.Error("profiles are not in the summary's nodes")
	}
}
