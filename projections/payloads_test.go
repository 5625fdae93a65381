package projections

import (
	"testing"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
)

func TestPayloadsKeepTheLastHandedByPositionAndID(t *testing.T) {
	var s payloads
	env := func(pos int) events.Envelope {
		return events.Envelope{GlobalPosition: events.Position(pos), EventID: uuid.NewSHA1(uuid.Nil, []byte{byte(pos), byte(pos >> 8), byte(pos >> 16)})}
	}
	evs := make([]events.Envelope, payloadsSize+10)
	vs := make([]any, len(evs))
	for i := range evs {
		evs[i], vs[i] = env(i+1), i+1
	}
	vs[len(vs)-1] = nil // unknown: not kept
	s.put(evs, vs)
	if _, ok := s.get(env(1)); ok {
		t.Fatal("the oldest payload was kept beyond the bound")
	}
	if v, ok := s.get(env(len(evs) - 1)); !ok || v != len(evs)-1 {
		t.Fatalf("a recent payload: %v %v", v, ok)
	}
	if _, ok := s.get(env(len(evs))); ok {
		t.Fatal("a nil payload was kept")
	}
	s.put([]events.Envelope{env(2)}, []any{"old"}) // its slot holds a later position: not put back
	if _, ok := s.get(env(2)); ok {
		t.Fatal("an event older than the bound evicted a later one")
	}
	if v, ok := s.get(env(payloadsSize + 2)); !ok || v != payloadsSize+2 {
		t.Fatalf("the later event of the same slot: %v %v", v, ok)
	}
	other := env(len(evs) - 1)
	other.EventID = uuid.New()
	if _, ok := s.get(other); ok {
		t.Fatal("a payload answered for another event at the same position")
	}
}
