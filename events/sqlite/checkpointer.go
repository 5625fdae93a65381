package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	msqlite "modernc.org/sqlite"
)

// Checkpoints run off the writer. SQLite's automatic checkpoint is off (wal_autocheckpoint(0)):
// it ran inside the commit that crossed the threshold, on the writer, copying thousands of pages
// and syncing twice while every append waited (4 to 11 ms every few thousand appends). Instead
// the writer counts the WAL frames it writes (the connection's page-write counter) and, every
// bgCheckpointFrames of them, nudges walCheckpointer, which runs a PASSIVE checkpoint on a
// connection of its own: it copies the pages into the database file while the writer goes on
// committing, and never holds the write lock.
//
// A PASSIVE checkpoint alone does not bound the WAL: SQLite starts the WAL over from its
// beginning only when a write transaction begins with every frame already copied and no reader
// on older frames, which a busy writer never lets happen (it commits while the checkpoint runs).
// So once a background checkpoint finds the WAL at restartFrames or longer, the writer runs a
// RESTART checkpoint itself between two groups (copyTail): it copies only what was committed
// since the background one began, waits at most restartWait for the readers still on older
// frames (a read statement is short) and starts the WAL over. Should a reader hold on longer,
// the WAL goes on and the next background checkpoint asks again. Should the background
// checkpoints fall behind, the writer does the same once it has written hardFrames frames since
// the WAL last started over. Readers never see a difference: a checkpoint copies only what
// every reader's snapshot already holds.
const (
	// bgCheckpointFrames is how many WAL frames the writer writes between two background
	// checkpoints. Most frames are pages written again by the next groups (index leaves, stream
	// versions), so a longer interval copies each page once for more commits.
	bgCheckpointFrames = 4096
	// restartFrames is how long the WAL may grow before the writer copies the tail itself so
	// that the WAL starts over: 16,384 frames is 64 MiB with 4 KiB pages.
	restartFrames = 16384
	// hardFrames bounds the WAL should the background checkpoints fall behind.
	hardFrames = 2 * restartFrames
	// restartWait bounds how long the writer's checkpoint waits for the readers of older frames.
	restartWait = 20 * time.Millisecond
)

// checkpointLimits are the frame counts above (tests shrink them).
type checkpointLimits struct{ background, restart, hard int }

// walCheckpointer runs the background checkpoints and tells the writer when to copy the tail.
type walCheckpointer struct {
	log  *slog.Logger
	db   *sql.DB // its own connection, outside the writer pool
	mu   sync.Mutex
	wake chan struct{} // buffered(1): a nudge from the writer
	stop chan struct{}
	done chan struct{}

	limits  checkpointLimits
	restart atomic.Bool // a background checkpoint found the WAL long: the writer copies the tail

	// The writer goroutine's own.
	sinceNudge int // frames written since the last nudge
	walFrames  int // frames written since the writer last copied the tail
}

func newWALCheckpointer(ctx context.Context, absPath string, log *slog.Logger) (*walCheckpointer, error) {
	db, err := openPool(ctx, checkpointerDSN(absPath), 1)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	return &walCheckpointer{log: log, db: db, limits: checkpointLimits{bgCheckpointFrames, restartFrames, hardFrames}, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// run runs a background checkpoint at each nudge until close.
func (c *walCheckpointer) run() {
	defer close(c.done)
	ctx := context.Background()
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		res, err := c.checkpoint(ctx, c.db, "PASSIVE")
		if err != nil {
			c.log.Warn("event store: background checkpoint failed", slog.Any("error", err))
			continue
		}
		c.log.Debug("event store: background checkpoint", slog.Int64("wal_frames", res.log), slog.Int64("copied", res.copied),
			slog.Bool("busy", res.busy))
		if !res.busy && res.log >= int64(c.limits.restart) {
			c.restart.Store(true)
		}
	}
}

// checkpointResult is what PRAGMA wal_checkpoint answers: whether it could not run (another
// checkpoint held the lock), the frames in the WAL and the frames copied into the database.
type checkpointResult struct {
	busy        bool
	log, copied int64
}

// queryRower is a *sql.DB or a *sql.Conn.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkpoint runs a checkpoint (mode PASSIVE or RESTART) on db, one at a time.
func (c *walCheckpointer) checkpoint(ctx context.Context, db queryRower, mode string) (checkpointResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var busy int
	var res checkpointResult
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &res.log, &res.copied); err != nil {
		return res, fmt.Errorf("wal checkpoint(%s): %w", mode, err)
	}
	res.busy = busy != 0
	return res, nil
}

// wrote records, on the writer goroutine, that the writer wrote frames WAL frames, and says
// whether the writer must now copy the tail of the WAL itself (see copyTail).
func (c *walCheckpointer) wrote(frames int) (copyTail bool) {
	c.walFrames += frames
	c.sinceNudge += frames
	if c.sinceNudge >= c.limits.background {
		c.sinceNudge = 0
		select {
		case c.wake <- struct{}{}:
		default: // one is running or already asked for
		}
	}
	return c.restart.Load() || c.walFrames >= c.limits.hard
}

// copyTail runs, on the writer goroutine between two groups, a RESTART checkpoint on the
// writer's connection wdb: it copies what the background checkpoint left, waits up to
// restartWait for the readers still reading older frames, and starts the WAL over. Should a
// reader hold on longer, the WAL goes on and the writer tries again hard/4 frames later.
func (c *walCheckpointer) copyTail(ctx context.Context, wdb *sql.DB) (err error) {
	c.restart.Store(false)
	conn, err := wdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartWait.Milliseconds())); err != nil {
		return fmt.Errorf("busy timeout: %w", err)
	}
	res, err := c.checkpoint(ctx, conn, "RESTART")
	if _, rerr := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeoutMillis)); rerr != nil {
		err = errors.Join(err, fmt.Errorf("busy timeout: %w", rerr))
	}
	if err != nil {
		return err
	}
	if res.busy {
		c.walFrames = c.limits.hard - c.limits.hard/4
	} else {
		c.walFrames = 0
	}
	c.log.Debug("event store: writer checkpoint", slog.Int64("wal_frames", res.log), slog.Int64("copied", res.copied),
		slog.Bool("busy", res.busy))
	return nil
}

// halt stops the background checkpoints once the one running ends; run must have started.
func (c *walCheckpointer) halt() {
	close(c.stop)
	<-c.done
}

// close closes the connection, after halt (or when run never started). The writer pool closes
// after it: the last connection to close checkpoints the WAL and deletes it.
func (c *walCheckpointer) close() error {
	if c == nil {
		return nil
	}
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close checkpoint connection: %w", err)
	}
	return nil
}

// framesWritten returns the pages the driver connection dc wrote (to the WAL) since the last
// call, through SQLite's per-connection page-write counter.
func framesWritten(dc any) (int, error) {
	st, ok := dc.(msqlite.DBStatus)
	if !ok {
		return 0, fmt.Errorf("driver connection %T does not report its page writes", dc)
	}
	n, _, err := st.Status(msqlite.DBStatusCacheWrite, true)
	if err != nil {
		return 0, fmt.Errorf("page-write counter: %w", err)
	}
	return n, nil
}
