package authz_test

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/schema/core"
)

// The built-in CoreGlobalPermission offers exactly the global actions authz decides.
func TestGlobalActionsAreTheSchemasChoices(t *testing.T) {
	var doc struct {
		Nodes []struct {
			Name       string `yaml:"name"`
			Attributes []struct {
				Name    string `yaml:"name"`
				Choices []struct {
					Name string `yaml:"name"`
				} `yaml:"choices"`
			} `yaml:"attributes"`
		} `yaml:"nodes"`
	}
	for _, f := range core.Files() {
		if f.Name != "accounts.yml" {
			continue
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			t.Fatal(err)
		}
	}
	var choices []string
	for _, n := range doc.Nodes {
		for _, a := range n.Attributes {
			if n.Name == "GlobalPermission" && a.Name == "action" {
				for _, c := range a.Choices {
					choices = append(choices, c.Name)
				}
			}
		}
	}
	var globals []string
	for _, g := range authz.Globals {
		globals = append(globals, string(g))
	}
	if !slices.Equal(choices, globals) {
		t.Errorf("CoreGlobalPermission.action choices %v, authz.Globals %v", choices, globals)
	}
}
