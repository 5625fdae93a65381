package postgres

import (
	"context"
	"time"
)

// committed wakes local subscribers and asks the notifier to tell other processes.
func (s *Store) committed() {
	s.signal.Notify()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// notifier sends one NOTIFY per burst of commits, outside the appending transactions: a NOTIFY
// inside them would take PostgreSQL's global notify lock at every commit and end group commit.
func (s *Store) notifier(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel); err != nil && ctx.Err() == nil {
			s.log.Warn("event log: notify failed", "err", err)
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
