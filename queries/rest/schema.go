// Package rest serves the REST read endpoints and Infrahub's REST API: GET /api/schema (per
// branch), GET /api/schema/summary, GET /api/schema/{kind}, POST /api/schema/load and
// POST /api/schema/check, GET /api/config, GET /api/info and GET /api/menu; any other /api path
// answers a 404 JSON error. The server puts every route behind queries/httpguard, which checks
// the log positions a read names (min_position, at) before the route answers.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/schema"
)

// State answers the branches and their schemas.
type State interface {
	Schema(branch string) (*schema.Set, int64)
	Branch(name string) (branch.Info, bool)
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
	// MaxBodyBytes bounds a load's or a check's body (limits.BodyBytes; 0: the default).
	MaxBodyBytes int64
}

// Register adds the routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/schema", a.get)
	mux.HandleFunc("GET /api/schema/summary", a.summary)
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

// schemaOf is the schema of the request's branch; an unknown branch is answered with a 404.
func (a *API) schemaOf(w http.ResponseWriter, r *http.Request) (*schema.Set, bool) {
	name := a.branch(r)
	if _, ok := a.State.Branch(name); !ok {
		writeError(w, fmt.Errorf("%w: branch %q", branch.ErrNotFound, name))
		return nil, false
	}
	set, _ := a.State.Schema(name)
	return set, true
}

// get answers Infrahub's SchemaReadAPI; the namespaces parameter (given once per namespace, as
// the SDK's schema.all(namespaces=...) sends it) keeps the kinds of those namespaces only.
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	if set, ok := a.schemaOf(w, r); ok {
		writeJSON(w, http.StatusOK, set.API(r.URL.Query()["namespaces"]...))
	}
}

// summary answers Infrahub's SchemaBranchHash: the hash of the branch's schema and of each
// node and generic.
func (a *API) summary(w http.ResponseWriter, r *http.Request) {
	if set, ok := a.schemaOf(w, r); ok {
		writeJSON(w, http.StatusOK, set.Summary())
	}
}

func (a *API) getKind(w http.ResponseWriter, r *http.Request) {
	set, ok := a.schemaOf(w, r)
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	if m, ok := set.APIKind(kind); ok {
		writeJSON(w, http.StatusOK, m)
		return
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found",
		Message: fmt.Sprintf("kind %q is not in the schema of branch %q", kind, a.branch(r))}})
}

// export answers the branch's user schema as one YAML schema file that loads back unchanged.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	set, ok := a.schemaOf(w, r)
	if !ok {
		return
	}
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
	if err := commands.ReadBody(w, r, a.MaxBodyBytes, &b); err != nil {
		writeSchemaError(w, err)
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
		writeSchemaError(w, err)
		return
	}
	out, _ := res.Data.(commands.SchemaOutcome)
	writeJSON(w, http.StatusOK, out)
}

// check answers as Infrahub does: 202 with {"diff": ...} (what `infrahubctl schema check`
// prints, "No diff" when it is empty), or 422 with the errors.
func (a *API) check(w http.ResponseWriter, r *http.Request) {
	in, ok := a.decode(w, r)
	if !ok {
		return
	}
	out, err := a.Commands.CheckSchema(in)
	if err != nil {
		writeSchemaError(w, err)
		return
	}
	answer := map[string]any{"diff": out.APIDiff}
	if len(out.Warnings) > 0 { // infrahubctl schema check prints them
		answer["warnings"] = out.Warnings
	}
	writeJSON(w, http.StatusAccepted, answer)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers like commands.WriteError: {"error": {"code", "message"}}.
func writeError(w http.ResponseWriter, err error) {
	status, code := commands.StatusOf(err)
	d := errorDetail{Code: code, Message: err.Error()}
	if status == http.StatusInternalServerError {
		d.Message = "internal error; see the server log"
	}
	writeJSON(w, status, errorBody{Error: d})
}

// infrahubErrors is Infrahub's REST error body ({"data": null, "errors": [{"message",
// "extensions": {"code": <HTTP status>}}]}), which the SDK's schema load and check read and
// `infrahubctl` prints message by message.
type infrahubErrors struct {
	Data   any             `json:"data"`
	Errors []infrahubError `json:"errors"`
}

type infrahubError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// writeSchemaError answers an error of schema load or check in Infrahub's shape: a refused
// schema or body is a 422 (as Infrahub answers it) with one error per problem, its message
// naming file, line and element, which the extensions repeat.
func writeSchemaError(w http.ResponseWriter, err error) {
	status, _ := commands.StatusOf(err)
	if status == http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
	}
	body := infrahubErrors{Errors: []infrahubError{}}
	var se *schema.Error
	switch {
	case status == http.StatusInternalServerError:
		body.Errors = append(body.Errors, infrahubError{Message: "internal error; see the server log",
			Extensions: map[string]any{"code": status}})
	case errors.As(err, &se):
		for _, p := range se.Problems {
			ext := map[string]any{"code": status}
			for k, v := range map[string]any{"file": p.File, "line": p.Line, "element": p.Path} {
				if v != "" && v != 0 {
					ext[k] = v
				}
			}
			body.Errors = append(body.Errors, infrahubError{Message: p.String(), Extensions: ext})
		}
	default:
		body.Errors = append(body.Errors, infrahubError{Message: err.Error(), Extensions: map[string]any{"code": status}})
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
