package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
// embedded `infrahub serve` (a child process), the write throughput of node.update (POST
// /api/commands, 4 writers, round-robin over 1,000 TestingTag nodes) and, with 1,000 WebSocket
// subscribers (graphql-transport-ws over coder/websocket, one connection and one subscription
// each), the latency from a write's dispatch to its receipt by a subscriber (p50, p99; the
// update's color carries its dispatch time):
//
//   - subscribers=0: the writes alone (the base of x-writes);
//   - fanout=1: subscriber i watches node i (InfrahubEvents(ids: [$id])): each write reaches
//     one subscriber;
//   - fanout=1000: every subscriber watches the kind (one document for all): each write
//     reaches all 1,000; msgs/s is the messages the server delivered per second.
//
// CPU: the server (child process) and this process (the 4 writers and the 1,000 readers,
// which read into a reused buffer and parse only the timestamp) share the machine's cores (2
// in CI): the readers' CPU is taken from the server's. Run with:
//
//	go test ./cmd/infrahub/ -run XXX -bench SubscriptionsFanout -benchtime 2000x
func BenchmarkSubscriptionsFanout(b *testing.B) {
	addr, data := freeAddr(b), b.TempDir()
	srv := startChild(b, addr, map[string]string{"INFRAHUB_DATA": data}).base
	benchCommand(b, srv, "schema.load", map[string]any{"schemas": []json.RawMessage{json.RawMessage(subsSchema)}})
	const nodes = 1000
	ids := benchNodes(b, srv, nodes)
	var base float64
	b.Run("subscribers=0", func(b *testing.B) {
		rate, _ := benchUpdates(b, srv, ids)
		base = rate
		b.ReportMetric(rate, "writes/s")
	})
	for _, fanout := range []int{1, nodes} {
		var subs *subscribers
		b.Run(fmt.Sprintf("fanout=%d/subscribers=%d", fanout, nodes), func(b *testing.B) {
			if subs == nil { // once for the runs of this sub-benchmark
				subs = openSubscribers(b, "ws://"+addr+"/graphql", ids, fanout)
				subs.warm(b, srv, ids)
			}
			subs.reset()
			rate, began := benchUpdates(b, srv, ids)
			want := int64(b.N * fanout)
			deadline := time.Now().Add(120 * time.Second)
			for subs.received.Load() < want && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if got := subs.received.Load(); got != want {
				b.Fatalf("the subscribers received %d events, want %d", got, want)
			}
			p50, p99 := subs.lat.percentiles()
			b.ReportMetric(rate, "writes/s")
			b.ReportMetric(p50, "p50-ms")
			b.ReportMetric(p99, "p99-ms")
			if base > 0 {
				b.ReportMetric(rate/base, "x-writes")
			}
			if took := time.Unix(0, subs.last.Load()).Sub(began); took > 0 {
				b.ReportMetric(float64(want)/took.Seconds(), "msgs/s")
			}
		})
		if subs != nil {
			subs.close()
		}
	}
}

// benchNodes creates n TestingTag nodes and answers their ids.
func benchNodes(b *testing.B, srv string, n int) []string {
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				out := benchPost(b, srv, "node.create", map[string]any{"kind": "TestingTag", "data": map[string]any{"name": "tag-" + strconv.FormatInt(i, 10)}})
				var res struct {
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				if err := json.Unmarshal(out, &res); err != nil || res.Data.ID == "" {
					b.Errorf("node.create: %s %v", out, err)
					return
				}
				ids[i] = res.Data.ID
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return ids
}

// benchUpdates runs b.N node.update (4 writers, round-robin over ids, color "n-<dispatch ns>")
// and answers the writes per second and when they began.
func benchUpdates(b *testing.B, srv string, ids []string) (float64, time.Time) {
	const writers = 4
	var next atomic.Int64
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				benchPost(b, srv, "node.update", map[string]any{"kind": "TestingTag", "id": ids[i%int64(len(ids))],
					"data": map[string]any{"color": "n-" + strconv.FormatInt(time.Now().UnixNano(), 10)}})
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	return float64(b.N) / elapsed.Seconds(), began
}

// subscribers are the WebSocket subscribers of one scenario.
type subscribers struct {
	conns    []*websocket.Conn
	all      bool          // every subscriber watches the kind
	seen     []atomic.Bool // subscriber i received an event (warm-up)
	lat      latencies
	received atomic.Int64 // events with a latency
	last     atomic.Int64 // unix ns of the last receipt
	wg       sync.WaitGroup
}

// openSubscribers dials one connection per id: with fanout 1 subscriber i watches ids[i], else
// every subscriber watches the kind.
func openSubscribers(b *testing.B, url string, ids []string, fanout int) *subscribers {
	s := &subscribers{conns: make([]*websocket.Conn, len(ids)), seen: make([]atomic.Bool, len(ids)), all: fanout != 1}
	for i := range ids {
		doc, vars := `subscription { InfrahubEvents(kinds: ["TestingTag"], event_type: ["infrahub.node.updated"]) { position attributes { name value } } }`, map[string]any{}
		if fanout == 1 {
			doc, vars = `subscription ($id: String!) { InfrahubEvents(ids: [$id]) { position attributes { name value } } }`, map[string]any{"id": ids[i]}
		}
		s.conns[i] = dialSubscriber(b, url, i, doc, vars)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.read(i)
		}()
	}
	return s
}

// warm writes until every subscriber has received an event (its subscription is live), then
// waits for the stragglers' extra events.
func (s *subscribers) warm(b *testing.B, srv string, ids []string) {
	deadline := time.Now().Add(60 * time.Second)
	for k := 0; time.Now().Before(deadline); k++ {
		var missing []int
		for i := range s.seen {
			if !s.seen[i].Load() {
				missing = append(missing, i)
			}
		}
		if len(missing) == 0 {
			break
		}
		if s.all { // one write reaches them all
			missing = missing[:1]
		}
		for _, i := range missing {
			benchPost(b, srv, "node.update", map[string]any{"kind": "TestingTag", "id": ids[i],
				"data": map[string]any{"color": "w-" + strconv.Itoa(k)}})
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := range s.seen {
		if !s.seen[i].Load() {
			b.Fatalf("subscriber %d received nothing in 60 s", i)
		}
	}
	time.Sleep(300 * time.Millisecond)
}

func (s *subscribers) reset() {
	s.lat.reset()
	s.received.Store(0)
	s.last.Store(0)
}

func (s *subscribers) close() {
	for _, c := range s.conns {
		_ = c.CloseNow()
	}
	s.wg.Wait()
}

var colorPrefix = []byte(`"value":"n-`)

// read reads subscriber i's messages until its connection closes, recording for each the time
// since the dispatch its color carries (warm-up events count as seen only).
func (s *subscribers) read(i int) {
	c := s.conns[i]
	var buf bytes.Buffer
	for {
		_, r, err := c.Reader(context.Background())
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		now := time.Now()
		msg := buf.Bytes()
		if !bytes.Contains(msg, []byte(`"next"`)) {
			continue
		}
		s.seen[i].Store(true)
		j := bytes.Index(msg, colorPrefix)
		if j < 0 {
			continue
		}
		rest := msg[j+len(colorPrefix):]
		k := bytes.IndexByte(rest, '"')
		ns, err := strconv.ParseInt(string(rest[:max(k, 0)]), 10, 64)
		if err != nil {
			continue
		}
		s.lat.add(now.Sub(time.Unix(0, ns))) // before counting: the count says the latency is in
		s.last.Store(now.UnixNano())
		s.received.Add(1)
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
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

// dialSubscriber opens one graphql-transport-ws connection as the admin and subscribes.
func dialSubscriber(b *testing.B, url string, i int, doc string, vars map[string]any) *websocket.Conn {
	b.Helper()
	ctx := context.Background()
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
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": doc, "variables": vars}})
	return c
}

// benchPost runs one command and answers its body.
func benchPost(b *testing.B, srv, typ string, payload any) []byte {
	body, _ := json.Marshal(map[string]any{"type": typ, "payload": payload})
	resp, err := http.Post(srv+"/api/commands", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Errorf("%s: %s %s", typ, resp.Status, out)
	}
	return out
}

func benchCommand(b *testing.B, srv, typ string, payload any) {
	b.Helper()
	benchPost(b, srv, typ, payload)
	if b.Failed() {
		b.FailNow()
	}
}
