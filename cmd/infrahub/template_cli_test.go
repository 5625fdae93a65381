package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `infrahub template render` renders the service catalog's device_config.j2 as Python Jinja2
// renders it (the conformance golden of jinja/testdata/conformance, made by Python Jinja2 3.1.6
// with Infrahub's transform environment), and reports a failing render with its kind and line.
func TestTemplateRenderCLI(t *testing.T) {
	var golden struct {
		Cases []struct {
			Name    string          `json:"name"`
			Context json.RawMessage `json:"context"`
			Output  *string         `json:"output"`
			Error   *struct {
				Kind string `json:"kind"`
				Line int    `json:"line"`
			} `json:"error"`
		} `json:"cases"`
	}
	raw, err := os.ReadFile("../../jinja/testdata/conformance/golden/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	root := "../../../shared/corpus/infrahub-demo-service-catalog"
	checked := 0
	for _, c := range golden.Cases {
		if !strings.HasPrefix(c.Name, "corpus/device_config_") {
			continue
		}
		checked++
		data := filepath.Join(t.TempDir(), "data.json")
		if err := os.WriteFile(data, c.Context, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		cmd := newRoot(map[string]string{})
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs([]string{"template", "render", "--root", root, "--data", data, "templates/device_config.j2"})
		err := cmd.Execute()
		switch {
		case c.Output != nil:
			if err != nil || out.String() != *c.Output {
				t.Errorf("%s: err %v, output differs from Python's:\n%s\nwant:\n%s", c.Name, err, out.String(), *c.Output)
			}
		case c.Error != nil:
			if err == nil || !strings.Contains(err.Error(), c.Error.Kind) || !strings.Contains(err.Error(), fmt.Sprintf("line %d)", c.Error.Line)) {
				t.Errorf("%s: err %v, want %s at line %d", c.Name, err, c.Error.Kind, c.Error.Line)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("%d device_config cases in the golden", checked)
	}
}
