package locks_test

import (
	"context"
	"errors"
	neturl "net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

type locker interface {
	Lock(ctx context.Context, name string) (func(), error)
}

// exclusive runs 4 holders × 25 turns on each locker (as if each were its own process) and
// checks that no two were ever inside at once.
func exclusive(t *testing.T, lockers []locker, name string) {
	t.Helper()
	var inside, overlaps, turns atomic.Int64
	var wg sync.WaitGroup
	for _, l := range lockers {
		for range 4 {
			wg.Go(func() {
				for range 25 {
					unlock, err := l.Lock(context.Background(), name)
					if err != nil {
						t.Error(err)
						return
					}
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					time.Sleep(50 * time.Microsecond)
					inside.Add(-1)
					turns.Add(1)
					unlock()
				}
			})
		}
	}
	wg.Wait()
	if overlaps.Load() != 0 || turns.Load() != int64(100*len(lockers)) {
		t.Fatalf("%d overlaps in %d turns", overlaps.Load(), turns.Load())
	}
}

func TestLocal(t *testing.T) {
	var l locks.Local
	exclusive(t, []locker{&l}, "a")
	// A held lock makes others wait until their context ends; other names are free.
	unlock, _ := l.Lock(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(ctx, "a"); err == nil {
		t.Fatal("a held lock was taken again")
	}
	other, err := l.Lock(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	other()
	unlock()
	unlock() // twice is harmless
	again, err := l.Lock(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	again()
}

// Two Redis lockers (two processes' worth of connections) exclude each other; a lock whose
// holder vanished frees itself after its time to live.
func TestRedis(t *testing.T) {
	url := testenv.RedisURL(t)
	var lockers []locker
	prefix := "infrahub-test:" + testenv.RandomHex(6) + ":"
	for range 2 {
		r, err := locks.NewRedis(context.Background(), url, tlsconfig.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Prefix = prefix
		t.Cleanup(func() { _ = r.Close() })
		lockers = append(lockers, r)
	}
	exclusive(t, lockers, "pools")

	a, b := lockers[0].(*locks.Redis), lockers[1].(*locks.Redis)
	// A holder that never gives the lock back (its process died): the key expires.
	a.TTL = 300 * time.Millisecond
	if err := a.Client.Set(context.Background(), prefix+"dead", "someone-else", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	unlock, err := b.Lock(context.Background(), "dead")
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("took a lock another holder had, after %v", waited)
	}
	unlock()
	// A held lock is kept alive past its time to live.
	held, err := a.Lock(context.Background(), "long")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(ctx, "long"); err == nil {
		t.Fatal("a lock held past its time to live was taken by another holder")
	}
	held()
	if u, err := b.Lock(context.Background(), "long"); err != nil {
		t.Fatal(err)
	} else {
		u()
	}
}

// Redis goes away (a proxy drops every connection and refuses new ones): Lock fails with
// fault.ErrUnavailable instead of waiting; a lock held across the outage is released by its
// holder or expires; once Redis is back the same client takes locks again.
func TestRedisOutage(t *testing.T) {
	raw := testenv.RedisURL(t)
	u, _ := neturl.Parse(raw)
	proxy := tcpproxy.Start(t, u.Host)
	u.Host = proxy.Addr()
	prefix := "infrahub-test:" + testenv.RandomHex(6) + ":"
	r, err := locks.NewRedis(context.Background(), u.String(), tlsconfig.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Prefix, r.TTL = prefix, 600*time.Millisecond
	held, err := r.Lock(context.Background(), "pools")
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Ping(ctx); !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("Ping during the outage = %v, want unavailable", err)
	}
	if _, err := r.Lock(ctx, "other"); !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("Lock during the outage = %v, want unavailable", err)
	} else if ctx.Err() != nil {
		t.Fatal("Lock during the outage waited for its context instead of failing")
	}
	held() // cannot reach Redis: logged, the key expires after its TTL

	proxy.Restore()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel2()
	unlock, err := r.Lock(ctx2, "pools")
	if err != nil {
		t.Fatalf("Lock after the outage: %v", err)
	}
	unlock()

	// A key held under another token is waited for, not mistaken for the caller's own.
	if err := r.Client.Set(context.Background(), prefix+"foreign", "someone-else", 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	short, cancel3 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel3()
	if _, err := r.Lock(short, "foreign"); err == nil || errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("Lock of a key held by another = %v, want a timeout", err)
	}
}
