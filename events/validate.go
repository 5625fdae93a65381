package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// MaxBatch is the most events one Append may write.
const MaxBatch = 10000

// Prepare checks evs and fills what the producer may leave out (event id, occurred at). Adapters
// call it before writing.
func Prepare(stream StreamID, expectedVersion int64, evs []Envelope, now time.Time) error {
	if stream == "" {
		return fmt.Errorf("stream name is empty: %w", ErrInvalidEvent)
	}
	if len(stream) > 400 {
		return fmt.Errorf("stream name is longer than 400 bytes: %w", ErrInvalidEvent)
	}
	if expectedVersion < AnyVersion {
		return fmt.Errorf("expected version %d is below -1: %w", expectedVersion, ErrInvalidEvent)
	}
	if len(evs) == 0 {
		return fmt.Errorf("no events to append: %w", ErrInvalidEvent)
	}
	if len(evs) > MaxBatch {
		return fmt.Errorf("%d events in one append, at most %d: %w", len(evs), MaxBatch, ErrInvalidEvent)
	}
	cmd := evs[0].Metadata.CommandID
	for i := range evs {
		e := &evs[i]
		if e.Type == "" {
			return fmt.Errorf("event %d: type is empty: %w", i, ErrInvalidEvent)
		}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = 1
		}
		if e.SchemaVersion < 0 {
			return fmt.Errorf("event %d: schema version %d: %w", i, e.SchemaVersion, ErrInvalidEvent)
		}
		if len(e.Payload) == 0 {
			e.Payload = json.RawMessage("{}")
		} else if !e.ValidPayload && !json.Valid(e.Payload) {
			return fmt.Errorf("event %d (%s): payload is not valid JSON: %w", i, e.Type, ErrInvalidEvent)
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = now
		}
		e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond) // what both adapters store
		if e.Metadata.CommandID != cmd {
			return fmt.Errorf("event %d: command id %q differs from the first event's %q: %w", i, e.Metadata.CommandID, cmd, ErrInvalidEvent)
		}
		e.Stream = stream
	}
	fillIDs(evs)
	return nil
}
