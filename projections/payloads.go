package projections

import (
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/events"
)

// The writer hands the events it appended with their payloads decoded (Handoff), but only the
// graph folded them that way: the activity hub, the activity index and the change feed each
// decoded every node event's JSON again. A Runner now keeps the payloads handed to it for a
// while, so those projectors of the same process can read them instead (Runner.Payload): one
// decoding per event per process, shared read-only.
//
// It keeps the events themselves too (as the log holds them): a bus batch whose events were all
// handed is not parsed (recent.go), and a reader of the log after a position whose next events
// were handed reads them from memory (Runner.Reader).

// payloadsSize is how many handed payloads a Runner keeps: enough for the projectors that read
// the log a little behind the writer (and the forwarder, Tail). A power of two (slots by position).
const payloadsSize = 1 << 14

// payloads are the events handed last, with their decoded payloads, by log position: a slot per
// position modulo payloadsSize (an array rather than a map: put and the lookups of every bus batch
// and tail read cost no hashing), holding the latest position put there.
type payloads struct {
	mu    sync.RWMutex
	slots []handed      // nil until the first put
	sig   events.Signal // notified after each put (Tail)
	// ended is notified at each end of an expected hand-off: only a Tail waiting for a missing
	// event listens (an idle one was woken by every turn's end for nothing)
	ended events.Signal
	// expected counts the hand-offs announced (Runner.Expect) and not done: Tail waits for a
	// missing event only while some are on their way
	expected atomic.Int64
}

// handed is an event handed and its decoded payload (nil: unknown).
type handed struct {
	env events.Envelope
	v   any
}

// at answers the slot of pos when it holds pos. s.mu is held.
func (s *payloads) at(pos events.Position) (*handed, bool) {
	if s.slots == nil || pos <= 0 {
		return nil, false
	}
	h := &s.slots[pos&(payloadsSize-1)]
	return h, h.env.GlobalPosition == pos
}

// put keeps evs and their payloads.
func (s *payloads) put(evs []events.Envelope, vs []any) {
	defer s.sig.Notify()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots == nil {
		s.slots = make([]handed, payloadsSize)
	}
	for i := range evs {
		pos := evs[i].GlobalPosition
		if pos <= 0 {
			continue
		}
		h := &s.slots[pos&(payloadsSize-1)]
		if h.env.GlobalPosition >= pos {
			continue // held already, or a later position (this one is older than the kept ones)
		}
		var v any
		if i < len(vs) {
			v = vs[i]
		}
		*h = handed{env: evs[i], v: v}
	}
}

// get answers the payload handed for env (the same event: position and id), if kept.
func (s *payloads) get(env events.Envelope) (any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.at(env.GlobalPosition)
	if !ok || h.v == nil || h.env.EventID != env.EventID {
		return nil, false
	}
	return h.v, true
}

// Payload answers the payload the writer of this process handed for env (Handoff), decoded as
// the catalogue decodes it, when the Runner still holds it. Callers only read it: the value is
// shared with the other projectors.
func (r *Runner) Payload(env events.Envelope) (any, bool) {
	return r.handed.get(env)
}
