// Package locks provides named mutual-exclusion locks: in process (Local) and shared by every
// process that uses one Redis (Redis). A lock is taken with Lock and given back with the function
// it returns; Lock waits until the lock is free or ctx ends.
package locks

import (
	"context"
	"sync"
)

// Local holds locks within one process. The zero value is ready to use.
type Local struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// Lock takes the lock called name, waiting while another holder has it.
func (l *Local) Lock(ctx context.Context, name string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]chan struct{}{}
	}
	ch, ok := l.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[name] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-ch }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
