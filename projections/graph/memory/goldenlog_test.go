package memory_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden dumps of testdata/golden-log")

// goldenLogDir holds a log written by an earlier event format (cmd/infrahub TestWriteGoldenLog)
// and the dumps it folded into when it was written.
var goldenLogDir = filepath.Join("testdata", "golden-log")

func readGoldenLog(t *testing.T) []events.Envelope {
	t.Helper()
	f, err := os.Open(filepath.Join(goldenLogDir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var log []events.Envelope
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e events.Envelope
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d: %v", len(log)+1, err)
		}
		log = append(log, e)
	}
	if err := sc.Err(); err != nil || len(log) == 0 {
		t.Fatalf("golden log: %d events, %v", len(log), err)
	}
	return log
}

// goldenDumps is every branch's dump in full at the head ("branch@head"), and the SHA-256 of its
// JSON at every position of the log (time travel, "branch@position").
func goldenDumps(t *testing.T, r *memory.Reader, log []events.Envelope) map[string]json.RawMessage {
	t.Helper()
	ctx := context.Background()
	out := map[string]json.RawMessage{}
	for _, br := range []string{"main", "feature-1", "feature-2"} {
		for _, e := range append([]events.Envelope{{}}, log...) {
			d, err := r.Dump(ctx, graph.Scope{Branch: br, At: e.GlobalPosition})
			if err != nil {
				continue // the branch does not exist yet (or any more) at that position
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if e.GlobalPosition == log[len(log)-1].GlobalPosition {
				out[br+"@head"] = b // in full, to read what changed
			}
			sum := sha256.Sum256(b)
			out[fmt.Sprintf("%s@%d", br, e.GlobalPosition)], _ = json.Marshal(hex.EncodeToString(sum[:]))
		}
	}
	return out
}

// A log written before a change of the event format, the graph or the snapshot replays into the
// same dumps as when it was written: at the head of every branch and at every position, and again
// after the folded graph went through a snapshot.
func TestGoldenLog(t *testing.T) {
	log := readGoldenLog(t)
	store := newStore(t)
	r, err := memory.New(memory.Config{Store: store, WaitFor: pollStore(store)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(log); i += 7 { // batches of several events, as a runner delivers them
		if err := r.Apply(context.Background(), log[i:min(i+7, len(log))]); err != nil {
			t.Fatalf("apply from position %d: %v", log[i].GlobalPosition, err)
		}
	}
	got := goldenDumps(t, r, log)
	path := filepath.Join(goldenLogDir, "dumps.json")
	if *updateGolden {
		b, err := json.MarshalIndent(got, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	compare := func(when string, got map[string]json.RawMessage) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d dumps, want %d", when, len(got), len(want))
		}
		for k, w := range want {
			if !jsonEqual(t, got[k], w) {
				t.Errorf("%s: dump %s differs from the golden one", when, k)
			}
		}
	}
	compare("replay", got)

	var snap bytes.Buffer
	if err := store.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	restored := newStore(t)
	if err := restored.ReadSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	r2, err := memory.New(memory.Config{Store: restored, WaitFor: pollStore(restored)})
	if err != nil {
		t.Fatal(err)
	}
	compare("after a snapshot", goldenDumps(t, r2, log))
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
