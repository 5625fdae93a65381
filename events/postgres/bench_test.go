package postgres_test

import (
	"context"
	"fmt"
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

// parallel runs b.N operations split over clients goroutines; op gets the client and its i.
func parallel(b *testing.B, clients int, op func(client, i int) error) {
	var wg sync.WaitGroup
	per := (b.N + clients - 1) / clients
	b.ResetTimer()
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
	b.StopTimer()
	b.ReportMetric(float64(per*clients)/b.Elapsed().Seconds(), "ops/s")
}

const rawInsert = `INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, payload) VALUES (nextval('raw_position'), $1, $2, gen_random_uuid(), 'bench.event', 1, now(), $3)`

func BenchmarkAppendSingle(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			parallel(b, clients, func(c, i int) error {
				_, err := s.Append(ctx, fmt.Sprintf("bench/%d", c), int64(i),
					events.Envelope{Type: "bench.event", Payload: []byte(benchPayload)})
				return err
			})
		})
	}
}

func BenchmarkRawInsertSingle(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			parallel(b, clients, func(c, i int) error {
				_, err := s.Pool().Exec(ctx, rawInsert, fmt.Sprintf("bench/%d", c), i+1, benchPayload)
				return err
			})
		})
	}
}

func BenchmarkAppendBatch100(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	batch := make([]events.Envelope, 100)
	parallel(b, 8, func(c, i int) error {
		evs := make([]events.Envelope, len(batch))
		for j := range evs {
			evs[j] = events.Envelope{Type: "bench.event", Payload: []byte(benchPayload)}
		}
		_, err := s.Append(ctx, fmt.Sprintf("bench/%d", c), int64(i*100), evs...)
		return err
	})
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkRawInsertBatch100(b *testing.B) {
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
	parallel(b, 8, func(c, i int) error {
		_, err := s.Pool().Exec(ctx, query, fmt.Sprintf("bench/%d", c), i*100+1, benchPayload)
		return err
	})
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
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
		total, after := 0, int64(0)
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
