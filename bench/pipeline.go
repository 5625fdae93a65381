package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

// sampleBody is the body of a forwarder message holding n events like those of the scenarios.
func sampleBody(n int) ([]byte, error) {
	now := time.Now().UTC()
	evs := make([]events.Envelope, n)
	for i := range evs {
		evs[i] = events.Envelope{GlobalPosition: events.Position(i + 1), Stream: "bus/sample", StreamVersion: int64(i + 1),
			EventID: uuid.Must(uuid.NewV7()), Type: "bench.event", SchemaVersion: 1, OccurredAt: now, RecordedAt: now,
			Payload: json.RawMessage(benchPayload)}
	}
	return forward.Encode(forward.Batch{From: 0, To: events.Position(n), Events: evs})
}

// busScenario (6): the forwarder publishes sz.busEvents events of the log, in messages of 100,
// to the bus under test (one subscriber acks them), from a fresh checkpoint each round.
func busScenario(ctx context.Context, e *env, sp spec) (Result, error) {
	if e.cfg.distributed {
		sp.note = "forwarder (window 8) → Watermill AMQP publisher with confirms → RabbitMQ durable fanout, one queue consumed and acked; messages of 100 events"
	} else {
		sp.note = "embedded: forwarder → Watermill GoChannel (mem://), one subscriber acking; compared with the same raw RabbitMQ publish baseline (no broker in the scenario)"
	}
	from, err := e.store.Head(ctx)
	if err != nil {
		return Result{}, err
	}
	e.progress("%s: appending %d events to forward", sp.name, e.sz.busEvents)
	stream := events.StreamID("bus/" + e.runID)
	for i := 0; i < e.sz.busEvents; i += 100 {
		evs := make([]events.Envelope, min(100, e.sz.busEvents-i))
		for j := range evs {
			evs[j] = events.Envelope{Type: "bench.event", Payload: json.RawMessage(benchPayload)}
		}
		if _, err := e.store.Append(ctx, stream, events.AnyVersion, evs...); err != nil {
			return Result{}, err
		}
	}
	to, err := e.store.Head(ctx)
	if err != nil {
		return Result{}, err
	}
	topic := "bench.bus." + e.runID
	if e.bus.Kind() == "amqp" {
		e.exchanges, e.queues = append(e.exchanges, topic), append(e.queues, bus.QueueName(topic, "bench"))
	}
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, err := e.bus.Subscribe(subCtx, topic, "bench")
	if err != nil {
		return Result{}, err
	}
	go func() {
		for m := range msgs {
			m.Ack()
		}
	}()
	scen := func(ctx context.Context, _ int) (round, error) {
		name := fmt.Sprintf("bench-forwarder-%d", e.next())
		if err := e.store.SaveCheckpoint(ctx, name, from, forward.CheckpointVersion); err != nil {
			return round{}, err
		}
		f := &forward.Forwarder{Log: e.store, Checkpoints: e.store, Publisher: e.bus.Publisher(), Topic: topic,
			MaxEvents: 100, Name: name, Logger: e.quiet}
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- f.Run(rctx) }()
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for f.Position() < to {
			select {
			case err := <-done:
				return round{}, fmt.Errorf("forwarder stopped at %d of %d: %v", f.Position(), to, err)
			case <-ctx.Done():
				return round{}, ctx.Err()
			case <-tick.C:
			}
		}
		d := time.Since(start)
		stop()
		<-done
		return rateRound(float64(e.sz.busEvents) / d.Seconds()), nil
	}
	return e.versus(ctx, sp, scen)
}

// replayScenario (10a): projections.Replay of sz.replay events into the counting projection,
// against a raw read of the same rows with a JSON decode of each payload. Both are times.
func replayScenario(ctx context.Context, e *env, sp spec) (Result, error) {
	n := e.sz.replay
	var (
		log events.Reader
		raw measureFunc
	)
	e.progress("%s: writing %d events to a log of its own", sp.name, n)
	if e.cfg.distributed {
		schema := e.schema + "_replay"
		e.schemas = append(e.schemas, schema)
		s, err := postgres.Open(ctx, postgres.Config{URL: e.cfg.pgURL, Schema: schema}, e.quiet)
		if err != nil {
			return Result{}, err
		}
		defer s.Close()
		// Bulk-load in the database itself, as projections/replay_bench_test.go does.
		if _, err := s.Pool().Exec(ctx, `INSERT INTO events (global_position, stream, stream_version, event_id, type,
			schema_version, occurred_at, payload)
			SELECT g, 'bench/' || (g % 100), g / 100 + 1, gen_random_uuid(), 'bench.event', 1, now(), $1::json
			FROM generate_series(1, $2::bigint) g`, benchPayload, n); err != nil {
			return Result{}, err
		}
		// Set the hint bits and the visibility map now, so that the first round does not pay for them.
		if _, err := s.Pool().Exec(ctx, `VACUUM (ANALYZE) events`); err != nil {
			return Result{}, err
		}
		log, raw = s, pgRawRead(s.Pool(), n)
		sp.note = "PostgreSQL log filled by INSERT … generate_series"
	} else {
		path := filepath.Join(e.tmp, "replay.db")
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path}, e.quiet)
		if err != nil {
			return Result{}, err
		}
		defer s.Close()
		for i := 0; i < n; i += events.MaxBatch {
			evs := make([]events.Envelope, min(events.MaxBatch, n-i))
			for j := range evs {
				evs[j] = events.Envelope{Type: "bench.event", Payload: json.RawMessage(benchPayload)}
			}
			if _, err := s.Append(ctx, events.StreamID(fmt.Sprintf("bench/%d", i/events.MaxBatch%100)), events.AnyVersion, evs...); err != nil {
				return Result{}, err
			}
		}
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
		if err != nil {
			return Result{}, err
		}
		defer db.Close()
		log, raw = s, sqliteRawRead(db, n)
		sp.note = "SQLite log"
	}
	sp.title = fmt.Sprintf("10a. replay of %s events into the counting projection", count(n))
	sp.note += "; projections.Replay in batches of 10,000 (the counter does not decode payloads) vs a raw SELECT of the same columns in pages of 10,000 + json.Unmarshal of each payload; time, lower is better"
	scen := func(ctx context.Context, _ int) (round, error) {
		c := counter.New()
		start := time.Now()
		st, err := projections.Replay(ctx, log, c, 10000, nil)
		d := time.Since(start)
		if err != nil {
			return round{}, err
		}
		if st.Events != int64(n) || c.Snapshot().Total != int64(n) {
			return round{}, fmt.Errorf("replayed %d events, counted %d, want %d", st.Events, c.Snapshot().Total, n)
		}
		return round{value: d.Seconds()}, nil
	}
	// One untimed read warms the caches for both sides.
	if _, err := raw(ctx, -1); err != nil {
		return Result{}, fmt.Errorf("warm-up read: %w", err)
	}
	def := baselineDef{name: "raw-read-decode", unit: "s"}
	b, s, err := e.pair(ctx, sp, def, raw, scen)
	if err != nil {
		return Result{}, err
	}
	return scenarioResult(sp, b, s, nil), nil
}

func count(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	if n >= 1000 && n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

const rawColumns = `global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, recorded_at, command_id, correlation_id, causation_id, actor, traceparent, payload`

// sqliteRawRead reads every event row of db in pages of 10,000 and decodes each payload.
func sqliteRawRead(db *sql.DB, want int) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		start := time.Now()
		total, after := 0, int64(0)
		var (
			stream, typ                     string
			version, sv, occurred, recorded int64
			id, body                        sql.RawBytes
			cmd, corr, cause, actor, trace  sql.NullString
			p                               payload
		)
		for {
			rows, err := db.QueryContext(ctx, `SELECT `+rawColumns+` FROM events WHERE global_position > ? ORDER BY global_position LIMIT 10000`, after)
			if err != nil {
				return round{}, err
			}
			got := 0
			for rows.Next() {
				if err := rows.Scan(&after, &stream, &version, &id, &typ, &sv, &occurred, &recorded,
					&cmd, &corr, &cause, &actor, &trace, &body); err != nil {
					rows.Close()
					return round{}, err
				}
				if err := json.Unmarshal(body, &p); err != nil {
					rows.Close()
					return round{}, err
				}
				got++
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return round{}, err
			}
			if got == 0 {
				break
			}
			total += got
		}
		if total != want {
			return round{}, fmt.Errorf("read %d rows, want %d", total, want)
		}
		return round{value: time.Since(start).Seconds()}, nil
	}
}

// pgRawRead reads every event row in pages of 10,000 and decodes each payload.
func pgRawRead(pool *pgxpool.Pool, want int) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		start := time.Now()
		total, after := 0, int64(0)
		var (
			stream, typ                    string
			version                        int64
			sv                             int32
			id                             pgtype.UUID
			occurred, recorded             time.Time
			cmd, corr, cause, actor, trace pgtype.Text
			body                           []byte
			p                              payload
		)
		for {
			rows, err := pool.Query(ctx, `SELECT `+rawColumns+` FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 10000`, after)
			if err != nil {
				return round{}, err
			}
			got := 0
			for rows.Next() {
				if err := rows.Scan(&after, &stream, &version, &id, &typ, &sv, &occurred, &recorded,
					&cmd, &corr, &cause, &actor, &trace, &body); err != nil {
					rows.Close()
					return round{}, err
				}
				if err := json.Unmarshal(body, &p); err != nil {
					rows.Close()
					return round{}, err
				}
				got++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return round{}, err
			}
			if got == 0 {
				break
			}
			total += got
		}
		if total != want {
			return round{}, fmt.Errorf("read %d rows, want %d", total, want)
		}
		return round{value: time.Since(start).Seconds()}, nil
	}
}
