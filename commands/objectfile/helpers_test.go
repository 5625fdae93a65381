package objectfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// loadSchema returns the built-in schema plus the schema files under paths (files or folders).
func loadSchema(t testing.TB, paths ...string) *schema.Set {
	t.Helper()
	core, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
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
	set, err := schema.Load(core, files...)
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

// load parses and resolves one file.
func load(set *schema.Set, name string, data []byte) ([]Object, error) {
	docs, err := ParseFile(context.Background(), name, data, limits.Default())
	if err != nil {
		return nil, err
	}
	objs, _, err := Resolve(context.Background(), set, docs, limits.Default())
	return objs, err
}

// loadFile reads, parses and resolves a file, failing the test on any problem.
func loadFile(t *testing.T, set *schema.Set, path, name string) []Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := load(set, name, data)
	if err != nil {
		t.Fatalf("%s:\n%v", name, err)
	}
	return objs
}

// countKinds counts objects per kind, children included.
func countKinds(objs []Object, into map[string]int) map[string]int {
	if into == nil {
		into = map[string]int{}
	}
	for _, o := range objs {
		into[o.Kind]++
		countKinds(o.Children, into)
	}
	return into
}

// problems returns the lines of an *Error.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return strings.Split(e.Error(), "\n")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
