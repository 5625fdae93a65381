package rest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// maxWait bounds the wait of a read's min_position.
const maxWait = 10 * time.Second

// waitMin resolves the min_position parameter every data read takes: it waits, at most
// maxWait, until the projection has folded that position (read-your-writes).
func waitMin(r *http.Request, w graph.Waiter) error {
	raw := r.URL.Query().Get("min_position")
	if raw == "" {
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%w: parameter min_position: %q is not a log position", fault.ErrInvalid, raw)
	}
	pos := events.Position(n)
	ctx, cancel := context.WithTimeout(r.Context(), maxWait)
	defer cancel()
	if err := w.WaitFor(ctx, pos); err != nil {
		return fmt.Errorf("waiting for position %d: %w", pos, err)
	}
	return nil
}
