// Package gcfloor keeps the garbage collector from running often while the live heap is small:
// with it, the heap a cycle may grow to is max(2 × live, live + floor) instead of Go's default
// 2 × live (GOGC=100). A server holding 50 MB collects under write load two or three times a
// second with the default; with a floor of 256 MiB it collects a few times less often, for a
// bounded amount of extra memory.
//
// The collector has no such setting of its own, so the floor re-derives GOGC after every cycle:
// a sentinel object with a cleanup (runtime.AddCleanup) is found unreachable by each cycle; its
// cleanup reads what the cycle left live (runtime/metrics), sets the percent that puts the next
// goal at live + floor (debug.SetGCPercent), and arms a new sentinel. No soft memory limit is
// set. When the operator set GOGC or GOMEMLIMIT, the floor does nothing: the operator wins.
//
// The collector is one per process, so is the floor: Start may be called by several servers of
// one process (tests); the first one's floor applies until the last one stops.
package gcfloor

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultFloor is the floor of a server that sets none: 256 MiB.
const DefaultFloor = 256 << 20

// MaxFloor is the largest floor accepted: 1 TiB.
const MaxFloor = 1 << 40

// heapMinimum is the runtime's smallest goal at GOGC=100 (4 MiB); it scales with the percent, so
// a large percent over a tiny live heap would raise the goal past live + floor.
const heapMinimum = 4 << 20

// Config is the floor's setting and the operator's Go runtime variables.
type Config struct {
	// Floor is how many bytes above the live heap the collector lets the heap grow before the
	// next cycle, when that is more than the live heap itself; 0 disables the floor.
	Floor int64
	// GOGC and GOMEMLIMIT are the values of those variables ("" when unset): either set leaves
	// the collector as the operator configured it.
	GOGC, GOMEMLIMIT string
}

// Validate reports a floor out of range.
func (c Config) Validate() error {
	if c.Floor < 0 || c.Floor > MaxFloor {
		return fmt.Errorf("%w: %d bytes: use 0 (off) to %d", ErrFloor, c.Floor, int64(MaxFloor))
	}
	return nil
}

// ErrFloor is a floor out of range.
var ErrFloor = errors.New("gc heap floor out of range")

// Percent is the GOGC that puts the collector's goal at max(2 × live, live + floor) after a
// cycle that left live bytes of heap, the pacer's base being live + roots (the stacks and
// globals scanned, which the pacer counts since Go 1.18). It is at least 100 (Go's default) and
// at most what keeps the runtime's minimum heap (4 MiB × percent / 100) within live + floor.
func Percent(live, roots, floor uint64) int {
	base := live + roots
	if floor == 0 || floor <= base {
		return 100
	}
	p := floor * 100 / max(base, 1)
	p = min(p, (live+floor)*100/heapMinimum, math.MaxInt32)
	return int(max(p, 100))
}

// Floor is the running floor of this process (see Start).
type Floor struct {
	stopped bool // Stop was called (a second Stop does nothing); under state.mu
	active  bool // this Start tuned the collector (false: disabled, or the operator's variables)
}

// state is the process's floor: the collector is one per process.
var state struct {
	mu      sync.Mutex
	users   int    // started floors not yet stopped
	floor   uint64 // bytes, the first user's
	before  int    // the percent before the first user started
	percent int    // the percent last set
	cycles  uint64 // cycles seen since the first user started
	gen     uint64 // which run the armed sentinel belongs to: a stale one stops its chain
}

// Start checks c and, unless the floor is 0 or the operator set GOGC or GOMEMLIMIT, keeps the
// collector's goal at max(2 × live, live + floor) until Stop. It logs once what it chose.
func Start(c Config, log *slog.Logger) (*Floor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch {
	case c.GOGC != "" || c.GOMEMLIMIT != "":
		log.Info("gc heap floor off: the operator's GOGC/GOMEMLIMIT apply", "GOGC", c.GOGC, "GOMEMLIMIT", c.GOMEMLIMIT)
		return &Floor{}, nil
	case c.Floor == 0:
		log.Info("gc heap floor off (INFRAHUB_GC_HEAP_FLOOR_BYTES=0): Go's default GOGC=100 applies")
		return &Floor{}, nil
	}
	state.mu.Lock()
	defer state.mu.Unlock()
	state.users++
	if state.users > 1 {
		log.Info("gc heap floor already running in this process", "floor_bytes", state.floor)
		return &Floor{active: true}, nil
	}
	state.floor, state.cycles = uint64(c.Floor), 0
	state.gen++
	state.before = debug.SetGCPercent(100)
	state.percent = 100
	adjust()
	arm()
	log.Info("gc heap floor on: heap goal max(2 x live, live + floor), no memory limit", "floor_bytes", c.Floor, "gogc", state.percent)
	return &Floor{active: true}, nil
}

// Stop ends this floor; when it was the process's last, the percent before the first Start
// comes back.
func (f *Floor) Stop() {
	if f == nil || !f.active {
		return
	}
	state.mu.Lock()
	defer state.mu.Unlock()
	if f.stopped {
		return
	}
	f.stopped = true
	state.users--
	if state.users == 0 {
		debug.SetGCPercent(state.before)
	}
}

// sentinel is what each cycle finds unreachable; it holds a pointer so that the tiny
// allocator does not batch it with other objects (which would delay its cleanup).
type sentinel struct {
	_ *int
	_ uint64
}

// arm allocates a sentinel whose cleanup adjusts the percent after the cycle that frees it.
// Called with state.mu held.
func arm() {
	runtime.AddCleanup(new(sentinel), cycle, state.gen)
}

// cycle runs after each collection: it adjusts and re-arms while a floor is running.
func cycle(gen uint64) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.users == 0 || gen != state.gen {
		return // stopped (and maybe started again, with a sentinel of its own)
	}
	state.cycles++
	adjust()
	arm()
}

var samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}

// adjust sets the percent for what the last cycle left live. Called with state.mu held.
func adjust() {
	metrics.Read(samples)
	var v [3]uint64
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	p := Percent(v[0], v[1]+v[2], state.floor)
	// a change under 1/16 moves the goal by little: skip it
	if d := p - state.percent; d*16 > state.percent || -d*16 > state.percent {
		debug.SetGCPercent(p)
		state.percent = p
	}
}
