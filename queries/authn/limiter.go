package authn

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// limiter counts failed logins per account and per client address in fixed windows, in memory
// (each server counts its own).
type limiter struct {
	mu                  sync.Mutex
	perAccount, perAddr int
	window              time.Duration
	now                 func() time.Time
	seen                map[string]*failures
	pruneAt             int
}

type failures struct {
	n     int
	start time.Time
}

// rateLimited is a login refused because of earlier failures.
type rateLimited struct {
	what  string
	retry time.Duration
}

func (e *rateLimited) Error() string {
	return fmt.Sprintf("too many failed logins for this %s; retry in %d s", e.what, e.retrySeconds())
}

func (e *rateLimited) retrySeconds() int { return int(math.Ceil(e.retry.Seconds())) }

func newLimiter(perAccount, perAddr int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{perAccount: perAccount, perAddr: perAddr, window: window, now: now,
		seen: map[string]*failures{}, pruneAt: 1024}
}

// check refuses a login when the account or the address failed too often in the window.
func (l *limiter) check(accountKey, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []struct {
		key, what string
		max       int
	}{{"a:" + accountKey, "account", l.perAccount}, {"i:" + addr, "client address", l.perAddr}} {
		f, ok := l.seen[k.key]
		if !ok || now.Sub(f.start) >= l.window {
			continue
		}
		if f.n >= k.max {
			return &rateLimited{what: k.what, retry: f.start.Add(l.window).Sub(now)}
		}
	}
	return nil
}

// fail counts a failed login; accountKey is empty when no such account exists (so that
// unknown names do not take memory).
func (l *limiter) fail(accountKey, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	keys := []string{"i:" + addr}
	if accountKey != "" {
		keys = append(keys, "a:"+accountKey)
	}
	for _, k := range keys {
		f, ok := l.seen[k]
		if !ok || now.Sub(f.start) >= l.window {
			f = &failures{start: now}
			l.seen[k] = f
		}
		f.n++
	}
	if len(l.seen) >= l.pruneAt { // drop the windows that are over
		for k, f := range l.seen {
			if now.Sub(f.start) >= l.window {
				delete(l.seen, k)
			}
		}
		l.pruneAt = max(1024, 2*len(l.seen))
	}
}
