package objectfile

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/limits"
)

// resolveWith parses and resolves one file within lim.
func resolveWith(ctx context.Context, t *testing.T, lim limits.Limits, name, yml string) ([]Object, error) {
	t.Helper()
	set := animalSchema(t)
	docs, err := ParseFile(ctx, name, []byte(yml), lim)
	if err != nil {
		return nil, err
	}
	objs, _, err := Resolve(ctx, set, docs, lim)
	return objs, err
}

// Every limit of an object file refuses it with the file, the line, the limit and its variable,
// as a limit error (limits.ErrExceeded) that is also an *Error.
func TestObjectFileLimits(t *testing.T) {
	small := limits.Default()
	small.ObjectsPerFile, small.RangeExpansion, small.ObjectNesting = 5, 4, 2
	dogs := func(n int, name string) string {
		var b strings.Builder
		b.WriteString(header + "spec:\n  kind: TestingDog\n  parameters:\n    expand_range: true\n  data:\n")
		for i := range n {
			fmt.Fprintf(&b, "    - {name: \"%s%d\", breed: x}\n", name, i)
		}
		return b.String()
	}
	nested := header + "spec:\n  kind: TestingPerson\n  data:\n    - name: p\n      animals:\n        kind: TestingDog\n        data:\n" +
		"          - name: d\n            breed: b\n            best_friend:\n              data:\n                name: f\n                tags:\n                  data:\n                    - name: t\n"
	tests := []struct {
		name, yml, want string
	}{
		{"items of one document", dogs(6, "D"),
			"f.yml:8: document 1, spec.data: limit exceeded: objects of the file is 6, at most 5 (INFRAHUB_MAX_OBJECTS_PER_FILE)"},
		{"items of several documents", dogs(3, "A") + "---\n" + dogs(3, "B"),
			"f.yml:19: document 2, spec.data: limit exceeded: objects of the file is 6, at most 5 (INFRAHUB_MAX_OBJECTS_PER_FILE)"},
		{"one range", dogs(1, "D[1-5]-"),
			`f.yml:8: document 1, item 1, field "name": limit exceeded: values of range "D[1-5]-0" is 5, at most 4 (INFRAHUB_MAX_RANGE_EXPANSION)`},
		{"ranges adding up", dogs(2, "D[1-3]-"),
			"f.yml:9: document 1, item 2: limit exceeded: objects of the file is 6, at most 5 (INFRAHUB_MAX_OBJECTS_PER_FILE)"},
		{"ranges multiplying", dogs(1, "D[1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9]-"),
			"limit exceeded: values of range"},
		{"nesting", nested,
			`f.yml:16: document 1, item 1, field "animals", item 1, field "best_friend", field "tags": limit exceeded: nesting of objects is 3, at most 2 (INFRAHUB_MAX_OBJECT_NESTING)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolveWith(context.Background(), t, small, "f.yml", tt.yml)
			if !errors.Is(err, limits.ErrExceeded) {
				t.Fatalf("error %v, want a limit error", err)
			}
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Problems[len(e.Problems)-1].String(), tt.want) {
				t.Fatalf("error:\n%v\nwant a problem holding:\n%s", err, tt.want)
			}
		})
	}
	// Within the limits, the same files load.
	if objs, err := resolveWith(context.Background(), t, small, "f.yml", dogs(5, "D")); err != nil || len(objs) != 5 {
		t.Fatalf("5 objects within a limit of 5: %d, %v", len(objs), err)
	}
	if objs, err := resolveWith(context.Background(), t, small, "f.yml", dogs(1, "D[1-4]-")); err != nil || len(objs) != 4 {
		t.Fatalf("a range of 4 within a limit of 4: %d, %v", len(objs), err)
	}
}

// Validation and loading take the same bound: the default allows 10,000 objects per file and
// refuses the 10,001st, whether written out or given by ranges.
func TestObjectsPerFileDefault(t *testing.T) {
	lim := limits.Default()
	yml := header + "spec:\n  kind: TestingDog\n  parameters:\n    expand_range: true\n  data:\n" +
		"    - {name: \"D[0-4999]\", breed: x}\n    - {name: \"E[0-4999]\", breed: x}\n"
	objs, err := resolveWith(context.Background(), t, lim, "ok.yml", yml)
	if err != nil || len(objs) != 10_000 {
		t.Fatalf("10,000 objects: %d, %v", len(objs), err)
	}
	_, err = resolveWith(context.Background(), t, lim, "big.yml", yml+"    - {name: F, breed: x}\n")
	if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(), "big.yml:10: document 1, item 3: limit exceeded: objects of the file is 10001, at most 10000 (INFRAHUB_MAX_OBJECTS_PER_FILE)") {
		t.Fatalf("error %v", err)
	}
}

// The request: ten `t[0-99999]` ranges in 400 bytes took 943 MB to validate. The count is
// now computed before anything is expanded: the file is refused having allocated next to nothing.
func TestHugeRangesRefusedBeforeExpanding(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "spec:\n  kind: TestingDog\n  parameters:\n    expand_range: true\n  data:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "    - {name: \"t%d[0-99999]\", breed: x}\n", i)
	}
	set := animalSchema(t)
	docs, err := ParseFile(context.Background(), "r.yml", []byte(b.String()), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err = Resolve(context.Background(), set, docs, limits.Default())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(), `values of range "t0[0-99999]" is 10001, at most 10000 (INFRAHUB_MAX_RANGE_EXPANSION)`) {
		t.Fatalf("error %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("resolving allocated %d bytes before refusing, want under 1 MB", grew)
	}
}

// A cancelled context stops parsing and resolving: the caller has gone.
func TestObjectFileHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	yml := header + "spec:\n  kind: TestingDog\n  data:\n    - {name: a, breed: x}\n"
	if _, err := ParseFile(ctx, "c.yml", []byte(yml), limits.Default()); !errors.Is(err, context.Canceled) {
		t.Fatalf("parse: %v, want context.Canceled", err)
	}
	docs, err := ParseFile(context.Background(), "c.yml", []byte(yml), limits.Default())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Resolve(ctx, animalSchema(t), docs, limits.Default()); !errors.Is(err, context.Canceled) {
		t.Fatalf("resolve: %v, want context.Canceled", err)
	}
}

// Validation refuses the values loading refuses: too long for their kind.
func TestObjectFileValueSizes(t *testing.T) {
	yml := header + "spec:\n  kind: TestingDog\n  data:\n    - name: rex\n      breed: " + strings.Repeat("x", 70_000) + "\n"
	_, err := resolveWith(context.Background(), t, limits.Default(), "v.yml", yml)
	if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(),
		`v.yml:7: document 1, item 1, field "breed": attribute "breed" (Text): limit exceeded: value size in bytes is 70000, at most 65536 (INFRAHUB_MAX_VALUE_BYTES)`) {
		t.Fatalf("error %v", err)
	}
	if _, err := resolveWith(context.Background(), t, limits.Default(), "v.yml", strings.Replace(yml, strings.Repeat("x", 70_000), strings.Repeat("x", 60_000), 1)); err != nil {
		t.Fatalf("a value within the bound: %v", err)
	}
}
