package neo4j

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Dump implements graph.Dumper: at most three statements (the branch, StmtDump, the
// checkpoint for the position the dump reflects).
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
