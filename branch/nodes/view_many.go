package nodes

import (
	"github.com/infrahub-go/infrahub/branch/graph"
)

// AttrValues is the value of attribute name of each of ids (Attr(id, name).Value, nil when
// never set), read at once: a reader filtering or sorting many nodes by an attribute.
func (v *View) AttrValues(ids []graph.NodeID, name string) []any {
	out := make([]any, len(ids))
	f, ok := v.fid(AttrField(name))
	if !ok || len(ids) == 0 {
		return out
	}
	if err := v.g.Many().Data(v.gname, ids, f, v.at(), out); err != nil {
		clear(out)
	}
	return out
}

// NodeFields reads, for a reader of many nodes, the fields it reads of each one at once: the
// node's human-friendly id, display label and metadata, and the attributes a NodeFields was
// made for. A NodeFields is not safe for concurrent use.
type NodeFields struct {
	v     *View
	fids  []graph.FieldID // the four fixed fields, then the attributes
	known []bool          // by position in fids: stored under that name at least once
	ask   []graph.FieldID // the known fields, asked of the graph
	vals  []graph.Value
	oks   []bool
}

// The fixed fields' places in NodeFields.fids.
const (
	nfHFID = iota
	nfLabel
	nfCreated
	nfUpdated
	nfAttrs
)

// Fixed names fixed fields a NodeFields does not read (their NodeRead parts stay empty).
type Fixed uint8

const (
	FixedHFID  Fixed = 1 << iota // the human-friendly id
	FixedLabel                   // the display label
	FixedMeta                    // created and updated
)

// NodeFields prepares the reads of the fixed fields but those of skip, and of attrs (fields
// resolved by FieldOf; ok false: never stored).
func (v *View) NodeFields(attrs []graph.FieldID, ok []bool, skip Fixed) *NodeFields {
	r := &NodeFields{v: v}
	for i, name := range []string{FieldHFID, FieldLabel, FieldCreated, FieldUpdated} {
		f, ok := v.fid(name)
		if skip&FixedHFID != 0 && i == nfHFID || skip&FixedLabel != 0 && i == nfLabel || skip&FixedMeta != 0 && i >= nfCreated {
			ok = false
		}
		r.fids, r.known = append(r.fids, f), append(r.known, ok)
	}
	r.fids, r.known = append(r.fids, attrs...), append(r.known, ok...)
	for i, f := range r.fids {
		if r.known[i] {
			r.ask = append(r.ask, f)
		}
	}
	r.vals, r.oks = make([]graph.Value, len(r.ask)), make([]bool, len(r.ask))
	return r
}

// NodeRead is what NodeFields.Read answers of one node: what HFID, DisplayLabel and Meta
// answer, and the attributes in the order they were asked (Attr.Value nil and Has false:
// never set).
type NodeRead struct {
	HFID             []string
	DisplayLabel     string
	Created, Updated Stamp
	Attrs            []Attr
	Has              []bool
}

// Read reads node id into out (its Attrs and Has reused when long enough).
func (r *NodeFields) Read(id graph.NodeID, out *NodeRead) {
	n := len(r.fids) - nfAttrs
	out.Attrs, out.Has = resize(out.Attrs, n), resize(out.Has, n)
	if err := r.v.g.Many().Fields(r.v.gname, id, r.ask, r.v.at(), r.vals, r.oks); err != nil {
		clear(r.oks)
	}
	j := 0
	for i := range r.fids {
		var val graph.Value
		ok := false
		if r.known[i] {
			val, ok = r.vals[j], r.oks[j]
			j++
		}
		switch i {
		case nfHFID:
			out.HFID = hfidOf(val.Data)
		case nfLabel:
			out.DisplayLabel, _ = val.Data.(string)
		case nfCreated:
			out.Created = stampOf(val.Data)
		case nfUpdated:
			out.Updated = stampOf(val.Data)
		default:
			out.Attrs[i-nfAttrs], out.Has[i-nfAttrs] = attrOf(val, ok), ok
		}
	}
	clear(r.vals) // keeps no value alive
}

// attrOf is AttrAt's answer for a slot's value.
func attrOf(val graph.Value, ok bool) Attr {
	if !ok {
		return Attr{}
	}
	a := Attr{Value: val.Data, IsProtected: val.Lineage.IsProtected, IsDefault: val.Lineage.IsDefault}
	if !val.Lineage.Source.IsZero() {
		a.Source = val.Lineage.Source.String()
	}
	if !val.Lineage.Owner.IsZero() {
		a.Owner = val.Lineage.Owner.String()
	}
	return a
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
