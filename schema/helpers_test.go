package schema_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
	"github.com/infrahub-go/infrahub/schema/core"
)

// corpusDir finds ../shared/corpus relative to the repository root by walking up from the
// package directory.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "corpus"), filepath.Join(dir, "..", "shared", "corpus")} {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("corpus not found (../shared/corpus)")
		}
		dir = parent
	}
}

func coreSet(t testing.TB) *schema.Set {
	t.Helper()
	var files []*schema.File
	for _, f := range core.Files() {
		pf, err := schema.Parse("core/"+f.Name, f.Data)
		if err != nil {
			t.Fatalf("core: %v", err)
		}
		files = append(files, pf)
	}
	s, err := schema.LoadBuiltin(nil, files...)
	if err != nil {
		t.Fatalf("core: %v", err)
	}
	return s
}

// parsePaths parses files and every .yml/.yaml/.json file under folders, in name order.
func parsePaths(t testing.TB, root string, paths ...string) []*schema.File {
	t.Helper()
	var out []*schema.File
	for _, p := range paths {
		full := filepath.Join(root, p)
		var names []string
		st, err := os.Stat(full)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			_ = filepath.WalkDir(full, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && isSchemaFile(path) {
					names = append(names, path)
				}
				return nil
			})
			sort.Strings(names)
		} else {
			names = []string{full}
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, n)
			f, err := schema.Parse(rel, data)
			if err != nil {
				t.Fatalf("parse %s: %v", rel, err)
			}
			out = append(out, f)
		}
	}
	return out
}

func isSchemaFile(p string) bool {
	for _, ext := range []string{".yml", ".yaml", ".json"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}
