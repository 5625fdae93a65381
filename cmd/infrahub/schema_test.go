package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

type apiSchema struct {
	Main     string                  `json:"main"`
	Nodes    []struct{ Kind string } `json:"nodes"`
	Generics []struct{ Kind string } `json:"generics"`
	Profiles []struct{ Kind string } `json:"profiles"`
}

func getSchema(t *testing.T, base, branch string) (apiSchema, map[string]bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/schema?branch=" + branch)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s apiSchema
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, n := range append(append(s.Nodes, s.Generics...), s.Profiles...) {
		kinds[n.Kind] = true
	}
	return s, kinds
}

// The schema library (base, every extension and the one experimental folder they need) loads
// in one POST /api/schema/load through the CLI; branches keep their own schema; all of it
// survives a restart; a broken file is refused with its path and line.
func TestSchemaLoadThroughServer(t *testing.T) {
	lib := testenv.Corpus(t, "schema-library")
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"INFRAHUB_DATA": dir}
	c := startChild(t, addr, env)
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}

	out, err := runCLI(t, cli, "schema", "load", filepath.Join(lib, "base"), filepath.Join(lib, "extensions"),
		filepath.Join(lib, "experimental", "location_extended"))
	if err != nil || !strings.Contains(out, ": loaded (hash") {
		t.Fatalf("load schema library: %q, %v", out, err)
	}
	if _, err := runCLI(t, cli, "schema", "load", "--branch", "b1", filepath.Join(lib, "extensions", "vrf")); err == nil ||
		!strings.Contains(err.Error(), "404") {
		t.Fatalf("load on a branch that does not exist: %v", err)
	}
	if out, err := runCLI(t, cli, "branch", "create", "b1", "--description", "test branch"); err != nil || !strings.Contains(out, "created branch b1") {
		t.Fatalf("branch create: %q, %v", out, err)
	}
	if _, err := runCLI(t, cli, "branch", "create", "b1"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second branch create: %v", err)
	}
	if out, err := runCLI(t, cli, "branch", "list"); err != nil || !strings.Contains(out, "b1") || !strings.Contains(out, "test branch") {
		t.Fatalf("branch list: %q, %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("version: \"1.0\"\nnodes:\n  - name: Thing\n    namespace: Test\n    attributes:\n      - name: status\n        kind: Dropdwn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, cli, "schema", "load", "--branch", "b1", bad); err == nil ||
		!strings.Contains(err.Error(), bad+":6: TestThing.attributes[status].kind: unknown kind \"Dropdwn\"") {
		t.Fatalf("bad schema: %v", err)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("version: \"1.0\"\nnodes:\n  - name: Thing\n    namespace: Test\n    attributes:\n      - name: label\n        kind: Text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, cli, "schema", "check", "--branch", "b1", good)
	if err != nil || !strings.Contains(out, "would change") || !strings.Contains(out, "+ TestThing") {
		t.Fatalf("check: %q, %v", out, err)
	}
	if _, err := runCLI(t, cli, "schema", "load", "--branch", "b1", good); err != nil {
		t.Fatal(err)
	}
	mainBefore, mainKinds := getSchema(t, c.base, "main")
	b1Before, b1Kinds := getSchema(t, c.base, "b1")
	for _, k := range []string{"DcimDevice", "LocationSite", "IpamVRF", "ProfileDcimDevice", "BuiltinTag", "CoreArtifactTarget"} {
		if !mainKinds[k] {
			t.Errorf("main lacks %s", k)
		}
	}
	if mainKinds["TestThing"] || !b1Kinds["TestThing"] || !b1Kinds["DcimDevice"] {
		t.Fatalf("branch isolation: main has TestThing=%v, b1 has TestThing=%v DcimDevice=%v",
			mainKinds["TestThing"], b1Kinds["TestThing"], b1Kinds["DcimDevice"])
	}
	export, err := runCLI(t, cli, "schema", "export")
	if err != nil || !strings.Contains(export, "version: \"1.0\"") || !strings.Contains(export, "namespace: Dcim") || strings.Contains(export, "namespace: Core") {
		t.Fatalf("export: %v\n%.400s", err, export)
	}

	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	c = startChild(t, addr, env)
	mainAfter, _ := getSchema(t, c.base, "main")
	b1After, b1Kinds := getSchema(t, c.base, "b1")
	if mainAfter.Main != mainBefore.Main || b1After.Main != b1Before.Main || !b1Kinds["TestThing"] {
		t.Fatalf("after restart: main %s→%s, b1 %s→%s", mainBefore.Main, mainAfter.Main, b1Before.Main, b1After.Main)
	}
	resp, err := http.Get(c.base + "/api/schema/DcimDevice")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/schema/DcimDevice: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if resp, _ := http.Get(c.base + "/api/schema/NoSuchKind"); resp.StatusCode != 404 {
		t.Fatalf("unknown kind: %d", resp.StatusCode)
	}
}

// The service catalog's schemas load as its .infrahub.yml lists them, in one call.
func TestServiceCatalogSchemaLoads(t *testing.T) {
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	var paths []string
	for _, p := range []string{"base", "location_minimal", "vlan", "service"} { // .infrahub.yml `schemas`
		paths = append(paths, filepath.Join(repo, "schemas", p))
	}
	out, err := runCLI(t, map[string]string{"INFRAHUB_ADDRESS": c.base}, append([]string{"schema", "load"}, paths...)...)
	if err != nil || !strings.Contains(out, ": loaded (hash") {
		t.Fatalf("load: %q, %v", out, err)
	}
	_, kinds := getSchema(t, c.base, "main")
	// The object files of issue 4's acceptance validate against it (through the server), and a
	// broken one is refused naming file, line, document, item and field.
	var objects []string
	for _, f := range []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml", "04_provider.yml", "06_device_type.yml"} {
		objects = append(objects, filepath.Join(repo, "data", f))
	}
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	out, err = runCLI(t, cli, append([]string{"object", "validate"}, objects...)...)
	if err != nil || !strings.Contains(out, "6 file(s)") || !strings.Contains(out, "LocationSite") {
		t.Fatalf("object validate: %q, %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	_ = os.WriteFile(bad, []byte("apiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: LocationSite\n  data:\n    - name: x\n      colour: red\n"), 0o644)
	if _, err := runCLI(t, cli, "object", "validate", bad); err == nil || !strings.Contains(err.Error(), bad+":7") || !strings.Contains(err.Error(), `"colour"`) {
		t.Fatalf("broken object file: %v", err)
	}
	// Every kind of a real Infrahub's answer for the same schema is served (the kind-by-kind
	// comparison of attributes and relationships is schema's TestServiceCatalogAgainstDump).
	data, err := os.ReadFile(filepath.Join(repo, "tests", "fixtures", "schemas", "schema01.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump apiSchema
	if err := json.Unmarshal(data, &dump); err != nil {
		t.Fatal(err)
	}
	// The dump is older than the files: they replaced DcimConnector by connected_endpoint.
	gone := map[string]bool{"DcimConnector": true, "ProfileDcimConnector": true}
	for _, n := range append(append(dump.Nodes, dump.Generics...), dump.Profiles...) {
		if !kinds[n.Kind] && !gone[n.Kind] {
			t.Errorf("GET /api/schema lacks %s, which Infrahub serves for the same schema", n.Kind)
		}
	}
}
