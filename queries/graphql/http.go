package graphql

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/queries/graphql/graphiql"
)

// Handler serves GraphQL over HTTP:
//
//	POST /graphql, POST /graphql/{branch}   {"query", "operationName", "variables"}; ?at= a time
//	                                        (RFC 3339) or a log position reads the past
//	GET  /graphql?query=…                   the same for queries (GraphQL over HTTP GET)
//	GET  /schema.graphql?branch=            the branch's schema in SDL
//	GET  /graphql[/{branch}] from a browser  GraphiQL (embedded assets under /graphiql/)
type Handler struct {
	X *Executor
}

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /graphql", h.serve)
	mux.HandleFunc("POST /graphql/{branch...}", h.serve)
	mux.HandleFunc("GET /graphql", h.serve)
	mux.HandleFunc("GET /graphql/{branch...}", h.serve)
	mux.HandleFunc("GET /schema.graphql", h.sdl)
	mux.Handle("GET "+graphiql.Prefix, graphiql.Assets())
}

func writeResponse(w http.ResponseWriter, status int, r Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The data is already JSON written by the executor: it goes out as is, not re-encoded.
	data := r.Data
	if data == nil {
		data = []byte("null")
	}
	out := make([]byte, 0, len(data)+32)
	out = append(out, `{"data":`...)
	out = append(out, data...)
	if len(r.Errors) > 0 {
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			errs = []byte(`[{"message":"errors could not be encoded"}]`)
		}
		out = append(out, `,"errors":`...)
		out = append(out, errs...)
	}
	out = append(out, '}', '\n')
	_, _ = w.Write(out)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeResponse(w, http.StatusBadRequest, Response{Errors: gqlerror.List{coded(CodeBadInput, gqlerror.Errorf(format, args...))}})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	if graphiql.WantsPage(r) {
		branch := r.PathValue("branch")
		if branch == "" {
			branch = h.X.Default
		}
		graphiql.Page(w, r.URL.Path, "infrahub-go GraphQL, branch "+branch)
		return
	}
	var req Request
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if raw := q.Get("variables"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &req.Variables); err != nil {
				badRequest(w, "parameter variables: %v", err)
				return
			}
		}
		if req.Query == "" {
			badRequest(w, "parameter query is missing (GET /graphql takes ?query=; POST a JSON body {\"query\": ...})")
			return
		}
	} else {
		bound := h.X.limits().BodyBytes
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, bound))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeResponse(w, http.StatusRequestEntityTooLarge, Response{Errors: gqlerror.List{coded("TOO_LARGE",
					gqlerror.Errorf("%v: the request body is over %d bytes (%s)", limits.ErrExceeded, bound, limits.Setting("BodyBytes")))}})
				return
			}
			badRequest(w, "body: %v (want {\"query\", \"operationName\", \"variables\"})", err)
			return
		}
		req.Variables = numbers(req.Variables).(map[string]any)
	}
	req.Branch = r.PathValue("branch")
	if req.Branch == "" {
		req.Branch = r.URL.Query().Get("branch")
	}
	if raw := r.URL.Query().Get("at"); raw != "" {
		if num, err := strconv.ParseInt(raw, 10, 64); err == nil && num > 0 {
			req.At = events.Position(num)
		} else if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
			pos, err := h.X.Graph.PositionAt(r.Context(), t)
			if err != nil || pos == 0 {
				badRequest(w, "parameter at: %s is before the first write", raw)
				return
			}
			req.At = pos
		} else {
			badRequest(w, "parameter at: %q is neither an RFC 3339 time nor a log position", raw)
			return
		}
	}
	req.ReadOnly = r.Method == http.MethodGet
	// A document that does not parse, does not validate or fails while it runs is answered
	// 200 with {"data", "errors"}, as Infrahub answers it (its clients read the errors of a 200;
	// the SDK raises a bare HTTP error on a 4xx and the web UI takes it for a network failure).
	// A request that is not GraphQL at all (no JSON body, no query) is a 400 and an unknown
	// branch a 404, as there.
	resp := h.X.Execute(r.Context(), req)
	status := http.StatusOK
	if resp.status != 0 {
		status = resp.status
	}
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "POST")
	}
	writeResponse(w, status, resp)
}

// numbers turns json.Number into int64 or float64, recursively (variables keep their types).
func numbers(v any) any {
	switch x := v.(type) {
	case nil:
		return map[string]any(nil)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, val := range x {
			if val != nil {
				x[k] = numbers(val)
			}
		}
		return x
	case []any:
		for i, val := range x {
			if val != nil {
				x[i] = numbers(val)
			}
		}
		return x
	}
	return v
}

func (h *Handler) sdl(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("branch")
	if name == "" {
		name = h.X.Default
	}
	set, ok := h.X.SchemaOf(name)
	if !ok {
		http.Error(w, fmt.Sprintf("branch %q not found", name), http.StatusNotFound)
		return
	}
	s, err := h.X.Schemas.Get(set)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(SDL(s)))
}
