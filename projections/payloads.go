package projections

import (
	"sync"

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
// the log a little behind the writer.
const payloadsSize = 1 << 14

// payloads are the events handed last, with their decoded payloads, by log position.
type payloads struct {
	mu    sync.RWMutex
	byPos map[events.Position]handed
	ring  []events.Position // the positions held, oldest at next once full
	next  int
	sig   events.Signal // notified after each put (Tail)
}

// handed is an event handed and its decoded payload (nil: unknown).
type handed struct {
	env events.Envelope
	v   any
}

// put keeps evs and their payloads.
func (s *payloads) put(evs []events.Envelope, vs []any) {
	defer s.sig.Notify()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byPos == nil {
		s.byPos = make(map[events.Position]handed, payloadsSize)
		s.ring = make([]events.Position, 0, payloadsSize)
	}
	for i := range evs {
		pos := evs[i].GlobalPosition
		if _, ok := s.byPos[pos]; ok {
			continue
		}
		if len(s.ring) < payloadsSize {
			s.ring = append(s.ring, pos)
		} else {
			delete(s.byPos, s.ring[s.next])
			s.ring[s.next] = pos
			s.next = (s.next + 1) % payloadsSize
		}
		var v any
		if i < len(vs) {
			v = vs[i]
		}
		s.byPos[pos] = handed{env: evs[i], v: v}
	}
}

// get answers the payload handed for env (the same event: position and id), if kept.
func (s *payloads) get(env events.Envelope) (any, bool) {
	s.mu.RLock()
	h, ok := s.byPos[env.GlobalPosition]
	s.mu.RUnlock()
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
