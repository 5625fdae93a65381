package nodes

import (
	"sort"

	"github.com/infrahub-go/infrahub/schema"
)

// DumpedNode is one node in a Dump.
type DumpedNode struct {
	ID            string              `json:"id"`
	Kind          string              `json:"kind"`
	HFID          []string            `json:"hfid,omitempty"`
	DisplayLabel  string              `json:"display_label,omitempty"`
	Attributes    map[string]Attr     `json:"attributes"`
	Relationships map[string][]string `json:"relationships,omitempty"`
}

// Dump lists every live node of every node kind of the branch's schema, with its attributes and
// relationship peers, sorted by kind then id: a stable picture of a branch to compare two states
// with (after a restart, a replay, a merge).
func (v *View) Dump() []DumpedNode {
	var out []DumpedNode
	kinds := make([]*schema.Node, 0)
	kinds = append(kinds, v.Schema.Nodes()...)
	kinds = append(kinds, v.Schema.Profiles()...)
	kinds = append(kinds, v.Schema.Templates()...)
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].Kind < kinds[j].Kind })
	for _, m := range kinds {
		for _, id := range v.Nodes(m.Kind) {
			d := DumpedNode{ID: id.String(), Kind: m.Kind, HFID: v.HFID(id), DisplayLabel: v.DisplayLabel(id),
				Attributes: map[string]Attr{}}
			for _, a := range m.Attributes {
				if x, ok := v.Attr(id, a.Name); ok {
					d.Attributes[a.Name] = x
				}
			}
			for _, r := range m.Relationships {
				peers := v.Peers(id, RelField(r.Identifier, r.Direction))
				if len(peers) == 0 {
					continue
				}
				if d.Relationships == nil {
					d.Relationships = map[string][]string{}
				}
				list := make([]string, 0, len(peers))
				for _, p := range peers {
					if _, live := v.Kind(p); live {
						list = append(list, p.String())
					}
				}
				d.Relationships[r.Name] = list
			}
			out = append(out, d)
		}
	}
	return out
}
