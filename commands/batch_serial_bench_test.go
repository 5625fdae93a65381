package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
)

// BenchmarkBatchSerial loads batches of 1,000 node.create operations from one client, each
// answered (appended and folded) before the next is sent, as bench row 4 does; the bodies are
// encoded before the timer runs. It reports elapsed and processor time per node.
func BenchmarkBatchSerial(b *testing.B) {
	f, sites, tags := benchFixture(b)
	const n, batches = 1000, 20
	round := 0
	cpu := cpuTime() - cpuTime()
	nodes := 0
	for b.Loop() {
		b.StopTimer()
		round++
		bodies := make([][]byte, batches)
		for k := range bodies {
			ops := make([]any, 0, n)
			for i := k * n; i < (k+1)*n; i++ {
				ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchDevice", "data": map[string]any{
					"name": fmt.Sprintf("d%d-%d", round, i), "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
					"asn": 64512 + i%1000, "enabled": i%2 == 0, "site": sites[i%len(sites)], "tags": []any{tags[i%len(tags)]}}}})
			}
			bodies[k], _ = json.Marshal(map[string]any{"operations": ops})
		}
		b.StartTimer()
		cpu0 := cpuTime()
		for _, body := range bodies {
			if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeBatch, Payload: body}); err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - cpu0
		nodes += n * batches
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(nodes), "ns/node")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(nodes), "cpu-ns/node")
}
