package commands

import (
	"testing"
	"time"
)

// A lone caller's turn never waits; a turn expecting callers that do not come waits about
// fillGap once none of them is in a turn, and never beyond fillWait.
func TestFillWaitsOnlyForExpectedCallers(t *testing.T) {
	q := &branchQueue{callers: newCallers()}
	q.callers.enter()
	q.waiting = []*member{{}}
	start := time.Now()
	q.fill()
	if d := time.Since(start); d > fillGap {
		t.Fatalf("a lone caller's turn waited %s", d)
	}
	for range 3 { // four callers seen at once; three of them went away
		q.callers.enter()
	}
	for range 3 {
		q.callers.leave()
	}
	start = time.Now()
	q.fill()
	if d := time.Since(start); d < fillGap/2 {
		t.Fatalf("the turn did not wait for the callers expected (%s)", d)
	}
	// Callers arriving while it waits join the turn.
	q.callers.enter()
	go func() {
		time.Sleep(fillGap / 3)
		q.mu.Lock()
		q.waiting = append(q.waiting, &member{})
		q.mu.Unlock()
		q.callers.joined()
	}()
	q.fill()
	q.mu.Lock()
	n := len(q.waiting)
	q.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d commands waiting after the fill, want 2", n)
	}
}
