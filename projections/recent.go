package projections

import (
	"context"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
)

// maxSpread bounds the positions a bus batch may span, per event, for it to be rebuilt from the
// handed events (positions missing from the log make a batch span more than its events).
const maxSpread = 4

// after answers the handed events that follow position after without a hole (after+1,
// after+2, ...), at most limit: the log holds exactly these after it.
func (s *payloads) after(after events.Position, limit int) []events.Envelope {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []events.Envelope
	for pos := after + 1; len(out) < limit; pos++ {
		h, ok := s.at(pos)
		if !ok {
			break
		}
		out = append(out, h.env)
	}
	return out
}

// batch rebuilds the bus batch of msg from the handed events when they hold all of it: its
// metadata says it holds count events with positions in (from, to], and those are all the
// handed events in that range when there are count of them (each position is one event's).
func (s *payloads) batch(msg *message.Message) (forward.Batch, bool) {
	from, err1 := strconv.ParseInt(msg.Metadata.Get(forward.MetadataFrom), 10, 64)
	to, err2 := strconv.ParseInt(msg.Metadata.Get(forward.MetadataTo), 10, 64)
	count, err3 := strconv.Atoi(msg.Metadata.Get(forward.MetadataCount))
	if err1 != nil || err2 != nil || err3 != nil || count <= 0 || to <= from || to-from > int64(count)*maxSpread {
		return forward.Batch{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.at(events.Position(to)); !ok {
		return forward.Batch{}, false
	}
	evs := make([]events.Envelope, 0, count)
	for pos := events.Position(from) + 1; pos <= events.Position(to); pos++ {
		if h, ok := s.at(pos); ok {
			if len(evs) == count {
				return forward.Batch{}, false
			}
			evs = append(evs, h.env)
		}
	}
	if len(evs) != count {
		return forward.Batch{}, false
	}
	return forward.Batch{From: events.Position(from), To: events.Position(to), Events: evs}, true
}

// Reader is log read through the Runner: ReadAll answers the events the writer of this process
// handed (Handoff) when they are the next ones after the position asked, without reading the
// log; otherwise, and for everything else, it reads log.
func (r *Runner) Reader(log events.Reader) events.Reader { return recentReader{Reader: log, r: r} }

type recentReader struct {
	events.Reader
	r *Runner
}

func (rr recentReader) ReadAll(ctx context.Context, after events.Position, limit int) ([]events.Envelope, error) {
	if limit <= 0 {
		return rr.Reader.ReadAll(ctx, after, limit)
	}
	if evs := rr.r.handed.after(after, limit); len(evs) > 0 {
		return evs, nil
	}
	return rr.Reader.ReadAll(ctx, after, limit)
}
