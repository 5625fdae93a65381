package main

import (
	"context"
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

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// logStore is what the composition root needs of an event log adapter.
type logStore interface {
	events.Store
	events.Checkpoints
}

// openLog opens the event log named by INFRAHUB_EVENTS_URL; opening applies the migrations.
func openLog(ctx context.Context, cfg Config, logger *slog.Logger) (logStore, error) {
	u, err := url.Parse(cfg.EventsURL)
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_EVENTS_URL: %w", err)
	}
	switch u.Scheme {
	case "sqlite":
		sc, err := sqlite.ParseURL(cfg.EventsURL)
		if err != nil {
			return nil, fmt.Errorf("INFRAHUB_EVENTS_URL: %w", err)
		}
		return sqlite.Open(ctx, sc, logger)
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
		return postgres.Open(ctx, pc, logger)
	default:
		return nil, fmt.Errorf("INFRAHUB_EVENTS_URL: unsupported scheme %q", u.Scheme)
	}
}

// queueExpiry is how long RabbitMQ keeps the queue of an instance that stopped consuming. Each
// instance has its own queues (INFRAHUB_INSTANCE); one that comes back later than this catches
// up from the log.
const queueExpiry = 24 * time.Hour

func openBus(ctx context.Context, cfg Config, logger *slog.Logger) (*bus.Bus, error) {
	b, err := bus.New(ctx, bus.Config{URL: cfg.BrokerURL, QueueExpiry: queueExpiry, TLS: tlsconfig.Options{
		Enabled: bool(cfg.BrokerTLSEnabled), CAFile: cfg.BrokerTLSCAFile, Insecure: bool(cfg.BrokerTLSInsecure)}}, logger)
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_BROKER_URL: %w", err)
	}
	return b, nil
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
			return nil, fmt.Errorf("INFRAHUB_STORAGE_URL: %w", err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("INFRAHUB_STORAGE_URL: create %s: %w", abs, err)
		}
		raw = "file://" + filepath.ToSlash(abs)
	}
	b, err := blob.OpenBucket(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_STORAGE_URL: %w", err)
	}
	return b, nil
}

// redact hides a URL's password for logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
