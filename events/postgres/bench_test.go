package postgres_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/postgres"
)

// The benchmarks compare the log with the raw floor of the same database in the same run:
// a single-row INSERT of the same row into a copy of the events table (same columns, same
// indexes), and a multi-row INSERT of 100 such rows.
//
//	go test -run x -bench . -benchtime 5s ./events/postgres/

const benchPayload = `{"kind":"DcimDevice","id":"0190b6a3-5c1e-7d2a-9f00-1a2b3c4d5e6f","name":"atl1-edge1","status":"active"}`

func benchStore(b *testing.B) *postgres.Store {
	s := open(b)
	b.Cleanup(func() { _ = s.Close() })
	_, err := s.Pool().Exec(context.Background(), `CREATE TABLE raw_events (LIKE events INCLUDING ALL);
		CREATE SEQUENCE raw_position`)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// timed runs n operations split over clients goroutines and returns the elapsed time.
func timed(b *testing.B, n, clients int, op func(client, i int) error) time.Duration {
	var wg sync.WaitGroup
	per := (n + clients - 1) / clients
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if err := op(c, i); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	return time.Since(start)
}

// pair measures op against its raw baseline in interleaved rounds (the machine is noisy: fsync
// times drift) and reports both rates and the median of the per-round ratios.
func pair(b *testing.B, clients, eventsPerOp int, raw, op func(c, i int) error) {
	const rounds = 5
	per := max(b.N/rounds, clients)
	ratios := make([]float64, 0, rounds)
	var tRaw, tOp time.Duration
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		base := r * per
		dr := timed(b, per, clients, func(c, i int) error { return raw(c, base/clients+i) })
		do := timed(b, per, clients, func(c, i int) error { return op(c, base/clients+i) })
		tRaw += dr
		tOp += do
		ratios = append(ratios, dr.Seconds()/do.Seconds())
	}
	b.StopTimer()
	sort.Float64s(ratios)
	n := float64(per * rounds * eventsPerOp)
	b.ReportMetric(n/tOp.Seconds(), "events/s")
	b.ReportMetric(n/tRaw.Seconds(), "raw-events/s")
	b.ReportMetric(ratios[rounds/2], "ratio")
}

const rawInsert = `INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, payload) VALUES (nextval('raw_position'), $1, $2, gen_random_uuid(), 'bench.event', 1, now(), $3)`

// BenchmarkAppendSingle: single-event appends against single-row inserts of the same row.
func BenchmarkAppendSingle(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			raw := func(c, i int) error {
				_, err := s.Pool().Exec(ctx, rawInsert, fmt.Sprintf("raw/%d", c), i+1, benchPayload)
				return err
			}
			op := func(c, i int) error {
				_, err := s.Append(ctx, events.StreamID(fmt.Sprintf("bench/%d", c)), int64(i),
					events.Envelope{Type: "bench.event", Payload: []byte(benchPayload)})
				return err
			}
			pair(b, clients, 1, raw, op)
		})
	}
}

// BenchmarkAppendBatch100: 100-event appends against 100-row inserts, 8 clients.
func BenchmarkAppendBatch100(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var sb strings.Builder
	sb.WriteString(`INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version, occurred_at, payload) VALUES `)
	for j := 0; j < 100; j++ {
		if j > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(nextval('raw_position'), $1, $2::bigint + %d, gen_random_uuid(), 'bench.event', 1, now(), $3)", j)
	}
	query := sb.String()
	raw := func(c, i int) error {
		_, err := s.Pool().Exec(ctx, query, fmt.Sprintf("raw/%d", c), i*100+1, benchPayload)
		return err
	}
	op := func(c, i int) error {
		evs := make([]events.Envelope, 100)
		for j := range evs {
			evs[j] = events.Envelope{Type: "bench.event", Payload: []byte(benchPayload)}
		}
		_, err := s.Append(ctx, events.StreamID(fmt.Sprintf("bench/%d", c)), int64(i*100), evs...)
		return err
	}
	pair(b, 8, 100, raw, op)
}

// BenchmarkReplay1M reads 1,000,000 stored events in order into a counting projection.
func BenchmarkReplay1M(b *testing.B) {
	s := open(b)
	b.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	_, err := s.Pool().Exec(ctx, `INSERT INTO events (global_position, stream, stream_version, event_id, type,
		schema_version, occurred_at, payload)
		SELECT g, 'bench/' || (g % 100), g / 100 + 1, gen_random_uuid(), 'bench.event.' || (g % 7), 1, now(), $1::json
		FROM generate_series(1, 1000000) g`, benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		start := time.Now()
		counts := map[string]int{}
		total, after := 0, events.Position(0)
		for {
			batch, err := s.ReadAll(ctx, after, 10000)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			for _, e := range batch {
				counts[e.Type]++
			}
			total += len(batch)
			after = batch[len(batch)-1].GlobalPosition
		}
		if total != 1000000 {
			b.Fatalf("replayed %d events", total)
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
	}
}
