// Package rest serves the REST read endpoints and Infrahub's schema endpoints: GET /api/schema (per branch),
// GET /api/schema/{kind}, POST /api/schema/load and POST /api/schema/check.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/schema"
)

// State answers a branch's schema.
type State interface {
	Schema(branch string) (*schema.Set, int64)
}

// Commands is the write side as the schema endpoints use it.
type Commands interface {
	Dispatch(ctx context.Context, cmd commands.Command) (commands.Result, error)
	CheckSchema(in commands.LoadSchema) (commands.SchemaOutcome, error)
}

// API holds the handlers.
type API struct {
	State    State
	Commands Commands
	Default  string // default branch
}

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/schema", a.get)
	mux.HandleFunc("GET /api/schema/{kind}", a.getKind)
	mux.HandleFunc("GET /api/schema/export", a.export)
	mux.HandleFunc("POST /api/schema/load", a.load)
	mux.HandleFunc("POST /api/schema/check", a.check)
}

func (a *API) branch(r *http.Request) string {
	if b := r.URL.Query().Get("branch"); b != "" {
		return b
	}
	return a.Default
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	set, _ := a.State.Schema(a.branch(r))
	writeJSON(w, http.StatusOK, set.API())
}

func (a *API) getKind(w http.ResponseWriter, r *http.Request) {
	set, _ := a.State.Schema(a.branch(r))
	kind := r.PathValue("kind")
	if n, ok := set.Node(kind); ok {
		writeJSON(w, http.StatusOK, n)
		return
	}
	if g, ok := set.Generic(kind); ok {
		writeJSON(w, http.StatusOK, g)
		return
	}
	for _, n := range append(set.Profiles(), set.Templates()...) {
		if n.Kind == kind {
			writeJSON(w, http.StatusOK, n)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found",
		Message: fmt.Sprintf("kind %q is not in the schema of branch %q", kind, a.branch(r))}})
}

// export answers the branch's user schema as one YAML schema file that loads back unchanged.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	set, _ := a.State.Schema(a.branch(r))
	out, err := set.Declared().YAML()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(out)
}

// body is the request of load and check: Infrahub's {"schemas": [...]}.
type body struct {
	Schemas []json.RawMessage `json:"schemas"`
	Names   []string          `json:"names,omitempty"`
}

func (a *API) decode(w http.ResponseWriter, r *http.Request) (commands.LoadSchema, bool) {
	var b body
	if err := payload.Read(http.MaxBytesReader(w, r.Body, commands.MaxBodyBytes), &b, "body"); err != nil {
		writeError(w, err)
		return commands.LoadSchema{}, false
	}
	return commands.LoadSchema{Branch: a.branch(r), Schemas: b.Schemas, Names: b.Names}, true
}

func (a *API) load(w http.ResponseWriter, r *http.Request) {
	in, ok := a.decode(w, r)
	if !ok {
		return
	}
	payload, _ := json.Marshal(in)
	res, err := a.Commands.Dispatch(r.Context(), commands.Command{Type: commands.TypeLoadSchema,
		ID: r.Header.Get("Idempotency-Key"), Payload: payload})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Data)
}

func (a *API) check(w http.ResponseWriter, r *http.Request) {
	in, ok := a.decode(w, r)
	if !ok {
		return
	}
	out, err := a.Commands.CheckSchema(in)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code     string           `json:"code"`
	Message  string           `json:"message"`
	Problems []schema.Problem `json:"problems,omitempty"`
}

// writeError answers like commands.WriteError, adding the schema problems one by one so that
// clients can point at each file and line.
func writeError(w http.ResponseWriter, err error) {
	status, code := commands.StatusOf(err)
	d := errorDetail{Code: code, Message: err.Error()}
	if status == http.StatusInternalServerError {
		d.Message = "internal error; see the server log"
	}
	var se *schema.Error
	if errors.As(err, &se) {
		d.Problems = se.Problems
	}
	writeJSON(w, status, errorBody{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
