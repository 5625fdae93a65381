package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkSubscriptionsFanout (issue 20, acceptance 4) measures, end to end against an
// embedded `infrahub serve`, the write throughput (POST /api/commands node.create, 4 writers)
// with 0 and 1,000 WebSocket subscriptions (graphql-transport-ws over coder/websocket, one
// connection each, InfrahubEvents of the created kind) and the latency from a write's dispatch
// to each subscriber's receipt (p50, p99; the node's name carries its dispatch time). The
// client and the server share the machine.
//
//	go test ./cmd/infrahub/ -run XXX -bench SubscriptionsFanout -benchtime 2000x
func BenchmarkSubscriptionsFanout(b *testing.B) {
	addr, data := freeAddr(b), b.TempDir()
	srv := startChild(b, addr, map[string]string{"INFRAHUB_DATA": data}).base
	benchCommand(b, srv, "schema.load", map[string]any{"schemas": []json.RawMessage{json.RawMessage(subsSchema)}})
	var base float64
	for _, n := range []int{0, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var lat latencies
			var received atomic.Int64
			var wg sync.WaitGroup
			for i := range n {
				c := dialSubscriber(b, ctx, "ws://"+addr+"/graphql", i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					readLatencies(ctx, c, &lat, &received)
				}()
			}
			// A first write reaches every subscriber: they are all live.
			benchWrite(b, srv, "warm")
			for received.Load() < int64(n) {
				time.Sleep(5 * time.Millisecond)
			}
			received.Store(0)
			lat.reset()
			const writers = 4
			var next atomic.Int64
			b.ResetTimer()
			began := time.Now()
			var ww sync.WaitGroup
			for range writers {
				ww.Add(1)
				go func() {
					defer ww.Done()
					for next.Add(1) <= int64(b.N) {
						benchWrite(b, srv, fmt.Sprintf("n-%d", time.Now().UnixNano()))
					}
				}()
			}
			ww.Wait()
			elapsed := time.Since(began)
			b.StopTimer()
			deadline := time.Now().Add(60 * time.Second)
			for received.Load() < int64(n*b.N) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := received.Load(); got < int64(n*b.N) {
				b.Fatalf("the subscribers received %d events, want %d", got, n*b.N)
			}
			cancel()
			wg.Wait()
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "writes/s")
			if n == 0 {
				base = rate
				return
			}
			p50, p99 := lat.percentiles()
			b.ReportMetric(p50, "p50-ms")
			b.ReportMetric(p99, "p99-ms")
			if base > 0 {
				b.ReportMetric(rate/base, "x-writes")
			}
		})
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

func (l *latencies) reset() {
	l.mu.Lock()
	l.d = nil
	l.mu.Unlock()
}

func (l *latencies) percentiles() (p50, p99 float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	slices.Sort(l.d)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(l.d[len(l.d)/2]), ms(l.d[len(l.d)*99/100])
}

const benchDoc = `subscription { InfrahubEvents(event_type: ["infrahub.node.created"], kinds: ["TestingTag"]) { position attributes { name value } } }`

// dialSubscriber opens one graphql-transport-ws connection as the admin and subscribes.
func dialSubscriber(b *testing.B, ctx context.Context, url string, i int) *websocket.Conn {
	b.Helper()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		b.Fatalf("dial %d: %v", i, err)
	}
	c.SetReadLimit(-1)
	send := func(m any) {
		raw, _ := json.Marshal(m)
		if err := c.Write(ctx, websocket.MessageText, raw); err != nil {
			b.Fatalf("write: %v", err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]string{"X-INFRAHUB-KEY": testAdminToken}})
	_, ack, err := c.Read(ctx)
	if err != nil || !bytes.Contains(ack, []byte(`"connection_ack"`)) {
		b.Fatalf("connection_init: %s %v", ack, err)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": benchDoc}})
	return c
}

var namePrefix = []byte(`"value":"n-`)

// readLatencies reads next messages until ctx ends, recording for each the time since the
// dispatch its name carries (the warm-up write counts as received, without a latency).
func readLatencies(ctx context.Context, c *websocket.Conn, lat *latencies, received *atomic.Int64) {
	defer c.CloseNow()
	var local []time.Duration
	defer func() { lat.add(local) }()
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		now := time.Now()
		if !bytes.Contains(msg, []byte(`"next"`)) {
			continue
		}
		if i := bytes.Index(msg, namePrefix); i >= 0 {
			rest := msg[i+len(namePrefix):]
			if j := bytes.IndexAny(rest, "-\""); j > 0 {
				if ns, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
					local = append(local, now.Sub(time.Unix(0, ns)))
					if len(local) >= 256 {
						lat.add(local)
						local = local[:0]
					}
				}
			}
		}
		received.Add(1)
	}
}

// benchWrite creates one TestingTag named name.
func benchWrite(b *testing.B, srv string, name string) {
	body, _ := json.Marshal(map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestingTag",
		"data": map[string]any{"name": name + "-" + strconv.FormatInt(benchSeq.Add(1), 10)}}})
	resp, err := http.Post(srv+"/api/commands", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("node.create: %s", resp.Status)
	}
}

var benchSeq atomic.Int64

func benchCommand(b *testing.B, srv, typ string, payload any) {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"type": typ, "payload": payload})
	resp, err := http.Post(srv+"/api/commands", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %s", typ, resp.Status)
	}
}
