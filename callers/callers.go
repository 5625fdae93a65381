// Package callers counts the callers of something in progress and remembers the most seen at
// once lately: what a group commit uses to decide how many callers a group may wait for (the
// SQLite log's writer, a branch's turn of node commands).
package callers

import (
	"sync/atomic"
	"time"
)

// period is how long the most calls seen at once is remembered (one to two periods).
const period = 100 * time.Millisecond

// Peak counts the calls in progress and the most seen at once lately. The zero value is ready
// to use; it is safe for concurrent use.
type Peak struct {
	now, peak, prevPeak atomic.Int64
	rotated             atomic.Int64 // unix nanoseconds of the last rotation of peak
}

// Enter counts a call in.
func (p *Peak) Enter() {
	n := p.now.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			return
		}
	}
}

// Leave counts a call out.
func (p *Peak) Leave() { p.now.Add(-1) }

// InProgress is how many calls are in progress.
func (p *Peak) InProgress() int { return int(p.now.Load()) }

// Expected is the most calls seen at once lately: what a group may wait for.
func (p *Peak) Expected(now time.Time) int {
	if r := p.rotated.Load(); now.UnixNano()-r > int64(period) && p.rotated.CompareAndSwap(r, now.UnixNano()) {
		p.prevPeak.Store(p.peak.Swap(p.now.Load()))
	}
	return int(max(p.peak.Load(), p.prevPeak.Load()))
}
