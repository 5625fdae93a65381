package jinja_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/jinja"
)

// The conformance corpus: testdata/conformance/golden/*.json, written by
// testdata/conformance/generate.py from Python Jinja2 3.1.6 configured as Infrahub configures it.
// Each case renders with RenderJSON, so the context's mappings keep their JSON order as in
// Python. Outputs must match byte for byte; errors must match in Kind and Line. Messages and the name of
// the failing template are compared too but only reported (t.Logf and a count), see the README.

type goldenFile struct {
	Jinja2 string       `json:"jinja2"`
	Cases  []goldenCase `json:"cases"`
}

type goldenCase struct {
	Name         string            `json:"name"`
	Env          string            `json:"env"` // "file" or "string"
	Template     string            `json:"template"`
	TemplateName string            `json:"template_name"`
	Templates    map[string]string `json:"templates"`
	Corpus       *struct {
		Root     string `json:"root"`     // a repository under ../shared/corpus
		Template string `json:"template"` // the template's name in it
	} `json:"corpus"`
	Context json.RawMessage `json:"context"`
	goldenResult
	// SortedContext is the result for a context whose mappings have their keys sorted (the
	// order Render gives a Go map). The harness renders with RenderJSON, which keeps the JSON
	// order as Python does, and holds the engine to the real result.
	SortedContext *goldenResult `json:"sorted_context"`
}

type goldenResult struct {
	Output *string      `json:"output"`
	Error  *goldenError `json:"error"`
}

type goldenError struct {
	Kind    string `json:"kind"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	Name    string `json:"name"`
}

// knownFailures are the cases the engine does not render as Python yet, and why: they are
// skipped (with the difference logged) rather than failed. A case listed here that passes fails
// the test, so that the list only shrinks.
var knownFailures = map[string]string{}

// corpusDir is the shared corpus beside the repository (this file is in <repo>/jinja).
var corpusDir = filepath.Join("..", "..", "shared", "corpus")

func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (err %v)", err)
	}
	sort.Strings(files)
	var cases, orderDependent, msgDiff, nameDiff int
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var g goldenFile
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range g.Cases {
			t.Run(c.Name, func(t *testing.T) {
				cases++
				if c.SortedContext != nil {
					orderDependent++
				}
				msg, name := runCase(t, c)
				if !msg {
					msgDiff++
				}
				if !name {
					nameDiff++
				}
			})
		}
	}
	t.Logf("%d cases (%d depend on the context's key order); error messages differing: %d; error template names differing: %d",
		cases, orderDependent, msgDiff, nameDiff)
}

// runCase renders one case and fails on a different output, error kind or line. It reports
// whether the error message and the error's template name are identical (true when no error).
func runCase(t *testing.T, c goldenCase) (sameMessage, sameName bool) {
	t.Helper()
	var tpl *jinja.Template
	var err error
	root := "" // the loader's root folder, file env only
	switch c.Env {
	case "string":
		env, nerr := jinja.New(jinja.StringEnv())
		if nerr != nil {
			t.Fatalf("New: %v", nerr)
		}
		tpl, err = env.FromString(c.Template)
	case "file":
		name := c.TemplateName
		if c.Corpus != nil {
			root, name = filepath.Join(corpusDir, c.Corpus.Root), c.Corpus.Template
			if _, serr := os.Stat(root); serr != nil {
				t.Fatalf("corpus repository missing: %v", serr)
			}
		} else {
			root = t.TempDir()
			writeTemplates(t, root, c)
		}
		env, nerr := jinja.New(jinja.FileEnv(root))
		if nerr != nil {
			t.Fatalf("New: %v", nerr)
		}
		tpl, err = env.Get(name)
	default:
		t.Fatalf("unknown env %q", c.Env)
	}
	out := ""
	if err == nil {
		out, err = tpl.RenderJSON(context.Background(), c.Context)
	}

	want := c.goldenResult
	fail := t.Fatalf
	if reason, known := knownFailures[c.Name]; known {
		fail = func(format string, args ...any) {
			t.Helper()
			t.Skipf("known failure (%s): "+format, append([]any{reason}, args...)...)
		}
	}
	if want.Error == nil {
		if err != nil {
			fail("want output %q, got error %v", *want.Output, err)
		}
		if out != *want.Output {
			fail("output differs\n got: %q\nwant: %q", out, *want.Output)
		}
		if _, known := knownFailures[c.Name]; known {
			t.Fatalf("listed in knownFailures but passes: remove it from the list")
		}
		return true, true
	}
	w := want.Error
	var je *jinja.Error
	if !errors.As(err, &je) {
		fail("want %s at line %d (%q), got output %q, error %v", w.Kind, w.Line, w.Message, out, err)
	}
	if je.Kind != w.Kind || je.Line != w.Line {
		fail("error differs\n got: %s line %d: %s\nwant: %s line %d: %s", je.Kind, je.Line, je.Message, w.Kind, w.Line, w.Message)
	}
	// The generator writes the loader's root folder as <root> (TemplateNotFound names it).
	msg := je.Message
	if root != "" {
		msg = strings.ReplaceAll(msg, root, "<root>")
	}
	if _, known := knownFailures[c.Name]; known {
		t.Fatalf("listed in knownFailures but passes: remove it from the list")
	}
	if msg != w.Message {
		t.Logf("message differs\n got: %q\nwant: %q", msg, w.Message)
	}
	if je.Name != w.Name {
		t.Logf("template name differs: got %q, want %q", je.Name, w.Name)
	}
	return msg == w.Message, je.Name == w.Name
}

// writeTemplates lays the case's main template and extra templates under root.
func writeTemplates(t *testing.T, root string, c goldenCase) {
	t.Helper()
	files := map[string]string{c.TemplateName: c.Template}
	for name, src := range c.Templates {
		files[name] = src
	}
	for name, src := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
