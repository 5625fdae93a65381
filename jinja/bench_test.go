package jinja_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/jinja"
)

// BenchmarkDeviceConfig renders the service catalog's device_config.j2 (the corpus transform)
// on the context of its conformance case sw01-bru01, JSON decoding included.
func BenchmarkDeviceConfig(b *testing.B) {
	root := filepath.Join(corpusDir, "infrahub-demo-service-catalog")
	if _, err := os.Stat(root); err != nil {
		b.Skipf("corpus repository missing: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "conformance", "golden", "corpus.json"))
	if err != nil {
		b.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		b.Fatal(err)
	}
	var ctx json.RawMessage
	var want string
	for _, c := range g.Cases {
		if c.Name == "corpus/device_config_sw01_bru01" {
			ctx, want = c.Context, *c.Output
		}
	}
	env, err := jinja.New(jinja.FileEnv(root))
	if err != nil {
		b.Fatal(err)
	}
	tpl, err := env.Get("templates/device_config.j2")
	if err != nil {
		b.Fatal(err)
	}
	out, err := tpl.RenderJSON(context.Background(), ctx)
	if err != nil || out != want {
		b.Fatalf("render: %v\n%q", err, out)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tpl.RenderJSON(context.Background(), ctx); err != nil {
			b.Fatal(err)
		}
	}
}
