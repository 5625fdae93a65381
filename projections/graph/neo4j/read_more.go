package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Dump implements graph.Dumper: at most three statements (the branch, StmtDump, the
// checkpoint for the position the dump reflects; for a scope at a time, StmtPositionAt instead
// of the checkpoint).
func (r *Reader) Dump(ctx context.Context, s graph.Scope) (graph.Dump, error) {
	rd, err := r.begin(ctx, s)
	if err != nil {
		return graph.Dump{}, err
	}
	defer rd.tx.Close(ctx)
	var kinds []string
	for _, group := range [][]*schema.Node{rd.set.Nodes(), rd.set.Profiles(), rd.set.Templates()} {
		for _, m := range group {
			kinds = append(kinds, m.Kind)
		}
	}
	d := graph.Dump{Branch: rd.branch}
	rows, err := rd.run(ctx, StmtDump, map[string]any{"kinds": kinds})
	if err != nil {
		return graph.Dump{}, err
	}
	for _, row := range rows {
		n, err := DumpedNodeFromRow(rd.set, row)
		if err != nil {
			return graph.Dump{}, err
		}
		d.Nodes = append(d.Nodes, n)
	}
	if rd.timed {
		d.Position = rd.at // at most the checkpoint: only folded positions are recorded
		return d, nil
	}
	cp, err := rd.run(ctx, StmtCheckpointRead, map[string]any{"name": r.cfg.Checkpoint})
	if err != nil {
		return graph.Dump{}, err
	}
	if len(cp) == 1 {
		head, _ := cp[0]["position"].(int64)
		d.Position = events.Position(head)
		if s.At > 0 && s.At < d.Position {
			d.Position = s.At
		}
	}
	return d, nil
}

// DumpedNodeFromRow reads one row of StmtDump: the attributes of the kind's schema that were
// ever set, and the relationships of the kind's schema whose stored peer set is not empty
// (their live peers, in id order).
func DumpedNodeFromRow(set *schema.Set, row map[string]any) (graph.DumpedNode, error) {
	id, _ := row["id"].(string)
	kind, _ := row["kind"].(string)
	if id == "" || kind == "" {
		return graph.DumpedNode{}, fmt.Errorf("%w: neo4j graph reader: dump row without id or kind", fault.ErrUnavailable)
	}
	n := graph.DumpedNode{ID: id, Kind: kind, Attributes: map[string]graph.DumpedAttribute{}}
	m, _ := set.Model(kind)
	attrs, _ := row["attrs"].([]any)
	for _, x := range attrs {
		a, ok := x.(map[string]any)
		if !ok {
			continue
		}
		name, _ := a["name"].(string)
		js, _ := a["json"].(string)
		var v any
		if js != "" {
			if err := json.Unmarshal([]byte(js), &v); err != nil {
				return graph.DumpedNode{}, fmt.Errorf("%w: neo4j graph reader: node %s attribute %s: %w", fault.ErrUnavailable, id, name, err)
			}
		}
		switch name {
		case HFIDAttribute:
			if l, ok := v.([]any); ok {
				n.HFID = make([]string, 0, len(l))
				for _, c := range l {
					s, _ := c.(string)
					n.HFID = append(n.HFID, s)
				}
			}
			continue
		case LabelAttribute:
			n.DisplayLabel, _ = v.(string)
			continue
		}
		if m == nil || m.Attribute(name) == nil {
			continue
		}
		da := graph.DumpedAttribute{Value: v}
		da.IsDefault, _ = a["is_default"].(bool)
		da.IsProtected, _ = a["is_protected"].(bool)
		da.Source, _ = a["source"].(string)
		da.Owner, _ = a["owner"].(string)
		da.Global, _ = a["global"].(bool)
		n.Attributes[name] = da
	}
	rels, _ := row["rels"].([]any)
	for _, x := range rels {
		e, ok := x.(map[string]any)
		if !ok || m == nil {
			continue
		}
		ident, _ := e["name"].(string)
		nearOut, _ := e["near_out"].(bool)
		peerOut, _ := e["peer_out"].(bool)
		peer, _ := e["peer"].(string)
		live, _ := e["live"].(bool)
		sd := "in"
		if nearOut && peerOut {
			sd = "out"
		} else if nearOut {
			sd = "both"
		}
		for _, rs := range m.Relationships {
			if rs.Identifier != ident || side(rs.Identifier, rs.Direction) != sd {
				continue
			}
			if n.Relationships == nil {
				n.Relationships = map[string][]string{}
			}
			list := n.Relationships[rs.Name]
			if list == nil {
				list = []string{}
			}
			if live && peer != "" && !slices.Contains(list, peer) {
				list = append(list, peer)
			}
			n.Relationships[rs.Name] = list
		}
	}
	for _, list := range n.Relationships {
		slices.Sort(list)
	}
	return n, nil
}

// timeText is t as the projection stores times (Position.at, the edges' from): ISO-8601 UTC
// with microseconds, so that text order is time order.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// positionAt runs StmtPositionAt in tx.
func positionAt(ctx context.Context, tx ReadTx, t time.Time) (events.Position, error) {
	rows, err := tx.Run(ctx, StmtPositionAt, map[string]any{"time": timeText(t)})
	if err != nil {
		return 0, fmt.Errorf("%w: neo4j graph reader: position at %s: %w", fault.ErrUnavailable, timeText(t), err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	p, ok := rows[0]["position"].(int64)
	if !ok {
		return 0, fmt.Errorf("%w: neo4j graph reader: position is a %T", fault.ErrUnavailable, rows[0]["position"])
	}
	return events.Position(p), nil
}

// PositionAt implements graph.Reader: one statement (StmtPositionAt) over the Position
// vertices the projector writes with each batch.
func (r *Reader) PositionAt(ctx context.Context, t time.Time) (events.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tx, err := r.cfg.Conn.BeginRead(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
	}
	defer tx.Close(ctx)
	return positionAt(ctx, tx, t)
}

// RecordedAt implements graph.Reader: one statement (StmtRecordedAt); ok is false for position
// 0 (no statement) and past the projector's checkpoint.
func (r *Reader) RecordedAt(ctx context.Context, pos events.Position) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	if pos <= 0 {
		return time.Time{}, false, nil
	}
	tx, err := r.cfg.Conn.BeginRead(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
	}
	defer tx.Close(ctx)
	rows, err := tx.Run(ctx, StmtRecordedAt, map[string]any{"name": r.cfg.Checkpoint, "pos": int64(pos)})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: neo4j graph reader: recorded at %d: %w", fault.ErrUnavailable, pos, err)
	}
	return RecordedAtFromRows(rows, pos)
}

// RecordedAtFromRows reads StmtRecordedAt's answer for position pos.
func RecordedAtFromRows(rows []map[string]any, pos events.Position) (time.Time, bool, error) {
	if len(rows) != 1 {
		return time.Time{}, false, fmt.Errorf("%w: neo4j graph reader: recorded at: %d rows, want 1", fault.ErrUnavailable, len(rows))
	}
	cp, _ := rows[0]["checkpoint"].(int64)
	if events.Position(cp) < pos || rows[0]["at"] == nil {
		return time.Time{}, false, nil
	}
	s, _ := rows[0]["at"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: neo4j graph reader: recorded at %d: %w", fault.ErrUnavailable, pos, err)
	}
	return t, true, nil
}

// Ancestors implements graph.Reader: at most three statements (the branch, StmtAncestors, the
// nodes): the parent first, the root last, at most graph.MaxDepth.
func (r *Reader) Ancestors(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	return r.walk(ctx, s, id, "parent", StmtAncestors)
}

// Descendants implements graph.Reader: at most three statements (the branch, StmtDescendants,
// the nodes): breadth first, within a level by parent then id, at most graph.MaxDepth levels.
func (r *Reader) Descendants(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	return r.walk(ctx, s, id, "children", StmtDescendants)
}

func (r *Reader) walk(ctx context.Context, s graph.Scope, id, rel, stmt string) ([]graph.Node, error) {
	rd, err := r.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	defer rd.tx.Close(ctx)
	rows, err := rd.run(ctx, stmt, map[string]any{"id": id, "rels": hierarchyIdentifiers(rd.set, rel)})
	if err != nil {
		return nil, err
	}
	ids, err := WalkFromRows(rd.set, rows, id, rel)
	if err != nil {
		if errors.Is(err, graph.ErrNotFound) {
			return nil, fmt.Errorf("%w on branch %s", err, rd.branch)
		}
		return nil, err
	}
	ns, err := rd.nodes(ctx, ids, nil)
	if err != nil {
		return nil, err
	}
	if ns == nil {
		ns = []graph.Node{}
	}
	return ns, nil
}

// hierarchyIdentifiers is the identifiers of the hierarchical relationships named rel of the
// schema's node kinds (Infrahub's: "parent__child").
func hierarchyIdentifiers(set *schema.Set, rel string) []string {
	var out []string
	for _, m := range set.Nodes() {
		if rs := m.Relationship(rel); rs != nil && rs.Kind == schema.RelHierarchy && !slices.Contains(out, rs.Identifier) {
			out = append(out, rs.Identifier)
		}
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// WalkFromRows walks the rows of StmtAncestors (rel "parent") or StmtDescendants (rel
// "children") from node id: the ids of the ancestors (the first live parent of each level, in id
// order, never one seen before) or of the descendants (level by level; within a level by parent
// then id), at most graph.MaxDepth nodes or levels. No row: the node does not exist in scope
// (graph.ErrNotFound); a kind that is not hierarchical wraps graph.ErrInvalidQuery.
func WalkFromRows(set *schema.Set, rows []map[string]any, id, rel string) ([]string, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: %q", graph.ErrNotFound, id)
	}
	kind, _ := rows[0]["kind"].(string)
	var rs *schema.Relationship
	if m, ok := set.Model(kind); ok {
		rs = m.Relationship(rel)
	}
	if rs == nil || rs.Kind != schema.RelHierarchy {
		return nil, fmt.Errorf("%w: %s is not hierarchical", graph.ErrInvalidQuery, kind)
	}
	peers := map[string][]string{}
	for _, row := range rows {
		n, ok := row["id"].(string)
		if !ok {
			return nil, fmt.Errorf("%w: neo4j graph reader: hierarchy row without id", fault.ErrUnavailable)
		}
		list, _ := row["peers"].([]any)
		for _, x := range list {
			e, _ := x.(map[string]any)
			name, _ := e["rel"].(string)
			p, _ := e["peer"].(string)
			if name == rs.Identifier && p != "" && !slices.Contains(peers[n], p) {
				peers[n] = append(peers[n], p)
			}
		}
		slices.Sort(peers[n])
	}
	seen := map[string]bool{id: true}
	var out []string
	if rel == "parent" {
		cur := id
		for range graph.MaxDepth {
			next := ""
			for _, p := range peers[cur] {
				if !seen[p] {
					next = p
					break
				}
			}
			if next == "" {
				break
			}
			seen[next] = true
			out = append(out, next)
			cur = next
		}
		return out, nil
	}
	level := []string{id}
	for depth := 0; depth < graph.MaxDepth && len(level) > 0; depth++ {
		var next []string
		for _, parent := range level {
			for _, c := range peers[parent] {
				if !seen[c] {
					seen[c] = true
					next = append(next, c)
				}
			}
		}
		out = append(out, next...)
		level = next
	}
	return out, nil
}
