package rest

import (
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Diffs serves GET /api/diff?branch=&min_position=: what a branch changed since its base, node
// by node, with what the default branch did to the same nodes and the conflicts (branch.Diff).
// The answer's counts.unresolved is what blocks a merge or a rebase.
type Diffs struct {
	Graph graph.Differ
}

// Register adds the route to mux.
func (d *Diffs) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/diff", d.diff)
}

func (d *Diffs) diff(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("branch")
	if name == "" {
		writeError(w, fmt.Errorf("%w: parameter branch is missing", fault.ErrInvalid))
		return
	}
	diff, err := d.Graph.Diff(r.Context(), name)
	if err != nil {
		writeError(w, fmt.Errorf("parameter branch: %w", err))
		return
	}
	may := authz.Viewer(authz.From(r.Context()), false)
	kept := diff.Nodes[:0:0]
	for _, n := range diff.Nodes {
		if may(n.Kind) { // the changes to kinds the identity may not view are left out
			kept = append(kept, n)
		}
	}
	diff.Nodes = kept
	writeJSON(w, http.StatusOK, diffAnswer(diff))
}
