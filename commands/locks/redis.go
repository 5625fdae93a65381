package locks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// Redis holds locks in a Redis server, shared by every process that uses it: a lock is a key
// set only if absent (SET NX) to a token of its holder, with a time to live that the holder keeps
// extending while it holds the lock, so that a holder that dies frees it after TTL. Only the
// holder's token deletes the key.
type Redis struct {
	Client *redis.Client
	Prefix string        // key prefix; "lock." (Infrahub's) when empty
	TTL    time.Duration // 10 s when zero
	Log    *slog.Logger
	// Local makes the holders of one process queue here instead of polling Redis.
	local Local
}

// NewRedis connects to the Redis server at rawURL (redis:// or rediss://) and checks it answers.
func NewRedis(ctx context.Context, rawURL string, t tlsconfig.Options, log *slog.Logger) (*Redis, error) {
	r, err := OpenRedis(rawURL, t, log)
	if err != nil {
		return nil, err
	}
	if err := r.Ping(ctx); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// OpenRedis makes a client of the Redis server at rawURL without connecting: it connects on first
// use and again after the server was away. A bad URL or TLS setting is an error.
func OpenRedis(rawURL string, t tlsconfig.Options, log *slog.Logger) (*Redis, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("locks: redis url: %w", redact.Error(err))
	}
	if t.Enabled || opts.TLSConfig != nil { // rediss:// turns TLS on too
		var serverName string
		if opts.TLSConfig != nil {
			serverName = opts.TLSConfig.ServerName
		}
		tc, err := t.Client(serverName)
		if err != nil {
			return nil, fmt.Errorf("locks: redis %w", err)
		}
		opts.TLSConfig = tc
	}
	if log != nil {
		quietOnce.Do(func() { redis.SetLogger(driverLog{log}) })
	}
	return &Redis{Client: redis.NewClient(opts), Log: log}, nil
}

// quietOnce routes the driver's own messages (each failed dial while Redis is away) to the
// first logger given, at debug: the failures that matter come back as errors.
var quietOnce sync.Once

type driverLog struct{ log *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...), "component", "locks/redis")
}

// Ping checks that the server answers; an error wraps fault.ErrUnavailable and names the address.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.Client.Ping(ctx).Err(); err != nil {
		return unavailable("redis "+r.Client.Options().Addr, err)
	}
	return nil
}

// unavailable wraps a failure to reach Redis: the caller may retry later (HTTP 503).
func unavailable(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("locks: %s: %w", what, err)
	}
	return fmt.Errorf("locks: %s: %w: %w", what, fault.ErrUnavailable, redact.Error(err))
}

// Close closes the connection.
func (r *Redis) Close() error { return r.Client.Close() }

var (
	// release deletes the key only while it holds the caller's token.
	release = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	// extend renews the time to live only while the key holds the caller's token.
	extend = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// ErrLost reports a lock whose key expired or was taken over while held.
var ErrLost = errors.New("lock lost")

// Lock takes the lock called name, waiting (polling Redis, from 1 ms up to 50 ms apart) while
// another holder has it.
func (r *Redis) Lock(ctx context.Context, name string) (func(), error) {
	unlockLocal, err := r.local.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	prefix, ttl := r.Prefix, r.TTL
	if prefix == "" {
		prefix = "lock."
	}
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	key := prefix + name
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	wait := time.Millisecond
	for {
		ok, err := r.Client.SetNX(ctx, key, token, ttl).Result()
		if err == nil && !ok {
			// A SET retried after a lost reply finds the key it set itself.
			var held string
			held, err = r.Client.Get(ctx, key).Result()
			ok = err == nil && held == token
			if errors.Is(err, redis.Nil) {
				err = nil // freed meanwhile: try again at once
				continue
			}
		}
		if err != nil {
			unlockLocal()
			return nil, unavailable("take "+name, err)
		}
		if ok {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			unlockLocal()
			return nil, fmt.Errorf("locks: take %s: %w", name, ctx.Err())
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
	// Keep the key alive while held.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n, err := extend.Run(context.Background(), r.Client, []string{key}, token, ttl.Milliseconds()).Int()
				if err == nil && n == 0 {
					err = ErrLost
				}
				if err != nil && r.Log != nil {
					r.Log.Warn("lock not extended", "lock", name, "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := release.Run(ctx, r.Client, []string{key}, token).Err(); err != nil && r.Log != nil {
				r.Log.Warn("lock not released (it expires by itself)", "lock", name, "err", err)
			}
			unlockLocal()
		})
	}, nil
}
