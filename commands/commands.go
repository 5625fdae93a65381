// Package commands is the write side: one handler per use case (decode the payload, decide
// through the domain, append with the one retry policy, answer), the application that registers
// them (New), and the HTTP endpoint that accepts commands. The node rules themselves live in
// commands/nodetx; this package appends what they decide.
package commands

import (
	"context"
	"encoding/json"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Errors of the command layer: the kinds of package fault, which every layer wraps, and the
// command layer's own sentinels on top of them.
var (
	// ErrInvalid means the command is malformed; the message names the field.
	ErrInvalid = fault.ErrInvalid
	// ErrUnknown means no handler is registered for the command type (answered
	// "unknown_command").
	ErrUnknown = fault.Coded(fault.ErrInvalid, "unknown command type", "unknown_command", "")
	// ErrNotFound means the command names something that does not exist (a branch, a node).
	ErrNotFound = fault.ErrNotFound
	// ErrConflict means the command contradicts what exists (a branch name already taken).
	ErrConflict = fault.ErrConflict
)

// Command is what a client sends: a type naming the use case, an optional id that makes the
// command idempotent, and the use case's own payload.
//
// The same id always answers the first result: a command whose id the log holds is not decided
// again, and one reusing the id with another type or payload is refused (ErrIdempotencyConflict).
type Command struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Actor   string          `json:"-"`
	Payload json.RawMessage `json:"payload,omitempty"`

	// Hash identifies the command under its id (hashOf: its type and canonical payload) and
	// Origin is the id the client gave, for the commands one command appends (sub). Dispatch
	// sets both: what a caller gives is replaced.
	Hash   string `json:"-"`
	Origin string `json:"-"`
}

// sub is a command of its own that cmd appends (one per object file, the computed attributes
// after a schema load, ...): its id derives from cmd's, and it carries cmd's hash, so that a
// retry of cmd answers what each wrote and another command reusing cmd's id is refused.
func (cmd Command) sub(typ, suffix string) Command {
	out := Command{Type: typ, Actor: cmd.Actor, Hash: cmd.Hash, Origin: cmd.root()}
	if cmd.ID != "" {
		out.ID = cmd.ID + "/" + suffix
	}
	return out
}

// root is the id the client gave.
func (cmd Command) root() string {
	if cmd.Origin != "" {
		return cmd.Origin
	}
	return cmd.ID
}

// Result is what a handled command wrote.
type Result struct {
	CommandID     string            `json:"command_id,omitempty"`
	Stream        events.StreamID   `json:"stream"`
	Positions     []events.Position `json:"positions"`
	StreamVersion int64             `json:"stream_version"`
	Duplicate     bool              `json:"duplicate,omitempty"`
	// Data is what the use case answers beyond positions (e.g. a schema load's diff).
	Data any `json:"data,omitempty"`
}

// Handler decides and appends one command.
type Handler func(ctx context.Context, cmd Command) (Result, error)

func resultOf(stream events.StreamID, commandID string, r events.AppendResult) Result {
	return Result{CommandID: commandID, Stream: stream, Positions: r.Positions,
		StreamVersion: r.StreamVersion, Duplicate: r.Duplicate}
}

func metaOf(cmd Command) events.Metadata {
	return events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor}
}
