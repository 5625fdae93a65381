package rest

import (
	"net/http"

	"github.com/infrahub-go/infrahub/branch"
)

// BranchList answers the branches.
type BranchList interface {
	Branches() []branch.Info
	Branch(name string) (branch.Info, bool)
}

// Branches serves GET /api/branches and GET /api/branches/{name...} (names may hold '/').
type Branches struct {
	State BranchList
}

// Register adds the routes to mux.
func (b *Branches) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/branches", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.State.Branches())
	})
	mux.HandleFunc("GET /api/branches/{name...}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		info, ok := b.State.Branch(name)
		if !ok {
			writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "branch " + name + " does not exist"}})
			return
		}
		writeJSON(w, http.StatusOK, info)
	})
}
