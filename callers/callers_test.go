package callers

import (
	"testing"
	"time"
)

// The most calls seen at once is remembered for one to two periods, then forgotten down to the
// calls still in progress.
func TestPeakRemembersTheMostSeenLately(t *testing.T) {
	var p Peak
	for range 3 {
		p.Enter()
	}
	p.Leave()
	p.Leave()
	if n := p.InProgress(); n != 1 {
		t.Fatalf("in progress %d, want 1", n)
	}
	t0 := time.Unix(1000, 0)
	if n := p.Expected(t0); n != 3 {
		t.Fatalf("expected %d, want the peak 3", n)
	}
	if n := p.Expected(t0.Add(period / 2)); n != 3 {
		t.Fatalf("expected %d within the period, want 3", n)
	}
	if n := p.Expected(t0.Add(period * 3 / 2)); n != 1 {
		t.Fatalf("expected %d two periods on, want the 1 in progress", n)
	}
	p.Enter()
	if n := p.Expected(t0.Add(period * 3 / 2)); n != 2 {
		t.Fatalf("expected %d after a new caller, want 2", n)
	}
}
