package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
)

// benchConcurrency is the number of tasks each of the two pools runs at once.
const benchConcurrency = 32

// BenchmarkTasksRabbitMQ runs b.N no-op tasks (at least 500) through the whole path: appended
// to a PostgreSQL log, routed to RabbitMQ by the forwarder, run by two pools. It reports tasks/s,
// the raw rate of the same bus publishing small messages with Window concurrent publishers
// (publisher confirms), their ratio, and the latency from submit (task.created) to start
// (task.started), p50 and p99.
func BenchmarkTasksRabbitMQ(b *testing.B) {
	n := max(b.N, 500)
	e := newEnv(b, "postgres", "amqp", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	reg := workers.NewRegistry()
	_ = reg.Register("noop", func(context.Context, *workers.Run) (json.RawMessage, error) { return nil, nil })
	e.forwardWith(ctx, 0) // the forwarder's own batching, as serve runs it
	pools := []*workers.Pool{e.pool(reg, benchConcurrency, testLimits()), e.pool(reg, benchConcurrency, testLimits())}
	for _, p := range pools {
		run(b, ctx, p)
	}
	ids := make([]string, n)
	prefix := uuid.NewString()[:8]
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%s-%06d", prefix, i)
	}

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	const submitters = 16
	for w := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += submitters {
				e.submit(ids[i], "noop", 0)
			}
		}()
	}
	wg.Wait()
	for completed(pools) < int64(n) {
		if ctx.Err() != nil {
			b.Fatalf("%d of %d tasks completed", completed(pools), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	taskRate := float64(n) / elapsed.Seconds()

	pubRate := publishRate(b, e.bus, max(n, 2000), bus.DefaultWindow)
	lat := make([]time.Duration, 0, n)
	for _, id := range ids {
		_, evs := e.task(id)
		for _, ev := range evs {
			if ev.Type == task.TypeStarted {
				lat = append(lat, ev.OccurredAt.Sub(evs[0].OccurredAt))
				break
			}
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(taskRate, "tasks/s")
	b.ReportMetric(pubRate, "publish-msgs/s")
	b.ReportMetric(taskRate/pubRate, "ratio")
	b.ReportMetric(ms(0.5), "submit-start-p50-ms")
	b.ReportMetric(ms(0.99), "submit-start-p99-ms")
}

func completed(pools []*workers.Pool) int64 {
	var n int64
	for _, p := range pools {
		n += p.Stats().Completed
	}
	return n
}

// publishRate publishes m small messages to a queue of their own through b's publisher from
// window goroutines and answers messages per second.
func publishRate(tb testing.TB, b *bus.Bus, m, window int) float64 {
	tb.Helper()
	topic := "rate." + uuid.NewString()
	tb.Cleanup(func() { testenv.DeleteAMQPTopology(tb, testenv.AMQPURL(tb), topic, bus.QueueName(topic, "sink")) })
	if err := b.EnsureQueue(context.Background(), topic, "sink"); err != nil {
		tb.Fatal(err)
	}
	body := []byte(`{"stream":"task/x","type":"task.created","payload":{"id":"x","workflow":"noop"}}`)
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, window)
	for w := range window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < m; i += window {
				if err := b.Publisher().Publish(topic, message.NewMessage(uuid.NewString(), body)); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		tb.Fatal(err)
	}
	return float64(m) / time.Since(start).Seconds()
}
