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
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/migrations"
)

// Config selects the database.
type Config struct {
	URL string // postgres://user@host:port/db?sslmode=...
	// Schema, when set, holds the tables (created if missing); tests use it for isolation.
	Schema string
	// MaxConns bounds the pool; 0 lets pgx choose.
	MaxConns int32
	// Poll is how often subscribers re-read when no notification came; default 200ms.
	Poll time.Duration
	// TLS, when set, is used for every connection (see cmd for INFRAHUB_DB_TLS_*).
	TLS *TLSConfig
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate reports a configuration problem naming the field.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("postgres: URL is empty")
	}
	if _, err := url.Parse(c.URL); err != nil {
		return fmt.Errorf("postgres: URL: %w", err)
	}
	if c.Schema != "" && !schemaName.MatchString(c.Schema) {
		return fmt.Errorf("postgres: schema %q: use lower-case letters, digits and _", c.Schema)
	}
	return nil
}

// Store is the PostgreSQL event log.
type Store struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	channel string
	poll    time.Duration
	signal  events.Signal
	kick    chan struct{}
	stop    context.CancelFunc
	wg      sync.WaitGroup
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
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if cfg.TLS != nil {
		if err := cfg.TLS.apply(pcfg.ConnConfig); err != nil {
			return nil, err
		}
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := prepare(ctx, pool, cfg.Schema); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{
		pool:    pool,
		log:     logger,
		channel: "infrahub_events_" + cfg.Schema,
		poll:    cfg.Poll,
		kick:    make(chan struct{}, 1),
	}
	if s.poll <= 0 {
		s.poll = 200 * time.Millisecond
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.wg.Add(2)
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

// Close stops the background work and closes the pool.
func (s *Store) Close() error {
	s.stop()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// conflictCode is the SQLSTATE raised by infrahub_append on a version conflict.
const conflictCode = "IH409"

// Append implements events.Appender.
func (s *Store) Append(ctx context.Context, stream string, expected int64, evs ...events.Envelope) (events.AppendResult, error) {
	res, err := s.append(ctx, s.pool, stream, expected, evs)
	if err == nil && !res.Duplicate {
		s.committed()
	}
	return res, err
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) append(ctx context.Context, q querier, stream string, expected int64, evs []events.Envelope) (events.AppendResult, error) {
	if err := events.Prepare(stream, expected, evs, time.Now()); err != nil {
		return events.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return events.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	n := len(evs)
	var (
		ids      = make([]pgtype.UUID, n)
		types    = make([]string, n)
		versions = make([]int32, n)
		occurred = make([]time.Time, n)
		corr     = make([]pgtype.Text, n)
		cause    = make([]pgtype.Text, n)
		actors   = make([]pgtype.Text, n)
		traces   = make([]pgtype.Text, n)
		payloads = make([]string, n)
	)
	for i, e := range evs {
		ids[i] = pgtype.UUID{Bytes: e.EventID, Valid: true}
		types[i] = e.Type
		versions[i] = int32(e.SchemaVersion)
		occurred[i] = e.OccurredAt
		corr[i] = text(e.Metadata.CorrelationID)
		cause[i] = text(e.Metadata.CausationID)
		actors[i] = text(e.Metadata.Actor)
		traces[i] = text(e.Metadata.TraceParent)
		payloads[i] = string(e.Payload)
	}
	var (
		first, version int64
		count          int32
		duplicate      bool
	)
	err := q.QueryRow(ctx, `SELECT first_position, event_count, stream_version, duplicate
		FROM infrahub_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::json[])`,
		stream, expected, text(evs[0].Metadata.CommandID), ids, types, versions, occurred,
		corr, cause, actors, traces, payloads).Scan(&first, &count, &version, &duplicate)
	if err != nil {
		return events.AppendResult{}, s.translate(ctx, stream, expected, err)
	}
	res := events.AppendResult{Positions: make([]int64, count), StreamVersion: version, Duplicate: duplicate}
	for i := range res.Positions {
		res.Positions[i] = first + int64(i)
	}
	return res, nil
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// translate maps driver errors to the port's errors by SQLSTATE, never by message text.
func (s *Store) translate(ctx context.Context, stream string, expected int64, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case conflictCode:
			actual, _ := strconv.ParseInt(pgErr.Detail, 10, 64)
			return &events.VersionConflictError{Stream: stream, Expected: expected, Actual: actual}
		case "22P02", "22023", "23505": // invalid text (JSON), invalid parameter, duplicate event id
			return fmt.Errorf("append to %s: %s: %w", stream, pgErr.Message, events.ErrInvalidEvent)
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("append to %s: %w (%v)", stream, ctxErr, err)
	}
	return fmt.Errorf("append to %s: %w", stream, err)
}

// AppendHeld runs an append in a transaction left open until commit is called. The contract
// suite uses it to hold a low position uncommitted while another append commits.
func (s *Store) AppendHeld(ctx context.Context, stream string, expected int64, evs ...events.Envelope) (func() (events.AppendResult, error), error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	res, err := s.append(ctx, tx, stream, expected, evs)
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return func() (events.AppendResult, error) {
		if err := tx.Commit(ctx); err != nil {
			return events.AppendResult{}, fmt.Errorf("commit: %w", err)
		}
		s.committed()
		return res, nil
	}, nil
}
