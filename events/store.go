package events

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

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

// CommandInfo is what an idempotent append keeps beside its command id, opaque to the log: a hash
// of the command that made it (its type and payload), so that a retry can be told from another
// command reusing the id, and the answer the command gave, so that a retry answers it again.
type CommandInfo struct {
	ID     string
	Hash   string
	Answer json.RawMessage
}

// CommandRecord is what the log keeps of the append of a command with an id: where it landed and
// the hash and answer given with it ("" and nil when none were).
type CommandRecord struct {
	ID            string
	Stream        StreamID
	Positions     []Position
	StreamVersion int64
	Hash          string
	Answer        json.RawMessage
}

// Commands appends the events of a command together with what identifies it, and answers what
// the log keeps of a command.
type Commands interface {
	// AppendCommand is Append for the events of one command: every event takes cmd.ID as its
	// Metadata.CommandID (an event naming another command id is refused), and the log keeps
	// cmd.Hash and cmd.Answer with the id, in the same transaction. When cmd.ID was appended
	// before, nothing is written and the first result is returned with Duplicate set, whatever
	// cmd.Hash is: the caller compares hashes through Command. An empty cmd.ID makes a plain
	// Append.
	AppendCommand(ctx context.Context, stream StreamID, expectedVersion int64, cmd CommandInfo, evs ...Envelope) (AppendResult, error)
	// Command answers what the log keeps of the append of command id; found is false when no
	// append carried it.
	Command(ctx context.Context, id string) (rec CommandRecord, found bool, err error)
}

// Staged is what a log whose appends are committed before they are durable (SQLite: a syncer
// fsyncs the WAL after the writer commits) may offer besides Commands: AppendCommandStaged
// returns once the append is committed, in the log's order of appends, with durable, which
// returns once it is durable (nil) or never will be (the error AppendCommand would have
// returned). A caller may decide and append what builds on it meanwhile (the log commits in
// order and a failed sync fails every later append), and may let readers see it (a reader
// connection of the log may read a commit up to one sync before it is durable too: only a
// power loss can then take it), but must not acknowledge it before durable returns nil. An
// append that wrote nothing (an error, a duplicate) returns as AppendCommand does, once
// durable, with durable nil.
type Staged interface {
	AppendCommandStaged(ctx context.Context, stream StreamID, expectedVersion int64, cmd CommandInfo, evs ...Envelope) (res AppendResult, durable func() error, err error)
}

// WithCommand sets id as the command id of every event of evs (the adapters' AppendCommand calls
// it on their own copy): an event naming another command id is refused.
func WithCommand(evs []Envelope, id string) error {
	if id == "" {
		return nil
	}
	for i := range evs {
		switch evs[i].Metadata.CommandID {
		case id:
		case "":
			evs[i].Metadata.CommandID = id
		default:
			return fmt.Errorf("event %d: command id %q differs from the append's %q: %w", i, evs[i].Metadata.CommandID, id, ErrInvalidEvent)
		}
	}
	return nil
}

// Store is the event log port.
type Store interface {
	Appender
	Commands
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

// Stamp fills in what an append would choose for evs, so that the caller knows the stored
// events whole (Stored): an event id where none is set, the occurred time (now where unset) as the
// log keeps it (UTC, microseconds), schema version 1 where unset, and cmd as every event's command
// id where none is set. Prepare then leaves them as they are.
func Stamp(evs []Envelope, cmd string, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	fillIDs(evs)
	for i := range evs {
		e := &evs[i]
		if e.OccurredAt.IsZero() {
			e.OccurredAt = now
		} else {
			e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
		}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = 1
		}
	}
	return WithCommand(evs, cmd)
}

// Stored returns evs (Stamped) as the log holds them after the append that answered res, without
// reading them back: their positions, stream, stream versions and recorded time. It returns nil
// when res does not tell (a duplicate, or a result of another length or without a recorded time).
func Stored(evs []Envelope, stream StreamID, res AppendResult) []Envelope {
	n := len(evs)
	if n == 0 || res.Duplicate || len(res.Positions) != n || res.RecordedAt.IsZero() {
		return nil
	}
	out := slices.Clone(evs)
	first := res.StreamVersion - int64(n) + 1
	for i := range out {
		e := &out[i]
		e.GlobalPosition, e.Stream, e.StreamVersion, e.RecordedAt = res.Positions[i], stream, first+int64(i), res.RecordedAt
	}
	return out
}
