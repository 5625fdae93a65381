// Package backoff is the one retry delay of the loops that wait for a dependency (the forwarder,
// the bus publisher, the projection runner, the start-up checks): 100 ms doubling per attempt up
// to a limit, with ±20 % jitter so that processes retrying together spread out.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Delay is the wait before retry number attempt+1 (attempt counts the failures so far, from 0).
func Delay(attempt int, limit time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Sleep waits d or until ctx ends; it reports whether ctx is still alive.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
