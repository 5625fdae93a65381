package events

import (
	"errors"
	"fmt"
)

var (
	// ErrVersionConflict means the stream was not at the expected version. The caller reloads its
	// state and retries.
	ErrVersionConflict = errors.New("stream version conflict")
	// ErrInvalidEvent means an event cannot be stored as given (empty type, payload not JSON, ...).
	ErrInvalidEvent = errors.New("invalid event")
	// ErrUnknownEventType means the catalogue has no such type or version.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("event store closed")
)

// VersionConflictError carries the details of an ErrVersionConflict.
type VersionConflictError struct {
	Stream   string
	Expected int64
	Actual   int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("stream %q: expected version %d, found %d: %s", e.Stream, e.Expected, e.Actual, ErrVersionConflict)
}

// Unwrap makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }
