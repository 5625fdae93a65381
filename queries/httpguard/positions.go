package httpguard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Positions checks the log positions a read names, on every route (REST and GraphQL alike):
//
//   - min_position (read-your-writes: the position a command answered) and a numeric at (read
//     the past at that position) beyond the log head are refused at once (400 naming the head):
//     no write will ever make them current, and answering the present instead would be a lie;
//   - otherwise the request waits, at most MaxWait, until the projection has folded the larger
//     of the two (503 when it has not by then), so that the route reads what the position holds.
//
// A malformed min_position is refused here; a malformed at (or a time) is left to the route.
type Positions struct {
	// Head reads the log head (events.Store.Head).
	Head func(ctx context.Context) (events.Position, error)
	// Wait waits for the projection the routes read from.
	Wait graph.Waiter
	// MaxWait bounds the wait (limits.MinPositionWait).
	MaxWait time.Duration
	// Logger receives the errors answered 500, whose cause the answer does not show (nil:
	// slog.Default()).
	Logger *slog.Logger
}

// Wrap answers next once the request's positions are folded.
func (p *Positions) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := p.await(r); err != nil {
			if fault.Classify(err).Status == http.StatusInternalServerError {
				logger := p.Logger
				if logger == nil {
					logger = slog.Default()
				}
				logger.ErrorContext(r.Context(), "checking a read's positions", "path", r.URL.Path, "err", err)
			}
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Positions) await(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q := r.URL.Query()
	var minPos, at events.Position
	if raw := q.Get("min_position"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: parameter min_position: %q is not a log position", fault.ErrInvalid, raw)
		}
		minPos = events.Position(n)
	}
	if n, err := strconv.ParseInt(q.Get("at"), 10, 64); err == nil && n > 0 {
		at = events.Position(n)
	}
	want := max(minPos, at)
	if want == 0 {
		return nil
	}
	head, err := p.Head(r.Context())
	if err != nil {
		return fmt.Errorf("reading the log head: %w", err)
	}
	for _, c := range []struct {
		name string
		pos  events.Position
	}{{"min_position", minPos}, {"at", at}} {
		if c.pos > head {
			return fmt.Errorf("%w: parameter %s: position %d is beyond the log head %d", fault.ErrInvalid, c.name, c.pos, head)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.MaxWait)
	defer cancel()
	if err := p.Wait.WaitFor(ctx, want); err != nil {
		return fmt.Errorf("waiting %s for position %d (INFRAHUB_MIN_POSITION_WAIT): %w", p.MaxWait, want, err)
	}
	return nil
}
