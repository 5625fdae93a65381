package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/benchschema"
)

// benchLoad loads n devices (5 attributes, 2 relationships each) in batches of 1000 node.create
// operations, folding the log into the Store after each batch as the projection does.
func benchLoad(tb testing.TB, f *nodeFixture, prefix string, n int, sites, tags []string) {
	for start := 0; start < n; start += 1000 {
		ops := make([]any, 0, 1000)
		for i := start; i < min(start+1000, n); i++ {
			ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchDevice", "data": map[string]any{
				"name": fmt.Sprintf("%s-%d", prefix, i), "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
				"asn": 64512 + i%1000, "enabled": i%2 == 0, "site": sites[i%len(sites)], "tags": []any{tags[i%len(tags)]}}}})
		}
		raw, _ := json.Marshal(map[string]any{"operations": ops})
		if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeBatch, Payload: raw}); err != nil {
			tb.Fatal(err)
		}
		if err := f.sync(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
}

func benchFixture(tb testing.TB) (*nodeFixture, []string, []string) {
	f := newNodeFixtureTB(tb)
	raw, _ := json.Marshal(benchschema.Load)
	payload, _ := json.Marshal(commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeLoadSchema, Payload: payload}); err != nil {
		tb.Fatal(err)
	}
	if err := f.sync(context.Background()); err != nil {
		tb.Fatal(err)
	}
	var sites, tags []string
	for i := range 100 {
		for _, k := range []string{"BenchSite", "BenchTag"} {
			raw, _ := json.Marshal(map[string]any{"kind": k, "data": map[string]any{"name": fmt.Sprintf("%s-%d", k, i)}})
			res, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: raw})
			if err != nil {
				tb.Fatal(err)
			}
			if k == "BenchSite" {
				sites = append(sites, res.Data.(commands.NodeOutcome).ID)
			} else {
				tags = append(tags, res.Data.(commands.NodeOutcome).ID)
			}
			if err := f.sync(context.Background()); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return f, sites, tags
}

// BenchmarkBulkLoad reports nodes/s for loading devices through batch commands (embedded SQLite
// log, decide + append + fold), and the heap the Store holds per 100k nodes.
func BenchmarkBulkLoad(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		f, sites, tags := benchFixture(b)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		benchLoad(b, f, "d", n, sites, tags)
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20)*100_000/n, "MB-heap/100k-nodes")
		runtime.KeepAlive(f)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "nodes/s")
}

// BenchmarkCreateLatency runs single node.create commands from 8 clients at once on one branch
// (each client's command decided, appended and folded) and reports p50 and p99 latency.
func BenchmarkCreateLatency(b *testing.B) {
	f, sites, tags := benchFixture(b)
	const clients = 8
	var (
		mu   sync.Mutex
		lats []time.Duration
		next atomic.Int64
	)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				raw, _ := json.Marshal(map[string]any{"kind": "BenchDevice", "data": map[string]any{
					"name": fmt.Sprintf("lat-%d-%d", c, i), "site": sites[int(i)%len(sites)], "tags": []any{tags[int(i)%len(tags)]}}})
				start := time.Now()
				if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: raw}); err != nil {
					b.Error(err)
					return
				}
				if err := f.sync(context.Background()); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				lats = append(lats, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lats)
	if len(lats) > 0 {
		b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(lats))/b.Elapsed().Seconds(), "creates/s")
	}
}
