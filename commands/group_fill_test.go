package commands

import (
	"testing"
	"time"
)

// A lone caller's turn never waits; a turn expecting callers that do not come waits about
// fillGap once none of them is in a turn, and never beyond fillWait; a caller arriving while it
// waits joins it.
func TestFillWaitsOnlyForExpectedCallers(t *testing.T) {
	q := &branchQueue{callers: newCallers()}
	q.callers.Enter()
	q.waiting = []*member{{}}
	if n := q.callers.Expected(time.Now()); n != 1 {
		t.Fatalf("expected %d callers, want 1", n)
	}
	start := time.Now()
	q.fill()
	if d := time.Since(start); d >= 50*time.Millisecond { // no wait: only a descheduled test is slow
		t.Fatalf("a lone caller's turn waited %s", d)
	}
	for range 3 { // four callers seen at once; three of them went away
		q.callers.Enter()
	}
	for range 3 {
		q.callers.Leave()
	}
	start = time.Now()
	q.fill()
	if d := time.Since(start); d < fillGap/2 {
		t.Fatalf("the turn did not wait for the callers expected (%s)", d)
	}
	// A caller in a turn (entered, not waiting) comes back: the turn waits for it.
	q.callers.Enter()
	go func() {
		time.Sleep(fillGap / 3)
		q.mu.Lock()
		q.waiting = append(q.waiting, &member{})
		q.mu.Unlock()
		q.callers.joined()
	}()
	start = time.Now()
	q.fill()
	waited := time.Since(start)
	q.mu.Lock()
	n := len(q.waiting)
	q.mu.Unlock()
	if n != 2 && waited < fillWait {
		t.Fatalf("the turn stopped waiting after %s with %d commands, want 2", waited, n)
	}
}
