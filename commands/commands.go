// Package commands is the write side: one file per use case (a command type and its handler),
// validation, retries on version conflicts, and the HTTP endpoint that accepts commands.
package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

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
type Command struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Actor   string          `json:"-"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Result is what a handled command wrote.
type Result struct {
	CommandID     string  `json:"command_id,omitempty"`
	Stream        string  `json:"stream"`
	Positions     []int64 `json:"positions"`
	StreamVersion int64   `json:"stream_version"`
	Duplicate     bool    `json:"duplicate,omitempty"`
	// Data is what the use case answers beyond positions (e.g. a schema load's diff).
	Data any `json:"data,omitempty"`
}

// Handler decides and appends one command.
type Handler func(ctx context.Context, cmd Command) (Result, error)

// Dispatcher routes commands to their handlers. Build one per composition root.
type Dispatcher struct {
	handlers map[string]Handler
}

// NewDispatcher returns a dispatcher with the spine's own commands registered.
func NewDispatcher(log events.Appender, cat *events.Catalogue) *Dispatcher {
	d := &Dispatcher{handlers: map[string]Handler{}}
	d.Register(TypeRecordDiagnostic, recordDiagnostic(log, cat))
	return d
}

// Register adds (or replaces) the handler of a command type.
func (d *Dispatcher) Register(typ string, h Handler) { d.handlers[typ] = h }

// Types lists the registered command types.
func (d *Dispatcher) Types() []string {
	out := make([]string, 0, len(d.handlers))
	for t := range d.handlers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Dispatch runs cmd's handler.
func (d *Dispatcher) Dispatch(ctx context.Context, cmd Command) (Result, error) {
	if cmd.Type == "" {
		return Result{}, fmt.Errorf("%w: field \"type\" is required (one of %v)", ErrInvalid, d.Types())
	}
	if len(cmd.ID) > 200 {
		return Result{}, fmt.Errorf("%w: field \"id\" is longer than 200 characters", ErrInvalid)
	}
	h, ok := d.handlers[cmd.Type]
	if !ok {
		return Result{}, fmt.Errorf("%w %q: field \"type\" must be one of %v", ErrUnknown, cmd.Type, d.Types())
	}
	return h(ctx, cmd)
}

func resultOf(stream, commandID string, r events.AppendResult) Result {
	return Result{CommandID: commandID, Stream: stream, Positions: r.Positions,
		StreamVersion: r.StreamVersion, Duplicate: r.Duplicate}
}
