package events

import (
	"context"
	"sync"
	"time"
)

// Signal wakes waiters when something new was committed. The zero value is ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed by the next Notify.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes everyone waiting on a channel from C.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// TailOptions tune Tail.
type TailOptions struct {
	BatchSize int           // events per ReadAll; default 1000
	Poll      time.Duration // re-read interval when no wake-up comes; default 1s
	Wake      *Signal       // optional: woken when the adapter knows of a commit
}

// Tail implements Store.Subscribe on top of a Reader: read batches after `after` until caught up,
// then wait for a wake-up or the poll interval and read again. The event channel is closed when
// ctx ends or a read fails; a failure is sent on the error channel first.
func Tail(ctx context.Context, r Reader, after Position, opt TailOptions) (<-chan []Envelope, <-chan error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 1000
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	out := make(chan []Envelope, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		timer := time.NewTimer(opt.Poll)
		defer timer.Stop()
		pos := after
		for {
			var wake <-chan struct{}
			if opt.Wake != nil {
				wake = opt.Wake.C() // take it before reading so that no commit is missed
			}
			batch, err := r.ReadAll(ctx, pos, opt.BatchSize)
			if err != nil {
				if ctx.Err() == nil {
					errc <- err
				}
				return
			}
			if len(batch) > 0 {
				pos = batch[len(batch)-1].GlobalPosition
				select {
				case out <- batch:
				case <-ctx.Done():
					return
				}
				if len(batch) == opt.BatchSize {
					continue
				}
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(opt.Poll)
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-timer.C:
			}
		}
	}()
	return out, errc
}
