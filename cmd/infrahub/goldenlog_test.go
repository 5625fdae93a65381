package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// writeGoldenLog regenerates projections/graph/memory/testdata/golden-log/events.jsonl, the log
// that later event formats must still replay into the same dumps. Run it only when the format is
// meant to start a new golden generation:
//
//	go test ./cmd/infrahub -run TestWriteGoldenLog -golden-log
//	go test ./projections/graph/memory -run TestGoldenLog -update
var writeGoldenLog = flag.Bool("golden-log", false, "write the golden log of projections/graph/memory")

// TestWriteGoldenLog writes a log of a real workload through the embedded server: the service
// catalog's schemas and objects, a branch with changes on both sides merged back, a second branch
// with a delete, and an update after the merge on the default branch.
func TestWriteGoldenLog(t *testing.T) {
	if !*writeGoldenLog {
		t.Log("the golden log is only written with -golden-log")
		return
	}
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	addr, data := freeAddr(t), t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": data}
	c := startChild(t, addr, env)
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	var schemas []string
	for _, p := range []string{"base", "location_minimal", "vlan", "service"} {
		schemas = append(schemas, filepath.Join(repo, "schemas", p))
	}
	if out, err := runCLI(t, cli, append([]string{"schema", "load"}, schemas...)...); err != nil {
		t.Fatalf("schema load: %q %v", out, err)
	}
	var files []string
	for _, f := range catalogObjects {
		files = append(files, filepath.Join(repo, "data", f))
	}
	if out, err := runCLI(t, cli, append([]string{"object", "load"}, files...)...); err != nil {
		t.Fatalf("object load: %v\n%s", err, out)
	}
	postCommand(t, c.base, "branch.create", map[string]any{"name": "feature-1"})
	postCommand(t, c.base, "node.update", map[string]any{"branch": "feature-1", "kind": "LocationCountry",
		"hfid": []string{"FR"}, "data": map[string]any{"timezone": "UTC-5"}})
	postCommand(t, c.base, "node.update", map[string]any{"kind": "LocationCountry",
		"hfid": []string{"BE"}, "data": map[string]any{"timezone": "UTC+7"}})
	postCommand(t, c.base, "branch.merge", map[string]any{"branch": "feature-1"})
	postCommand(t, c.base, "branch.create", map[string]any{"name": "feature-2"})
	postCommand(t, c.base, "node.delete", map[string]any{"branch": "feature-2", "kind": "BuiltinTag",
		"hfid": []string{"service_request"}})
	postCommand(t, c.base, "node.update", map[string]any{"kind": "LocationCountry",
		"hfid": []string{"FR"}, "data": map[string]any{"timezone": "UTC+1"}})
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(data, "events.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	out, err := os.Create(filepath.Join("..", "..", "projections", "graph", "memory", "testdata", "golden-log", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	n := 0
	for after := int64(0); ; {
		batch, err := store.ReadAll(ctx, events.Position(after), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			// The schema files are named relative to the corpus repository: no machine path.
			e.Payload = json.RawMessage(strings.ReplaceAll(string(e.Payload), `"`+repo+"/", `"`))
			if err := enc.Encode(e); err != nil {
				t.Fatal(err)
			}
			n++
		}
		after = int64(batch[len(batch)-1].GlobalPosition)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events written", n)
}
