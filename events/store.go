package events

import "context"

// Appender writes events to a stream.
type Appender interface {
	// Append writes evs to stream atomically if the stream is at expectedVersion (NoStream for a
	// new stream, AnyVersion to skip the check). A version mismatch returns an error for which
	// errors.Is(err, ErrVersionConflict) holds. When evs[0].Metadata.CommandID is set and that
	// command was appended before, nothing is written and the first result is returned with
	// Duplicate set.
	Append(ctx context.Context, stream StreamID, expectedVersion int64, evs ...Envelope) (AppendResult, error)
}

// Reader reads the log.
type Reader interface {
	// ReadStream returns up to limit events of stream with a version above afterVersion.
	ReadStream(ctx context.Context, stream StreamID, afterVersion int64, limit int) ([]Envelope, error)
	// ReadAll returns up to limit events with a global position above after, in order. It never
	// returns an event while an event with a lower position may still commit.
	ReadAll(ctx context.Context, after Position, limit int) ([]Envelope, error)
	// Head is the highest position ReadAll can return now.
	Head(ctx context.Context) (Position, error)
}

// Store is the event log port.
type Store interface {
	Appender
	Reader
	// Subscribe delivers batches of events with positions above after: first what is stored,
	// then new events as they commit, until ctx ends. Batches arrive in order without gaps.
	Subscribe(ctx context.Context, after Position) (<-chan []Envelope, <-chan error)
	Close() error
}

// Checkpoints stores named positions (forwarder, durable projectors) next to the log.
type Checkpoints interface {
	LoadCheckpoint(ctx context.Context, name string) (position Position, version int, err error)
	SaveCheckpoint(ctx context.Context, name string, position Position, version int) error
}
