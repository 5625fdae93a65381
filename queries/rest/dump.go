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

// Dump serves GET /api/dump?branch=&at=&min_position=: every node of a branch with its
// attributes and peers (nodes.View.Dump), for backups, comparisons and tests.
type Dump struct {
	Store   *nodes.Store
	Default string
	// WaitFor waits until the projection reached a position (read-your-writes).
	WaitFor func(ctx context.Context, pos int64) error
}

// Register adds the route to mux.
func (d *Dump) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/dump", d.dump)
}

func (d *Dump) dump(w http.ResponseWriter, r *http.Request) {
	v, err := viewOf(r, d.Store, d.Default, d.WaitFor)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"branch": v.Branch, "position": v.Position, "nodes": v.Dump()})
}

// viewOf resolves the read parameters every data endpoint takes: branch, at (a log position or
// an RFC 3339 time) and min_position (wait, bounded, until the projection has reached it).
func viewOf(r *http.Request, store *nodes.Store, def string, waitFor func(context.Context, int64) error) (*nodes.View, error) {
	q := r.URL.Query()
	name := q.Get("branch")
	if name == "" {
		name = def
	}
	if raw := q.Get("min_position"); raw != "" {
		pos, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || pos < 0 {
			return nil, fmt.Errorf("%w: parameter min_position: %q is not a log position", commands.ErrInvalid, raw)
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := waitFor(ctx, pos); err != nil {
			return nil, fmt.Errorf("waiting for position %d: %w", pos, err)
		}
	}
	var at int64
	if raw := q.Get("at"); raw != "" {
		if pos, err := strconv.ParseInt(raw, 10, 64); err == nil && pos >= 0 {
			at = pos
		} else if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
			at = store.PositionAt(t)
			if at == 0 {
				at = -1 // before the first write: nothing
			}
		} else {
			return nil, fmt.Errorf("%w: parameter at: %q is neither a log position nor an RFC 3339 time", commands.ErrInvalid, raw)
		}
	}
	v, err := store.View(name, max(at, 0))
	if err != nil {
		return nil, fmt.Errorf("%w: parameter branch: %v", commands.ErrNotFound, err)
	}
	if at < 0 {
		v.Position = 0
	}
	return v, nil
}
