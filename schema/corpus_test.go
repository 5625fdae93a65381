package schema_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// withDeps returns folder and its dependencies, dependencies first.
func withDeps(t testing.TB, _, folder string) []string {
	t.Helper()
	return testenv.SchemaLibraryFolders(t, folder)
}

func TestSchemaLibraryExtensions(t *testing.T) {
	lib := filepath.Join(corpusDir(t), "schema-library")
	base := coreSet(t)
	entries, err := os.ReadDir(filepath.Join(lib, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		folder := "extensions/" + e.Name()
		t.Run(e.Name(), func(t *testing.T) {
			files := parsePaths(t, lib, withDeps(t, lib, folder)...)
			if err := schema.CheckLimits(base, files, limits.Default()); err != nil {
				t.Fatalf("limits %s: %v", folder, err)
			}
			if _, err := schema.Load(base, files...); err != nil {
				t.Fatalf("load %s: %v", folder, err)
			}
		})
	}
}

// TestSchemaLibraryExperimental loads each experimental folder that the corpus README does not
// list as known-bad.
func TestSchemaLibraryExperimental(t *testing.T) {
	lib := filepath.Join(corpusDir(t), "schema-library")
	knownBad := map[string]bool{"circuit_service": true, "security": true, "topology": true}
	base := coreSet(t)
	entries, err := os.ReadDir(filepath.Join(lib, "experimental"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if knownBad[e.Name()] {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			files := parsePaths(t, lib, withDeps(t, lib, "experimental/"+e.Name())...)
			if err := schema.CheckLimits(base, files, limits.Default()); err != nil {
				t.Fatal(err)
			}
			if _, err := schema.Load(base, files...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInfrahubModels loads the classic base models with the examples written for the current
// base. The other examples were written for older Infrahub releases and are refused: netbox and
// nautobot add a status relationship where base nodes hold a status attribute, ipfabric and
// extension_power use the now reserved Template namespace.
func TestInfrahubModels(t *testing.T) {
	root := filepath.Join(corpusDir(t), "infrahub-models")
	base := coreSet(t)
	for _, ex := range []string{"", "examples/extension_contract.yml", "examples/extension_peering_manager.yml",
		"examples/ipam_kind_override.yml", "examples/security/infrastructure_security.yml"} {
		t.Run(ex, func(t *testing.T) {
			files := parsePaths(t, root, "base")
			if ex != "" {
				files = append(files, parsePaths(t, root, ex)...)
			}
			if err := schema.CheckLimits(base, files, limits.Default()); err != nil {
				t.Fatal(err)
			}
			if _, err := schema.Load(base, files...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSchemaLibraryBase(t *testing.T) {
	lib := filepath.Join(corpusDir(t), "schema-library")
	s, err := schema.Load(coreSet(t), parsePaths(t, lib, "base")...)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Node("DcimDevice"); !ok {
		t.Fatal("DcimDevice missing")
	}
}

func TestServiceCatalog(t *testing.T) {
	s := serviceCatalog(t)
	var ns []string
	for _, n := range s.Namespaces() {
		if !strings.HasPrefix(n, "Core") {
			ns = append(ns, n)
		}
	}
	sort.Strings(ns)
	t.Logf("namespaces: %v, kinds: %d, hash %s", ns, len(s.Kinds()), s.Hash())
}

// allExtensions returns base and every extensions/* folder with its dependencies, in load order.
func allExtensions(t testing.TB, lib string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(lib, "extensions"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var folders []string
	for _, e := range entries {
		for _, f := range withDeps(t, lib, "extensions/"+e.Name()) {
			if !seen[f] {
				seen[f] = true
				folders = append(folders, f)
			}
		}
	}
	return folders
}

func TestSchemaLibraryAllExtensionsTogether(t *testing.T) {
	lib := filepath.Join(corpusDir(t), "schema-library")
	s, err := schema.Load(coreSet(t), parsePaths(t, lib, allExtensions(t, lib)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d nodes, %d generics, %d profiles, %d templates", len(s.Nodes()), len(s.Generics()), len(s.Profiles()), len(s.Templates()))
}

// BenchmarkLoadSchemaLibrary measures parsing and loading base and every extension on top of
// the core in one load.
func BenchmarkLoadSchemaLibrary(b *testing.B) {
	lib := filepath.Join(corpusDir(b), "schema-library")
	folders := allExtensions(b, lib)
	base := coreSet(b)
	var data [][]byte
	var names []string
	for _, f := range parsePaths(b, lib, folders...) {
		names = append(names, f.Name)
		raw, err := os.ReadFile(filepath.Join(lib, f.Name))
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, raw)
	}
	b.ResetTimer()
	for b.Loop() {
		files := make([]*schema.File, len(data))
		for i := range data {
			f, err := schema.Parse(names[i], data[i])
			if err != nil {
				b.Fatal(err)
			}
			files[i] = f
		}
		if _, err := schema.Load(base, files...); err != nil {
			b.Fatal(err)
		}
	}
}
