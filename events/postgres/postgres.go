// Package postgres is the PostgreSQL adapter of the event log (pgx/v5).
//
// Appends run the stored function infrahub_append (see migrations/postgres) in one round trip.
// Readers return only rows of transactions older than the oldest running one, and positions are
// drawn in transaction-id order, so a reader never skips an event that commits late with a lower
// position. A long transaction anywhere in the cluster therefore delays readers (not writers).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/migrations"
	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// Config selects the database.
type Config struct {
	URL string // postgres://user@host:port/db?sslmode=...
	// Schema, when set, holds the tables (created if missing); tests use it for isolation.
	Schema string
	// MaxConns bounds the pool; 0 lets pgx choose.
	MaxConns int32
	// MaxInFlight bounds the group-commit calls running at once; default 2.
	MaxInFlight int
	// Poll is how often subscribers re-read when no notification came; default 200ms.
	Poll time.Duration
	// TLS, when set, is used for every connection (see cmd for INFRAHUB_DB_TLS_*).
	TLS *tlsconfig.Options
}

// DefaultConnectTimeout bounds each connection attempt unless the URL sets connect_timeout, so
// that an unreachable server fails the start with its cause instead of hanging.
const DefaultConnectTimeout = 10 * time.Second

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate reports a configuration problem naming the field.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("postgres: URL is empty")
	}
	if _, err := url.Parse(c.URL); err != nil {
		// url.Error repeats the whole URL, password included: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("postgres: URL %s: %w", redact.URL(c.URL), err)
	}
	if c.Schema != "" && !schemaName.MatchString(c.Schema) {
		return fmt.Errorf("postgres: schema %q: use lower-case letters, digits and _", c.Schema)
	}
	return nil
}

// Store is the PostgreSQL event log.
type Store struct {
	pool      *pgxpool.Pool
	log       *slog.Logger
	channel   string
	poll      time.Duration
	signal    events.Signal
	kick      chan struct{}
	queue     chan *appendReq
	slots     chan struct{}
	closed    chan struct{}
	stop      context.CancelFunc
	closeOnce sync.Once
	calls     atomic.Int64
	grouped   atomic.Int64
	wg        sync.WaitGroup
}

// Open connects, applies the migrations and starts the commit notifier.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", redact.Error(err))
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 { // ?connect_timeout= sets it
		pcfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if cfg.TLS != nil {
		if err := applyTLS(*cfg.TLS, pcfg.ConnConfig); err != nil {
			return nil, err
		}
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", redact.Error(err))
	}
	if err := prepare(ctx, pool, cfg.Schema); err != nil {
		pool.Close()
		return nil, redact.Error(err)
	}
	s := &Store{
		pool:    pool,
		log:     logger,
		channel: "infrahub_events_" + cfg.Schema,
		poll:    cfg.Poll,
		kick:    make(chan struct{}, 1),
		queue:   make(chan *appendReq, maxCallAppends),
		slots:   make(chan struct{}, max(cfg.MaxInFlight, 2)),
		closed:  make(chan struct{}),
	}
	if s.poll <= 0 {
		s.poll = 200 * time.Millisecond
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.wg.Add(3)
	go s.committer(bg)
	go s.notifier(bg)
	go s.listener(bg)
	return s, nil
}

func prepare(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	if schema != "" {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create schema %s: %w", schema, err)
		}
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if _, err := migrations.Up(ctx, db, migrations.Postgres); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Pool exposes the connection pool to other adapters sharing the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the background work and closes the pool. Closing a nil Store does nothing.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.closed) })
	s.stop()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
