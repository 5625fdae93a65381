package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
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

// SchemaOutcome is what a load or a check answers: Infrahub's SchemaUpdate (hash,
// previous_hash, schema_updated, diff in Infrahub's shape, warnings) plus the branch and the
// changed kinds as lists. Warnings are what the load accepts but reports about the kinds of its
// files (a menu_placement naming no kind, ...), in the shape of Infrahub's SchemaWarning list;
// never null.
type SchemaOutcome struct {
	Branch       string           `json:"branch"`
	Hash         string           `json:"hash"`
	PreviousHash string           `json:"previous_hash"`
	Updated      bool             `json:"schema_updated"`
	APIDiff      *schema.APIDiff  `json:"diff"`
	Diff         schema.Changes   `json:"changes"`
	Warnings     []schema.Warning `json:"warnings"`
}

// validated runs Config.ValidateSchema on a schema a command would give a branch.
func (s *Service) validated(next *schema.Set) error {
	if s.validate == nil {
		return nil
	}
	if err := s.validate(next); err != nil {
		return &SchemaError{Err: err}
	}
	return nil
}

// prepareSchema parses and resolves a load against the branch's current schema.
func (s *Service) prepareSchema(in LoadSchema) (branch string, files []schema.LoadedFile, cur, next *schema.Set, version int64, err error) {
	branch = in.Branch
	if branch == "" {
		branch = s.w.def
	}
	state := s.w.state.Branches()
	info, ok := state.Branch(branch)
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
	size := 0
	for _, raw := range in.Schemas {
		size += len(raw)
	}
	if size > s.lim.SchemaLoadBytes {
		return "", nil, nil, nil, 0, fmt.Errorf("field \"schemas\": %w", limits.Exceeded("schema documents of the load in bytes",
			int64(size), int64(s.lim.SchemaLoadBytes), limits.Setting("SchemaLoadBytes")))
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
	cur, version = state.Schema(branch)
	if err := schema.CheckLimits(cur, parsed, s.lim); err != nil {
		return "", nil, nil, nil, 0, err
	}
	next, err = schema.Load(cur, parsed...)
	if err != nil {
		return "", nil, nil, nil, 0, &SchemaError{Err: err}
	}
	if err := s.validated(next); err != nil {
		return "", nil, nil, nil, 0, err
	}
	return branch, files, cur, next, version, nil
}

// SchemaError carries every problem of a refused schema; it wraps ErrInvalid.
type SchemaError struct{ Err error }

func (e *SchemaError) Error() string { return "invalid schema:\n" + e.Err.Error() }

// Unwrap makes errors.Is(err, ErrInvalid) true and keeps the schema problems reachable.
func (e *SchemaError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// CheckSchema computes what a schema load would change, without writing.
func (s *Service) CheckSchema(in LoadSchema) (SchemaOutcome, error) {
	branch, _, cur, next, _, err := s.prepareSchema(in)
	if err != nil {
		return SchemaOutcome{}, err
	}
	diff := schema.Diff(cur, next)
	return SchemaOutcome{Branch: branch, Hash: next.Hash(), PreviousHash: cur.Hash(), Updated: !diff.Empty(),
		APIDiff: schema.DiffAPI(cur, next), Diff: diff, Warnings: next.Warnings()}, nil
}

// loadSchema records a load as one schema.loaded event on the branch's stream, then computes
// the computed attributes the load added or changed for the branch's existing nodes (a command
// of its own on the branch: the schema is written even when that fails).
func (s *Service) loadSchema(ctx context.Context, cmd Command) (Result, error) {
	var in LoadSchema
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	var name string
	var cur, next *schema.Set
	res, err := s.w.write(ctx, cmd, func() (decision, error) {
		var files []schema.LoadedFile
		var version int64
		var err error
		name, files, cur, next, version, err = s.prepareSchema(in)
		if err != nil {
			return decision{}, err
		}
		diff := schema.Diff(cur, next)
		d := decision{stream: branch.Stream(name), version: version,
			data: SchemaOutcome{Branch: name, Hash: next.Hash(), PreviousHash: cur.Hash(), Updated: !diff.Empty(),
				APIDiff: schema.DiffAPI(cur, next), Diff: diff, Warnings: next.Warnings()}}
		if diff.Empty() { // idempotent: nothing to record
			return d, nil
		}
		ev, err := s.w.cat.New(schema.TypeLoaded, schema.Loaded{Files: files, Hash: next.Hash(),
			PreviousHash: cur.Hash(), Changes: diff}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		d.events = []events.Envelope{ev}
		return d, nil
	})
	if err != nil || len(res.Positions) == 0 || res.Duplicate {
		if err == nil {
			return typed[SchemaOutcome](res)
		}
		return res, err
	}
	kinds := nodetx.ComputedChanged(cur, next)
	if len(kinds) == 0 {
		return res, nil
	}
	re := cmd.sub("computed.refresh", "computed")
	if _, err := s.w.nodes(asServer(ctx), re, name, func(t *nodetx.Tx) (any, error) { return nil, t.Recompute(kinds) }); err != nil {
		return res, fmt.Errorf("%s: schema written; computing %v's computed attributes: %w", cmd.Type, kinds, err)
	}
	return res, nil
}

// statusMerged is branch.StatusMerged (the branch variable shadows the package here).
const statusMerged = "MERGED"
