package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/branch/nodes"
)

// benchPayload is the payload of every event and raw row (the one of events/postgres/bench_test.go).
const benchPayload = `{"kind":"DcimDevice","id":"0190b6a3-5c1e-7d2a-9f00-1a2b3c4d5e6f","name":"atl1-edge1","status":"active"}`

// payload is benchPayload decoded.
type payload struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// baselineDef is a raw floor of the machine. prepare returns the function that measures one
// round and a cleanup (called once all rounds of this use are done).
type baselineDef struct {
	name, title, unit, note string
	latency                 bool
	prepare                 func(ctx context.Context, e *env) (measureFunc, func(), error)
}

// baselineDefs lists the baselines with the titles of the full sizes.
func baselineDefs() []baselineDef { return baselineDefsFor(sizesFor(false)) }

// baselineDefsFor lists the baselines with titles naming the sizes of sz.
func baselineDefsFor(sz sizes) []baselineDef {
	return []baselineDef{
		{name: "pg-insert-1", title: "PostgreSQL single-row committed insert, 1 client (p50 latency)", unit: "ms",
			latency: true, prepare: pgInsert(1),
			note: "INSERT of one event row (same columns and indexes as events) per autocommit statement"},
		{name: "pg-insert-8", title: "PostgreSQL single-row committed insert, 8 clients", unit: "rows/s",
			prepare: pgInsert(8), note: "one row per autocommit statement"},
		{name: "pg-insert100-8", title: "PostgreSQL 100-row insert, 8 clients", unit: "rows/s",
			prepare: pgInsert100, note: "one multi-row INSERT of 100 rows per statement"},
		{name: "pg-insert-node-rows", title: "PostgreSQL 100-row insert of node.created rows, 8 clients", unit: "rows/s",
			prepare: pgInsertNodeRows, note: "as pg-insert100-8, with the payload of scenario 4's node.created events (5 attributes, 2 edges, claims)"},
		{name: "pg-copy", title: "PostgreSQL COPY of " + count(sz.copyRows) + " rows", unit: "rows/s", prepare: pgCopy},
		{name: "amqp-publish", title: "RabbitMQ persistent publish, windowed confirms", unit: "events/s",
			prepare: amqpPublish, note: "amqp091-go, 8 confirms in flight, durable fanout exchange and queue; messages of 100 events (the forwarder's body)"},
		{name: "go-map-insert", title: "Go map insert of " + count(sz.mapN) + " small structs", unit: "inserts/s", prepare: mapInsert},
		{name: "raw-node-map", title: "heap of " + count(sz.graphN) + " nodes in a plain Go map", unit: "MB", prepare: rawNodeHeap,
			note: "map[[16]byte]struct{kind; 5 attribute values; 2 peer ids; hfid}: the same data with no history, branches or indexes"},
		{name: "snapshot-file-read", title: "read of the snapshot file of " + count(sz.graphN) + " nodes", unit: "s", prepare: snapshotFileRead,
			note: "os.ReadFile of the file scenario 10b starts from"},
		{name: "redis-get", title: "Redis GET round trip, 1 client", unit: "ops/s", prepare: redisGet,
			note: "go-redis v9 GET of a key holding a node.created-sized JSON value"},
		{name: "http-json-list", title: "HTTP POST answered with the bytes of scenario 8's answer, 1 client (p50)", unit: "ms",
			latency: true, prepare: httpJSON,
			note: "a plain net/http handler writing the JSON answer of the 1,000-node list, byte for byte: the floor of HTTP and of the answer's size"},
		{name: "graphql-list-main", title: "GraphQL list of 1,000 nodes on the default branch (the reference of 8b; p50)", unit: "ms",
			latency: true, prepare: gqlListMain, note: "scenario 8's query, measured in the same rounds as 8b"},
		{name: "log-append-8", title: "log append of one event per call, 8 clients (scenario 1's measurement)", unit: "events/s",
			prepare: logAppend8, note: "events.Append with a command id to a stream of each client at its expected version, against the log of the run (SQLite; PostgreSQL with --distributed): the reference of 13 and 14"},
		{name: "json-decode", title: "JSON decode of " + count(sz.jsonN) + " event payloads", unit: "payloads/s", prepare: jsonDecode},
	}
}

func baselineByName(name string) baselineDef {
	for _, d := range baselineDefs() {
		if d.name == name {
			return d
		}
	}
	panic("unknown baseline " + name)
}

const rawInsert = `INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, payload) VALUES (nextval('raw_position'), $1, $2, gen_random_uuid(), 'bench.event', 1, now(), $3)`

// pgInsert measures single-row committed inserts: a rate, or with one client a p50 latency.
func pgInsert(clients int) func(ctx context.Context, e *env) (measureFunc, func(), error) {
	return func(_ context.Context, e *env) (measureFunc, func(), error) {
		return func(ctx context.Context, _ int) (round, error) {
			id := e.next()
			rate, lats, err := timeBoxed(ctx, clients, e.sz.window, func(ctx context.Context, c, i int) error {
				_, err := e.pool.Exec(ctx, rawInsert, fmt.Sprintf("raw/%d/c%d", id, c), i+1, benchPayload)
				return err
			})
			if err != nil {
				return round{}, err
			}
			if clients == 1 {
				return latencyRound(lats), nil
			}
			return rateRound(rate), nil
		}, func() {}, nil
	}
}

func pgInsert100(_ context.Context, e *env) (measureFunc, func(), error) {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version, occurred_at, payload) VALUES `)
	for j := range 100 {
		if j > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(nextval('raw_position'), $1, $2::bigint + %d, gen_random_uuid(), 'bench.event', 1, now(), $3)", j)
	}
	query := sb.String()
	return func(ctx context.Context, _ int) (round, error) {
		id := e.next()
		d, err := fixedWork(ctx, 8, e.sz.bulk/100, func(ctx context.Context, c, i int) error {
			_, err := e.pool.Exec(ctx, query, fmt.Sprintf("raw100/%d/c%d", id, c), i*100+1, benchPayload)
			return err
		})
		return rateRound(float64(e.sz.bulk) / d.Seconds()), err
	}, func() {}, nil
}

// nodeRowPayload is a node.created payload as scenario 4 writes it.
var nodeRowPayload = func() string {
	raw, _ := json.Marshal(nodes.Created{ID: "01a212de-3092-79ed-a34d-66fdaa7e09d3", Kind: "BenchDevice",
		Attributes: map[string]nodes.Attr{"name": {Value: "d1-12345"}, "description": {Value: "a benchmark device"},
			"serial": {Value: "SN00012345"}, "asn": {Value: 65345.0}, "enabled": {Value: false}},
		Edges: []nodes.Edge{{Field: "r:benchdevice__benchsite|both", Peer: "01a212de-3092-79ed-a34d-66fdaa7e0001"},
			{Field: "r:benchdevice__benchtag|both", Peer: "01a212de-3092-79ed-a34d-66fdaa7e0002"}},
		HFID: []string{"d1-12345"}, DisplayLabel: "d1-12345",
		Claims: []nodes.Claim{{Kind: "BenchDevice", Constraint: "name__value", Key: "d1-12345"}, {Kind: "BenchDevice", Constraint: "hfid", Key: "d1-12345"}}})
	return string(raw)
}()

func pgInsertNodeRows(_ context.Context, e *env) (measureFunc, func(), error) {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO raw_events (global_position, stream, stream_version, event_id, type, schema_version, occurred_at, payload) VALUES `)
	for j := range 100 {
		if j > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(nextval('raw_position'), $1, $2::bigint + %d, gen_random_uuid(), 'node.created', 1, now(), $3)", j)
	}
	query := sb.String()
	return func(ctx context.Context, _ int) (round, error) {
		id := e.next()
		d, err := fixedWork(ctx, 8, e.sz.bulk/100, func(ctx context.Context, c, i int) error {
			_, err := e.pool.Exec(ctx, query, fmt.Sprintf("rawnodes/%d/c%d", id, c), i*100+1, nodeRowPayload)
			return err
		})
		return rateRound(float64(e.sz.bulk) / d.Seconds()), err
	}, func() {}, nil
}

func pgCopy(_ context.Context, e *env) (measureFunc, func(), error) {
	cols := []string{"global_position", "stream", "stream_version", "event_id", "type", "schema_version", "occurred_at", "payload"}
	return func(ctx context.Context, _ int) (round, error) {
		id := e.next()
		now := time.Now()
		rows := make([][]any, e.sz.copyRows)
		for i := range rows {
			rows[i] = []any{id*int64(e.sz.copyRows) + int64(i), fmt.Sprintf("copy/%d", id), int64(i + 1),
				uuid.New(), "bench.event", int32(1), now, benchPayload}
		}
		start := time.Now()
		n, err := e.pool.CopyFrom(ctx, pgx.Identifier{"raw_copy"}, cols, pgx.CopyFromRows(rows))
		d := time.Since(start)
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("copied %d of %d rows", n, len(rows))
		}
		return rateRound(float64(len(rows)) / d.Seconds()), err
	}, func() {}, nil
}

// amqpWindow is the number of publishes waiting for their confirm at once, as the forwarder's.
const amqpWindow = 8

// amqpPublish publishes, on one channel in confirm mode, the messages that carry busEvents events
// in batches of 100 to a durable fanout exchange with one durable queue, consumed and acked as
// the bus's subscribers do.
func amqpPublish(ctx context.Context, e *env) (measureFunc, func(), error) {
	body, err := sampleBody(100)
	if err != nil {
		return nil, nil, err
	}
	conn, err := amqp.Dial(e.cfg.amqpURL)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = conn.Close() }
	fail := func(err error) (measureFunc, func(), error) { cleanup(); return nil, nil, err }
	ch, err := conn.Channel()
	if err != nil {
		return fail(err)
	}
	name := "bench.raw." + e.runID
	e.exchanges, e.queues = append(e.exchanges, name), append(e.queues, name)
	if err := ch.ExchangeDeclare(name, "fanout", true, false, false, false, nil); err != nil {
		return fail(err)
	}
	if _, err := ch.QueueDeclare(name, true, false, false, false, nil); err != nil {
		return fail(err)
	}
	if err := ch.QueueBind(name, "", name, false, nil); err != nil {
		return fail(err)
	}
	if err := ch.Confirm(false); err != nil {
		return fail(err)
	}
	cch, err := conn.Channel()
	if err != nil {
		return fail(err)
	}
	if err := cch.Qos(32, 0, false); err != nil {
		return fail(err)
	}
	deliveries, err := cch.Consume(name, "bench", false, false, false, false, nil)
	if err != nil {
		return fail(err)
	}
	go func() {
		for d := range deliveries {
			_ = d.Ack(false)
		}
	}()
	msgs := max(e.sz.busEvents/100, 1)
	return func(ctx context.Context, _ int) (round, error) {
		inflight := make([]*amqp.DeferredConfirmation, 0, amqpWindow)
		wait := func(dc *amqp.DeferredConfirmation) error {
			ok, err := dc.WaitContext(ctx)
			if err == nil && !ok {
				err = fmt.Errorf("publish %d nacked", dc.DeliveryTag)
			}
			return err
		}
		start := time.Now()
		for range msgs {
			if len(inflight) == amqpWindow {
				if err := wait(inflight[0]); err != nil {
					return round{}, err
				}
				inflight = inflight[1:]
			}
			dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, name, "", false, false, amqp.Publishing{
				DeliveryMode: amqp.Persistent, ContentType: "application/json", MessageId: uuid.NewString(), Body: body})
			if err != nil {
				return round{}, err
			}
			inflight = append(inflight, dc)
		}
		for _, dc := range inflight {
			if err := wait(dc); err != nil {
				return round{}, err
			}
		}
		return rateRound(float64(msgs*100) / time.Since(start).Seconds()), nil
	}, cleanup, nil
}

// node is a small struct, as the memory graph will hold per node.
type node struct {
	ID      int64
	Kind    string
	Name    string
	Version int64
	Branch  int32
}

func mapInsert(_ context.Context, e *env) (measureFunc, func(), error) {
	n := e.sz.mapN
	return func(context.Context, int) (round, error) {
		start := time.Now()
		m := make(map[int64]node)
		for i := range n {
			m[int64(i)] = node{ID: int64(i), Kind: "DcimDevice", Name: "atl1-edge1", Version: 1}
		}
		d := time.Since(start)
		if len(m) != n {
			return round{}, fmt.Errorf("map holds %d of %d", len(m), n)
		}
		return rateRound(float64(n) / d.Seconds()), nil
	}, func() {}, nil
}

func jsonDecode(_ context.Context, e *env) (measureFunc, func(), error) {
	payloads := make([][]byte, e.sz.jsonN)
	for i := range payloads {
		payloads[i] = []byte(strings.Replace(benchPayload, "1a2b3c4d5e6f", fmt.Sprintf("%012d", i), 1))
	}
	return func(context.Context, int) (round, error) {
		start := time.Now()
		var p payload
		for _, b := range payloads {
			if err := json.Unmarshal(b, &p); err != nil {
				return round{}, err
			}
		}
		return rateRound(float64(len(payloads)) / time.Since(start).Seconds()), nil
	}, func() {}, nil
}

func snapshotFileRead(_ context.Context, e *env) (measureFunc, func(), error) {
	_, base, err := e.snapshotStart()
	return base, func() {}, err
}
