package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
)

// BenchmarkGroupedCreate16 runs node.create from 16 clients at once on one branch (decided in
// turns, appended to the SQLite log, folded inline), each client spending work µs of CPU
// between its commands as a request path would (parse, authenticate, answer).
func BenchmarkGroupedCreate16(b *testing.B) {
	for _, work := range []time.Duration{0, 150 * time.Microsecond} {
		b.Run(fmt.Sprintf("work=%s", work), func(b *testing.B) {
			f, sites, tags := benchFixture(b)
			const clients = 16
			var next atomic.Int64
			cpu0 := cpuTime()
			b.ResetTimer()
			var wg sync.WaitGroup
			for c := range clients {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						burn(work)
						raw, _ := json.Marshal(map[string]any{"kind": "BenchDevice", "data": map[string]any{
							"name": fmt.Sprintf("g-%d-%d", c, i), "site": sites[int(i)%len(sites)], "tags": []any{tags[int(i)%len(tags)]}}})
						if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: raw}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
			// the process's CPU (every goroutine: clients, turns, the log's writer, the fold) per
			// create, which a throughput on a shared machine does not show
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// burn spends about d of CPU.
func burn(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}
