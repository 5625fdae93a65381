package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// schemaLibraryUndeclared are the dependencies of schema-library folders that its .metadata.yml
// does not declare (the corpus README lists them).
var schemaLibraryUndeclared = map[string][]string{
	"experimental/circuit_service":     {"base"},
	"experimental/tenancy":             {"experimental/location_extended"},
	"extensions/routing":               {"extensions/vrf"},
	"extensions/routing_bgp_community": {"extensions/routing_policies"},
	"extensions/peering_ixp":           {"extensions/routing_policies_bgp"},
}

// SchemaLibraryFolders returns the schema-library folders (relative to the library, such as
// "base" or "extensions/vrf") to load for folder: base, the dependencies .metadata.yml declares
// and those it misses, then folder itself, dependencies first.
func SchemaLibraryFolders(t testing.TB, folder string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Corpus(t, "schema-library"), ".metadata.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]struct {
		Dependencies []string `yaml:"dependencies"`
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatalf("schema-library/.metadata.yml: %v", err)
	}
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(f string) {
		if seen[f] {
			return
		}
		seen[f] = true
		for _, d := range append(append([]string(nil), meta[f].Dependencies...), schemaLibraryUndeclared[f]...) {
			visit(d)
		}
		out = append(out, f)
	}
	visit("base")
	visit(folder)
	return out
}
