package rest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
)

// Diffs serves GET /api/diff?branch=&min_position=: what a branch changed since its base, node
// by node, with what the default branch did to the same nodes and the conflicts (nodes.Diff).
// The answer's counts.unresolved is what blocks a merge or a rebase.
type Diffs struct {
	Store   *nodes.Store
	WaitFor func(ctx context.Context, pos int64) error
}

// Register adds the route to mux.
func (d *Diffs) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/diff", d.diff)
}

func (d *Diffs) diff(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("branch")
	if name == "" {
		writeError(w, fmt.Errorf("%w: parameter branch is missing", commands.ErrInvalid))
		return
	}
	if raw := q.Get("min_position"); raw != "" {
		pos, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || pos < 0 {
			writeError(w, fmt.Errorf("%w: parameter min_position: %q is not a log position", commands.ErrInvalid, raw))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := d.WaitFor(ctx, pos); err != nil {
			writeError(w, fmt.Errorf("waiting for position %d: %w", pos, err))
			return
		}
	}
	diff, err := d.Store.Diff(name)
	if err != nil {
		writeError(w, fmt.Errorf("parameter branch: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, diff)
}
