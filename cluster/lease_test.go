package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// redisClient connects to the test Redis (through proxyAddr when not empty).
func redisClient(t *testing.T, proxyAddr string) *redis.Client {
	t.Helper()
	raw := testenv.RedisURL(t)
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	if proxyAddr != "" {
		opts.Addr = proxyAddr
		opts.MaxRetries = -1
		opts.DialTimeout = 200 * time.Millisecond
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// leaseName is a key of this test only; its keys are deleted when the test ends.
func leaseName(t *testing.T, c *redis.Client) string {
	name := "test:cluster:" + testenv.RandomHex(6)
	t.Cleanup(func() { c.Del(context.Background(), name, name+":fence") })
	return name
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Three candidates elect on one lease while each leader leads a short term and then steps
// down: never two run at once, and every term has a greater fencing token than the one before.
func TestElectExcludesAndFencesIncrease(t *testing.T) {
	c := redisClient(t, "")
	name := leaseName(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		running atomic.Int32
		mu      sync.Mutex
		tokens  []int64
		leaders = map[string]int{}
		wg      sync.WaitGroup
	)
	const terms = 9
	for i := range 3 {
		id := "candidate-" + string(rune('a'+i))
		wg.Go(func() {
			err := Elect(ctx, Config{Client: c, Name: name, TTL: 300 * time.Millisecond, ID: id, Logger: testLogger(t)},
				func(ctx context.Context, l *Lease) error {
					if n := running.Add(1); n != 1 {
						t.Errorf("%d leaders at once", n)
					}
					defer running.Add(-1)
					tok, err := l.Valid()
					if err != nil || tok != l.Token() {
						t.Errorf("a fresh lease: Valid() = %d, %v; Token() = %d", tok, err, l.Token())
					}
					if holder, fence, err := Holder(ctx, c, name); err != nil || holder != id || fence != tok {
						t.Errorf("Holder = %q %d %v, want %q %d", holder, fence, err, id, tok)
					}
					mu.Lock()
					tokens = append(tokens, tok)
					leaders[id]++
					done := len(tokens) >= terms
					mu.Unlock()
					if done {
						cancel()
					}
					select { // lead through a few renewals, then step down
					case <-time.After(400 * time.Millisecond):
					case <-ctx.Done():
					}
					if _, err := l.Valid(); err != nil && ctx.Err() == nil {
						t.Errorf("lease lost while leading: %v", err)
					}
					return nil
				})
			if err != nil {
				t.Errorf("Elect: %v", err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("terms by candidate: %v, tokens %v", leaders, tokens)
	if len(tokens) < terms {
		t.Fatalf("%d terms, want %d", len(tokens), terms)
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Fatalf("fencing tokens do not increase: %v", tokens)
		}
	}
	if v, _ := c.Exists(context.Background(), name).Result(); v != 0 {
		t.Fatalf("the lease key is still there after every candidate stopped")
	}
}

// A holder stops renewing without releasing (it died): a candidate acquires the lease only
// once the key expired, with a greater token, and by then the dead holder's own deadline had
// passed: it would have known it was no longer the leader.
func TestTakeoverAfterHolderStopsRenewing(t *testing.T) {
	c := redisClient(t, "")
	name := leaseName(t, c)
	ctx := context.Background()
	cfg := Config{Client: c, Name: name, TTL: 500 * time.Millisecond, ID: "dead", Logger: testLogger(t)}
	dead, err := Acquire(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Let it renew a few times, then kill its renewing without releasing.
	time.Sleep(400 * time.Millisecond)
	dead.stopRenewing()

	cfg.ID = "next"
	next, err := Acquire(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Release()
	if _, err := dead.Valid(); !errors.Is(err, ErrLost) {
		t.Fatalf("the dead holder's lease is still valid when another holder acquired it: %v", err)
	}
	if next.Token() <= dead.Token() {
		t.Fatalf("token %d after %d: the fencing token must grow", next.Token(), dead.Token())
	}
	if holder, _, _ := Holder(ctx, c, name); holder != "next" {
		t.Fatalf("holder %q, want next", holder)
	}
	// The dead holder releasing late does not delete the new holder's key.
	dead.Release()
	if holder, _, _ := Holder(ctx, c, name); holder != "next" {
		t.Fatalf("after the old holder's release the holder is %q, want next", holder)
	}
	if tok, err := next.Valid(); err != nil || tok != next.Token() {
		t.Fatalf("new holder: %d %v", tok, err)
	}
}

// A holder paused past its deadline (its clock jumps while nothing ran) reports its lease
// invalid at once, without asking Redis, although Redis still holds its key.
func TestLeaseInvalidOnceLocalDeadlinePassed(t *testing.T) {
	c := redisClient(t, "")
	name := leaseName(t, c)
	ctx := context.Background()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	s, err := Config{Client: c, Name: name, TTL: 10 * time.Second, ID: "paused", Logger: testLogger(t)}.settings()
	if err != nil {
		t.Fatal(err)
	}
	l, err := acquire(ctx, s, now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := l.Valid(); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(9 * time.Second)) // past TTL minus the margin
	_, err = l.Valid()
	if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "local deadline") {
		t.Fatalf("Valid after the deadline: %v", err)
	}
	select {
	case <-l.Done():
	default:
		t.Fatal("Done is not closed once the lease is invalid")
	}
	if v, err := c.Get(ctx, name).Result(); err != nil || v != l.value {
		t.Fatalf("Redis should still hold the key: %q %v", v, err)
	}
	// Back in time is no way back: a lost lease stays lost.
	offset.Store(0)
	if _, err := l.Valid(); !errors.Is(err, ErrLost) {
		t.Fatalf("a lost lease became valid again: %v", err)
	}
}

// The leader's key is deleted behind its back (an operator, a failover of Redis that lost
// it): the renew finds it gone, the run's context is cancelled, and Elect acquires the lease
// again with a greater token.
func TestRenewFindsKeyGone(t *testing.T) {
	c := redisClient(t, "")
	name := leaseName(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	terms := make(chan int64, 10)
	lost := make(chan error, 10)
	done := make(chan error, 1)
	go func() {
		done <- Elect(ctx, Config{Client: c, Name: name, TTL: 300 * time.Millisecond, ID: "only", Logger: testLogger(t)},
			func(rctx context.Context, l *Lease) error {
				terms <- l.Token()
				<-rctx.Done()
				lost <- l.Err()
				return nil
			})
	}()
	first := <-terms
	if err := c.Del(ctx, name).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "gone or held by another") {
			t.Fatalf("lost with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not notice its key was gone")
	}
	select {
	case second := <-terms:
		if second <= first {
			t.Fatalf("second term's token %d after %d", second, first)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Elect did not lead again")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Redis goes away while the lease is held: renews fail, and the lease is lost when its local
// deadline passes (the run's context is cancelled). Once Redis is back, Elect leads again.
func TestRenewFailureLosesLeaseAtDeadline(t *testing.T) {
	direct := redisClient(t, "")
	name := leaseName(t, direct)
	u, _ := url.Parse(testenv.RedisURL(t))
	proxy := tcpproxy.Start(t, u.Host)
	c := redisClient(t, proxy.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	terms := make(chan *Lease, 10)
	lost := make(chan error, 10)
	done := make(chan error, 1)
	go func() {
		done <- Elect(ctx, Config{Client: c, Name: name, TTL: 500 * time.Millisecond, ID: "cut", Logger: testLogger(t)},
			func(rctx context.Context, l *Lease) error {
				terms <- l
				<-rctx.Done()
				lost <- l.Err()
				return nil
			})
	}()
	first := <-terms
	proxy.Cut()
	select {
	case err := <-lost:
		if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "local deadline") {
			t.Fatalf("lost with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lease was not lost while Redis was away")
	}
	if _, err := first.Valid(); err == nil {
		t.Fatal("Valid answers a token for a lost lease")
	}
	proxy.Restore()
	select {
	case second := <-terms:
		if second.Token() <= first.Token() {
			t.Fatalf("token %d after %d", second.Token(), first.Token())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Elect did not lead again once Redis was back")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigIsChecked(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, cfg := range []Config{
		{Name: "x", ID: "a"},
		{Client: c, ID: "a"},
		{Client: c, Name: "x"},
		{Client: c, Name: "x", ID: "a", TTL: time.Millisecond},
	} {
		err := Elect(context.Background(), cfg, func(context.Context, *Lease) error { return nil })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
