package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/schema"
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

// FileOutcome is what loading one file did.
type FileOutcome struct {
	Name      string   `json:"name"`
	Kinds     Outcomes `json:"kinds"`
	Positions []int64  `json:"positions,omitempty"`
}

// ObjectsOutcome is what TypeLoadObjects answers in Result.Data.
type ObjectsOutcome struct {
	Branch string        `json:"branch"`
	Files  []FileOutcome `json:"files"`
	Kinds  Outcomes      `json:"kinds"` // totals
}

// LoadObjects is the Handler of TypeLoadObjects.
func (h *Nodes) LoadObjects(ctx context.Context, cmd Command) (Result, error) {
	var in LoadObjects
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	if len(in.Files) == 0 {
		return Result{}, fmt.Errorf("%w: field \"files\" is empty", ErrInvalid)
	}
	name := in.Branch
	if name == "" {
		name = h.Default
	}
	out := ObjectsOutcome{Branch: name, Kinds: Outcomes{}}
	var all Result
	for i, f := range in.Files {
		docs, err := objectfile.ParseFile(f.Name, []byte(f.Content))
		if err != nil {
			return all, objectError(err)
		}
		sub := cmd
		if cmd.ID != "" && len(in.Files) > 1 {
			sub.ID = fmt.Sprintf("%s/%d", cmd.ID, i)
		}
		res, t, err := h.decide(ctx, sub, name, func(t *tx) error {
			objs, err := objectfile.Resolve(t.set, docs)
			if err != nil {
				return objectError(err)
			}
			for _, o := range objs {
				if _, err := t.loadObject(o, graph.NodeID{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return all, err
		}
		all.CommandID, all.Stream, all.StreamVersion = res.CommandID, res.Stream, res.StreamVersion
		all.Positions = append(all.Positions, res.Positions...)
		all.Duplicate = all.Duplicate || res.Duplicate
		out.Files = append(out.Files, FileOutcome{Name: f.Name, Kinds: t.outcome, Positions: res.Positions})
		for k, o := range t.outcome {
			sum := out.Kinds.of(k)
			sum.Created += o.Created
			sum.Updated += o.Updated
			sum.Unchanged += o.Unchanged
			sum.Deleted += o.Deleted
		}
	}
	all.Data = out
	return all, nil
}

func objectError(err error) error {
	var oe *objectfile.Error
	if errors.As(err, &oe) {
		return fmt.Errorf("%w: object files:\n%w", ErrInvalid, err)
	}
	return err
}

// loadObject upserts one object of a file, its nested objects before or after it as their link
// requires; parent is the object it is nested in (zero at the top level).
func (t *tx) loadObject(o objectfile.Object, parent graph.NodeID) (graph.NodeID, error) {
	m, err := t.modelOf(o.Kind)
	if err != nil {
		return graph.NodeID{}, sourced(o.Source, err)
	}
	data := make(Data, len(o.Attributes)+len(o.Relationships))
	for k, v := range o.Attributes {
		raw, err := json.Marshal(v)
		if err != nil {
			return graph.NodeID{}, sourced(o.Source, fmt.Errorf("%w: field %q: %v", ErrInvalid, k, err))
		}
		data[k] = raw
	}
	// Nested objects that hang from this one's relationship are upserted first, and so are those
	// of a mandatory relationship that is not a component one (a pool's resources): this object
	// cannot exist without them, and its link makes both ends.
	first := func(c objectfile.Object) bool {
		if c.Link == nil {
			return false
		}
		if c.Link.Back == "" {
			return true
		}
		r, _, ok := relOf(m, c.Link.Relationship)
		return ok && r.Kind != schema.RelComponent && (r.Optional != nil && !*r.Optional || r.MinCount > 0)
	}
	before := map[string][]any{}
	for _, c := range o.Children {
		if first(c) {
			id, err := t.loadObject(c, graph.NodeID{})
			if err != nil {
				return graph.NodeID{}, err
			}
			before[c.Link.Relationship] = append(before[c.Link.Relationship], map[string]any{"id": id.String()})
		}
	}
	rels := map[string][]any{}
	for name, refs := range o.Relationships {
		list := make([]any, 0, len(refs))
		for _, r := range refs {
			switch {
			case r.Enclosing && parent.IsZero():
				// made before its parent: the parent's link will make this end too
			case r.Enclosing:
				list = append(list, map[string]any{"id": parent.String()})
			case r.FromPool != nil:
				list = append(list, map[string]any{"from_pool": r.FromPool})
			case r.ID != "":
				list = append(list, map[string]any{"id": r.ID})
			default:
				ref := map[string]any{"hfid": r.HFID}
				if r.Kind != "" {
					ref["kind"] = r.Kind
				}
				list = append(list, ref)
			}
		}
		if len(list) > 0 || len(refs) == 0 {
			rels[name] = list
		}
	}
	for name, list := range before {
		rels[name] = append(rels[name], list...)
	}
	for name, list := range rels {
		var v any = list
		if r, _, ok := relOf(m, name); ok && r.Cardinality == "one" {
			v = nil
			if len(list) > 0 {
				v = list[0]
			}
		}
		raw, _ := json.Marshal(v)
		data[name] = raw
	}
	out, err := t.upsertOp(UpdateNode{Kind: o.Kind, Data: data})
	if err != nil {
		return graph.NodeID{}, sourced(o.Source, err)
	}
	id, err := graph.ParseNodeID(out.ID)
	if err != nil {
		return id, err
	}
	for _, c := range o.Children {
		if c.Link == nil || !first(c) {
			if _, err := t.loadObject(c, id); err != nil {
				return graph.NodeID{}, err
			}
		}
	}
	return id, nil
}

// sourced prefixes err with where the object was written.
func sourced(s objectfile.Source, err error) error {
	where := fmt.Sprintf("%s:%d: document %d, item %d", s.File, s.Line, s.Document, s.Item)
	if s.Path != "" {
		where += ", " + s.Path
	}
	return fmt.Errorf("%s: %w", where, err)
}
