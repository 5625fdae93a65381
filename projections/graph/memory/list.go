package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// List implements graph.Reader.
func (r *Reader) List(ctx context.Context, s graph.Scope, q graph.Query) (graph.Page, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return graph.Page{}, fmt.Errorf("%w: negative offset or limit", graph.ErrInvalidQuery)
	}
	v, err := r.view(ctx, s)
	if err != nil {
		return graph.Page{}, err
	}
	fs, err := graph.ParseFilters(v.Schema, q.Kind, q.Filters, q.PartialMatch)
	if err != nil {
		return graph.Page{}, err
	}
	keys, err := graph.ResolveOrder(v.Schema, q.Kind, q.OrderBy)
	if err != nil {
		return graph.Page{}, err
	}
	ids := match(v, q.Kind, fs)
	count := len(ids)
	if !graph.ByID(keys) {
		ids = sortIDs(v, ids, keys)
	}
	lo := min(q.Offset, len(ids))
	hi := len(ids)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, hi)
	}
	page := graph.Page{Count: count, Nodes: make([]graph.Node, 0, hi-lo)}
	rd := &reader{v: v, omit: q.Omit}
	for _, id := range ids[lo:hi] {
		kind, ok := v.Kind(id)
		if !ok {
			continue
		}
		page.Nodes = append(page.Nodes, rd.read(id, kind, q.Fields))
	}
	return page, nil
}

// Count implements graph.Reader.
func (r *Reader) Count(ctx context.Context, s graph.Scope, kind string, filters map[string]any) (int, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return 0, err
	}
	fs, err := graph.ParseFilters(v.Schema, kind, filters, false)
	if err != nil {
		return 0, err
	}
	if len(fs) == 0 {
		return int(v.Count(kind)), nil
	}
	return len(match(v, kind, fs)), nil
}

// match lists the live nodes of kind (in id order) that pass every filter.
func match(v *nodes.View, kind string, fs []graph.Filter) []bg.NodeID {
	var ids []bg.NodeID
	if i := slices.IndexFunc(fs, func(f graph.Filter) bool { return f.Op == graph.OpIDs }); i >= 0 {
		ids = byIDs(v, kind, fs[i].Values) // no scan of the kind
	} else {
		ids = v.Nodes(kind)
	}
	for i := range fs {
		if len(ids) == 0 {
			break
		}
		ids = apply(v, ids, &fs[i])
	}
	return ids
}

// byIDs is the live nodes of kind among ids, sorted, without duplicates.
func byIDs(v *nodes.View, kind string, ids []any) []bg.NodeID {
	kinds := v.Kinds(kind)
	out := make([]bg.NodeID, 0, len(ids))
	for _, x := range ids {
		id, err := bg.ParseNodeID(x.(string))
		if err != nil {
			continue
		}
		if k, ok := v.Kind(id); ok && slices.Contains(kinds, k) {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, bg.NodeID.Compare)
	return slices.Compact(out)
}

// apply keeps the ids passing f, in place.
func apply(v *nodes.View, ids []bg.NodeID, f *graph.Filter) []bg.NodeID {
	switch f.Op {
	case graph.OpIDs:
		want := make(map[string]bool, len(f.Values))
		for _, x := range f.Values {
			if id, err := bg.ParseNodeID(x.(string)); err == nil {
				want[id.String()] = true
			}
		}
		return keep(ids, func(_ int, id bg.NodeID) bool { return want[id.String()] })
	case graph.OpHFID:
		return keep(ids, func(_ int, id bg.NodeID) bool {
			h := v.HFID(id)
			if len(h) != len(f.Values) {
				return false
			}
			for i, x := range f.Values {
				if h[i] != x.(string) {
					return false
				}
			}
			return true
		})
	case graph.OpAttr:
		vals := v.AttrValues(ids, f.Attr)
		return keep(ids, func(i int, _ bg.NodeID) bool { return f.Match(vals[i]) })
	case graph.OpAttrNull:
		vals := v.AttrValues(ids, f.Attr)
		return keep(ids, func(i int, _ bg.NodeID) bool { return (vals[i] == nil) == f.Null })
	case graph.OpAny:
		attrs := map[string][]string{} // attribute names by kind
		return keep(ids, func(_ int, id bg.NodeID) bool {
			kind, _ := v.Kind(id)
			names, ok := attrs[kind]
			if !ok {
				if m, ok := v.Schema.Model(kind); ok {
					for _, a := range m.Attributes {
						if a.State != schema.StateAbsent {
							names = append(names, a.Name)
						}
					}
				}
				attrs[kind] = names
			}
			for _, name := range names {
				if a, ok := v.Attr(id, name); ok && f.MatchAny(a.Value) {
					return true
				}
			}
			return false
		})
	case graph.OpRelIDs, graph.OpRelAttr, graph.OpRelNull:
		peers := v.PeersOf(ids, relField(f.Rel))
		ok := peerTest(v, f)
		return keep(ids, func(i int, _ bg.NodeID) bool {
			for _, p := range peers[i] {
				if ok(p) {
					return f.Op != graph.OpRelNull || !f.Null
				}
			}
			return f.Op == graph.OpRelNull && f.Null
		})
	}
	return nil
}

// peerTest tells whether a peer is live and passes f (for OpRelNull: is live), looking each
// peer up once.
func peerTest(v *nodes.View, f *graph.Filter) func(bg.NodeID) bool {
	seen := map[bg.NodeID]bool{}
	var want map[string]bool
	if f.Op == graph.OpRelIDs {
		want = make(map[string]bool, len(f.Values))
		for _, x := range f.Values {
			if id, err := bg.ParseNodeID(x.(string)); err == nil {
				want[id.String()] = true
			}
		}
	}
	return func(p bg.NodeID) bool {
		if r, ok := seen[p]; ok {
			return r
		}
		_, live := v.Kind(p)
		r := live
		switch {
		case !live:
		case f.Op == graph.OpRelIDs:
			r = want[p.String()]
		case f.Op == graph.OpRelAttr:
			a, _ := v.Attr(p, f.Attr)
			r = f.Match(a.Value)
		}
		seen[p] = r
		return r
	}
}

func keep(ids []bg.NodeID, ok func(int, bg.NodeID) bool) []bg.NodeID {
	out := ids[:0:0]
	for i, id := range ids {
		if ok(i, id) {
			out = append(out, id)
		}
	}
	return out
}

func relField(r *schema.Relationship) string { return nodes.RelField(r.Identifier, r.Direction) }

// sortIDs sorts ids (in id order) by keys, then by id.
func sortIDs(v *nodes.View, ids []bg.NodeID, keys []graph.SortKey) []bg.NodeID {
	vals := make([][]any, len(keys)) // by key, then by position in ids
	for k, key := range keys {
		col := make([]any, len(ids))
		switch {
		case key.Meta == graph.OrderID:
			for i, id := range ids {
				col[i] = id.String()
			}
		case key.Meta != "":
			for i, id := range ids {
				c, u := v.Meta(id)
				t := c.At
				if key.Meta == graph.OrderUpdatedAt {
					t = u.At
				}
				col[i] = float64(t.UnixNano())
			}
		case key.Rel != nil:
			peers := v.PeersOf(ids, relField(key.Rel))
			cache := map[bg.NodeID]any{}
			for i, ps := range peers {
				for _, p := range ps {
					val, ok := cache[p]
					if !ok {
						if _, live := v.Kind(p); live {
							a, _ := v.Attr(p, key.Attr)
							val = graph.Normalize(a.Value)
						}
						cache[p] = val
					}
					if val != nil {
						col[i] = val
						break
					}
				}
			}
		default:
			for i, val := range v.AttrValues(ids, key.Attr) {
				col[i] = graph.Normalize(val)
			}
		}
		vals[k] = col
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		for k, key := range keys {
			c := graph.Compare(vals[k][ia], vals[k][ib])
			if key.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return ia < ib // ids come in id order
	})
	out := make([]bg.NodeID, len(ids))
	for i, j := range idx {
		out[i] = ids[j]
	}
	return out
}
