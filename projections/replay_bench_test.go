package projections_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

const replayEvents = 1_000_000

const replayPayload = `{"kind":"DcimDevice","id":"0190b6a3-5c1e-7d2a-9f00-1a2b3c4d5e6f","name":"atl1-edge1","status":"active"}`

// BenchmarkReplay1M rebuilds the counting projection from 1,000,000 stored events: the whole
// replay path (log read in batches of 10,000, envelope scan, Apply), as `infrahub replay` runs it.
//
//	go test -run x -bench Replay1M -benchtime 1x ./projections/
func BenchmarkReplay1M(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "e.db")}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		batch := make([]events.Envelope, events.MaxBatch)
		for i := 0; i < replayEvents/events.MaxBatch; i++ {
			for j := range batch {
				batch[j] = events.Envelope{Type: "bench.event", Payload: json.RawMessage(replayPayload)}
			}
			if _, err := s.Append(context.Background(), "bench", events.AnyVersion, batch...); err != nil {
				b.Fatal(err)
			}
		}
		replay(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		raw, schema := testenv.PostgresSchema(b)
		s, err := postgres.Open(context.Background(), postgres.Config{URL: raw, Schema: schema}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		// Bulk-load in the database itself: the append path is measured elsewhere.
		if _, err := s.Pool().Exec(context.Background(), `INSERT INTO events (global_position, stream, stream_version,
			event_id, type, schema_version, occurred_at, payload)
			SELECT g, 'bench/' || (g % 100), g / 100 + 1, gen_random_uuid(), 'bench.event', 1, now(), $1::json
			FROM generate_series(1, $2::bigint) g`, replayPayload, replayEvents); err != nil {
			b.Fatal(err)
		}
		replay(b, s)
	})
}

func replay(b *testing.B, log events.Reader) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := counter.New()
		st, err := projections.Replay(context.Background(), log, c, 10000, nil)
		if err != nil {
			b.Fatal(err)
		}
		if st.Events != replayEvents || c.Snapshot().Total != replayEvents {
			b.Fatalf("replayed %d events, counted %d", st.Events, c.Snapshot().Total)
		}
		b.ReportMetric(st.EventsPerSecond, "events/s")
	}
}
