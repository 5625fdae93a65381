// Package events owns the event log: the envelope every event travels in, the catalogue of event
// types, the codec and upcasters, and the Store port that the PostgreSQL and SQLite adapters
// implement. It imports nothing of this module.
package events

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Position is a place in the log's global order: the GlobalPosition of an event, or a point
// between events that readers resume after (0 is before the first event). It is not a stream
// version: an expected version (NoStream, AnyVersion, a StreamVersion) stays an int64, so that
// passing one for the other takes a visible conversion.
type Position int64

// StreamID names a stream of the log ("branch/main", "branches"). A stream is the unit of
// Append's version check; it is not a branch name, which reaches the log through the stream
// that branch.Stream names.
type StreamID string

// Stream version sentinels for Append's expectedVersion.
const (
	// NoStream expects the stream to be empty (version 0): the first append to a stream.
	NoStream int64 = 0
	// AnyVersion appends whatever the stream's version is.
	AnyVersion int64 = -1
)

// Metadata travels with every event; none of it is interpreted by the log except CommandID,
// which makes an append idempotent.
type Metadata struct {
	CommandID     string `json:"command_id,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	Actor         string `json:"actor,omitempty"`
	TraceParent   string `json:"traceparent,omitempty"`
}

// Envelope is one stored event. Producers fill Type, SchemaVersion, Payload and optionally
// EventID, OccurredAt and Metadata; the store fills the positions and RecordedAt.
type Envelope struct {
	// GlobalPosition orders every event of the log. Positions only grow in read order; a
	// position may be missing (an append that rolled back), never read out of order.
	GlobalPosition Position        `json:"global_position"`
	Stream         StreamID        `json:"stream"`
	StreamVersion  int64           `json:"stream_version"`
	EventID        uuid.UUID       `json:"event_id"`
	Type           string          `json:"type"`
	SchemaVersion  int             `json:"schema_version"`
	OccurredAt     time.Time       `json:"occurred_at"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Metadata       Metadata        `json:"metadata"`
	Payload        json.RawMessage `json:"payload"`
	// ValidPayload is set by an encoder of this process that only writes valid JSON (the node
	// payload encoder), so that an append does not check Payload again (Prepare). It is never
	// stored nor read back.
	ValidPayload bool `json:"-"`
}

// AppendResult says where an append landed.
type AppendResult struct {
	// Positions holds the global position of each appended event, in order.
	Positions []Position `json:"positions"`
	// StreamVersion is the stream's version after the append.
	StreamVersion int64 `json:"stream_version"`
	// Duplicate is true when the command id had already been appended: nothing was written and
	// Positions and StreamVersion are those of the first append.
	Duplicate bool `json:"duplicate,omitempty"`
	// RecordedAt is the time the log recorded the appended events at: what ReadAll returns as
	// their RecordedAt. Zero for a Duplicate.
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}

// Last is the highest position written by the append, or 0 when none.
func (r AppendResult) Last() Position {
	if len(r.Positions) == 0 {
		return 0
	}
	return r.Positions[len(r.Positions)-1]
}
