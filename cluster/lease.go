// Package cluster coordinates the processes of one deployment through Redis: a leader elected
// by a lease with fencing tokens (Elect, Lease), and the presence of every process (Presence).
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/redact"
)

// Bounds of a lease.
const (
	// DefaultTTL is the time to live of a lease key: a leader that dies is replaced within
	// about DefaultTTL (plus the poll interval of the candidates, TTL/4).
	DefaultTTL = 5 * time.Second
	// MinTTL is the shortest TTL accepted (tests use short ones).
	MinTTL = 100 * time.Millisecond
	// MaxTTL is the longest TTL accepted.
	MaxTTL = 5 * time.Minute
)

// The holder renews every TTL/renewDivisor and, after a failed renew, retries every
// TTL/retryDivisor until its local deadline passes; the local deadline is the start of the last
// successful renew plus TTL·(marginDivisor−1)/marginDivisor: a safety margin of TTL/5 before
// Redis itself lets the key expire.
const (
	renewDivisor  = 3
	retryDivisor  = 10
	marginDivisor = 5
	pollDivisor   = 4 // candidates try to acquire every TTL/4
)

var (
	// ErrLost is wrapped by the error of a lease that is no longer held: its local deadline
	// passed without a renew, its key was found gone or held by another holder, or it was
	// released. A lost lease stays lost; Elect acquires a new one.
	ErrLost     = fault.New(fault.ErrUnavailable, "cluster: lease lost")
	errReleased = errors.New("released")
	// ErrInvalid is wrapped by a configuration error.
	ErrInvalid = fault.New(fault.ErrInvalid, "cluster: invalid configuration")
)

// Config configures a lease.
type Config struct {
	Client *redis.Client
	// Name is the lease's Redis key (e.g. "infrahub:forwarder"); the fencing counter is the key
	// Name+":fence".
	Name string
	// TTL is the time to live of the key, renewed every TTL/3 while held; DefaultTTL when zero.
	TTL time.Duration
	// ID names the candidate (its instance) in the key's value and in logs.
	ID     string
	Logger *slog.Logger // default: discard
}

type settings struct {
	client        *redis.Client
	key, fenceKey string
	id            string
	ttl           time.Duration
	log           *slog.Logger
}

func (c Config) settings() (settings, error) {
	s := settings{client: c.Client, key: c.Name, fenceKey: c.Name + ":fence", id: c.ID, ttl: c.TTL, log: c.Logger}
	if s.client == nil {
		return s, fmt.Errorf("%w: Client is not set", ErrInvalid)
	}
	if strings.TrimSpace(s.key) == "" {
		return s, fmt.Errorf("%w: Name is empty", ErrInvalid)
	}
	if strings.TrimSpace(s.id) == "" {
		return s, fmt.Errorf("%w: ID is empty", ErrInvalid)
	}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	if s.ttl < MinTTL || s.ttl > MaxTTL {
		return s, fmt.Errorf("%w: TTL %s is not between %s and %s", ErrInvalid, s.ttl, MinTTL, MaxTTL)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "cluster", "lease", s.key)
	return s, nil
}

var (
	// acquire sets the key to the candidate's value if absent and then increments the fencing
	// counter, in one step; a candidate that finds its own value (a retry after a lost reply)
	// renews it and gets the counter as it is.
	acquireScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return tonumber(redis.call("GET", KEYS[2]) or "0")
end
if v then return 0 end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return redis.call("INCR", KEYS[2])`)
	// renew extends the key's time to live only while it holds the holder's value.
	renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	// release deletes the key only while it holds the holder's value.
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
)

// Lease is a held leadership: valid until its local deadline passes without a renew, a renew
// finds the key gone or taken, or it is released. Its deadline is kept by the monotonic clock
// of this process, so that a process paused (SIGSTOP, a long GC or VM pause) past its TTL knows
// on resuming that the lease is invalid without asking Redis.
type Lease struct {
	s     settings
	value string // ID + "/" + a random token of this acquisition
	fence int64
	now   func() time.Time // time.Now; tests move it

	mu       sync.Mutex
	deadline time.Time
	err      error // why the lease was lost; nil while held
	done     chan struct{}
	expiry   *time.Timer // loses the lease at the deadline

	stop     chan struct{} // stops the renewing
	stopOnce sync.Once
	renewed  chan struct{} // closed when the renewing stopped
	release  sync.Once
}

// Acquire waits until the lease called cfg.Name is free and takes it, trying every TTL/4.
// Redis failures are logged and retried; only the end of ctx (or a bad cfg) is an error.
func Acquire(ctx context.Context, cfg Config) (*Lease, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return acquire(ctx, s, time.Now)
}

func acquire(ctx context.Context, s settings, now func() time.Time) (*Lease, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	value := s.id + "/" + hex.EncodeToString(b)
	poll := s.ttl / pollDivisor
	failures := 0
	for {
		start := now()
		actx, cancel := context.WithTimeout(ctx, s.ttl/2)
		fence, err := acquireScript.Run(actx, s.client, []string{s.key, s.fenceKey}, value, s.ttl.Milliseconds()).Int64()
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cluster: acquire %s: %w", s.key, ctx.Err())
		}
		wait := poll
		switch {
		case err == nil && fence > 0:
			if failures > 0 {
				s.log.Info("redis answers again")
			}
			return newLease(s, value, fence, start, now), nil
		case err == nil:
			failures = 0
		default:
			if failures == 0 {
				s.log.Warn("cannot reach redis to acquire the lease; retrying", "err", redact.Error(err))
			}
			wait = min(backoff.Delay(failures, poll), poll)
			failures++
		}
		if !backoff.Sleep(ctx, wait) {
			return nil, fmt.Errorf("cluster: acquire %s: %w", s.key, ctx.Err())
		}
	}
}

func newLease(s settings, value string, fence int64, start time.Time, now func() time.Time) *Lease {
	l := &Lease{s: s, value: value, fence: fence, now: now, done: make(chan struct{}),
		stop: make(chan struct{}), renewed: make(chan struct{})}
	l.mu.Lock() // the timer's function waits until expiry is set
	l.deadline = start.Add(l.validity())
	l.expiry = time.AfterFunc(l.deadline.Sub(now()), l.checkDeadline)
	l.mu.Unlock()
	go l.renew()
	return l
}

// validity is how long after the start of a successful renew the holder trusts the lease.
func (l *Lease) validity() time.Duration {
	return l.s.ttl - l.s.ttl/marginDivisor
}

// Token is the lease's fencing token: greater than the token of every earlier holder of the
// lease (the counter at Name+":fence" only grows).
func (l *Lease) Token() int64 { return l.fence }

// Holder is the candidate id the lease was acquired with.
func (l *Lease) Holder() string { return l.s.id }

// Valid answers the fencing token while the lease is held, and an error wrapping ErrLost once
// its local deadline passed without a renew, a renew found the key gone or taken, or it was
// released. It asks nothing of Redis.
func (l *Lease) Valid() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil && !l.now().Before(l.deadline) {
		l.loseLocked(l.expiredError())
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.fence, nil
}

// Done is closed once the lease is lost or released.
func (l *Lease) Done() <-chan struct{} { return l.done }

// Err is why the lease was lost (wrapping ErrLost), or nil while it is held.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Lease) expiredError() error {
	return fmt.Errorf("%w: %s: no renew for %s (local deadline passed; fence %d)", ErrLost, l.s.key, l.validity(), l.fence)
}

// checkDeadline loses the lease when its deadline passed (the timer may fire early or late).
func (l *Lease) checkDeadline() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	if left := l.deadline.Sub(l.now()); left > 0 {
		l.expiry.Reset(left)
		return
	}
	l.loseLocked(l.expiredError())
}

func (l *Lease) lose(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loseLocked(err)
}

func (l *Lease) loseLocked(err error) {
	if l.err != nil {
		return
	}
	l.err = err
	l.expiry.Stop()
	close(l.done)
	if !errors.Is(err, errReleased) {
		l.s.log.Warn("lease lost", "fence", l.fence, "err", err)
	}
}

// extend moves the deadline after a successful renew that started at start; a lost lease stays
// lost (false).
func (l *Lease) extend(start time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return false
	}
	if d := start.Add(l.validity()); d.After(l.deadline) {
		l.deadline = d
		l.expiry.Reset(d.Sub(l.now()))
	}
	return true
}

// renew extends the key every TTL/3 until the lease is lost or released.
func (l *Lease) renew() {
	defer close(l.renewed)
	interval := l.s.ttl / renewDivisor
	t := time.NewTimer(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-l.stop:
			return
		case <-l.done:
			return
		case <-t.C:
		}
		start := l.now()
		l.mu.Lock()
		left := l.deadline.Sub(start)
		l.mu.Unlock()
		if left <= 0 {
			if _, err := l.Valid(); err != nil { // the deadline passed: lost for good
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(left, time.Millisecond))
		n, err := renewScript.Run(ctx, l.s.client, []string{l.s.key}, l.value, l.s.ttl.Milliseconds()).Int()
		cancel()
		switch {
		case err == nil && n == 1:
			if !l.extend(start) {
				return
			}
			if failing {
				l.s.log.Info("lease renewed again", "fence", l.fence)
				failing = false
			}
			t.Reset(interval)
		case err == nil:
			l.lose(fmt.Errorf("%w: %s: the key is gone or held by another holder (fence %d)", ErrLost, l.s.key, l.fence))
			return
		default:
			if !failing {
				l.s.log.Warn("lease not renewed; retrying until its deadline", "fence", l.fence, "err", redact.Error(err))
				failing = true
			}
			t.Reset(l.s.ttl / retryDivisor)
		}
	}
}

// Release stops renewing, marks the lease lost and deletes its key if it still holds this
// lease (so that another candidate takes over at once). Safe to call more than once.
func (l *Lease) Release() {
	l.release.Do(func() {
		l.stopRenewing()
		l.lose(fmt.Errorf("%w: %s: %w (fence %d)", ErrLost, l.s.key, errReleased, l.fence))
		ctx, cancel := context.WithTimeout(context.Background(), max(l.s.ttl/2, time.Second))
		defer cancel()
		if err := releaseScript.Run(ctx, l.s.client, []string{l.s.key}, l.value).Err(); err != nil {
			l.s.log.Warn("lease not released (it expires by itself)", "fence", l.fence, "err", redact.Error(err))
		}
	})
}

// stopRenewing stops the renewing and waits until it stopped.
func (l *Lease) stopRenewing() {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.renewed
}

// Elect runs run whenever this candidate holds the lease cfg.Name, until ctx ends: it waits for
// the lease (trying every TTL/4), calls run with a context cancelled as soon as the lease is
// lost, and releases the lease when run returns; then it tries again. It returns nil when ctx
// ends, or a configuration error at once.
func Elect(ctx context.Context, cfg Config, run func(ctx context.Context, lease *Lease) error) error {
	s, err := cfg.settings()
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		l, err := acquire(ctx, s, time.Now)
		if err != nil {
			break // ctx ended
		}
		s.log.Info("lease acquired: leading", "id", s.id, "fence", l.fence, "ttl", s.ttl.String())
		rctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-l.Done():
				cancel()
			case <-rctx.Done():
			}
		}()
		runErr := run(rctx, l)
		cancel()
		lost := l.Err()
		switch {
		case ctx.Err() != nil:
			s.log.Info("stopping: releasing the lease", "fence", l.fence)
		case lost != nil:
			s.log.Info("no longer leading: waiting to be elected again", "fence", l.fence, "run_err", runErr)
		default:
			s.log.Warn("leader stopped while holding the lease; releasing it and trying again",
				"fence", l.fence, "err", runErr)
		}
		l.Release()
		if ctx.Err() == nil && lost == nil {
			backoff.Sleep(ctx, s.ttl/pollDivisor) // give another candidate a chance
		}
	}
	return nil
}

// Holder reads who holds the lease called name: the holder's id and the last fencing token
// given ("" when nobody holds it).
func Holder(ctx context.Context, client *redis.Client, name string) (id string, fence int64, err error) {
	vals, err := client.MGet(ctx, name, name+":fence").Result()
	if err != nil {
		return "", 0, fmt.Errorf("cluster: read lease %s: %w: %w", name, fault.ErrUnavailable, redact.Error(err))
	}
	if v, ok := vals[0].(string); ok { // ID + "/" + token
		if i := strings.LastIndexByte(v, '/'); i >= 0 {
			id = v[:i]
		}
	}
	if v, ok := vals[1].(string); ok {
		fence, _ = strconv.ParseInt(v, 10, 64)
	}
	return id, fence, nil
}

// unavailable wraps a failure to reach Redis.
func unavailable(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cluster: %s: %w", what, err)
	}
	return fmt.Errorf("cluster: %s: %w: %w", what, fault.ErrUnavailable, redact.Error(err))
}
