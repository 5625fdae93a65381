package commands

import (
	"time"

	"github.com/infrahub-go/infrahub/callers"
)

// A turn takes the commands waiting when it starts. With many clients writing to one branch,
// those came in two cohorts: the callers answered by the turn before last came back while the
// last turn ran, and the turn that followed took the one or two that had queued meanwhile,
// paying a whole append and fold for them while the others queued behind it. So a turn that
// starts with fewer commands waiting than the callers seen on its branch lately waits, at most
// fillWait, for the others: while some of them are still in a turn (their answers are on their
// way, and their clients come back), and otherwise while they keep arriving (each within
// fillGap of the last). A lone caller never waits. The turn takes each command as it arrives
// and decides it at once (gather, decider.early): the callers come back one after the other, and
// the decisions of the first overlap the way back of the last instead of following it.

// fillWait bounds how long a turn waits for its callers.
const fillWait = 2 * time.Millisecond

// fillGap is how long a turn waits for the next caller once none is still in a turn.
const fillGap = 300 * time.Microsecond

// branchCallers counts the callers of grouped on one branch and the most seen at once lately.
type branchCallers struct {
	callers.Peak
	arrived chan struct{} // a caller joined the queue (buffered: a wake-up, not a count)
}

func newCallers() branchCallers { return branchCallers{arrived: make(chan struct{}, 1)} }

// joined wakes a turn waiting for its callers.
func (c *branchCallers) joined() {
	select {
	case c.arrived <- struct{}{}:
	default:
	}
}

// gather takes the turn's commands into ms (up to maxGroup), each as it arrives, and calls took
// with each one's index once taken (the turn decides it while the others are still on their
// way); it waits for the callers expected (see above).
func (q *branchQueue) gather(ms *[]*member, took func(i int)) {
	start := time.Now()
	want := q.callers.Expected(start)
	var timer *time.Timer
	last := start
	for {
		first := len(*ms)
		q.mu.Lock()
		k := min(len(q.waiting), maxGroup-first)
		for _, m := range q.waiting[:k] {
			m.taken = true
		}
		*ms = append(*ms, q.waiting[:k]...)
		q.waiting = append(q.waiting[:0:0], q.waiting[k:]...)
		q.mu.Unlock()
		for i := first; i < len(*ms); i++ {
			took(i)
		}
		n := len(*ms)
		now := time.Now()
		left := fillWait - now.Sub(start)
		if n >= want || n == 0 || n == maxGroup || left <= 0 {
			break
		}
		if q.callers.InProgress() <= n { // no caller in a turn: wait only while they keep coming
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
