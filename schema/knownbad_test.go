package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

// TestKnownBadCorpus loads every known-bad schema input of the corpus README and checks that the
// error names the missing kind or the broken property.
func TestKnownBadCorpus(t *testing.T) {
	root := corpusDir(t)
	lib := filepath.Join(root, "schema-library")
	models := filepath.Join(root, "infrahub-sdk-python/tests/fixtures/models")
	tests := []struct {
		name  string
		paths func(t *testing.T) []*schema.File
		want  []string
	}{
		{"circuit_service", func(t *testing.T) []*schema.File {
			return parsePaths(t, lib, withDeps(t, lib, "experimental/circuit_service")...)
		}, []string{`experimental/circuit_service/circuit_service.yml:`, `unknown kind "CircuitEndpoint"`}},
		{"security", func(t *testing.T) []*schema.File {
			return parsePaths(t, lib, withDeps(t, lib, "experimental/security")...)
		}, []string{`experimental/security/security.yml:`, `unknown kind "Infra`}},
		{"topology", func(t *testing.T) []*schema.File {
			return parsePaths(t, lib, withDeps(t, lib, "experimental/topology")...)
		}, []string{`experimental/topology/topology.yml:`, `unknown kind "Infra`}},
		{"extension_rack", func(t *testing.T) []*schema.File {
			return append(parsePaths(t, lib, "base"), parsePaths(t, root, "infrahub-models/examples/extension_rack.yml")...)
		}, []string{`infrahub-models/examples/extension_rack.yml:`, `"InfraSite"`}},
	}
	base := coreSet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.Load(base, tt.paths(t)...)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}

	parseBad := []struct {
		file string
		want []string
	}{
		{"empty.json", []string{"empty.json", "empty schema file"}},
		{"non_valid_json_01.json", []string{"non_valid_json_01.json:", "did not find expected"}},
		{"non_valid_model_01.json", []string{"non_valid_model_01.json:3: nodes[0].namespace: missing"}},
		{"non_valid_namespace.json", []string{`non_valid_namespace.json:3: OuTDevice.namespace: "OuT" must match`}},
	}
	for _, tt := range parseBad {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(models, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := schema.Parse(tt.file, data)
			if err == nil {
				_, err = schema.Load(base, f)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestValidSDKFixtures loads the valid schemas of the SDK's fixtures.
func TestValidSDKFixtures(t *testing.T) {
	root := corpusDir(t)
	base := coreSet(t)
	// valid_schemas/ is left out: it targets kinds of an older core (BuiltinLocation) and a
	// capitalised relationship name that only the SDK's offline parser accepts.
	for _, p := range []string{"valid_model_01.json", "valid_generic_schema.json"} {
		t.Run(p, func(t *testing.T) {
			files := parsePaths(t, filepath.Join(root, "infrahub-sdk-python/tests/fixtures/models"), p)
			if _, err := schema.Load(base, files...); err != nil {
				t.Fatal(err)
			}
		})
	}
}
