package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
)

// BranchList answers the branches.
type BranchList interface {
	Branches() []branch.Info
	Branch(name string) (branch.Info, bool)
}

// Recorder answers when a log position was written (graph.Reader's RecordedAt).
type Recorder interface {
	RecordedAt(ctx context.Context, pos events.Position) (time.Time, bool, error)
}

// Branches serves GET /api/branches and GET /api/branches/{name...} (names may hold '/').
type Branches struct {
	State BranchList
	// Graph dates the default branch, which no event created, from the log's first write (as
	// GraphQL's Branch does); without it, or before any write, its created_at is null.
	Graph Recorder
}

// Register adds the routes to mux.
func (b *Branches) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/branches", func(w http.ResponseWriter, r *http.Request) {
		list := b.State.Branches()
		out := make([]branchJSON, len(list))
		for i, info := range list {
			out[i] = b.answer(r.Context(), info)
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/branches/{name...}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		info, ok := b.State.Branch(name)
		if !ok {
			writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "branch " + name + " does not exist"}})
			return
		}
		writeJSON(w, http.StatusOK, b.answer(r.Context(), info))
	})
}

// answer dates a branch as GraphQL's Branch does: created when its creation was written (the
// default branch, which no event created, from the log's first write), branched from the time
// its base position was recorded (moved by a rebase), else its creation.
func (b *Branches) answer(ctx context.Context, info branch.Info) branchJSON {
	recorded := func(pos events.Position) time.Time {
		if b.Graph == nil || pos == 0 {
			return time.Time{}
		}
		if at, ok, err := b.Graph.RecordedAt(ctx, pos); err == nil && ok {
			return at
		}
		return time.Time{}
	}
	created := info.CreatedAt
	if created.IsZero() {
		created = recorded(1)
	}
	based := recorded(info.BranchedFrom)
	if based.IsZero() {
		based = created
	}
	return branchJSON{Info: info, CreatedAt: timeOrNull(created), BranchedFrom: timeOrNull(based),
		BranchedFromPosition: info.BranchedFrom}
}
