package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// RabbitMQ goes away while clients write through an API server (a proxy between that server and
// RabbitMQ drops every connection and refuses new ones for 3 s), then comes back. Every
// acknowledged command is in the log once; the server keeps acknowledging writes during the
// outage (its projections read the log while the broker is away); once the broker is back its
// forwarder publishes everything, and the projections of that server and of a second server (on
// the broker directly) hold every event exactly once.
func TestBrokerOutageWhileWriting(t *testing.T) {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	pu, _ := url.Parse(pgURL)
	q := pu.Query()
	q.Set("schema", schema)
	pu.RawQuery = q.Encode()
	au, _ := url.Parse(amqpURL)
	proxy := tcpproxy.Start(t, au.Host)
	au.Host = proxy.Addr()
	ns := "outage-" + schema
	t.Cleanup(func() { deleteQueues(t, amqpURL, ns+".events", "api-1", "api-2") })
	env := func(instance, broker string) map[string]string {
		return map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_EVENTS_URL": pu.String(), "INFRAHUB_BROKER_URL": broker,
			"INFRAHUB_BROKER_NAMESPACE": ns, "INFRAHUB_INSTANCE": instance}
	}
	a := startChild(t, freeAddr(t), env("api-1", au.String()))
	b := startChild(t, freeAddr(t), env("api-2", amqpURL))

	// Writes go on through the outage and until 300 more were acknowledged after it.
	const clients, cutAt, wantAfter = 6, 300, 300
	const (
		before = iota
		during
		after
	)
	var (
		phase      atomic.Int32
		next       atomic.Int64 // ids handed out
		ackCount   atomic.Int64
		ackedIn    [3]atomic.Int64
		acked      sync.Map // id -> position
		cutReached = make(chan struct{})
		cutOnce    sync.Once
		retry      = make(chan string, 100000)
	)
	client := &http.Client{Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				var id string
				select {
				case id = <-retry:
				default:
					if ackedIn[after].Load() >= wantAfter {
						if ackCount.Load() == next.Load() {
							return // every id handed out was acknowledged
						}
						time.Sleep(20 * time.Millisecond)
						continue
					}
					id = fmt.Sprintf("cmd-%05d", next.Add(1)-1)
				}
				res, code, err := send(ctx, client, a.base, id)
				if err != nil {
					if code >= 400 && code < 500 {
						t.Errorf("command %s refused: %v", id, err)
						return
					}
					retry <- id // sent again later with the same id
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if _, dup := acked.LoadOrStore(id, res.Positions[0]); !dup {
					ackedIn[phase.Load()].Add(1)
					if ackCount.Add(1) == cutAt {
						cutOnce.Do(func() { close(cutReached) })
					}
				}
			}
		})
	}
	select {
	case <-cutReached:
	case <-ctx.Done():
		t.Fatal("never reached the cut")
	}
	phase.Store(during)
	proxy.Cut()
	time.Sleep(3 * time.Second)
	phase.Store(after)
	proxy.Restore()
	wg.Wait()
	if t.Failed() {
		return
	}
	total := int(next.Load())
	t.Logf("acknowledged before the cut %d, during %d, after %d", ackedIn[before].Load(), ackedIn[during].Load(), ackedIn[after].Load())
	if ctx.Err() != nil || int(ackCount.Load()) != total {
		t.Fatalf("%d commands acknowledged, want %d", ackCount.Load(), total)
	}
	if ackedIn[during].Load() == 0 {
		t.Errorf("no write was acknowledged while the broker was away")
	}

	inLog := commandsInLog(t, pgURL, schema)
	if len(inLog) != total {
		t.Fatalf("the log holds %d distinct commands, want %d", len(inLog), total)
	}
	acked.Range(func(k, v any) bool {
		row, ok := inLog[k.(string)]
		switch {
		case !ok:
			t.Errorf("acknowledged command %s is not in the log", k)
		case row.count != 1:
			t.Errorf("command %s is in the log %d times", k, row.count)
		case row.position != v.(events.Position):
			t.Errorf("command %s was answered position %d but is stored at %d", k, v, row.position)
		}
		return true
	})
	for _, c := range []*child{a, b} {
		eventually(t, 90*time.Second, c.base+": forwarder and projections reach the log head, each event once", func() (bool, string) {
			s := getStatus(t, c.base)
			cnt, graph := s.Projections["counter"], s.Projections[nodes.Name]
			return s.LogHead > 0 && s.Forwarder.Position == s.LogHead && cnt.Stats.Position == s.LogHead &&
					graph.Stats.Position == s.LogHead && cnt.Counts.ByType["diagnostic.recorded"] == int64(total),
				fmt.Sprintf("head %d forwarder %d counter %d at %d graph at %d", s.LogHead, s.Forwarder.Position,
					cnt.Counts.ByType["diagnostic.recorded"], cnt.Stats.Position, graph.Stats.Position)
		})
	}
	var fwd struct {
		Forwarder struct {
			PublishErrors int64 `json:"publish_errors"`
		} `json:"forwarder"`
	}
	getJSON(t, a.base+"/api/status", &fwd)
	if fwd.Forwarder.PublishErrors == 0 {
		t.Errorf("the forwarder behind the proxy never failed a publish: the cut did not reach it")
	}
	// The server behind the proxy is whole again: /health is 200 (its broker check runs every
	// dependencyCheckEvery: it may still report the outage for that long).
	eventually(t, 3*dependencyCheckEvery+time.Second, "/health after the outage", func() (bool, string) {
		code, _, raw := getHealth(t, a.base)
		return code == http.StatusOK, fmt.Sprintf("%d %s", code, raw)
	})
	for _, c := range []*child{a, b} {
		if err := c.stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// Redis goes away while two servers allocate addresses from one pool on four branches (a proxy
// between both servers and Redis drops every connection and refuses new ones for 3 s). Every
// allocation answers 200 or 503 "unavailable"; no address is given twice; the log holds exactly
// the acknowledged allocations; allocations succeed again once Redis is back.
func TestCacheOutageDuringAllocations(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	ru, _ := url.Parse(redisURL)
	proxy := tcpproxy.Start(t, ru.Host)
	ru.Host = proxy.Addr()
	servers := startServers(t, "cache-outage", map[string]string{"INFRAHUB_CACHE_URL": ru.String()})
	base := servers[0].base
	schemaText, _ := json.Marshal(poolRaceSchema)
	if code, out := commandStatus(t, base, "schema.load", map[string]any{"schemas": []json.RawMessage{schemaText}}); code != 200 {
		t.Fatalf("schema load: %d %v", code, out)
	}
	code, out := commandStatus(t, base, "batch", map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "ref": "p", "payload": map[string]any{"kind": "RacePrefix", "data": map[string]any{"prefix": "10.8.0.0/22"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "CoreIPAddressPool", "data": map[string]any{
			"name": "outage", "default_address_type": "RaceAddress", "resources": []any{map[string]any{"ref": "p"}}, "ip_namespace": []string{"default"}}}},
	}})
	if code != 200 {
		t.Fatalf("pool: %d %v", code, out)
	}
	branches := []string{"c1", "c2", "c3", "c4"}
	for _, br := range branches {
		if code, out := commandStatus(t, base, "branch.create", map[string]any{"name": br}); code != 200 {
			t.Fatalf("branch %s: %d %v", br, code, out)
		}
	}

	const clients, cutAfter, wantAfter = 8, 40, 60
	var (
		mu       sync.Mutex
		seen     = map[string]string{} // address -> branch
		phase    atomic.Int32          // 0 before, 1 during, 2 after the cut
		ok       [3]atomic.Int64
		refused  [3]atomic.Int64
		stop     atomic.Bool
		cutReady = make(chan struct{})
		cutOnce  sync.Once
		wg       sync.WaitGroup
		maxPos   atomic.Int64
	)
	for i := range clients {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				br := branches[(i+n)%len(branches)]
				code, out := commandStatus(t, servers[(i+n)%2].base, "pool.allocate", map[string]any{"branch": br, "hfid": []string{"outage"}})
				p := phase.Load() // when answered
				switch code {
				case http.StatusOK:
					label, _ := out["data"].(map[string]any)["display_label"].(string)
					if ps, _ := out["positions"].([]any); len(ps) > 0 {
						for pos := int64(ps[len(ps)-1].(float64)); ; {
							cur := maxPos.Load()
							if pos <= cur || maxPos.CompareAndSwap(cur, pos) {
								break
							}
						}
					}
					mu.Lock()
					if other, dup := seen[label]; dup || label == "" {
						t.Errorf("address %q given twice (%s and %s)", label, other, br)
					}
					seen[label] = br
					mu.Unlock()
					ok[p].Add(1)
					if ok[0].Load() >= cutAfter {
						cutOnce.Do(func() { close(cutReady) })
					}
					if ok[2].Load() >= wantAfter {
						stop.Store(true)
					}
				case http.StatusServiceUnavailable:
					if e, _ := out["error"].(map[string]any); e["code"] != "unavailable" {
						t.Errorf("503 without code unavailable: %v", out)
					}
					refused[p].Add(1)
					time.Sleep(50 * time.Millisecond)
				default:
					t.Errorf("allocation on %s during phase %d: %d %v", br, p, code, out)
					stop.Store(true)
				}
			}
		})
	}
	select {
	case <-cutReady:
	case <-time.After(2 * time.Minute):
		stop.Store(true)
		wg.Wait()
		t.Fatal("never reached the cut")
	}
	phase.Store(1)
	proxy.Cut()
	time.Sleep(3 * time.Second)
	phase.Store(2)
	proxy.Restore()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		stop.Store(true)
		<-done
		t.Fatalf("only %d allocations succeeded within 3 minutes of Redis coming back", ok[2].Load())
	}
	t.Logf("allocations answered before/during/after the cut: %d/%d/%d succeeded, %d/%d/%d refused (503)",
		ok[0].Load(), ok[1].Load(), ok[2].Load(), refused[0].Load(), refused[1].Load(), refused[2].Load())
	if refused[1].Load() == 0 {
		t.Errorf("no allocation was refused while Redis was away: the cut did not reach the locks")
	}
	if ok[2].Load() < wantAfter {
		t.Fatalf("%d allocations after Redis came back, want %d", ok[2].Load(), wantAfter)
	}
	// The branches hold exactly the acknowledged allocations: nothing was stored for a 503.
	ids := map[string]bool{}
	for _, br := range branches {
		var dump []nodes.DumpedNode
		if err := json.Unmarshal([]byte(getDumpAfter(t, base, br, events.Position(maxPos.Load()))), &dump); err != nil {
			t.Fatal(err)
		}
		for _, n := range dump {
			if n.Kind == "RaceAddress" {
				ids[n.ID] = true
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != len(seen) {
		t.Fatalf("the branches hold %d addresses, %d allocations were acknowledged", len(ids), len(seen))
	}
}
