package activity_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// BenchmarkHubFanout writes nodes (one per op) with 0 or 1,000 live subscribers and reports the
// latency from the write's dispatch to its delivery to each subscriber (p50, p99) and the
// writes' cost. The node's name carries its dispatch time.
func BenchmarkHubFanout(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			a := newApp(b)
			h := newHub(b, a, 0, 0)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var mu sync.Mutex
			var lat []time.Duration
			delivered := make(chan struct{}, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					local := make([]time.Duration, 0, b.N)
					_ = h.Subscribe(ctx, a.head(), activity.Filter{Names: []string{activity.NodeCreated}}, func(e activity.Event) error {
						for _, at := range e.Attributes {
							if at.Name == "name" {
								s, _ := at.Value.(string)
								ns, _ := strconv.ParseInt(strings.TrimPrefix(s, "n-"), 10, 64)
								local = append(local, time.Since(time.Unix(0, ns)))
							}
						}
						if len(local) == b.N {
							delivered <- struct{}{}
						}
						return nil
					})
					mu.Lock()
					lat = append(lat, local...)
					mu.Unlock()
				}()
			}
			if n > 0 {
				for h.Stats().Subscribers < n {
					time.Sleep(time.Millisecond)
				}
			}
			b.ResetTimer()
			for range b.N {
				a.dispatch(b, commands.TypeCreateNode, map[string]any{"kind": "TestTag", "data": map[string]any{"name": fmt.Sprintf("n-%d", time.Now().UnixNano())}})
			}
			b.StopTimer()
			for range n {
				<-delivered
			}
			cancel()
			wg.Wait()
			if n > 0 {
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
