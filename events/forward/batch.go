// Package forward publishes the event log to the bus. The log is the outbox: the forwarder tails
// it from a checkpoint and publishes each committed batch as one message, at least once.
// Messages can arrive twice or out of order; a Batch says exactly which range of the log it
// covers so that consumers can skip what they have and read a gap back from the log.
package forward

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
)

// Caps of one batch; a batch always holds at least one event even when that event alone is
// larger.
const (
	DefaultMaxEvents = 1000
	DefaultMaxBytes  = 1 << 20
	// envelopeOverhead approximates the JSON of an envelope without its payload.
	envelopeOverhead = 320
)

// Message metadata keys set by Message.
const (
	MetadataFrom        = "from"
	MetadataTo          = "to"
	MetadataCount       = "count"
	MetadataContentType = "content-type"
	ContentType         = "application/vnd.infrahub.event-batch+json"
	// MetadataFence is the fencing token of the forwarder's lease (Forwarder.Fence).
	MetadataFence = "fence"
	// MetadataPosition is the log position of the event a routed message carries.
	MetadataPosition = "position"
	// EventContentType is the content type of a routed message: one envelope.
	EventContentType = "application/vnd.infrahub.event+json"
)

// RouteMessage wraps one event in a bus message (a Route's): its id is the event's id, so that
// a re-published event has the same message id, and its body the envelope's JSON.
func RouteMessage(e events.Envelope) (*message.Message, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event %d: %w", e.GlobalPosition, err)
	}
	msg := message.NewMessage(e.EventID.String(), body)
	msg.Metadata.Set(MetadataPosition, fmt.Sprint(e.GlobalPosition))
	msg.Metadata.Set(MetadataContentType, EventContentType)
	return msg, nil
}

// DecodeEvent decodes the body of a message made by RouteMessage.
func DecodeEvent(msg *message.Message) (events.Envelope, error) {
	var e events.Envelope
	if err := json.Unmarshal(msg.Payload, &e); err != nil {
		return events.Envelope{}, fmt.Errorf("decode routed event %s: %w", msg.UUID, err)
	}
	return e, nil
}

// Batch is the body of a bus message: Events holds every event of the log with
// From < global_position <= To, in order. A batch never claims a range it does not hold
// entirely, so a consumer at a checkpoint c with From <= c < To can apply the events above c
// and move its checkpoint to To.
type Batch struct {
	From   events.Position   `json:"from"` // exclusive
	To     events.Position   `json:"to"`   // inclusive
	Events []events.Envelope `json:"events"`
}

// Validate checks that the batch is internally consistent.
func (b Batch) Validate() error {
	if b.From < 0 || b.To < b.From {
		return fmt.Errorf("batch (%d, %d]: bad range", b.From, b.To)
	}
	prev := b.From
	for i, e := range b.Events {
		if e.GlobalPosition <= prev || e.GlobalPosition > b.To {
			return fmt.Errorf("batch (%d, %d]: event %d at position %d is out of order or range", b.From, b.To, i, e.GlobalPosition)
		}
		prev = e.GlobalPosition
	}
	return nil
}

// Encode returns the JSON of b (encode.go).
func Encode(b Batch) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	size := 48
	for i := range b.Events {
		e := &b.Events[i]
		size += len(e.Payload) + len(e.Stream) + len(e.Type) + envelopeOverhead
	}
	return appendBatch(make([]byte, 0, size), b)
}

// Decode parses and validates a message body made by Encode.
func Decode(body []byte) (Batch, error) {
	var b Batch
	if err := json.Unmarshal(body, &b); err != nil {
		return Batch{}, fmt.Errorf("decode event batch: %w", err)
	}
	if err := b.Validate(); err != nil {
		return Batch{}, fmt.Errorf("decode event batch: %w", err)
	}
	return b, nil
}

// Message wraps b in a bus message. Its id names the range, so that a re-published batch
// with the same range has the same id.
func Message(b Batch) (*message.Message, error) {
	body, err := Encode(b)
	if err != nil {
		return nil, err
	}
	from, to := strconv.FormatInt(int64(b.From), 10), strconv.FormatInt(int64(b.To), 10)
	msg := message.NewMessage("log-"+from+"-"+to, body)
	msg.Metadata.Set(MetadataFrom, from)
	msg.Metadata.Set(MetadataTo, to)
	msg.Metadata.Set(MetadataCount, strconv.Itoa(len(b.Events)))
	msg.Metadata.Set(MetadataContentType, ContentType)
	return msg, nil
}

// DecodeMessage decodes the body of msg.
func DecodeMessage(msg *message.Message) (Batch, error) {
	return Decode(msg.Payload)
}

// Split cuts a run of consecutive log events read after position from into batches of at most
// maxEvents events and about maxBytes of JSON each (at least one event per batch). The batches
// are contiguous: the first starts at from, each next one at the previous To.
func Split(from events.Position, evs []events.Envelope, maxEvents, maxBytes int) []Batch {
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	var out []Batch
	start, size := 0, 0
	for i, e := range evs {
		n := len(e.Payload) + len(e.Stream) + len(e.Type) + envelopeOverhead
		if i > start && (i-start >= maxEvents || size+n > maxBytes) {
			to := evs[i-1].GlobalPosition
			out = append(out, Batch{From: from, To: to, Events: evs[start:i:i]})
			from, start, size = to, i, 0
		}
		size += n
	}
	if start < len(evs) {
		out = append(out, Batch{From: from, To: evs[len(evs)-1].GlobalPosition, Events: evs[start:len(evs):len(evs)]})
	}
	return out
}
