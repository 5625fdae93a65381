package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Dump serves GET /api/dump?branch=&at=&min_position=: every node of a branch with its
// attributes and peers (graph.Dump), for backups, comparisons and tests. at is a log position
// (0: the head) or an RFC 3339 time; a time before the first write answers an empty dump at
// position 0.
type Dump struct {
	Graph   graph.Dumper
	Default string // the default branch
}

// Register adds the route to mux.
func (d *Dump) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/dump", d.dump)
}

func (d *Dump) dump(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s := graph.Scope{Branch: q.Get("branch")}
	if s.Branch == "" {
		s.Branch = d.Default
	}
	if raw := q.Get("at"); raw != "" {
		if num, err := strconv.ParseInt(raw, 10, 64); err == nil && num >= 0 {
			s.At = events.Position(num)
		} else if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
			s.Time = t
		} else {
			writeError(w, fmt.Errorf("%w: parameter at: %q is neither a log position nor an RFC 3339 time", fault.ErrInvalid, raw))
			return
		}
	}
	dump, err := d.Graph.Dump(r.Context(), s)
	if err != nil {
		writeError(w, fmt.Errorf("parameter branch: %w", err))
		return
	}
	may := authz.Viewer(authz.From(r.Context()), s.Branch == d.Default)
	kept := make([]graph.DumpedNode, 0, len(dump.Nodes))
	for _, n := range dump.Nodes {
		if may(n.Kind) { // the nodes of kinds the identity may not view are left out
			kept = append(kept, n)
		}
	}
	dump.Nodes = kept
	for i, n := range dump.Nodes {
		dump.Nodes[i].HFID = values.AnsweredHFID(n.Kind, n.HFID)
		for name, a := range n.Attributes {
			if !values.Hidden(n.Kind, name, a.Value) {
				continue
			}
			// A password hash or a token digest is never answered; the map may be the
			// projection's, so the node gets a copy.
			attrs := make(map[string]graph.DumpedAttribute, len(n.Attributes))
			for k, v := range n.Attributes {
				if values.Hidden(n.Kind, k, v.Value) {
					v.Value = nil
				}
				attrs[k] = v
			}
			dump.Nodes[i].Attributes = attrs
			break
		}
	}
	writeJSON(w, http.StatusOK, dump)
}
