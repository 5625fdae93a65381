package commands

import (
	"sync/atomic"
	"time"
)

// A turn takes the commands waiting when it starts. With many clients writing to one branch,
// those came in two cohorts: the callers answered by the turn before last came back while the
// last turn ran, and the turn that followed took the one or two that had queued meanwhile,
// paying a whole append and fold for them while the others queued behind it. So a turn that
// starts with fewer commands waiting than the callers seen on its branch lately waits, at most
// fillWait, for the others: while some of them are still in a turn (their answers are on their
// way, and their clients come back), and otherwise while they keep arriving (each within
// fillGap of the last). A lone caller never waits.

// fillWait bounds how long a turn waits for its callers.
const fillWait = 2 * time.Millisecond

// fillGap is how long a turn waits for the next caller once none is still in a turn.
const fillGap = 300 * time.Microsecond

// peakPeriod is how long the most callers seen at once on a branch is remembered.
const peakPeriod = 100 * time.Millisecond

// callers counts the callers of grouped on one branch and the most seen at once lately.
type callers struct {
	now, peak, prevPeak atomic.Int64
	rotated             atomic.Int64  // unix nanoseconds of the last rotation of peak
	arrived             chan struct{} // a caller joined the queue (buffered: a wake-up, not a count)
}

func newCallers() callers { return callers{arrived: make(chan struct{}, 1)} }

func (c *callers) enter() {
	n := c.now.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (c *callers) leave() { c.now.Add(-1) }

// joined wakes a turn waiting for its callers.
func (c *callers) joined() {
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// expected is how many callers a turn may wait for.
func (c *callers) expected(now time.Time) int {
	if r := c.rotated.Load(); now.UnixNano()-r > int64(peakPeriod) && c.rotated.CompareAndSwap(r, now.UnixNano()) {
		c.prevPeak.Store(c.peak.Swap(c.now.Load()))
	}
	return int(max(c.peak.Load(), c.prevPeak.Load()))
}

// fill waits, before a turn takes the queue, for the callers expected (see above).
func (q *branchQueue) fill() {
	start := time.Now()
	want := q.callers.expected(start)
	if want <= 1 {
		return
	}
	var timer *time.Timer
	last := start
	for {
		q.mu.Lock()
		n := len(q.waiting)
		q.mu.Unlock()
		now := time.Now()
		left := fillWait - now.Sub(start)
		if n >= want || n == 0 || left <= 0 {
			break
		}
		if int(q.callers.now.Load()) <= n { // no caller in a turn: wait only while they keep coming
			if gap := fillGap - now.Sub(last); gap < left {
				left = gap
			}
			if left <= 0 {
				break
			}
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		select {
		case <-q.callers.arrived:
			last = time.Now()
		case <-timer.C:
		}
	}
	if timer != nil {
		timer.Stop()
	}
}
