package graphql

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

// largeSchema is a schema of n generated node kinds with four attributes each (issue 15: one
// load of 5,000 such kinds took 1.69 GB and the next query 8.1 s).
func largeSchema(t testing.TB, n int) *schema.Set {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: \"1.0\"\nnodes:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: Kind%05d\n    namespace: Gen\n    human_friendly_id: [name__value]\n    attributes:\n", i)
		b.WriteString("      - {name: name, kind: Text, unique: true}\n      - {name: description, kind: Text, optional: true}\n")
		b.WriteString("      - {name: size, kind: Number, optional: true}\n      - {name: enabled, kind: Boolean, default_value: true}\n")
	}
	f, err := schema.Parse("large.yml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(builtin(t), f)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// BenchmarkBuildLarge builds the GraphQL schema of 5,000 generated kinds (what a load's check
// pays, and the first query after it when the check's schema is not cached), and reports the heap
// one built schema keeps (what each schema the cache holds costs).
func BenchmarkBuildLarge(b *testing.B) {
	set := largeSchema(b, 5000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept, err := Build(set)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(set); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-kept")
}
