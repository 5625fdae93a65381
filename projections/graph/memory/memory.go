// Package memory is the graph read port (projections/graph) over the embedded nodes.Store: every
// read takes an immutable nodes.View of the branch at the position and answers from it.
//
// Lists scan the nodes of the kind: each filter narrows the candidates in one pass (relationship
// filters read the peers of every candidate in one batched call and look each peer up once),
// then the sort keys are read once per node, the nodes are sorted and only the page is read in
// full. Everything is linear in the kind's size, up to the sort.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Reader implements graph.Reader over a nodes.Store.
//
// It also forwards the projector methods (Name, Version, Apply, Reset) to the Store, so that it
// can stand alone as the graph projection (as in the contract suite). When the Store is already
// run as a projector, leave them alone: the Store skips positions it has applied anyway.
type Reader struct {
	store *nodes.Store
}

var _ graph.Reader = (*Reader)(nil)

// New returns the Reader of store.
func New(store *nodes.Store) *Reader { return &Reader{store: store} }

// Name implements projections.Projector.
func (r *Reader) Name() string { return r.store.Name() }

// Version implements projections.Projector.
func (r *Reader) Version() int { return r.store.Version() }

// Apply implements projections.Projector.
func (r *Reader) Apply(ctx context.Context, batch []events.Envelope) error {
	return r.store.Apply(ctx, batch)
}

// Reset implements projections.Resetter.
func (r *Reader) Reset(ctx context.Context) error { return r.store.Reset(ctx) }

func (r *Reader) view(ctx context.Context, s graph.Scope) (*nodes.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := s.Branch
	if name == "" {
		name = branch.Default
	}
	v, err := r.store.View(name, s.At)
	if err != nil {
		return nil, fmt.Errorf("%w: %q (%w)", graph.ErrBranchNotFound, name, err)
	}
	return v, nil
}

// PositionAt implements graph.Reader.
func (r *Reader) PositionAt(_ context.Context, t time.Time) (int64, error) {
	return r.store.PositionAt(t), nil
}

// Get implements graph.Reader.
func (r *Reader) Get(ctx context.Context, s graph.Scope, id string) (graph.Node, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return graph.Node{}, err
	}
	nid, err := bg.ParseNodeID(id)
	if err != nil {
		return graph.Node{}, fmt.Errorf("%w: %q", graph.ErrNotFound, id)
	}
	kind, ok := v.Kind(nid)
	if !ok {
		return graph.Node{}, fmt.Errorf("%w: %q on branch %s", graph.ErrNotFound, id, v.Branch)
	}
	return read(v, nid, kind, nil), nil
}

// read builds a node of kind.
func read(v *nodes.View, id bg.NodeID, kind string, fields []string) graph.Node {
	return (&reader{v: v}).read(id, kind, fields)
}

// reader reads many nodes of one View, resolving each kind's attribute fields once.
type reader struct {
	v        *nodes.View
	attrs    map[string][]attrField // by kind
	profiles map[string]bool        // source id → is a profile
}

// isProfile reports whether an attribute's source is a profile (its value came from it).
func (r *reader) isProfile(source string) bool {
	if source == "" {
		return false
	}
	if is, ok := r.profiles[source]; ok {
		return is
	}
	is := false
	if id, err := bg.ParseNodeID(source); err == nil {
		k, _ := r.v.Kind(id)
		is = strings.HasPrefix(k, "Profile")
	}
	if r.profiles == nil {
		r.profiles = map[string]bool{}
	}
	r.profiles[source] = is
	return is
}

// attrField is an attribute of a kind and its stored field (ok false: never stored).
type attrField struct {
	name string
	id   bg.FieldID
	ok   bool
}

func (r *reader) fieldsOf(kind string, fields []string) []attrField {
	if fs, ok := r.attrs[kind]; ok {
		return fs
	}
	var fs []attrField
	if m, ok := r.v.Schema.Model(kind); ok {
		for _, a := range m.Attributes {
			if a.State == schema.StateAbsent || fields != nil && !slices.Contains(fields, a.Name) {
				continue
			}
			id, ok := r.v.FieldOf(nodes.AttrField(a.Name))
			fs = append(fs, attrField{a.Name, id, ok})
		}
	}
	if r.attrs == nil {
		r.attrs = map[string][]attrField{}
	}
	r.attrs[kind] = fs
	return fs
}

func (r *reader) read(id bg.NodeID, kind string, fields []string) graph.Node {
	v := r.v
	n := graph.Node{ID: id.String(), Kind: kind, HFID: v.HFID(id), DisplayLabel: v.DisplayLabel(id)}
	if fs := r.fieldsOf(kind, fields); fs != nil {
		n.Attributes = make(map[string]graph.Attribute, len(fs))
		for _, f := range fs {
			var st nodes.Attr
			ok := false
			if f.ok {
				st, ok = v.AttrAt(id, f.id)
			}
			if !ok {
				n.Attributes[f.name] = graph.Attribute{IsDefault: true}
				continue
			}
			n.Attributes[f.name] = graph.Attribute{Value: st.Value, IsDefault: st.IsDefault, Source: st.Source,
				Owner: st.Owner, IsProtected: st.IsProtected, IsFromProfile: r.isProfile(st.Source)}
		}
	}
	if _, asked := n.Attributes["utilization"]; asked {
		if u, ok := v.Utilization(id); ok { // an IP prefix's, computed when read
			n.Attributes["utilization"] = graph.Attribute{Value: u}
		}
	}
	created, updated := v.Meta(id)
	n.CreatedAt, n.CreatedBy = created.At, created.By
	n.UpdatedAt, n.UpdatedBy = updated.At, updated.By
	return n
}

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
	rd := &reader{v: v}
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
		return keep(ids, func(_ int, id bg.NodeID) bool {
			a, _ := v.Attr(id, f.Attr)
			return f.Match(a.Value)
		})
	case graph.OpAttrNull:
		return keep(ids, func(_ int, id bg.NodeID) bool {
			a, _ := v.Attr(id, f.Attr)
			return (a.Value == nil) == f.Null
		})
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
			for i, id := range ids {
				a, _ := v.Attr(id, key.Attr)
				col[i] = graph.Normalize(a.Value)
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

// Peers implements graph.Reader.
func (r *Reader) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	m, ok := v.Schema.Model(kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", graph.ErrInvalidQuery, kind)
	}
	rr := m.Relationship(rel)
	if rr == nil || rr.State == schema.StateAbsent {
		return nil, fmt.Errorf("%w: %s has no relationship %q", graph.ErrInvalidQuery, kind, rel)
	}
	field := relField(rr)
	nids := make([]bg.NodeID, 0, len(ids))
	for _, id := range ids {
		if nid, err := bg.ParseNodeID(id); err == nil {
			nids = append(nids, nid)
		}
	}
	peers := v.PeersOf(nids, field)
	kinds := map[bg.NodeID]string{}
	out := make(map[string][]graph.Edge, len(nids))
	for i, id := range nids {
		if len(peers[i]) == 0 {
			continue
		}
		if _, live := v.Kind(id); !live {
			continue
		}
		props := v.Props(id, field)
		var edges []graph.Edge
		for _, p := range peers[i] {
			pk, ok := kinds[p]
			if !ok {
				pk, _ = v.Kind(p)
				kinds[p] = pk
			}
			if pk == "" {
				continue
			}
			edges = append(edges, graph.Edge{Peer: p.String(), PeerKind: pk, Source: props.Source, Owner: props.Owner,
				IsProtected: props.IsProtected})
		}
		if len(edges) > 0 {
			slices.SortFunc(edges, func(a, b graph.Edge) int {
				pa, _ := bg.ParseNodeID(a.Peer)
				pb, _ := bg.ParseNodeID(b.Peer)
				return pa.Compare(pb)
			})
			out[id.String()] = edges
		}
	}
	return out, nil
}

// hierarchy returns the hierarchical relationship rel ("parent" or "children") of a live node.
func hierarchy(v *nodes.View, id string, rel string) (bg.NodeID, string, error) {
	nid, err := bg.ParseNodeID(id)
	if err != nil {
		return nid, "", fmt.Errorf("%w: %q", graph.ErrNotFound, id)
	}
	kind, ok := v.Kind(nid)
	if !ok {
		return nid, "", fmt.Errorf("%w: %q on branch %s", graph.ErrNotFound, id, v.Branch)
	}
	m, _ := v.Schema.Model(kind)
	var r *schema.Relationship
	if m != nil {
		r = m.Relationship(rel)
	}
	if r == nil || r.Kind != schema.RelHierarchy {
		return nid, "", fmt.Errorf("%w: %s is not hierarchical", graph.ErrInvalidQuery, kind)
	}
	return nid, relField(r), nil
}

// Ancestors implements graph.Reader.
func (r *Reader) Ancestors(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	cur, field, err := hierarchy(v, id, "parent")
	if err != nil {
		return nil, err
	}
	seen := map[bg.NodeID]bool{cur: true}
	var out []graph.Node
	for range graph.MaxDepth {
		var next bg.NodeID
		var kind string
		for _, p := range v.Peers(cur, field) {
			if k, live := v.Kind(p); live && !seen[p] {
				next, kind = p, k
				break
			}
		}
		if kind == "" {
			break
		}
		seen[next] = true
		out = append(out, read(v, next, kind, nil))
		cur = next
	}
	return out, nil
}

// Descendants implements graph.Reader.
func (r *Reader) Descendants(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return nil, err
	}
	root, field, err := hierarchy(v, id, "children")
	if err != nil {
		return nil, err
	}
	seen := map[bg.NodeID]bool{root: true}
	level := []bg.NodeID{root}
	var out []graph.Node
	for depth := 0; depth < graph.MaxDepth && len(level) > 0; depth++ {
		var next []bg.NodeID
		for _, ps := range v.PeersOf(level, field) {
			var children []bg.NodeID
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					children = append(children, p)
				}
			}
			slices.SortFunc(children, bg.NodeID.Compare)
			for _, c := range children {
				if k, live := v.Kind(c); live {
					out = append(out, read(v, c, k, nil))
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return out, nil
}
