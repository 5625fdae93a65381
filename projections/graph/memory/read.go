package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

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

// DisplayLabel answers the display label of node id in scope (what Get answers as
// DisplayLabel) without reading the rest of the node: the activity hub names a node it derives
// an event for by it. An unknown node wraps graph.ErrNotFound.
func (r *Reader) DisplayLabel(ctx context.Context, s graph.Scope, id string) (string, error) {
	v, err := r.view(ctx, s)
	if err != nil {
		return "", err
	}
	nid, err := bg.ParseNodeID(id)
	if err != nil {
		return "", fmt.Errorf("%w: %q", graph.ErrNotFound, id)
	}
	if _, ok := v.Kind(nid); !ok {
		return "", fmt.Errorf("%w: %q on branch %s", graph.ErrNotFound, id, v.Branch)
	}
	return v.DisplayLabel(nid), nil
}
