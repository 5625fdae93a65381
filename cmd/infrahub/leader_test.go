package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// leaderTTL is the forwarder lease of the children of these tests (INFRAHUB_FORWARDER_LEASE_TTL).
const leaderTTL = "1s"

// The forwarder leader is killed (SIGKILL) while commands are written through the other
// server: the other becomes the leader within seconds, with a greater fencing token, and
// every acknowledged event (every position up to the head at the end) is published.
func TestForwarderLeaderKilled(t *testing.T) {
	e := startElection(t, "leader-kill")
	w := startWriter(t, e.b.base)
	e.waitPublished(t, 100, e.fenceA)
	start := time.Now()
	e.a.kill()
	fenceB := e.waitLeader(t, e.b, "api-2")
	took := time.Since(start)
	e.waitPublished(t, 1, fenceB)
	firstNew := time.Since(start)
	t.Logf("takeover after SIGKILL: the other server led %s after the kill (lease TTL %s), its first message arrived after %s",
		took.Round(time.Millisecond), leaderTTL, firstNew.Round(time.Millisecond))
	if fenceB <= e.fenceA {
		t.Fatalf("fencing token %d after %d", fenceB, e.fenceA)
	}
	w.waitAcked(t, w.acked.Load()+100)
	w.stop()
	e.checkEverythingPublished(t, e.b)
}

// The forwarder leader is frozen (SIGSTOP) for longer than its lease, and cut from Redis
// meanwhile: the other server takes over; once resumed (SIGCONT), the old leader knows by its
// own clock that its lease expired, without Redis: it publishes nothing more (no message with
// its fencing token arrives after the new leader's first) and logs that it lost the lease. Once
// Redis answers it again it follows, and it leads again when the new leader stops.
func TestForwarderLeaderFrozen(t *testing.T) {
	e := startElection(t, "leader-freeze")
	w := startWriter(t, e.b.base)
	e.waitPublished(t, 100, e.fenceA)
	// Freeze the leader between two publishes: with no write in flight and everything written
	// so far published, it is waiting on the log, not inside a publish (a publish past its
	// fence check would still complete after the resume).
	w.pause()
	e.checkEverythingPublished(t, e.b)
	if err := e.a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.redisA.Cut() // on resuming, its renews fail: only its clock can tell it the lease is gone
	w.resume()
	fenceB := e.waitLeader(t, e.b, "api-2")
	took := time.Since(start)
	firstB := e.waitPublished(t, 1, fenceB)
	t.Logf("takeover after SIGSTOP: the other server led %s after the freeze (lease TTL %s), its first message arrived after %s",
		took.Round(time.Millisecond), leaderTTL, time.Since(start).Round(time.Millisecond))
	w.waitAcked(t, w.acked.Load()+50)
	if err := e.a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The resumed server sees the new events in its log, tries to publish them and is fenced.
	w.waitAcked(t, w.acked.Load()+100)
	eventually(t, 30*time.Second, "the resumed server logs that it lost the lease", func() (bool, string) {
		return strings.Contains(e.a.logs.String(), "lease lost"), "no \"lease lost\" in its log"
	})
	if s := leaderOf(t, e.a.base); s.Leader {
		t.Fatalf("the resumed server still leads: %+v", s)
	}
	w.stop()
	e.checkEverythingPublished(t, e.b)
	msgs := e.col.all()
	for i, m := range msgs[firstB:] {
		if m.fence == e.fenceA {
			t.Fatalf("message %d (%d, %d] with the old leader's token %d arrived after the new leader's first message (%d)",
				firstB+i, m.from, m.to, e.fenceA, firstB)
		}
	}
	e.redisA.Restore()
	eventually(t, 30*time.Second, "the resumed server follows", func() (bool, string) {
		s := leaderOf(t, e.a.base)
		return !s.Leader && s.LeaderInstance == "api-2", fmt.Sprintf("%+v", s)
	})
	// The old leader leads again once the new one stops (its lease is released at once).
	if err := e.b.stop(); err != nil {
		t.Fatal(err)
	}
	if fenceC := e.waitLeader(t, e.a, "api-1"); fenceC <= fenceB {
		t.Fatalf("fencing token %d after %d", fenceC, fenceB)
	}
}

// election is two servers on one PostgreSQL log, RabbitMQ and Redis, of a namespace of their
// own, with a test queue collecting every batch the forwarder publishes.
type election struct {
	a, b   *child // a leads first
	fenceA int64
	col    *collector
	redisA *tcpproxy.Proxy // between a and Redis
}

func startElection(t *testing.T, name string) *election {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	redisURL := testenv.RedisURL(t)
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	ns := name + "-" + schema
	topic := ns + ".events"
	t.Cleanup(func() {
		deleteTopology(t, amqpURL, topic, []string{bus.QueueName(topic, "collector")}, "api-1", "api-2")
		opts, _ := redis.ParseURL(redisURL)
		rc := redis.NewClient(opts)
		defer rc.Close()
		rc.Del(context.Background(), ns+":forwarder", ns+":forwarder:fence", ns+":presence:api-1", ns+":presence:api-2")
	})
	ru, _ := url.Parse(redisURL)
	e := &election{col: startCollector(t, amqpURL, topic), redisA: tcpproxy.Start(t, ru.Host)}
	env := func(instance, cache string) map[string]string {
		return map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_EVENTS_URL": u.String(), "INFRAHUB_BROKER_URL": amqpURL,
			"INFRAHUB_BROKER_NAMESPACE": ns, "INFRAHUB_INSTANCE": instance, "INFRAHUB_CACHE_URL": cache,
			"INFRAHUB_FORWARDER_LEASE_TTL": leaderTTL}
	}
	ru.Host = e.redisA.Addr()
	e.a = startChild(t, freeAddr(t), env("api-1", ru.String()))
	e.fenceA = e.waitLeader(t, e.a, "api-1")
	e.b = startChild(t, freeAddr(t), env("api-2", redisURL))
	if s := leaderOf(t, e.b.base); s.Leader || s.Election != "redis" || s.LeaderInstance != "api-1" {
		t.Fatalf("second server: %+v", s)
	}
	// Both announce themselves: GraphQL's InfrahubStatus lists both, schema hashes in sync.
	eventually(t, 30*time.Second, "InfrahubStatus lists both servers", func() (bool, string) {
		code, out := gqlAs(t, e.b.base, nil, `{ InfrahubStatus { summary { schema_hash_synced } workers { edges { node { id active schema_hash } } } } }`)
		var ids []string
		edges, _ := dig(out, "data", "InfrahubStatus", "workers", "edges").([]any)
		for _, ed := range edges {
			if id, _ := dig(ed, "node", "id").(string); id != "" && dig(ed, "node", "active") == true && dig(ed, "node", "schema_hash") != nil {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		return code == 200 && slices.Equal(ids, []string{"api-1", "api-2"}) && dig(out, "data", "InfrahubStatus", "summary", "schema_hash_synced") == true,
			fmt.Sprintf("%d %v", code, out)
	})
	return e
}

// leaderState is the forwarder's election in /api/status.
type leaderState struct {
	Election       string `json:"election"`
	Leader         bool   `json:"leader"`
	Fence          int64  `json:"fence"`
	LeaderInstance string `json:"leader_instance"`
}

func leaderOf(t *testing.T, base string) leaderState {
	t.Helper()
	var s struct {
		Forwarder leaderState `json:"forwarder"`
	}
	if code := getJSON(t, base+"/api/status", &s); code != http.StatusOK {
		t.Fatalf("/api/status: %d", code)
	}
	return s.Forwarder
}

// waitLeader waits until c leads (polling every 20 ms) and answers its fencing token.
func (e *election) waitLeader(t *testing.T, c *child, instance string) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := leaderOf(t, c.base)
		if s.Leader && s.Fence > 0 && s.LeaderInstance == instance {
			return s.Fence
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become the forwarder leader within 30s: %+v", instance, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPublished waits until the collector holds at least n messages with fencing token fence
// and answers the index of the first of them.
func (e *election) waitPublished(t *testing.T, n int, fence int64) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		first, count := -1, 0
		for i, m := range e.col.all() {
			if m.fence == fence {
				count++
				if first < 0 {
					first = i
				}
			}
		}
		if count >= n {
			return first
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages with fencing token %d within 60s, want %d", count, fence, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkEverythingPublished waits until the collected batches cover every position up to the
// log head, without a hole.
func (e *election) checkEverythingPublished(t *testing.T, c *child) {
	t.Helper()
	head := getStatus(t, c.base).LogHead
	eventually(t, 60*time.Second, fmt.Sprintf("every position up to the head %d is published", head), func() (bool, string) {
		covered := e.col.covered()
		return covered >= int64(head), fmt.Sprintf("covered without a hole up to %d", covered)
	})
}

// collected is one batch message.
type collected struct {
	from, to int64
	fence    int64
}

// collector reads every batch of a topic through a queue of its own.
type collector struct {
	mu   sync.Mutex
	msgs []collected
}

func startCollector(t *testing.T, amqpURL, topic string) *collector {
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bus.New(ctx, bus.Config{URL: amqpURL}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := b.Subscribe(ctx, topic, "collector")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg := range ch {
			batch, err := forward.DecodeMessage(msg)
			if err != nil {
				t.Errorf("undecodable message %s: %v", msg.UUID, err)
			}
			fence, err := strconv.ParseInt(msg.Metadata.Get(forward.MetadataFence), 10, 64)
			if err != nil {
				t.Errorf("message %s without a fencing token: %v", msg.UUID, msg.Metadata)
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, collected{from: int64(batch.From), to: int64(batch.To), fence: fence})
			c.mu.Unlock()
			msg.Ack()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = b.Close()
	})
	return c
}

func (c *collector) all() []collected {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// covered is the highest position p such that the batches cover every position in (0, p].
func (c *collector) covered() int64 {
	ms := c.all()
	slices.SortFunc(ms, func(a, b collected) int { return int(a.from - b.from) })
	var reach int64
	for _, m := range ms {
		if m.from > reach {
			break // a hole: nothing covers reach+1
		}
		reach = max(reach, m.to)
	}
	return reach
}

// writer sends diagnostic commands to a server from two clients until stopped, each
// acknowledged once (a failed send is retried with the same id).
type writer struct {
	base   string
	gate   sync.RWMutex // senders hold it for reading around each send; pause takes it
	paused atomic.Bool
	done   atomic.Bool
	acked  atomic.Int64
	next   atomic.Int64
	wg     sync.WaitGroup
}

func startWriter(t *testing.T, base string) *writer {
	w := &writer{base: base}
	client := &http.Client{Timeout: 30 * time.Second}
	prefix := "cmd-" + testenv.RandomHex(3)
	for range 2 {
		w.wg.Go(func() {
			id := ""
			for !w.done.Load() {
				if id == "" {
					id = fmt.Sprintf("%s-%06d", prefix, w.next.Add(1))
				}
				w.gate.RLock()
				_, code, err := send(context.Background(), client, base, id)
				w.gate.RUnlock()
				if err != nil {
					if code >= 400 && code < 500 {
						t.Errorf("command %s refused: %v", id, err)
						return
					}
					time.Sleep(20 * time.Millisecond)
					continue // the same id again
				}
				w.acked.Add(1)
				id = ""
			}
		})
	}
	t.Cleanup(w.stop)
	return w
}

// pause waits for the sends in flight and holds the next ones until resume.
func (w *writer) pause() {
	w.gate.Lock()
	w.paused.Store(true)
}

func (w *writer) resume() {
	if w.paused.CompareAndSwap(true, false) {
		w.gate.Unlock()
	}
}

func (w *writer) stop() {
	w.done.Store(true)
	w.resume()
	w.wg.Wait()
}

func (w *writer) waitAcked(t *testing.T, n int64) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%d commands acknowledged", n), func() (bool, string) {
		return w.acked.Load() >= n, fmt.Sprintf("%d", w.acked.Load())
	})
}
