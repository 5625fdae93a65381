package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// The branch commands a user runs: diff, validate (failing on a conflict), resolve, merge, and
// list showing the branch MERGED; main then holds the branch's values.
func TestBranchMergeCLI(t *testing.T) {
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	// A fresh server holds the default IP namespace, as Infrahub does.
	resp, err := http.Get(c.base + "/api/nodes/BuiltinIPNamespace?name__value=default")
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Count int }
	_ = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if page.Count != 1 {
		t.Fatalf("default IP namespaces on a fresh server: %d", page.Count)
	}
	if code, out := commandStatus(t, c.base, "node.delete", map[string]any{"kind": "IpamNamespace", "hfid": []string{"default"}}); code != 400 ||
		!strings.Contains(fmt.Sprint(out), "cannot be deleted") {
		t.Fatalf("deleting the default namespace: %d %v", code, out)
	}
	schemaText, _ := json.Marshal(raceSchema)
	postCommand(t, c.base, "schema.load", map[string]any{"schemas": []json.RawMessage{schemaText}})
	postCommand(t, c.base, "node.create", map[string]any{"kind": "RaceSite", "data": map[string]any{"name": "s1"}})
	postCommand(t, c.base, "node.create", map[string]any{"kind": "RaceSite", "data": map[string]any{"name": "s2"}})
	postCommand(t, c.base, "node.create", map[string]any{"kind": "RaceDevice", "data": map[string]any{"name": "d1", "site": "s1"}})
	if out, err := runCLI(t, cli, "branch", "create", "feature/x"); err != nil {
		t.Fatalf("branch create: %q %v", out, err)
	}
	postCommand(t, c.base, "node.update", map[string]any{"branch": "feature/x", "kind": "RaceDevice", "hfid": []string{"d1"}, "data": map[string]any{"site": "s2"}})
	postCommand(t, c.base, "node.create", map[string]any{"branch": "feature/x", "kind": "RaceDevice", "data": map[string]any{"name": "d2", "site": "s2"}})
	postCommand(t, c.base, "node.create", map[string]any{"kind": "RaceSite", "data": map[string]any{"name": "s3"}})
	postCommand(t, c.base, "node.update", map[string]any{"kind": "RaceDevice", "hfid": []string{"d1"}, "data": map[string]any{"site": "s3"}})

	out, err := runCLI(t, cli, "branch", "validate", "feature/x")
	if err == nil || !strings.Contains(out+err.Error(), "unresolved") || !strings.Contains(out, "CONFLICT") {
		t.Fatalf("validate with a conflict: %q %v", out, err)
	}
	if out, err := runCLI(t, cli, "branch", "merge", "feature/x"); err == nil {
		t.Fatalf("merge with a conflict succeeded: %q", out)
	}
	out, err = runCLI(t, cli, "branch", "diff", "--json", "feature/x")
	if err != nil {
		t.Fatalf("diff: %q %v", out, err)
	}
	var d branch.Diff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, out)
	}
	if d.Counts.Added != 1 || d.Counts.Updated != 1 || len(d.Conflicts) != 1 || d.Conflicts[0].Path != "site" {
		t.Fatalf("diff: %+v", d)
	}
	if out, err := runCLI(t, cli, "branch", "resolve", "feature/x", d.Conflicts[0].ID, "--keep", "branch"); err != nil {
		t.Fatalf("resolve: %q %v", out, err)
	}
	if out, err := runCLI(t, cli, "branch", "validate", "feature/x"); err != nil || !strings.Contains(out, "can merge") {
		t.Fatalf("validate after the resolution: %q %v", out, err)
	}
	if out, err := runCLI(t, cli, "branch", "merge", "feature/x"); err != nil || !strings.Contains(out, "merged branch feature/x") {
		t.Fatalf("merge: %q %v", out, err)
	}
	if out, err := runCLI(t, cli, "branch", "list"); err != nil || !strings.Contains(out, "MERGED") {
		t.Fatalf("list after the merge: %q %v", out, err)
	}
	var dump []nodes.DumpedNode
	if err := json.Unmarshal([]byte(getDump(t, c.base, "main")), &dump); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, n := range dump {
		names[n.ID] = strings.Join(n.HFID, "/")
	}
	got := map[string]string{}
	for _, n := range dump {
		if n.Kind == "RaceDevice" {
			var sites []string
			for _, p := range n.Relationships["site"] {
				sites = append(sites, names[p])
			}
			got[names[n.ID]] = strings.Join(sites, ",")
		}
	}
	if fmt.Sprint(got) != "map[d1:s2 d2:s2]" {
		t.Errorf("devices on main after the merge: %v", got)
	}
}

// A merge interrupted by SIGKILL leaves the default branch either untouched or fully merged
// after a restart: it is one append.
func TestMergeAtomicUnderSIGKILL(t *testing.T) {
	for round, delay := range []time.Duration{0, 5 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 400 * time.Millisecond, 5 * time.Second} {
		data := t.TempDir()
		addr := freeAddr(t)
		env := map[string]string{"INFRAHUB_DATA": data}
		c := startChild(t, addr, env)
		schemaText, _ := json.Marshal(raceSchema)
		postCommand(t, c.base, "schema.load", map[string]any{"schemas": []json.RawMessage{schemaText}})
		var ops []any
		for i := range 20 {
			ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "RaceSite", "data": map[string]any{"name": fmt.Sprintf("s%d", i)}}})
		}
		postCommand(t, c.base, "batch", map[string]any{"operations": ops})
		postCommand(t, c.base, "branch.create", map[string]any{"name": "big"})
		ops = nil
		for i := range 3000 {
			ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "RaceDevice",
				"data": map[string]any{"name": fmt.Sprintf("d%d", i), "site": fmt.Sprintf("s%d", i%20)}}})
		}
		postCommand(t, c.base, "batch", map[string]any{"branch": "big", "operations": ops})
		before := getDump(t, c.base, "main")
		merged := getDump(t, c.base, "big")
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			body := strings.NewReader(`{"type": "branch.merge", "payload": {"branch": "big"}}`)
			if resp, err := http.Post(c.base+"/api/commands", "application/json", body); err == nil {
				resp.Body.Close()
				t.Logf("round %d: merge answered %s after %s", round, resp.Status, time.Since(start))
			}
		}()
		time.Sleep(delay)
		c.kill()
		<-done
		c = startChild(t, addr, env)
		after := getDump(t, c.base, "main")
		switch after {
		case before:
			t.Logf("round %d (kill after %s): main untouched", round, delay)
		case merged:
			t.Logf("round %d (kill after %s): main fully merged", round, delay)
		default:
			t.Fatalf("round %d (kill after %s): main is neither untouched nor fully merged (%d bytes; before %d, merged %d)",
				round, delay, len(after), len(before), len(merged))
		}
		if err := c.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
