package objectfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
)

// FuzzParseFile: ParseFile and Resolve never panic, and any failure is an *Error whose
// problems all carry the file name.
func FuzzParseFile(f *testing.F) {
	for _, dir := range []string{
		testenv.Corpus(f, "infrahub-sdk-python", "tests", "fixtures", "spec_objects"),
		testenv.Corpus(f, "infrahub-sdk-python", "tests", "fixtures", "menus"),
		testenv.Corpus(f, "infrahub-demo-service-catalog", "data"),
	} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(header + "spec:\n  kind: TestingDog\n  parameters: {expand_range: true}\n  data:\n    - {name: \"D[1-2]/[a-b]\", breed: \"B[1-4]\"}\n"))
	f.Add([]byte(header + "spec:\n  kind: TestingPerson\n  data:\n    - name: x\n      animals: [{kind: TestingDog, data: {name: y, owner: {id: 1}}}]\n"))
	f.Add([]byte("---\n---\n- [\n"))
	set := animalSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := ParseFile(context.Background(), "fuzz.yml", data, limits.Default())
		check(t, err)
		_, _, err = Resolve(context.Background(), set, docs, limits.Default())
		check(t, err)
	})
}

func check(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		t.Fatalf("error %v (%T) is not an *Error with problems", err, err)
	}
	for _, p := range e.Problems {
		if p.File != "fuzz.yml" || p.Message == "" {
			t.Fatalf("problem without file or message: %+v", p)
		}
	}
}
