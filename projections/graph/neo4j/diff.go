package neo4j

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// Diff implements graph.Differ: three statements in one read transaction (StmtDiffBranch,
// StmtDiffChanges, StmtDiffNodes), assembled by DiffFromRows as branch/nodes.Store.Diff does.
// The conflict resolutions come from ReaderConfig.Resolutions (they are not projected); the
// conflicts on unique values from the projected claims (StmtUniqueSet).
func (r *Reader) Diff(ctx context.Context, name string) (branch.Diff, error) {
	if err := ctx.Err(); err != nil {
		return branch.Diff{}, err
	}
	if name == "" || name == branch.Default {
		return branch.Diff{}, fmt.Errorf("%w: the default branch %q has no diff", fault.ErrInvalid, branch.Default)
	}
	tx, err := r.cfg.Conn.BeginRead(ctx)
	if err != nil {
		return branch.Diff{}, fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
	}
	defer tx.Close(ctx)
	rd := &read{tx: tx, branch: name, params: map[string]any{"branch": name, "base": branch.Default, "at": int64(math.MaxInt64)}}
	in := DiffInput{Name: name}
	if in.Branch, err = rd.run(ctx, StmtDiffBranch, map[string]any{"name": name, "checkpoint": r.cfg.Checkpoint}); err != nil {
		return branch.Diff{}, err
	}
	if len(in.Branch) == 0 {
		return branch.Diff{}, fmt.Errorf("%w: %q", branch.ErrNotFound, name)
	}
	base, _ := in.Branch[0]["branched_from"].(int64)
	rd.params["base_at"] = base
	if in.BranchSchema, err = r.cfg.Schema(ctx, name, 0); err != nil {
		return branch.Diff{}, err
	}
	if in.MainSchema, err = r.cfg.Schema(ctx, branch.Default, 0); err != nil {
		return branch.Diff{}, err
	}
	if r.cfg.Resolutions != nil {
		if in.Resolved, err = r.cfg.Resolutions(ctx, name); err != nil {
			return branch.Diff{}, err
		}
	}
	if in.Changes, err = rd.run(ctx, StmtDiffChanges, nil); err != nil {
		return branch.Diff{}, err
	}
	ids, err := DiffNodeIDs(in.Changes)
	if err != nil {
		return branch.Diff{}, err
	}
	if len(ids) > 0 {
		in.Nodes, err = rd.run(ctx, StmtDiffNodes, map[string]any{"ids": ids, "label": LabelAttribute,
			"parents": parentIdentifiers(in.BranchSchema, in.MainSchema), "from_time": in.Branch[0]["from_time"]})
		if err != nil {
			return branch.Diff{}, err
		}
	}
	return DiffFromRows(in)
}

// DiffInput is what a diff is assembled from: the answers of its three statements, the
// branch's and the default branch's schemas and the branch's conflict resolutions.
type DiffInput struct {
	Name                     string
	Branch, Changes, Nodes   []map[string]any // StmtDiffBranch, StmtDiffChanges, StmtDiffNodes
	BranchSchema, MainSchema *schema.Set
	Resolved                 map[string]string // conflict id → branch.KeepBase or KeepBranch
}

// diffSide is one side of a slot: an attribute's value and lineage, or a relationship end's
// peers (sorted).
type diffSide struct {
	present                bool
	data                   any
	isProtected, isDefault bool
	source, owner          string
	peers                  []string
}

// norm is the side as a user sees it (graph.Side.norm): whether a value is the default does
// not make it another value, and an empty value is no value.
func (s diffSide) norm() diffSide {
	s.isDefault = false
	if s.present && s.data == nil && len(s.peers) == 0 && !s.isProtected && s.source == "" && s.owner == "" {
		return diffSide{}
	}
	return s
}

func (s diffSide) equal(o diffSide) bool {
	a, b := s.norm(), o.norm()
	return a.present == b.present && (!a.present || a.isProtected == b.isProtected && a.source == b.source &&
		a.owner == b.owner && slices.Equal(a.peers, b.peers) && reflect.DeepEqual(a.data, b.data))
}

func (s diffSide) value() any {
	if !s.present {
		return nil
	}
	return s.data
}

// slotDiff is one slot the branch changed (a node's existence when field is empty, an
// attribute "a:<name>", a relationship end "r:<identifier>|<side>" or, with unique set, the
// holder of the value key of constraint field of kind, its sides' data the holders' ids).
type slotDiff struct {
	node, kind, field string
	unique            bool
	key               string
	base, br, main    diffSide
	mainChanged       bool
	conflict          bool
}

// DiffNodeIDs is the node ids StmtDiffNodes must read for the rows of StmtDiffChanges: the
// nodes of the slots that changed and the peers added or removed, sorted.
func DiffNodeIDs(rows []map[string]any) ([]string, error) {
	slots, err := diffSlots(rows)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range slots {
		if s.unique {
			continue
		}
		ids = append(ids, s.node)
		ids = append(ids, s.br.peers...)
		ids = append(ids, s.base.peers...)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// diffSlots reads the rows of StmtDiffChanges into the slots that changed, node slots first
// (by node), then the others by node and field.
func diffSlots(rows []map[string]any) ([]slotDiff, error) {
	type relKey struct{ node, field string }
	rels := map[relKey]*slotDiff{}
	var out []slotDiff
	for _, row := range rows {
		what, _ := row["what"].(string)
		id, _ := row["id"].(string)
		kind, _ := row["kind"].(string)
		name, _ := row["name"].(string)
		if id == "" {
			return nil, fmt.Errorf("%w: neo4j graph reader: diff row without id", fault.ErrUnavailable)
		}
		switch what {
		case "node":
			s := slotDiff{node: id, kind: kind}
			s.br.present, s.base.present, s.main.present = row["b"] == "active", row["base"] == "active", row["main"] == "active"
			out = append(out, s)
		case "attribute":
			s := slotDiff{node: id, kind: kind, field: "a:" + name}
			var err error
			for col, side := range map[string]*diffSide{"b": &s.br, "base": &s.base, "main": &s.main} {
				if *side, err = attrSideOf(row[col]); err != nil {
					return nil, fmt.Errorf("%w: neo4j graph reader: diff of %s.%s: %w", fault.ErrUnavailable, id, name, err)
				}
			}
			out = append(out, s)
		case "unique":
			s := slotDiff{kind: kind, field: name, unique: true, node: id}
			s.key, _ = row["peer"].(string)
			for col, side := range map[string]*diffSide{"b": &s.br, "base": &s.base, "main": &s.main} {
				if h, _ := row[col].(string); h != "" {
					*side = diffSide{present: true, data: h}
				}
			}
			out = append(out, s)
		case "relationship":
			sd, _ := row["side"].(string)
			peer, _ := row["peer"].(string)
			k := relKey{id, "r:" + name + "|" + sd}
			s := rels[k]
			if s == nil {
				s = &slotDiff{node: id, kind: kind, field: k.field}
				rels[k] = s
			}
			for col, side := range map[string]*diffSide{"b": &s.br, "base": &s.base, "main": &s.main} {
				if row[col] == "active" && !slices.Contains(side.peers, peer) {
					side.peers = append(side.peers, peer)
					side.present = true
				}
			}
		default:
			return nil, fmt.Errorf("%w: neo4j graph reader: diff row of %q", fault.ErrUnavailable, what)
		}
	}
	for _, s := range rels {
		for _, side := range []*diffSide{&s.br, &s.base, &s.main} {
			slices.Sort(side.peers)
		}
		out = append(out, *s)
	}
	kept := out[:0]
	for _, s := range out {
		switch {
		case s.unique:
			if s.br.data == s.base.data {
				continue
			}
			s.mainChanged = s.main.data != s.base.data
			s.conflict = s.mainChanged && s.main.present && s.br.present && s.main.data != s.br.data
		case s.field == "":
			if s.br.present == s.base.present {
				continue
			}
			s.mainChanged = s.main.present != s.base.present
			s.conflict = s.mainChanged && s.main.present != s.br.present
		default:
			if s.br.equal(s.base) {
				continue
			}
			if !s.main.equal(s.base) {
				s.mainChanged = true
				s.conflict = !s.main.equal(s.br)
			}
		}
		kept = append(kept, s)
	}
	// Node slots, then attributes and relationship ends, then unique values.
	rank := func(s slotDiff) int {
		switch {
		case s.unique:
			return 2
		case s.field == "":
			return 0
		}
		return 1
	}
	slices.SortFunc(kept, func(a, b slotDiff) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		if a.unique {
			return strings.Compare(a.kind+"\x00"+a.field+"\x00"+a.key, b.kind+"\x00"+b.field+"\x00"+b.key)
		}
		if c := strings.Compare(a.node, b.node); c != 0 {
			return c
		}
		return strings.Compare(a.field, b.field)
	})
	return kept, nil
}

// attrSideOf reads an attrSide column: nil (never set) or {json, is_default, is_protected,
// source, owner}.
func attrSideOf(v any) (diffSide, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return diffSide{}, nil
	}
	s := diffSide{present: true}
	if js, _ := m["json"].(string); js != "" {
		if err := json.Unmarshal([]byte(js), &s.data); err != nil {
			return diffSide{}, err
		}
	}
	s.isDefault, _ = m["is_default"].(bool)
	s.isProtected, _ = m["is_protected"].(bool)
	s.source, _ = m["source"].(string)
	s.owner, _ = m["owner"].(string)
	return s, nil
}

// conflictID is the stable id of a conflict of a branch, as branch/nodes computes it (the
// resolutions recorded on the branch name conflicts by it).
func conflictID(branchName string, parts ...string) string {
	h := sha1.Sum([]byte(branchName + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:10])
}

// parentIdentifiers is the identifiers of the Parent relationships of the node kinds of the
// schemas, sorted.
func parentIdentifiers(sets ...*schema.Set) []string {
	out := []string{}
	for _, set := range sets {
		if set == nil {
			continue
		}
		for _, m := range set.Nodes() {
			for _, r := range m.Relationships {
				if r.Kind == schema.RelParent && !slices.Contains(out, r.Identifier) {
					out = append(out, r.Identifier)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// relationOf is the relationship of kind whose end is field "r:<identifier>|<side>".
func relationOf(set *schema.Set, kind, field string) *schema.Relationship {
	if set == nil {
		return nil
	}
	m, ok := set.Node(kind)
	if !ok {
		return nil
	}
	for _, r := range m.Relationships {
		if "r:"+r.Identifier+"|"+side(r.Identifier, r.Direction) == field {
			return r
		}
	}
	return nil
}

// positionOf reads an int64 column.
func positionOf(v any) events.Position {
	p, _ := v.(int64)
	return events.Position(p)
}
