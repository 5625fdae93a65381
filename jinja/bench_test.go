package jinja_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/jinja/value"
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
	// The context is decoded once, as the Python side decodes it once (json.load).
	decoded, err := value.FromJSONBytes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]value.Value{}
	for k, v := range decoded.(*value.Dict).All() {
		vars[k.(string)] = v
	}
	start := time.Now()
	for b.Loop() {
		if _, err := tpl.RenderValues(context.Background(), vars); err != nil {
			b.Fatal(err)
		}
	}
	goRate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(goRate, "renders/s")
	if py := pythonRate(b, root, ctx); py > 0 {
		b.ReportMetric(py, "python-renders/s")
		b.ReportMetric(goRate/py, "x-python")
	}
}

// pythonRate measures Python Jinja2 rendering the same template on the same context, in the same
// run (testdata/python_rate.py: Infrahub's transform environment, render_async); 0 when python3
// with jinja2 is not installed (a benchmark, never a test, runs Python).
func pythonRate(b *testing.B, root string, ctx json.RawMessage) float64 {
	file := filepath.Join(b.TempDir(), "context.json")
	if err := os.WriteFile(file, ctx, 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("python3", filepath.Join("testdata", "python_rate.py"), root, "templates/device_config.j2", file, "2000").Output()
	if err != nil {
		b.Logf("python3 with jinja2 not available: %v", err)
		return 0
	}
	rate, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python_rate.py printed %q", out)
	}
	return rate
}
