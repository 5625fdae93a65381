package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// committed wakes local subscribers and asks the notifier to tell other processes.
func (s *Store) committed() {
	s.signal.Notify()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// notifyGap is the least time between two notifications: commits in between share one.
const notifyGap = 10 * time.Millisecond

// notifier sends one NOTIFY per burst of commits, outside the appending transactions: a NOTIFY
// inside them would take PostgreSQL's global notify lock at every commit and end group commit.
// A NOTIFY is a transaction of its own, so it runs on a connection with synchronous_commit off:
// it must not wait for (nor add) a disk flush; losing one in a crash only delays pollers.
func (s *Store) notifier(ctx context.Context) {
	defer s.wg.Done()
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		var err error
		if conn == nil {
			cfg := s.pool.Config().ConnConfig.Copy()
			cfg.RuntimeParams["synchronous_commit"] = "off"
			conn, err = pgx.ConnectConfig(ctx, cfg)
		}
		if err == nil {
			_, err = conn.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("event log: notify failed; other processes fall back to polling", "err", err)
			if conn != nil {
				_ = conn.Close(ctx)
				conn = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyGap):
		}
	}
}

// listener wakes local subscribers when another process appends.
func (s *Store) listener(ctx context.Context) {
	defer s.wg.Done()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("event log: listen connection lost; subscribers fall back to polling", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listen(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_catalog.set_config('application_name', 'infrahub-listen', false)`); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+quoteIdent(s.channel)); err != nil {
		return err
	}
	defer func() {
		// The connection returns to the pool: stop listening on it (or drop it if that fails).
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := conn.Exec(cctx, "UNLISTEN *"); err != nil {
			_ = conn.Conn().Close(cctx)
		}
	}()
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		s.signal.Notify()
	}
}

func quoteIdent(s string) string { return `"` + s + `"` }
