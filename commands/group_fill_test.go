package commands

import (
	"slices"
	"testing"
	"time"
)

// A lone caller's turn never waits; a turn expecting callers that do not come waits about
// fillGap once none of them is in a turn, and never beyond fillWait; a caller arriving while it
// waits joins it.
func TestGatherWaitsOnlyForExpectedCallers(t *testing.T) {
	q := &branchQueue{callers: newCallers()}
	q.callers.Enter()
	q.waiting = []*member{{}}
	if n := q.callers.Expected(time.Now()); n != 1 {
		t.Fatalf("expected %d callers, want 1", n)
	}
	start := time.Now()
	var ms []*member
	q.gather(&ms, func(int) {})
	if d := time.Since(start); d >= 50*time.Millisecond { // no wait: only a descheduled test is slow
		t.Fatalf("a lone caller's turn waited %s", d)
	}
	if len(ms) != 1 || !ms[0].taken || len(q.waiting) != 0 {
		t.Fatalf("took %d commands (%d left waiting), want the 1 waiting", len(ms), len(q.waiting))
	}
	for range 3 { // four callers seen at once; three of them went away
		q.callers.Enter()
	}
	for range 3 {
		q.callers.Leave()
	}
	q.waiting = []*member{{}}
	start = time.Now()
	ms = nil
	q.gather(&ms, func(int) {})
	if d := time.Since(start); d < fillGap/2 {
		t.Fatalf("the turn did not wait for the callers expected (%s)", d)
	}
	// A caller in a turn (entered, not waiting) comes back: the turn waits for it.
	q.callers.Enter()
	q.waiting = []*member{{}}
	go func() {
		time.Sleep(fillGap / 3)
		q.mu.Lock()
		q.waiting = append(q.waiting, &member{})
		q.mu.Unlock()
		q.callers.joined()
	}()
	start = time.Now()
	ms = nil
	q.gather(&ms, func(int) {})
	if waited := time.Since(start); len(ms) != 2 && waited < fillWait {
		t.Fatalf("the turn stopped waiting after %s with %d commands, want 2", waited, len(ms))
	}
}

// gather hands each command to the turn as it takes it, in order: the first is handed over
// before the second arrives (the turn decides it meanwhile), and no command twice.
func TestGatherHandsOverEachCommandOnArrival(t *testing.T) {
	q := &branchQueue{callers: newCallers()}
	for range 3 {
		q.callers.Enter()
	}
	first, second := &member{}, &member{}
	q.waiting = []*member{first}
	handed := make(chan struct{})
	go func() {
		<-handed // the first is handed over while the second is still on its way
		q.mu.Lock()
		q.waiting = append(q.waiting, second)
		q.mu.Unlock()
		q.callers.joined()
	}()
	var ms []*member
	var order []int
	q.gather(&ms, func(i int) {
		order = append(order, i)
		if i == 0 {
			close(handed)
			time.Sleep(fillGap / 3) // deciding it takes a while
		}
	})
	if !slices.Equal(order, []int{0, 1}) || len(ms) != 2 || ms[0] != first || ms[1] != second {
		t.Fatalf("handed over %v of %d commands, want [0 1] in arrival order", order, len(ms))
	}
	if !first.taken || !second.taken {
		t.Fatal("a command handed over is not taken: it could still leave the queue")
	}
}
