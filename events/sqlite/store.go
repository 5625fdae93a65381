// Package sqlite is the SQLite adapter of the event log port (events.Store and
// events.Checkpoints), on the pure-Go driver modernc.org/sqlite.
//
// Layout: one database file in WAL mode, opened twice. A writer pool of exactly one connection
// takes every write; a pool of several read-only connections serves the reads, which in WAL
// mode never wait for the writer.
//
// Appends go through a group commit: one goroutine takes the appends waiting for it (waiting
// briefly for the group to fill, see fill.go) and applies them in one transaction, set-based:
// one lookup of the group's stream versions, the checks in Go, then multi-row INSERTs, run
// below database/sql (see group.go and groupstmts.go). Should a write fail (a retry of a
// command already in the log fails the insert of its command record), the group is applied
// again after a lookup of its command ids, then, should a write fail again, with each append
// inside its own SAVEPOINT, so that the failure rolls back only that append. Positions
// are given in commit order by the single writer, so a reader can never see a position while a
// lower one is still uncommitted.
//
// Durability: an append that returned without error survives a process crash, an OS crash and
// a power loss. The writer connection runs with synchronous=NORMAL, so a commit writes the WAL
// without syncing it; a second goroutine (walSyncer) syncs the WAL file and only then answers
// the appends of every commit the sync covers, while the writer already applies the next group.
// A group committed while an earlier sync runs gets its own sync at once (they overlap).
// Checkpoints run off the writer, in the background, and keep SQLite's syncs (the WAL before,
// the database file after); see checkpointer.go. SaveCheckpoint returns after the same sync.
// The one difference from synchronous=FULL: another connection may read a commit up to one
// sync (about a millisecond) before it is durable, so after a power
// loss (not a process crash) a reader may have seen an append that was never acknowledged and
// is gone. Subscribers are woken only after the sync.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/infrahub-go/infrahub/callers"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/migrations"
)

// Store is the SQLite event log. It is safe for concurrent use.
type Store struct {
	log    *slog.Logger
	path   string
	window time.Duration

	wdb  *sql.DB // exactly one connection: every write
	rdb  *sql.DB // reader pool
	ws   writeStmts
	rs   readStmts
	gs   groupStmts
	plan group // the writer goroutine's, reused from group to group
	wal  *walSyncer
	ckpt *walCheckpointer
	// tailDue: the writer copies the tail of the WAL after its group (see checkpointer.go).
	tailDue bool

	reqs     chan *appendRequest // buffered: a caller parks once, on its answer, not also on the hand-off
	callers  callers.Peak
	signal   events.Signal
	head     atomic.Int64 // highest committed position known to this process; a sizing hint
	closing  chan struct{}
	loopDone chan struct{}
	closed   sync.Once
	closeErr error
}

var (
	_ events.Store       = (*Store)(nil)
	_ events.Checkpoints = (*Store)(nil)
)

// Open opens (creating if needed) the database at cfg.Path, applies the pending migrations and
// starts the writer. Close releases it.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("sqlite event store: resolve path %q: %w", cfg.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite event store: create folder of %s: %w", abs, err)
	}
	s := &Store{
		log:      logger.With(slog.String("component", "events/sqlite"), slog.String("path", abs)),
		path:     abs,
		window:   cfg.BatchWindow,
		reqs:     make(chan *appendRequest, maxBatchRequests),
		closing:  make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := s.open(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	go s.run()
	go s.wal.run(s.durable)
	go s.ckpt.run()
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var err error
	// The writer is opened first: its DSN switches the file to WAL before any reader connects.
	if s.wdb, err = openPool(ctx, writerDSN(s.path), 1); err != nil {
		return fmt.Errorf("sqlite event store %s: open writer: %w", s.path, err)
	}
	res, err := migrations.Up(ctx, s.wdb, migrations.SQLite)
	if err != nil {
		return fmt.Errorf("sqlite event store %s: %w", s.path, err)
	}
	if s.rdb, err = openPool(ctx, readerDSN(s.path), readerPoolSize()); err != nil {
		return fmt.Errorf("sqlite event store %s: open readers: %w", s.path, err)
	}
	if err := s.ws.prepare(ctx, s.wdb); err != nil {
		return fmt.Errorf("sqlite event store %s: prepare writes: %w", s.path, err)
	}
	if err := prepareGroupStmts(ctx, s.wdb, &s.gs); err != nil {
		return fmt.Errorf("sqlite event store %s: prepare group writes: %w", s.path, err)
	}
	if err := s.rs.prepare(ctx, s.rdb); err != nil {
		return fmt.Errorf("sqlite event store %s: prepare reads: %w", s.path, err)
	}
	head, err := s.Head(ctx)
	if err != nil {
		return err
	}
	s.head.Store(int64(head))
	if s.wal, err = newWALSyncer(s.path); err != nil {
		return fmt.Errorf("sqlite event store %s: %w", s.path, err)
	}
	if s.ckpt, err = newWALCheckpointer(ctx, s.path, s.log); err != nil {
		return fmt.Errorf("sqlite event store %s: %w", s.path, err)
	}
	s.log.InfoContext(ctx, "event store opened",
		slog.Int64("schema_version", res.Version), slog.Any("migrations_applied", res.Applied), slog.Int64("head", int64(head)))
	return nil
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// DB returns the writer pool (one connection). Callers must not hold it for long: every append
// waits for it.
func (s *Store) DB() *sql.DB { return s.wdb }

// Subscribe delivers the events after `after`, then new ones as they commit.
func (s *Store) Subscribe(ctx context.Context, after events.Position) (<-chan []events.Envelope, <-chan error) {
	return events.Tail(ctx, s, after, events.TailOptions{Wake: &s.signal, Poll: time.Second})
}

// Close stops the writer after its current batch, answers the queued appends with
// events.ErrClosed (those already committed with their result, after the last sync) and closes
// the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closed.Do(func() {
		close(s.closing)
		<-s.loopDone
		s.ckpt.halt()
		walErr := s.wal.stop()
		if walErr != nil {
			walErr = fmt.Errorf("sqlite event store %s: close: %w", s.path, walErr)
		}
		s.closeErr = errors.Join(walErr, s.closeDBs())
		s.signal.Notify()
		s.log.Info("event store closed")
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	errs = append(errs, s.ws.close(), closeGroupStmts(s.wdb, &s.gs), s.rs.close(), s.ckpt.close())
	for _, db := range []*sql.DB{s.rdb, s.wdb} { // the writer last: the last connection checkpoints the WAL
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite event store %s: close: %w", s.path, err)
	}
	return nil
}

// checkOpen returns events.ErrClosed once Close has begun.
func (s *Store) checkOpen() error {
	select {
	case <-s.closing:
		return events.ErrClosed
	default:
		return nil
	}
}
