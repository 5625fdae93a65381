// Package transform runs what Git repositories provide: stored GraphQL queries (CoreGraphQLQuery)
// and Jinja2 transforms (CoreTransformJinja2) rendered from a repository's files at the commit
// the repository node records on the branch, as Infrahub's backend/infrahub/api/query.py,
// transformation.py and transformations/tasks.py do; and the REST routes that serve them with
// artifacts and repository files (handlers.go).
package transform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// Kinds read here (schema/core/repositories_and_automation.yml).
const (
	KindQuery       = "CoreGraphQLQuery"
	KindJinja2      = "CoreTransformJinja2"
	KindRepository  = "CoreGenericRepository"
	KindArtifact    = "CoreArtifact"
	KindArtifactDef = "CoreArtifactDefinition"
)

// Querier runs GraphQL (graphql.Executor.Execute satisfies it).
type Querier interface {
	Execute(ctx context.Context, req graphql.Request) graphql.Response
}

// Files gives a repository's files at a commit (the lead wires repository.Cache with the
// repository's credentials).
type Files interface {
	Files(ctx context.Context, repositoryID, commit string) (fs.FS, error)
}

// Config of a Service.
type Config struct {
	Graph graph.Reader // required
	Query Querier      // required
	Files Files        // required
	// Limits: zero is limits.Default(). No bound of it applies to renders yet (they take the
	// jinja package's defaults and the transform's timeout); the queries meet the executor's.
	Limits limits.Limits
	// Environments bounds the parsed Jinja2 environments kept, one per (repository, commit);
	// default DefaultEnvironments.
	Environments int
	Logger       *slog.Logger
}

// DefaultEnvironments is Config.Environments' default.
const DefaultEnvironments = 64

// Service runs stored queries and Jinja2 transforms. Safe for concurrent use.
type Service struct {
	cfg  Config
	envs *envCache
}

// New checks cfg and answers its Service.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Graph == nil {
		errs = append(errs, fmt.Errorf("%w: transform: Graph is required", fault.ErrInvalid))
	}
	if cfg.Query == nil {
		errs = append(errs, fmt.Errorf("%w: transform: Query is required", fault.ErrInvalid))
	}
	if cfg.Files == nil {
		errs = append(errs, fmt.Errorf("%w: transform: Files is required", fault.ErrInvalid))
	}
	if cfg.Environments < 0 {
		errs = append(errs, fmt.Errorf("%w: transform: Environments must not be negative, got %d", fault.ErrInvalid, cfg.Environments))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Environments == 0 {
		cfg.Environments = DefaultEnvironments
	}
	if cfg.Limits == (limits.Limits{}) {
		cfg.Limits = limits.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, envs: newEnvCache(cfg.Environments)}, nil
}

// QueryError is a stored query's answer holding errors: Infrahub's GraphQLQueryError
// (backend/infrahub/graphql/utils.py extract_data), each message prefixed with
// "GraphQLQuery <name>: ". The REST routes answer it 502 as Infrahub does.
type QueryError struct {
	Query  string
	Errors gqlerror.List
}

func (e *QueryError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, ge := range e.Errors {
		msgs = append(msgs, ge.Message)
	}
	return fmt.Sprintf("GraphQLQuery %s: %s", e.Query, strings.Join(msgs, "; "))
}

// Query is a stored query as found.
type Query struct {
	ID, Name, Text string
}

// FindQuery finds a CoreGraphQLQuery by id or name on the scope's branch.
func (s *Service) FindQuery(ctx context.Context, scope graph.Scope, nameOrID string) (Query, error) {
	n, err := s.find(ctx, scope, KindQuery, nameOrID)
	if err != nil {
		return Query{}, err
	}
	return Query{ID: n.ID, Name: n.Text("name"), Text: n.Text("query")}, nil
}

// RunQuery finds a CoreGraphQLQuery by id or name on the scope's branch and runs it with vars,
// refusing mutations (the query of a GET, of a transform, of an artifact). A value of type
// FromURL is converted to the type the query declares for it first. The answer is the
// executor's, errors included; the error is one of finding the query or of its variables.
func (s *Service) RunQuery(ctx context.Context, scope graph.Scope, nameOrID string, vars map[string]any) (graphql.Response, error) {
	return s.Run(ctx, scope, nameOrID, vars, true)
}

// Run is RunQuery; readOnly false lets a stored mutation run (Infrahub's POST /api/query).
func (s *Service) Run(ctx context.Context, scope graph.Scope, nameOrID string, vars map[string]any, readOnly bool) (graphql.Response, error) {
	q, err := s.FindQuery(ctx, scope, nameOrID)
	if err != nil {
		return graphql.Response{}, err
	}
	return s.run(ctx, scope, q, vars, readOnly)
}

func (s *Service) run(ctx context.Context, scope graph.Scope, q Query, vars map[string]any, readOnly bool) (graphql.Response, error) {
	return s.runTouched(ctx, scope, q, vars, readOnly, nil)
}

func (s *Service) runTouched(ctx context.Context, scope graph.Scope, q Query, vars map[string]any, readOnly bool, touched func(string)) (graphql.Response, error) {
	conv, err := ConvertVariables(q.Name, q.Text, vars)
	if err != nil {
		return graphql.Response{}, err
	}
	return s.cfg.Query.Execute(ctx, graphql.Request{Query: q.Text, Variables: conv, Branch: scope.Branch, At: scope.At, ReadOnly: readOnly,
		Touched: touched}), nil
}

// QueryNodes runs a stored query (read-only) and answers its data and the ids of every node the
// answer holds, selected or not (graphql.Request.Touched): what the answer depends on, sorted
// and unique. An answer with errors is a *QueryError.
func (s *Service) QueryNodes(ctx context.Context, scope graph.Scope, nameOrID string, vars map[string]any) (json.RawMessage, []string, error) {
	q, err := s.FindQuery(ctx, scope, nameOrID)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]struct{}{}
	resp, err := s.runTouched(ctx, scope, q, vars, true, func(id string) { seen[id] = struct{}{} })
	if err != nil {
		return nil, nil, err
	}
	data, err := Data(q.Name, resp)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return data, ids, nil
}

// Data answers a query's data, or a *QueryError when the answer holds errors.
func Data(q string, resp graphql.Response) (json.RawMessage, error) {
	if len(resp.Errors) > 0 {
		return nil, &QueryError{Query: q, Errors: resp.Errors}
	}
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		return json.RawMessage("{}"), nil // extract_data answers result.data or {}
	}
	return resp.Data, nil
}

// Rendered is a Jinja2 transform's output.
type Rendered struct {
	Content string
	Data    json.RawMessage // the query's data
	Deps    []string        // every node id in the answer (each "id" field's value), sorted, unique
	Commit  string          // of the repository the template came from
}

// Transform is a CoreTransformJinja2 as found, with its query and repository.
type Transform struct {
	ID, Name, TemplatePath string
	Timeout                time.Duration // the transform's timeout attribute (0: none)
	Query                  Query
	RepositoryID           string
	RepositoryName         string
	Commit                 string
}

// FindJinja2 finds a CoreTransformJinja2 by id or name on the scope's branch with its query and
// repository (and the repository's commit on that branch).
func (s *Service) FindJinja2(ctx context.Context, scope graph.Scope, nameOrID string) (Transform, error) {
	n, err := s.find(ctx, scope, KindJinja2, nameOrID)
	if err != nil {
		return Transform{}, err
	}
	t := Transform{ID: n.ID, Name: n.Text("name"), TemplatePath: n.Text("template_path")}
	if secs, ok := n.Attributes["timeout"].Value.(float64); ok && secs > 0 {
		t.Timeout = time.Duration(secs * float64(time.Second))
	}
	qn, err := s.peer(ctx, scope, n, "CoreTransformation", "query")
	if err != nil {
		return Transform{}, err
	}
	t.Query = Query{ID: qn.ID, Name: qn.Text("name"), Text: qn.Text("query")}
	rn, err := s.peer(ctx, scope, n, "CoreTransformation", "repository")
	if err != nil {
		return Transform{}, err
	}
	t.RepositoryID, t.RepositoryName, t.Commit = rn.ID, rn.Text("name"), rn.Text("commit")
	return t, nil
}

// RenderJinja2 finds a CoreTransformJinja2 by id or name, runs its query with vars (an answer
// holding errors is a *QueryError naming the query), and renders template_path from the
// repository's files at the repository node's commit on that branch, in Infrahub's transform
// environment (jinja.FSEnv: trim_blocks, lstrip_blocks, the lenient undefined) with the context
// {"data": <data>} (backend/infrahub/transformations/tasks.py transform_render_jinja2_template).
// The transform's timeout bounds the render.
func (s *Service) RenderJinja2(ctx context.Context, scope graph.Scope, nameOrID string, vars map[string]any) (Rendered, error) {
	t, err := s.FindJinja2(ctx, scope, nameOrID)
	if err != nil {
		return Rendered{}, err
	}
	return s.Render(ctx, scope, t, vars)
}

// Render renders a transform found by FindJinja2.
func (s *Service) Render(ctx context.Context, scope graph.Scope, t Transform, vars map[string]any) (Rendered, error) {
	if t.Commit == "" {
		// Infrahub's TransformError "Repository doesn't have a commit".
		return Rendered{}, fmt.Errorf("%w: transform %s: repository %s doesn't have a commit", fault.ErrInvalid, t.Name, t.RepositoryName)
	}
	resp, err := s.run(ctx, scope, t.Query, vars, true)
	if err != nil {
		return Rendered{}, err
	}
	data, err := Data(t.Query.Name, resp)
	if err != nil {
		return Rendered{}, err
	}
	tpl, err := s.template(ctx, t)
	if err != nil {
		return Rendered{}, err
	}
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.Timeout)
		defer cancel()
	}
	jctx := make([]byte, 0, len(data)+9)
	jctx = append(append(append(jctx, `{"data":`...), data...), '}')
	out, err := tpl.RenderJSON(ctx, jctx)
	if err != nil {
		return Rendered{}, fmt.Errorf("%w: transform %s: template %s of repository %s at commit %s: %w",
			fault.ErrInvalid, t.Name, t.TemplatePath, t.RepositoryName, t.Commit, err)
	}
	deps, err := NodeIDs(data)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Content: out, Data: data, Deps: deps, Commit: t.Commit}, nil
}

// template answers the parsed template of t from the environment of its repository and commit.
func (s *Service) template(ctx context.Context, t Transform) (*jinja.Template, error) {
	env, err := s.envs.get(envKey{t.RepositoryID, t.Commit}, func() (*jinja.Env, error) {
		fsys, err := s.cfg.Files.Files(ctx, t.RepositoryID, t.Commit)
		if err != nil {
			return nil, fmt.Errorf("transform %s: the files of repository %s at commit %s: %w", t.Name, t.RepositoryName, t.Commit, err)
		}
		cfg := jinja.FSEnv(fsys)
		cfg.Loader = &commitLoader{inner: cfg.Loader, srcs: map[string]string{}}
		return jinja.New(cfg)
	})
	if err != nil {
		return nil, err
	}
	tpl, err := env.Get(t.TemplatePath)
	if err != nil {
		kind := fault.ErrInvalid
		var je *jinja.Error
		if errors.As(err, &je) && je.Kind == "TemplateNotFound" {
			kind = fault.ErrNotFound
		}
		return nil, fmt.Errorf("%w: transform %s: template %s of repository %s at commit %s: %w", kind, t.Name, t.TemplatePath, t.RepositoryName, t.Commit, err)
	}
	return tpl, nil
}

// find reads a node of kind (or of a kind implementing the generic kind) by id, else by name
// (Infrahub's get_one_by_id_or_default_filter; the default filter of these kinds is
// name__value).
func (s *Service) find(ctx context.Context, scope graph.Scope, kind, nameOrID string) (graph.Node, error) {
	return Find(ctx, s.cfg.Graph, scope, kind, nameOrID)
}

// Find reads a node of kind by id or by name on the scope's branch: not found is an error
// wrapping graph.ErrNotFound naming the kind and the identifier.
func Find(ctx context.Context, g graph.Reader, scope graph.Scope, kind, nameOrID string) (graph.Node, error) {
	if nameOrID == "" {
		return graph.Node{}, fmt.Errorf("%w: %s: an id or a name is required", fault.ErrInvalid, kind)
	}
	page, err := g.List(ctx, scope, graph.Query{Kind: kind, Filters: map[string]any{"ids": []any{nameOrID}}, Limit: 1})
	if err != nil {
		return graph.Node{}, err
	}
	if len(page.Nodes) == 0 {
		page, err = g.List(ctx, scope, graph.Query{Kind: kind, Filters: map[string]any{"name__value": nameOrID}, Limit: 1})
		if err != nil {
			return graph.Node{}, err
		}
	}
	if len(page.Nodes) == 0 {
		return graph.Node{}, fmt.Errorf("%w: no %s %q on branch %s", graph.ErrNotFound, kind, nameOrID, scope.Branch)
	}
	return page.Nodes[0], nil
}

// peer reads the node at the end of the cardinality-one relationship rel of n.
func (s *Service) peer(ctx context.Context, scope graph.Scope, n graph.Node, kind, rel string) (graph.Node, error) {
	edges, err := s.cfg.Graph.Peers(ctx, scope, []string{n.ID}, kind, rel)
	if err != nil {
		return graph.Node{}, err
	}
	if len(edges[n.ID]) == 0 {
		return graph.Node{}, fmt.Errorf("%w: %s %s has no %s", graph.ErrNotFound, n.Kind, n.Text("name"), rel)
	}
	return s.cfg.Graph.Get(ctx, scope, edges[n.ID][0].Peer)
}
