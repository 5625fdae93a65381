package events

import (
	"fmt"

	"github.com/infrahub-go/infrahub/fault"
)

var (
	// ErrVersionConflict means the stream was not at the expected version. The caller reloads its
	// state and retries. A conflict that reaches a client is answered "version_conflict".
	ErrVersionConflict = fault.Coded(fault.ErrConflict, "stream version conflict", "version_conflict", "")
	// ErrInvalidEvent means an event cannot be stored as given (empty type, payload not JSON, ...).
	ErrInvalidEvent = fault.New(fault.ErrInvalid, "invalid event")
	// ErrUnknownEventType means the catalogue has no such type or version.
	ErrUnknownEventType = fault.Coded(fault.ErrInvalid, "unknown event type", "unknown_command", "")
	// ErrClosed means the store was closed.
	ErrClosed = fault.New(fault.ErrUnavailable, "event store closed")
)

// VersionConflictError carries the details of an ErrVersionConflict.
type VersionConflictError struct {
	Stream   StreamID
	Expected int64
	Actual   int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("stream %q: expected version %d, found %d: %s", e.Stream, e.Expected, e.Actual, ErrVersionConflict)
}

// Unwrap makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }
