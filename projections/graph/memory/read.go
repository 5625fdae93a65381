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
	attrs    map[string]*kindFields // by kind
	profiles map[string]bool        // source id → is a profile
	got      nodes.NodeRead         // scratch of read
	omit     graph.NodeParts        // the parts of the nodes left empty (Query.Omit)
}

// kindFields is what reader reads of the nodes of one kind: its attribute fields, and the
// View's reader of them and of the fixed fields.
type kindFields struct {
	attrs []attrField
	read  *nodes.NodeFields
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

func (r *reader) fieldsOf(kind string, fields []string) *kindFields {
	if kf, ok := r.attrs[kind]; ok {
		return kf
	}
	kf := &kindFields{}
	var ids []bg.FieldID
	var known []bool
	if m, ok := r.v.Schema.Model(kind); ok {
		for _, a := range m.Attributes {
			if a.State == schema.StateAbsent || fields != nil && !slices.Contains(fields, a.Name) {
				continue
			}
			id, ok := r.v.FieldOf(nodes.AttrField(a.Name))
			kf.attrs = append(kf.attrs, attrField{a.Name, id, ok})
			ids, known = append(ids, id), append(known, ok)
		}
	}
	var skip nodes.Fixed
	if r.omit&graph.OmitHFID != 0 {
		skip |= nodes.FixedHFID
	}
	if r.omit&graph.OmitLabel != 0 {
		skip |= nodes.FixedLabel
	}
	if r.omit&graph.OmitMeta != 0 {
		skip |= nodes.FixedMeta
	}
	kf.read = r.v.NodeFields(ids, known, skip)
	if r.attrs == nil {
		r.attrs = map[string]*kindFields{}
	}
	r.attrs[kind] = kf
	return kf
}

func (r *reader) read(id bg.NodeID, kind string, fields []string) graph.Node {
	v := r.v
	kf := r.fieldsOf(kind, fields)
	got := &r.got
	kf.read.Read(id, got)
	n := graph.Node{ID: id.String(), Kind: kind, HFID: got.HFID, DisplayLabel: got.DisplayLabel}
	if fs := kf.attrs; fs != nil {
		n.Attributes = make(map[string]graph.Attribute, len(fs))
		for i, f := range fs {
			if !got.Has[i] {
				n.Attributes[f.name] = graph.Attribute{IsDefault: true}
				continue
			}
			st := &got.Attrs[i]
			n.Attributes[f.name] = graph.Attribute{Value: st.Value, IsDefault: st.IsDefault, Source: st.Source,
				Owner: st.Owner, IsProtected: st.IsProtected, IsFromProfile: r.isProfile(st.Source)}
		}
	}
	if _, asked := n.Attributes["utilization"]; asked {
		if u, ok := v.Utilization(id); ok { // an IP prefix's, computed when read
			n.Attributes["utilization"] = graph.Attribute{Value: u}
		}
	}
	n.CreatedAt, n.CreatedBy = got.Created.At, got.Created.By
	n.UpdatedAt, n.UpdatedBy = got.Updated.At, got.Updated.By
	clear(got.Attrs) // keeps no value alive
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
