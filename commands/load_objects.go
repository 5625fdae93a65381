package commands

import (
	"context"
	"fmt"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
)

// TypeLoadObjects loads Infrahub object files (what `infrahubctl object load` reads): every
// object is upserted by its human-friendly id, in file order, nested objects with their parents.
// Each file is one atomic batch: a file with one bad object stores nothing.
const TypeLoadObjects = "object.load"

// LoadObjects is the payload of TypeLoadObjects.
type LoadObjects struct {
	Branch string       `json:"branch,omitempty"`
	Files  []ObjectFile `json:"files"`
}

// ObjectFile is one object file: its name (for messages) and its YAML text.
type ObjectFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// FileOutcome is what loading one file did. Warnings name what the file holds that was ignored,
// as infrahubctl ignores it (unknown keys of a document, of its spec or parameters, and of nested
// {kind, data} blocks): the file loaded without it.
type FileOutcome struct {
	Name      string               `json:"name"`
	Kinds     Outcomes             `json:"kinds"`
	Positions []events.Position    `json:"positions,omitempty"`
	Warnings  []objectfile.Problem `json:"warnings,omitempty"`
}

// ObjectsOutcome is what TypeLoadObjects answers in Result.Data.
type ObjectsOutcome struct {
	Branch string        `json:"branch"`
	Files  []FileOutcome `json:"files"`
	Kinds  Outcomes      `json:"kinds"` // totals
}

func (s *Service) loadObjects(ctx context.Context, cmd Command) (Result, error) {
	var in LoadObjects
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	if len(in.Files) == 0 {
		return Result{}, fmt.Errorf("%w: field \"files\" is empty", ErrInvalid)
	}
	name := in.Branch
	if name == "" {
		name = s.w.def
	}
	out := ObjectsOutcome{Branch: name, Kinds: Outcomes{}}
	var all Result
	for i, f := range in.Files {
		sub := cmd
		if cmd.ID != "" && len(in.Files) > 1 {
			sub = cmd.sub(cmd.Type, fmt.Sprint(i))
		}
		res, err := s.loadFile(ctx, sub, name, f)
		if err != nil {
			return all, err
		}
		fo := res.Data.(FileOutcome)
		fo.Positions = res.Positions
		all.CommandID, all.Stream, all.StreamVersion = res.CommandID, res.Stream, res.StreamVersion
		all.Positions = append(all.Positions, res.Positions...)
		all.Duplicate = all.Duplicate || res.Duplicate
		out.Files = append(out.Files, fo)
		out.Kinds.Add(fo.Kinds)
	}
	all.CommandID = cmd.ID
	all.Data = out
	return all, nil
}

// loadFile loads one object file as one command: parsed and resolved within the limits, its
// objects upserted in one transaction. Its Data is the file's outcome (without positions: they
// are the Result's).
func (s *Service) loadFile(ctx context.Context, cmd Command, branch string, f ObjectFile) (Result, error) {
	var docs []objectfile.Document
	res, err := s.w.nodes(ctx, cmd, branch, func(t *nodetx.Tx) (any, error) {
		if docs == nil {
			parsed, err := objectfile.ParseFile(ctx, f.Name, []byte(f.Content), s.lim)
			if err != nil {
				return nil, nodetx.ObjectError(err)
			}
			docs = parsed
		}
		objs, warnings, err := objectfile.Resolve(ctx, t.Schema(), docs, s.lim)
		if err != nil {
			return nil, nodetx.ObjectError(err)
		}
		if err := t.LoadObjects(objs); err != nil {
			return nil, err
		}
		return FileOutcome{Name: f.Name, Kinds: t.Outcomes(), Warnings: warnings}, nil
	})
	if err != nil {
		return res, err
	}
	return typed[FileOutcome](res)
}
