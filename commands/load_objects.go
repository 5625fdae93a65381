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
		docs, err := objectfile.ParseFile(f.Name, []byte(f.Content))
		if err != nil {
			return all, nodetx.ObjectError(err)
		}
		sub := cmd
		if cmd.ID != "" && len(in.Files) > 1 {
			sub.ID = fmt.Sprintf("%s/%d", cmd.ID, i)
		}
		var warnings []objectfile.Problem
		res, t, err := s.w.nodes(ctx, sub, name, func(t *nodetx.Tx) error {
			objs, warned, err := objectfile.Resolve(t.Schema(), docs)
			if err != nil {
				return nodetx.ObjectError(err)
			}
			warnings = warned
			return t.LoadObjects(objs)
		})
		if err != nil {
			return all, err
		}
		all.CommandID, all.Stream, all.StreamVersion = res.CommandID, res.Stream, res.StreamVersion
		all.Positions = append(all.Positions, res.Positions...)
		all.Duplicate = all.Duplicate || res.Duplicate
		out.Files = append(out.Files, FileOutcome{Name: f.Name, Kinds: t.Outcomes(), Positions: res.Positions, Warnings: warnings})
		out.Kinds.Add(t.Outcomes())
	}
	all.Data = out
	return all, nil
}
