package graphtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

func (s *suite) waitFor(t *testing.T) {
	last := s.w.all[len(s.w.all)-1].GlobalPosition
	// A folded position returns at once.
	for _, pos := range []events.Position{0, 1, last} {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		start := time.Now()
		err := s.a.WaitFor(ctx, pos)
		cancel()
		if err != nil || time.Since(start) > time.Second {
			t.Errorf("WaitFor(%d) (folded) = %v after %v; want nil at once", pos, err, time.Since(start))
		}
	}
	// A position beyond the head never comes: the context ends the wait.
	ctx, cancel := context.WithCancel(s.ctx)
	cancel()
	err := s.a.WaitFor(ctx, last+1000)
	if !errors.Is(err, context.Canceled) || !errors.Is(fault.Classify(err).Kind, fault.ErrUnavailable) {
		t.Errorf("WaitFor(beyond the head) with a cancelled context = %v; want one wrapping context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(s.ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.a.WaitFor(ctx, last+1000); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor(beyond the head) with a deadline = %v; want one wrapping context.DeadlineExceeded", err)
	}
}
