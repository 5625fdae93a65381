package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Scenarios 13 and 14 (issue 22): many clients writing, or reading and writing, over HTTP at
// once, against the `infrahub serve` of scenarios 7 and 8 (embedded: SQLite and the in-process
// bus; --distributed: PostgreSQL and RabbitMQ, writes on the first server, reads on the second).
// Their baseline is the log's own append rate from 8 clients (scenario 1's measurement) against
// the same kind of log, measured in the same rounds.

// httpClients is how many clients scenarios 13 and 14 run at once.
const httpClients = 16

// httpWriteShare: op i of a client of scenario 14 is a write when i%10 is below 3 (30 %).
const httpWriteShare = 3

// httpLoader is the load of scenarios 13 and 14 (rawhttp.go), made on first use.
func httpLoader(ctx context.Context, e *env) (*gqlWorld, *loadConns, error) {
	w, err := e.gqlWorld(ctx)
	if err != nil {
		return nil, nil, err
	}
	if e.load == nil {
		e.load = newLoadConns(w.client.Transport.(adminKey).token)
		e.closers = append(e.closers, e.load.close)
	}
	return w, e.load, nil
}

// clientConns are the connections of clients to the server at base, one each.
func clientConns(load *loadConns, base string, clients int) ([]*loadConn, error) {
	conns := make([]*loadConn, clients)
	for c := range conns {
		var err error
		if conns[c], err = load.of(base, c); err != nil {
			return nil, err
		}
	}
	return conns, nil
}

// interfaceCreate is the body of a node.create of a BenchInterface named name under device (an
// id): an interface of another device than scenario 8c's, so that 8 and 8c read the same data
// whenever 13 runs.
func interfaceCreate(name, device string) []byte {
	return fmt.Appendf(nil, `{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":%q,"description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":%q}}}}`,
		name, device)
}

// httpCreate is scenario 13: clients POST /api/commands node.create for one time-boxed round; the
// round's value is the creates per second, its samples the latency of each.
func httpCreate(e *env, clients int) measureFunc {
	return httpCommands(e, clients, func(w *gqlWorld, id int64, c, i int) []byte {
		dev := w.devices[1+(c*131+i)%(len(w.devices)-1)]
		return interfaceCreate(fmt.Sprintf("http-%s-%d-c%d-%d", e.runID, id, c, i), dev)
	})
}

// httpRecord is scenario 13b: the clients of 13 POST diagnostic.record, which the server decodes,
// appends through the log's group commit and answers once durable: 13's request path without the
// node work (decision, graph, fold), the ceiling 13 can reach on it.
func httpRecord(e *env, clients int) measureFunc {
	body := []byte(`{"type":"diagnostic.record","payload":{"data":` + benchPayload + `}}`)
	return httpCommands(e, clients, func(*gqlWorld, int64, int, int) []byte { return body })
}

// httpCommands is clients POSTing /api/commands the bodies body makes (of the round id, client
// c, its i-th command) for one time-boxed round; the round's value is the commands per second,
// its samples the latency of each.
func httpCommands(e *env, clients int, body func(w *gqlWorld, id int64, c, i int) []byte) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		w, load, err := httpLoader(ctx, e)
		if err != nil {
			return round{}, err
		}
		id := e.next()
		conns, err := clientConns(load, w.writer.base, clients)
		if err != nil {
			return round{}, err
		}
		rate, lats, err := timeBoxed(ctx, clients, e.sz.window, func(ctx context.Context, c, i int) error {
			return conns[c].post(ctx, "/api/commands", body(w, id, c, i))
		})
		if err != nil {
			return round{}, err
		}
		return round{value: rate, samples: millis(lats)}, nil
	}
}

// gqlOneDevice is the read of scenario 14: one device by id with its attributes and its site.
const gqlOneDevice = `query($id: ID!) { BenchDevice(ids: [$id]) { edges { node { id name { value } description { value }
	serial { value } asn { value } enabled { value } site { node { id display_label } } } } } }`

// mixedStats is what scenario 14's rounds measured of each class, pooled.
type mixedStats struct {
	mu                 sync.Mutex
	readRates          []float64
	writeRates         []float64
	readLats, writeLat []float64 // ms
}

// httpMixed is scenario 14: clients each send 7 GraphQL reads of one device by id for 3 writes
// (node.update of a device's description) for one time-boxed round; the round's value is the
// requests per second of both, and st gets each class's rate and latencies.
func httpMixed(e *env, clients int, st *mixedStats) measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		w, load, err := httpLoader(ctx, e)
		if err != nil {
			return round{}, err
		}
		reads, writes := make([][]time.Duration, clients), make([][]time.Duration, clients)
		writers, err := clientConns(load, w.writer.base, clients)
		if err != nil {
			return round{}, err
		}
		readers, err := clientConns(load, w.reader.base, clients)
		if err != nil {
			return round{}, err
		}
		start := time.Now()
		_, _, err = timeBoxed(ctx, clients, e.sz.window, func(ctx context.Context, c, i int) error {
			dev := w.devices[1+(c*131+i*7)%(len(w.devices)-1)]
			t := time.Now()
			if i%10 < httpWriteShare {
				body := fmt.Appendf(nil, `{"type":"node.update","payload":{"kind":"BenchDevice","id":%q,"data":{"description":"mixed %d-%d-%d"}}}`, dev, n, c, i)
				if err := writers[c].post(ctx, "/api/commands", body); err != nil {
					return err
				}
				writes[c] = append(writes[c], time.Since(t))
				return nil
			}
			body := fmt.Appendf(nil, `{"query":%q,"variables":{"id":%q}}`, gqlOneDevice, dev)
			if err := readers[c].post(ctx, "/graphql", body); err != nil {
				return err
			}
			reads[c] = append(reads[c], time.Since(t))
			return nil
		})
		elapsed := time.Since(start).Seconds()
		if err != nil {
			return round{}, err
		}
		var r, wr []time.Duration
		for c := range clients {
			r, wr = append(r, reads[c]...), append(wr, writes[c]...)
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		st.readRates = append(st.readRates, float64(len(r))/elapsed)
		st.writeRates = append(st.writeRates, float64(len(wr))/elapsed)
		st.readLats = append(st.readLats, millis(r)...)
		st.writeLat = append(st.writeLat, millis(wr)...)
		return rateRound(float64(len(r)+len(wr)) / elapsed), nil
	}
}

// mixedScenario measures scenario 14 beside its baseline and reports each class in the row's
// note and classes.
func mixedScenario(ctx context.Context, e *env, sp spec) (Result, error) {
	st := &mixedStats{}
	r, err := e.versus(ctx, sp, httpMixed(e, httpClients, st))
	if err != nil {
		return r, err
	}
	reads := ClassResult{Name: "reads", Rate: num(median(st.readRates)), P50: num(median(st.readLats)), P99: num(p99(st.readLats))}
	writes := ClassResult{Name: "writes", Rate: num(median(st.writeRates)), P50: num(median(st.writeLat)), P99: num(p99(st.writeLat))}
	r.Classes = []ClassResult{reads, writes}
	for _, c := range r.Classes {
		r.Note += fmt.Sprintf("; %s %s/s (p50 %s ms, p99 %s ms)", c.Name, fmtNum(c.Rate), fmtNum(c.P50), fmtNum(c.P99))
	}
	return r, nil
}

// logAppend8 is the baseline of scenarios 13 and 14: scenario 1's measurement (events.Append of
// one event per call, 8 clients) against the log of the run.
func logAppend8(_ context.Context, e *env) (measureFunc, func(), error) {
	return e.appendOne(8), func() {}, nil
}

// ClassResult is one class of requests of a mixed load (scenario 14): its rate (median over the
// rounds) and latencies (over every request of every round).
type ClassResult struct {
	Name string   `json:"name"`
	Rate *float64 `json:"rate,omitempty"`
	P50  *float64 `json:"p50,omitempty"`
	P99  *float64 `json:"p99,omitempty"`
}
