package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// storage
	_ "gocloud.dev/blob/memblob"  // mem:// storage (tests)
	_ "gocloud.dev/blob/s3blob"   // s3:// storage

	"github.com/infrahub-go/infrahub/commands/locks"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// logStore is what the composition root needs of an event log adapter.
type logStore interface {
	events.Store
	events.Checkpoints
}

// openLog opens the event log named by INFRAHUB_EVENTS_URL; opening applies the migrations.
// An error names the log, its variable and URL (without secrets) and the cause.
func openLog(ctx context.Context, cfg Config, logger *slog.Logger) (logStore, error) {
	st, err := openLogURL(ctx, cfg, logger)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("event log (INFRAHUB_EVENTS_URL=%s): %w", redact.URL(cfg.EventsURL), err))
	}
	return st, nil
}

func openLogURL(ctx context.Context, cfg Config, logger *slog.Logger) (logStore, error) {
	u, err := url.Parse(cfg.EventsURL)
	if err != nil {
		return nil, urlCause(err)
	}
	switch u.Scheme {
	case "sqlite":
		sc, err := sqlite.ParseURL(cfg.EventsURL)
		if err != nil {
			return nil, err
		}
		st, err := sqlite.Open(ctx, sc, logger)
		if err != nil {
			return nil, err // never a typed nil in the interface
		}
		return st, nil
	case "postgres", "postgresql":
		pc := postgres.Config{URL: cfg.EventsURL, TLS: &tlsconfig.Options{
			Enabled: bool(cfg.DBTLSEnabled), CAFile: cfg.DBTLSCAFile, Insecure: bool(cfg.DBTLSInsecure)}}
		// ?schema=name keeps the tables in their own PostgreSQL schema (tests, shared servers).
		if q := u.Query(); q.Has("schema") {
			pc.Schema = q.Get("schema")
			q.Del("schema")
			u.RawQuery = q.Encode()
			pc.URL = u.String()
		}
		st, err := postgres.Open(ctx, pc, logger)
		if err != nil {
			return nil, err
		}
		return st, nil
	default:
		return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
}

// urlCause drops the URL that url.Parse repeats in its error (it may hold a password).
func urlCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// How long RabbitMQ keeps the projection queues of an instance that stopped consuming. Each
// instance has its own queues (Config.QueueExpiry chooses):
//   - queueExpiry when INFRAHUB_INSTANCE names it: the same instance comes back to its queues
//     after a restart; one that comes back later than this catches up from the log;
//   - generatedQueueExpiry when its id was generated at start: a restarted process has a new id
//     (and catches up from the log anyway), so the old queues would only pile up messages.
const (
	queueExpiry          = 24 * time.Hour
	generatedQueueExpiry = 2 * time.Minute
)

// openBus connects to the broker named by INFRAHUB_BROKER_URL.
func openBus(ctx context.Context, cfg Config, logger *slog.Logger) (*bus.Bus, error) {
	b, err := bus.New(ctx, bus.Config{URL: cfg.BrokerURL, QueueExpiry: cfg.QueueExpiry(), TLS: tlsconfig.Options{
		Enabled: bool(cfg.BrokerTLSEnabled), CAFile: cfg.BrokerTLSCAFile, Insecure: bool(cfg.BrokerTLSInsecure)}}, logger)
	if err != nil {
		return nil, redact.Error(err)
	}
	return b, nil
}

// openCache makes the Redis client of INFRAHUB_CACHE_URL without connecting (Ping connects); a
// bad URL or TLS setting is an error naming the variable.
func openCache(cfg Config, logger *slog.Logger) (*locks.Redis, error) {
	r, err := locks.OpenRedis(cfg.CacheURL, tlsconfig.Options{Enabled: bool(cfg.CacheTLSEnabled),
		CAFile: cfg.CacheTLSCAFile, Insecure: bool(cfg.CacheTLSInsecure)}, logger)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("cache (INFRAHUB_CACHE_URL=%s): %w", redact.URL(cfg.CacheURL), err))
	}
	return r, nil
}

// openStorage opens the blob store; a file:// folder is created when missing.
func openStorage(ctx context.Context, cfg Config) (*blob.Bucket, error) {
	raw := cfg.StorageURL
	if strings.HasPrefix(raw, "file://") {
		dir := strings.TrimPrefix(raw, "file://")
		if i := strings.IndexByte(dir, '?'); i >= 0 {
			dir = dir[:i]
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("storage (INFRAHUB_STORAGE_URL): %w", err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("storage (INFRAHUB_STORAGE_URL): create %s: %w", abs, err)
		}
		raw = "file://" + filepath.ToSlash(abs)
	}
	b, err := blob.OpenBucket(ctx, raw)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("storage (INFRAHUB_STORAGE_URL=%s): %w", redact.URL(raw), err))
	}
	return b, nil
}
