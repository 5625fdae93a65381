package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/benchschema"
)

// seedDevices writes n BenchDevice nodes (name, description, serial, asn, enabled) on main as
// node.created events appended directly, in appends of 10,000 (the deciders are measured by
// BenchmarkBulkLoad; here only the data matters), and folds them. It returns their ids.
func seedDevices(tb testing.TB, f *nodeFixture, n int) []string {
	ctx := context.Background()
	cat := events.NewCatalogueWithCore()
	nodes.RegisterEvents(cat)
	ids := make([]string, n)
	for start := 0; start < n; start += 10_000 {
		var evs []events.Envelope
		for i := start; i < min(start+10_000, n); i++ {
			ids[i] = uuid.Must(uuid.NewV7()).String()
			name := fmt.Sprintf("dev-%07d", i)
			e, err := cat.New(nodes.TypeCreated, nodes.Created{ID: ids[i], Kind: "BenchDevice",
				Attributes: map[string]nodes.Attr{"name": {Value: name}, "description": {Value: "a benchmark device"},
					"serial": {Value: fmt.Sprintf("SN%08d", i)}, "asn": {Value: float64(64512 + i%1000)}, "enabled": {Value: i%2 == 0}},
				HFID: []string{name}, DisplayLabel: name,
				Claims: []nodes.Claim{{Kind: "BenchDevice", Constraint: "name__value", Key: name}, {Kind: "BenchDevice", Constraint: nodes.ConstraintHFID, Key: nodes.HFIDKey([]string{name})}}},
				events.Metadata{Actor: "bench"})
			if err != nil {
				tb.Fatal(err)
			}
			evs = append(evs, e)
		}
		if _, err := f.log.Append(ctx, branch.Stream(branch.Default), events.AnyVersion, evs...); err != nil {
			tb.Fatal(err)
		}
		if err := f.sync(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// changeOnBranch creates a branch and updates the asn of n devices on it, in batches.
func changeOnBranch(tb testing.TB, f *nodeFixture, name string, ids []string, n int) {
	f.runTB(tb, commands.TypeCreateBranch, map[string]any{"name": name})
	for start := 0; start < n; start += 5000 {
		var ops []any
		for i := start; i < min(start+5000, n); i++ {
			ops = append(ops, map[string]any{"type": "node.update", "payload": map[string]any{"kind": "BenchDevice", "id": ids[i*len(ids)/n],
				"data": map[string]any{"asn": 1 + i%60000, "description": "changed on " + name}}})
		}
		f.runTB(tb, commands.TypeBatch, map[string]any{"branch": name, "operations": ops})
	}
}

func mergeFixture(b *testing.B, devices int) (*nodeFixture, []string) {
	f := newNodeFixtureTB(b)
	raw, _ := json.Marshal(benchschema.Load)
	f.runTB(b, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return f, seedDevices(b, f, devices)
}

// BenchmarkDiff: the diff of a branch with 10,000 changed devices on 100,000 (issue 6 target
// ≤ 270 ms) and of one with 10 changes (its cost must not depend on the size of main).
func BenchmarkDiff(b *testing.B) {
	f, ids := mergeFixture(b, 100_000)
	changeOnBranch(b, f, "ten-thousand", ids, 10_000)
	changeOnBranch(b, f, "ten", ids, 10)
	for _, c := range []struct {
		name, branch string
		changes      int
	}{{"10k-of-100k", "ten-thousand", 10_000}, {"10-of-100k", "ten", 10}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				d, err := f.store.Diff(c.branch)
				if err != nil || d.Counts.Updated != c.changes {
					b.Fatalf("diff: %v, %d updated", err, d.Counts.Updated)
				}
			}
		})
	}
}

// BenchmarkMerge: merging 10,000 changed devices into a main of 100,000 (issue 6 target
// ≤ 0.5 s): decided, appended as one event, folded.
func BenchmarkMerge(b *testing.B) {
	f, ids := mergeFixture(b, 100_000)
	prof := startMergeProfile(b)
	n := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		n++
		name := fmt.Sprint("m", n)
		changeOnBranch(b, f, name, ids, 10_000)
		b.StartTimer()
		prof(true)
		cpu0 := cpuTime()
		res := f.runTB(b, commands.TypeMergeBranch, map[string]any{"branch": name})
		cpu += cpuTime() - cpu0
		prof(false)
		if out := res.Data.(commands.MergeOutcome); out.Changes < 10_000 {
			b.Fatalf("merge wrote %d changes", out.Changes)
		}
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
}

// startMergeProfile answers a switch of a CPU profile of each merge alone (not of the making of
// its branch), written to $MERGE_CPUPROFILE-<n>.pprof when set (go tool pprof merges several);
// without it the switch does nothing.
func startMergeProfile(b *testing.B) func(on bool) {
	path := os.Getenv("MERGE_CPUPROFILE")
	if path == "" {
		return func(bool) {}
	}
	var out *os.File
	n := 0
	return func(on bool) {
		if !on {
			pprof.StopCPUProfile()
			if err := out.Close(); err != nil {
				b.Fatal(err)
			}
			return
		}
		n++
		var err error
		if out, err = os.Create(fmt.Sprintf("%s-%d.pprof", path, n)); err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
	}
}

// runTB runs a command, folds what it wrote and fails tb on an error.
func (f *nodeFixture) runTB(tb testing.TB, typ string, payload any) commands.Result {
	tb.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := f.handler(typ)(context.Background(), commands.Command{Type: typ, Payload: raw})
	if serr := f.sync(context.Background()); serr != nil {
		tb.Fatal(serr)
	}
	if err != nil {
		tb.Fatalf("%s: %v", typ, err)
	}
	return res
}

// BenchmarkAllocate allocates 10,000 addresses from an IP address pool (issue 7): routers
// created from a template whose mgmt_from_resource_pool names the pool, in batches of 1,000
// (batch) or one command each (single); it reports allocations per second. BENCH_ALLOCATIONS
// changes the count.
func BenchmarkAllocate(b *testing.B) {
	for _, mode := range []string{"batch", "single"} {
		b.Run(mode, func(b *testing.B) {
			f := newNodeFixtureTB(b)
			raw, _ := json.Marshal(poolSchema)
			f.runTB(b, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
			f.runTB(b, commands.TypeCreateNode, map[string]any{"kind": "IpamNamespace", "data": map[string]any{"name": "default"}})
			round := 0
			n := 10_000
			if v, err := strconv.Atoi(os.Getenv("BENCH_ALLOCATIONS")); err == nil && v > 0 {
				n = v - v%1000 + 1000*min(1, v%1000) // whole batches of 1,000
			}
			for b.Loop() {
				b.StopTimer()
				round++
				pool := fmt.Sprint("pool-", round)
				f.runTB(b, commands.TypeBatch, map[string]any{"operations": []any{
					map[string]any{"type": "node.create", "ref": "p", "payload": map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": fmt.Sprintf("10.%d.0.0/16", round)}}},
					map[string]any{"type": "node.create", "payload": map[string]any{"kind": "CoreIPAddressPool", "data": map[string]any{
						"name": pool, "default_address_type": "NetAddress", "resources": []any{map[string]any{"ref": "p"}}, "ip_namespace": []string{"default"}}}},
				}})
				tpl := fmt.Sprint("tpl-", round)
				f.runTB(b, commands.TypeCreateNode, map[string]any{"kind": "TemplateNetRouter", "data": map[string]any{"template_name": tpl, "mgmt_from_resource_pool": []string{pool}}})
				b.StartTimer()
				start := time.Now()
				if mode == "batch" {
					for s := 0; s < n; s += 1000 {
						ops := make([]any, 0, 1000)
						for i := s; i < min(s+1000, n); i++ {
							ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "NetRouter",
								"data": map[string]any{"name": fmt.Sprintf("r%d-%d", round, i), "object_template": []string{tpl}}}})
						}
						f.runTB(b, commands.TypeBatch, map[string]any{"operations": ops})
					}
				} else {
					for i := range n {
						f.runTB(b, commands.TypeCreateNode, map[string]any{"kind": "NetRouter",
							"data": map[string]any{"name": fmt.Sprintf("r%d-%d", round, i), "object_template": []string{tpl}}})
					}
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "allocations/s")
			}
		})
	}
}
