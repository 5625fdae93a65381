package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// TypeLoadSchema loads schema files on a branch: incremental and idempotent (a load that
// changes nothing writes nothing), validated against the branch's current schema, recorded as
// one schema.loaded event on the branch's stream.
const TypeLoadSchema = "schema.load"

// LoadSchema is the payload of TypeLoadSchema (and of a check).
type LoadSchema struct {
	Branch string `json:"branch,omitempty"` // default: main
	// Schemas are schema files as JSON objects ({"version": "1.0", "generics": ..., "nodes": ...}),
	// as in Infrahub's API, or as JSON strings holding a file's YAML or JSON text (errors then
	// carry the file's line numbers; the CLI sends this form).
	Schemas []json.RawMessage `json:"schemas"`
	// Names name the files in error messages (the CLI sends the paths); default schemas[i].
	Names []string `json:"names,omitempty"`
}

// SchemaOutcome is what a load or a check answers.
type SchemaOutcome struct {
	Branch       string         `json:"branch"`
	Hash         string         `json:"hash"`
	PreviousHash string         `json:"previous_hash"`
	Updated      bool           `json:"schema_updated"`
	Diff         schema.Changes `json:"diff"`
}

// SchemaState is the per-branch schema that schema commands decide against, with the version of
// the branch's stream that it reflects.
type SchemaState interface {
	Schema(branch string) (*schema.Set, int64)
	Branch(name string) (branch.Info, bool)
}

// Syncer waits until the state reflects the whole log (after a version conflict).
type Syncer func(ctx context.Context) error

// StreamOf names a branch's stream.
type StreamOf func(branch string) string

// SchemaLoader decides schema loads and checks.
type SchemaLoader struct {
	Log     events.Appender
	Cat     *events.Catalogue
	State   SchemaState
	Sync    Syncer
	Stream  StreamOf
	Default string // default branch
	// After, when set, runs once a load that changed the schema is written (at position pos):
	// the data's side of the change (Nodes.RefreshComputed). Its error is the command's: the
	// schema is written all the same.
	After func(ctx context.Context, cmd Command, branch string, pos int64, cur, next *schema.Set) error
}

// prepare parses and resolves a load against the branch's current schema.
func (l *SchemaLoader) prepare(in LoadSchema) (branch string, files []schema.LoadedFile, cur, next *schema.Set, version int64, err error) {
	branch = in.Branch
	if branch == "" {
		branch = l.Default
	}
	info, ok := l.State.Branch(branch)
	if !ok {
		return "", nil, nil, nil, 0, fmt.Errorf("%w: branch %q (create it first)", ErrNotFound, branch)
	}
	if info.Status == statusMerged {
		return "", nil, nil, nil, 0, fmt.Errorf("%w: field \"branch\": branch %s is merged: it takes no more changes", ErrInvalid, branch)
	}
	if len(in.Schemas) == 0 {
		return "", nil, nil, nil, 0, fmt.Errorf("%w: field \"schemas\" holds no schema", ErrInvalid)
	}
	if len(in.Names) != 0 && len(in.Names) != len(in.Schemas) {
		return "", nil, nil, nil, 0, fmt.Errorf("%w: field \"names\" has %d entries for %d schemas", ErrInvalid, len(in.Names), len(in.Schemas))
	}
	parsed := make([]*schema.File, 0, len(in.Schemas))
	var problems []schema.Problem
	for i, raw := range in.Schemas {
		name := fmt.Sprintf("schemas[%d]", i)
		if len(in.Names) > 0 {
			name = in.Names[i]
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			problems = append(problems, schema.Problem{File: name, Message: "not JSON: " + err.Error()})
			continue
		}
		f, err := schema.ParseContent(name, compact.Bytes())
		if err != nil {
			var se *schema.Error
			if errors.As(err, &se) {
				problems = append(problems, se.Problems...)
			} else {
				problems = append(problems, schema.Problem{File: name, Message: err.Error()})
			}
			continue
		}
		parsed = append(parsed, f)
		files = append(files, schema.LoadedFile{Name: name, Content: compact.Bytes()})
	}
	if len(problems) > 0 {
		return "", nil, nil, nil, 0, &SchemaError{Err: &schema.Error{Problems: problems}}
	}
	cur, version = l.State.Schema(branch)
	next, err = schema.Load(cur, parsed...)
	if err != nil {
		return "", nil, nil, nil, 0, &SchemaError{Err: err}
	}
	return branch, files, cur, next, version, nil
}

// SchemaError carries every problem of a refused schema; it wraps ErrInvalid.
type SchemaError struct{ Err error }

func (e *SchemaError) Error() string { return "invalid schema:\n" + e.Err.Error() }

// Unwrap makes errors.Is(err, ErrInvalid) true and keeps the schema problems reachable.
func (e *SchemaError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// Check computes what a load would change, without writing.
func (l *SchemaLoader) Check(in LoadSchema) (SchemaOutcome, error) {
	branch, _, cur, next, _, err := l.prepare(in)
	if err != nil {
		return SchemaOutcome{}, err
	}
	diff := schema.Diff(cur, next)
	return SchemaOutcome{Branch: branch, Hash: next.Hash(), PreviousHash: cur.Hash(), Updated: !diff.Empty(), Diff: diff}, nil
}

// Handle is the Handler of TypeLoadSchema. The outcome is in Result.Data.
func (l *SchemaLoader) Handle(ctx context.Context, cmd Command) (Result, error) {
	var in LoadSchema
	dec := json.NewDecoder(bytes.NewReader(cmd.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Result{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	for attempt := 0; ; attempt++ {
		branch, files, cur, next, version, err := l.prepare(in)
		if err != nil {
			return Result{}, err
		}
		diff := schema.Diff(cur, next)
		out := SchemaOutcome{Branch: branch, Hash: next.Hash(), PreviousHash: cur.Hash(), Updated: !diff.Empty(), Diff: diff}
		stream := l.Stream(branch)
		if diff.Empty() { // idempotent: nothing to record
			return Result{CommandID: cmd.ID, Stream: stream, StreamVersion: version, Data: out}, nil
		}
		ev, err := l.Cat.New(schema.TypeLoaded, schema.Loaded{Files: files, Hash: next.Hash(),
			PreviousHash: cur.Hash(), Changes: diff}, events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor})
		if err != nil {
			return Result{}, err
		}
		res, err := l.Log.Append(ctx, stream, version, ev)
		if errors.Is(err, events.ErrVersionConflict) && attempt < 5 {
			if err := l.Sync(ctx); err != nil {
				return Result{}, fmt.Errorf("%s: %w", TypeLoadSchema, err)
			}
			continue // decide again on the newer schema
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", TypeLoadSchema, err)
		}
		r := resultOf(stream, cmd.ID, res)
		r.Data = out
		if l.After != nil && len(res.Positions) > 0 && !res.Duplicate {
			if err := l.After(ctx, cmd, branch, res.Positions[len(res.Positions)-1], cur, next); err != nil {
				return r, err
			}
		}
		return r, nil
	}
}

// statusMerged is branch.StatusMerged (the branch variable shadows the package here).
const statusMerged = "MERGED"
