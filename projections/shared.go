package projections

import (
	"strconv"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
)

// The runs of one Runner each receive every bus batch (one subscription per projector), and each
// used to parse its JSON: with the graph, the counter, the tasks, the activity index and the
// change feed, a batch was parsed five times, the graph's even when the writer had handed its
// events over already. Now a run that has applied a batch's range skips it on its metadata, and
// the first run to parse a batch keeps it for the others (projectors only read the events they
// are given).

// sharedSize is how many parsed batches a Runner keeps: the runs read the same messages at about
// the same time.
const sharedSize = 16

// sharedBatches are the bus batches a Runner's runs parsed last, by message id (the forwarder's
// names the range: log-<from>-<to>).
type sharedBatches struct {
	mu     sync.Mutex
	ids    [sharedSize]string
	parsed [sharedSize]forward.Batch
	next   int
}

// decode answers the batch another run got from a message of the same id, else rebuilds msg's
// batch from the events handed (payloads.batch), else parses it.
func (s *sharedBatches) decode(msg *message.Message, handed *payloads) (forward.Batch, error) {
	s.mu.Lock()
	for i, id := range s.ids {
		if id != "" && id == msg.UUID {
			b := s.parsed[i]
			s.mu.Unlock()
			return b, nil
		}
	}
	s.mu.Unlock()
	b, ok := handed.batch(msg)
	var err error
	if !ok {
		b, err = forward.DecodeMessage(msg)
	}
	if err != nil || msg.UUID == "" {
		return b, err
	}
	s.mu.Lock()
	s.ids[s.next], s.parsed[s.next] = msg.UUID, b
	s.next = (s.next + 1) % sharedSize
	s.mu.Unlock()
	return b, nil
}

// coveredBy reports whether msg's metadata says its batch ends at or before pos.
func coveredBy(msg *message.Message, pos events.Position) bool {
	to, err := strconv.ParseInt(msg.Metadata.Get(forward.MetadataTo), 10, 64)
	return err == nil && events.Position(to) <= pos
}
