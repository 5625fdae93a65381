package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Objects reads stored objects by id (storage.Store.Get).
type Objects interface {
	Get(ctx context.Context, id string) ([]byte, error)
}

// HandlersConfig configures the REST routes.
type HandlersConfig struct {
	Service *Service     // required
	Graph   graph.Reader // required: artifacts, definitions, repositories
	Objects Objects      // required: the artifacts' content
	// Dispatch runs commands (the application): POST /api/artifact/generate submits a task.
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error) // required
	Default  string                                                                   // the default branch (required)
	Limits   limits.Limits                                                            // BodyBytes bounds the bodies; zero: limits.Default()
	Logger   *slog.Logger
}

// Handlers serves Infrahub's REST routes of stored queries, transforms, artifacts and
// repository files:
//
//	GET  /api/query/{query_id}                     ?branch&at&update_group&subscribers, the rest are the query's variables
//	POST /api/query/{query_id}                     {"variables": {...}}
//	GET  /api/transform/jinja2/{transform_id}      ?branch&at, the rest are the query's variables: text
//	GET  /api/artifact/{artifact_id}               the artifact's stored content, with its content type
//	POST /api/artifact/generate/{definition_id}    {"nodes": [artifact ids]}: submits the generation
//	GET  /api/file/{repository_id}/{file_path...}  ?branch&at&commit: a file of the repository
//
// as backend/infrahub/api/{query,transformation,artifact,file}.py answer them. Every route
// takes branch and at as the other REST reads do (at: a log position or an RFC 3339 time).
type Handlers struct {
	cfg HandlersConfig
}

// NewHandlers checks cfg and answers the Handlers.
func NewHandlers(cfg HandlersConfig) (*Handlers, error) {
	var errs []error
	for name, missing := range map[string]bool{"Service": cfg.Service == nil, "Graph": cfg.Graph == nil,
		"Objects": cfg.Objects == nil, "Dispatch": cfg.Dispatch == nil, "Default": cfg.Default == ""} {
		if missing {
			errs = append(errs, fmt.Errorf("%w: transform handlers: %s is required", fault.ErrInvalid, name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Limits == (limits.Limits{}) {
		cfg.Limits = limits.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handlers{cfg: cfg}, nil
}

// Register adds the routes to mux.
func (h *Handlers) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/query/{query_id}", h.queryGet)
	mux.HandleFunc("POST /api/query/{query_id}", h.queryPost)
	mux.HandleFunc("GET /api/transform/jinja2/{transform_id}", h.jinja2)
	mux.HandleFunc("GET /api/artifact/{artifact_id}", h.artifact)
	mux.HandleFunc("POST /api/artifact/generate/{definition_id}", h.generate)
	mux.HandleFunc("GET /api/file/{repository_id}/{file_path...}", h.file)
}

// scopeParams are the parameters every route reads itself (never query variables).
var scopeParams = []string{"branch", "at", "min_position"}

// scope reads branch (default: the default branch) and at.
func (h *Handlers) scope(r *http.Request) (graph.Scope, error) {
	q := r.URL.Query()
	s := graph.Scope{Branch: q.Get("branch")}
	if s.Branch == "" {
		s.Branch = h.cfg.Default
	}
	raw := q.Get("at")
	if raw == "" {
		return s, nil
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil && n > 0 {
		s.At = events.Position(n)
		return s, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return s, fmt.Errorf("%w: parameter at: %q is neither a log position nor an RFC 3339 time", fault.ErrInvalid, raw)
	}
	pos, err := h.cfg.Graph.PositionAt(r.Context(), t)
	if err != nil {
		return s, err
	}
	if pos == 0 {
		return s, fmt.Errorf("%w: parameter at: %s is before the first write", fault.ErrNotFound, raw)
	}
	s.At = pos
	return s, nil
}

// view checks that the request's identity may view objects of kind on s's branch.
func (h *Handlers) view(r *http.Request, s graph.Scope, kind string) error {
	return authz.RequireView(authz.From(r.Context()), authz.KindNamed(kind), s.Branch == h.cfg.Default)
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var qe *QueryError
	if errors.As(err, &qe) {
		writeQueryError(w, qe)
		return
	}
	if status, _ := commands.StatusOf(err); status == http.StatusInternalServerError {
		h.cfg.Logger.ErrorContext(r.Context(), "transform route", "path", r.URL.Path, "err", err)
	}
	commands.WriteError(w, err)
}

// writeQueryError answers a stored query's errors as Infrahub's GraphQLQueryError (HTTP 502,
// backend/infrahub/exceptions.py; the errors as extract_data lists them: message prefixed with
// the query's name, path and locations).
func writeQueryError(w http.ResponseWriter, qe *QueryError) {
	type location struct {
		Line   int `json:"line"`
		Column int `json:"column"`
	}
	type item struct {
		Message    string         `json:"message"`
		Path       any            `json:"path"`
		Locations  []location     `json:"locations"`
		Extensions map[string]any `json:"extensions"`
	}
	items := make([]item, 0, len(qe.Errors))
	for _, ge := range qe.Errors {
		it := item{Message: "GraphQLQuery " + qe.Query + ": " + ge.Message, Locations: []location{},
			Extensions: map[string]any{"code": http.StatusBadGateway}}
		if len(ge.Path) > 0 {
			it.Path = ge.Path
		}
		for _, l := range ge.Locations {
			it.Locations = append(it.Locations, location{Line: l.Line, Column: l.Column})
		}
		items = append(items, it)
	}
	writeJSON(w, http.StatusBadGateway, map[string]any{"data": nil, "errors": items})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// queryParams reads update_group and subscribers (Infrahub's parameters of /api/query).
func queryParams(r *http.Request) (updateGroup bool, subscribers []string, err error) {
	q := r.URL.Query()
	if raw := q.Get("update_group"); raw != "" {
		switch strings.ToLower(raw) {
		case "true", "1", "yes", "on":
			updateGroup = true
		case "false", "0", "no", "off":
		default:
			return false, nil, fmt.Errorf("%w: parameter update_group: %q is not a boolean", fault.ErrInvalid, raw)
		}
	}
	return updateGroup, q["subscribers"], nil
}

func (h *Handlers) queryGet(w http.ResponseWriter, r *http.Request) {
	vars := URLVariables(r.URL.Query(), append(scopeParams, "update_group", "subscribers")...)
	h.query(w, r, vars, true)
}

func (h *Handlers) queryPost(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Variables map[string]any `json:"variables"`
	}
	if err := readOptionalBody(w, r, h.cfg.Limits.BodyBytes, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	h.query(w, r, body.Variables, false)
}

// readOptionalBody reads a JSON body into v; an empty body leaves v as it is (FastAPI's Body
// default).
func readOptionalBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if r.Body == nil {
		return nil
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return limits.Exceeded("the body's length in bytes", tooBig.Limit+1, limit, "INFRAHUB_MAX_BODY_BYTES")
	}
	if err != nil {
		return fmt.Errorf("%w: reading the body: %v", fault.ErrInvalid, err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: the body is not the JSON object expected: %v", fault.ErrInvalid, err)
	}
	return nil
}

func (h *Handlers) query(w http.ResponseWriter, r *http.Request, vars map[string]any, readOnly bool) {
	s, err := h.scope(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	updateGroup, _, err := queryParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.view(r, s, KindQuery); err != nil {
		h.fail(w, r, err)
		return
	}
	q, err := h.cfg.Service.FindQuery(r.Context(), s, r.PathValue("query_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.cfg.Service.run(r.Context(), s, q, vars, readOnly)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data, err := Data(q.Name, resp)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if updateGroup {
		// Infrahub submits graphql-query-group-update (a CoreGraphQLQueryGroup of the nodes
		// of the answer and the subscribers); not served here yet.
		h.cfg.Logger.WarnContext(r.Context(), "update_group is not supported: the query's group is not updated", "query", q.Name)
	}
	w.Header().Set("Content-Type", "application/json")
	out := make([]byte, 0, len(data)+11)
	out = append(append(append(out, `{"data":`...), data...), '}', '\n')
	_, _ = w.Write(out)
}

func (h *Handlers) jinja2(w http.ResponseWriter, r *http.Request) {
	s, err := h.scope(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.view(r, s, KindJinja2); err != nil {
		h.fail(w, r, err)
		return
	}
	vars := URLVariables(r.URL.Query(), scopeParams...)
	out, err := h.cfg.Service.RenderJinja2(r.Context(), s, r.PathValue("transform_id"), vars)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, out.Content)
}

func (h *Handlers) artifact(w http.ResponseWriter, r *http.Request) {
	s, err := h.scope(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.view(r, s, KindArtifact); err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("artifact_id")
	// Infrahub reads the artifact by id only (registry.manager.get_one).
	page, err := h.cfg.Graph.List(r.Context(), s, graph.Query{Kind: KindArtifact, Filters: map[string]any{"ids": []any{id}}, Limit: 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(page.Nodes) == 0 {
		h.fail(w, r, fmt.Errorf("%w: no %s %q on branch %s", graph.ErrNotFound, KindArtifact, id, s.Branch))
		return
	}
	a := page.Nodes[0]
	storageID := a.Text("storage_id")
	if storageID == "" {
		h.fail(w, r, fmt.Errorf("%w: artifact %s has no content yet (status %s)", fault.ErrNotFound, id, a.Text("status")))
		return
	}
	content, err := h.cfg.Objects.Get(r.Context(), storageID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("artifact %s: %w", id, err))
		return
	}
	if ct := a.Text("content_type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	_, _ = w.Write(content)
}

func (h *Handlers) generate(w http.ResponseWriter, r *http.Request) {
	s, err := h.scope(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body struct {
		Nodes []string `json:"nodes"`
	}
	if err := readOptionalBody(w, r, h.cfg.Limits.BodyBytes, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	// Infrahub checks create and update of CoreArtifact on the branch (api/artifact.py).
	id := authz.From(r.Context())
	onDefault := s.Branch == h.cfg.Default
	for _, a := range []authz.Action{authz.Create, authz.Update} {
		if err := authz.RequireKind(id, authz.KindNamed(KindArtifact), a, onDefault); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	def, err := Find(r.Context(), h.cfg.Graph, graph.Scope{Branch: s.Branch}, KindArtifactDef, r.PathValue("definition_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	params, err := json.Marshal(commands.ArtifactsGenerate{Branch: s.Branch, DefinitionID: def.ID, Nodes: body.Nodes, Force: true})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	payload, err := json.Marshal(commands.SubmitTask{Workflow: commands.WorkflowArtifactDefinition, Parameters: params, Branch: s.Branch})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.cfg.Dispatch(r.Context(), commands.Command{Type: commands.TypeSubmitTask, Payload: payload}); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil) // Infrahub's route returns None: "null"
}

func (h *Handlers) file(w http.ResponseWriter, r *http.Request) {
	s, err := h.scope(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.view(r, s, KindRepository); err != nil {
		h.fail(w, r, err)
		return
	}
	repo, err := Find(r.Context(), h.cfg.Graph, s, KindRepository, r.PathValue("repository_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	commit := r.URL.Query().Get("commit")
	if commit == "" {
		commit = repo.Text("commit")
	}
	if commit == "" {
		// Infrahub's CommitNotFoundError (HTTP 400).
		h.fail(w, r, fmt.Errorf("%w: repository %s: no commits found on this repository", fault.ErrInvalid, repo.Text("name")))
		return
	}
	name := strings.TrimPrefix(r.PathValue("file_path"), "/")
	if !fs.ValidPath(name) || name == "." {
		h.fail(w, r, fmt.Errorf("%w: file %q is not a path inside the repository", fault.ErrInvalid, r.PathValue("file_path")))
		return
	}
	fsys, err := h.cfg.Service.cfg.Files.Files(r.Context(), repo.ID, commit)
	if err != nil {
		h.fail(w, r, fmt.Errorf("repository %s at commit %s: %w", repo.Text("name"), commit, err))
		return
	}
	var content []byte
	st, err := fs.Stat(fsys, name)
	switch {
	case err == nil && st.IsDir():
		err = fmt.Errorf("%w: %s is a folder of repository %s, not a file", fault.ErrInvalid, name, repo.Text("name"))
	case err == nil:
		content, err = fs.ReadFile(fsys, name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: file %s not found in repository %s at commit %s", fault.ErrNotFound, name, repo.Text("name"), commit)
	} else if err != nil {
		err = fmt.Errorf("repository %s at commit %s: file %s: %w", repo.Text("name"), commit, name, err)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(content)
}
