package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Executor answers GraphQL documents for a branch: queries from the graph projection's read port,
// mutations through the command dispatcher. Each selection level makes one batched port call per
// relationship field (never one per node).
type Executor struct {
	// Graph is the graph projection's read port: nodes, diffs, IPAM, and waiting for a position
	// (a mutation answers what it wrote).
	Graph   graph.Port
	Schemas *Schemas
	// SchemaOf is a branch's Infrahub schema (the one its GraphQL schema is generated from).
	SchemaOf func(branch string) (*schema.Set, bool)
	// Branches lists the branches (query Branch, ResolveDiffConflict).
	Branches func() []branch.Info
	// Dispatch runs a command (mutations); nil makes every mutation an error.
	Dispatch func(ctx context.Context, cmd commands.Command) (commands.Result, error)
	Default  string // the default branch
	Version  string // InfrahubInfo.version
	// WorkerID names this server in InfrahubStatus's workers ("infrahub-go" when empty).
	WorkerID string
	// Workers lists the live processes of the deployment for InfrahubStatus (nil or an empty
	// answer: this server alone, named WorkerID).
	Workers func(ctx context.Context) []WorkerInfo
	// Limits bound documents (length, depth, cost, aliases) and searches; the zero value is
	// limits.Default().
	Limits limits.Limits
	// Resolve gives the request's identity (authz.From) its permissions when it carries none
	// (authz.Resolver.Resolve): InfrahubPermissions and the permissions answered on kinds.
	Resolve func(ctx context.Context, id *authz.Identity) (*authz.Identity, error)
	// Tasks answers InfrahubTask and InfrahubTaskBranchStatus (the tasks projection); nil
	// answers no tasks.
	Tasks TaskReader
	// Events answers InfrahubEvent (Infrahub's events derived from the log: the activity
	// projection's index); nil answers no events.
	Events activity.Lister
	// CheckRepository answers InfrahubRepositoryConnectivity: whether the remote of repository id
	// can be reached with its credential, and a message for the user (never a secret); nil
	// refuses the mutation as not served.
	CheckRepository func(ctx context.Context, id string) (ok bool, message string)
}

func (x *Executor) limits() limits.Limits {
	if x.Limits == (limits.Limits{}) {
		return limits.Default()
	}
	return x.Limits
}

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     map[string]any  `json:"variables,omitempty"`
	Branch        string          `json:"-"`
	At            events.Position `json:"-"` // log position; 0 is the head
	// ReadOnly refuses a document holding any operation but queries (a GET: mutations are
	// written over POST only, so that no link or cross-site GET writes).
	ReadOnly bool `json:"-"`
	// Touched, when set, is called with the id of every node the answer holds (whether or not
	// the document selects its id): what the answer depends on (Infrahub's query groups; the
	// artifacts to regenerate when one of them changes). Called from the executing goroutine.
	Touched func(id string) `json:"-"`
}

// Response is a GraphQL response; Data is nil when the document could not run at all.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors gqlerror.List   `json:"errors,omitempty"`
	// status is the HTTP status when it is not 200: 404 for a branch that does not exist (as in
	// Infrahub), 405 for a mutation over GET; every other answer is a 200.
	status int
}

// Error codes of extensions.code.
const (
	CodeParse      = "GRAPHQL_PARSE_FAILED"
	CodeValidation = "GRAPHQL_VALIDATION_FAILED"
	CodeBadInput   = "BAD_USER_INPUT"
	CodeNotFound   = "NOT_FOUND"
	CodeConflict   = "CONFLICT"
	CodeInternal   = "INTERNAL_SERVER_ERROR"
	CodeLimit      = "QUERY_TOO_COMPLEX"
)

func coded(code string, err *gqlerror.Error) *gqlerror.Error {
	if err.Extensions == nil {
		err.Extensions = map[string]any{}
	}
	err.Extensions["code"] = code
	return err
}

// codeOf is the extensions.code of an error of any layer (fault.Classify: the one table of the
// error family).
func codeOf(err error) string { return fault.Classify(err).GraphQL }

// Execute runs one request. A document is measured before anything costly is done with it
// (validation included) and refused beyond the limits; the work stops at the next selection
// level once ctx is done.
func (x *Executor) Execute(ctx context.Context, req Request) Response {
	fail := func(code, format string, args ...any) Response {
		return Response{Errors: gqlerror.List{coded(code, gqlerror.Errorf(format, args...))}}
	}
	l := x.limits()
	if req.Branch == "" {
		req.Branch = x.Default
	}
	if len(req.Query) > l.QueryBytes {
		err := limits.Exceeded("the document's length in bytes", int64(len(req.Query)), int64(l.QueryBytes), "INFRAHUB_GRAPHQL_MAX_QUERY_BYTES")
		return fail(CodeLimit, "%v", err)
	}
	set, ok := x.SchemaOf(req.Branch)
	if !ok {
		resp := fail(CodeNotFound, "branch %q not found", req.Branch)
		resp.status = http.StatusNotFound
		return resp
	}
	s, doc, resp := x.document(set, req, l)
	if resp != nil {
		return *resp
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		if req.OperationName == "" {
			return fail(CodeBadInput, "the document has several operations: give operationName")
		}
		return fail(CodeBadInput, "no operation named %q in the document", req.OperationName)
	}
	vars, verr := validator.VariableValues(s, op, req.Variables)
	if verr != nil {
		var ge *gqlerror.Error
		if !errors.As(verr, &ge) {
			ge = gqlerror.Errorf("%v", verr)
		}
		return Response{Errors: gqlerror.List{coded(CodeBadInput, ge)}}
	}
	e := &exec{x: x, ctx: ctx, s: s, set: set, doc: doc, vars: vars, limits: l, touched: req.Touched,
		scope: graph.Scope{Branch: req.Branch, At: req.At}}
	e.sel, e.mut, e.api, e.view, e.ipam = selector{e}, mutator{e}, apiRoot{e}, viewer{e: e}, ipamView{e: e}
	hint := answerHint(req.Query)
	w := jsonWriter{buf: sizedBuffer(hint.Load())}
	e.w = &w
	switch op.Operation {
	case ast.Query:
		set := op.SelectionSet
		if strings.Contains(req.Query, "@"+expandDirective) {
			set = e.sel.expandRoot(set)
		}
		e.root(&w, set, s.Query)
	case ast.Mutation:
		if req.At != 0 {
			return fail(CodeBadInput, "mutations cannot be made at a past time (at)")
		}
		e.mut.mutations(&w, op.SelectionSet, s.Mutation)
	default:
		return fail(CodeBadInput, "subscriptions are not served on this endpoint")
	}
	if e.halted != nil {
		code := codeOf(e.halted)
		if errors.Is(e.halted, limits.ErrExceeded) {
			code = CodeLimit
		}
		return Response{Errors: append(e.errs, coded(code, gqlerror.Errorf("%v", e.halted)))}
	}
	hint.Store(int64(len(w.buf)))
	return Response{Data: w.bytes(), Errors: e.errs}
}

func nameOr(name string) string {
	if name == "" {
		return "anonymous"
	}
	return name
}

// document answers the validated document of the request against the GraphQL schema of set, or
// the answer refusing it. A document met before is answered from the cache of its schema; a new
// one is parsed and measured, refused beyond the limits, and only then validated (the schema is
// built, when it is not held, after the measure too).
func (x *Executor) document(set *schema.Set, req Request, l limits.Limits) (*ast.Schema, *ast.QueryDocument, *Response) {
	refuse := func(errs ...*gqlerror.Error) (*ast.Schema, *ast.QueryDocument, *Response) {
		for _, e := range errs {
			delete(e.Extensions, "file") // the source's name means nothing to the client
		}
		return nil, nil, &Response{Errors: errs}
	}
	fail := func(code string, err error) (*ast.Schema, *ast.QueryDocument, *Response) {
		return refuse(coded(code, gqlerror.Errorf("%v", err)))
	}
	ent := x.Schemas.entry(set.Hash())
	doc := ent.docs.get(req.Query)
	cached := doc != nil
	if !cached {
		var perr *gqlerror.Error
		if doc, perr = parse(req.Query); perr != nil {
			return refuse(coded(CodeParse, perr))
		}
	}
	if req.ReadOnly {
		for _, op := range doc.Operations {
			if op.Operation != ast.Query {
				_, _, resp := fail(CodeBadInput, fmt.Errorf("the document holds a %s (%s): send it with POST, GET only reads",
					op.Operation, nameOr(op.Name)))
				resp.status = http.StatusMethodNotAllowed
				return nil, nil, resp
			}
		}
	}
	var c cost
	if !cached {
		var code string
		var err error
		if c, code, err = admit(doc, l); err != nil {
			return fail(code, err)
		}
	}
	if err := ent.build(set); err != nil {
		return fail(CodeInternal, err)
	}
	if !cached {
		if errs := validator.Validate(ent.s, doc); len(errs) > 0 {
			for _, e := range errs {
				coded(CodeValidation, e)
			}
			return refuse(errs...)
		}
		ent.docs.put(req.Query, doc, c, l)
	}
	return ent.s, doc, nil
}

// exec is one running operation.
type exec struct {
	x     *Executor
	ctx   context.Context
	s     *ast.Schema
	set   *schema.Set
	doc   *ast.QueryDocument
	vars  map[string]any
	scope graph.Scope
	errs  gqlerror.List
	// limits are the executor's; halted is set once ctx is done or the answer is too long (the
	// answer is then that error).
	limits limits.Limits
	halted error
	w      *jsonWriter // the answer being written
	// collected caches collect per selection set and type: a list writes the same selection
	// for each of its nodes.
	collected map[collectKey][]*ast.Field
	sel       selector        // how the document's selections apply
	mut       mutator         // the mutations
	api       apiRoot         // the built-in queries: branches, status, search, relationships, pools
	whoami    whoCache        // the requester with its permissions (accounts.go)
	view      viewer          // which kinds the requester may read (peers)
	ipam      ipamView        // include_available lists and their available nodes (ipam_available.go)
	touched   func(id string) // Request.Touched
}

// viewer answers whether the requester may read objects of a kind here: peers of kinds it may
// not view are left out of relationships, as the kinds themselves are refused at the root.
type viewer struct {
	e   *exec
	may func(kind string) bool // authz.Viewer of the requester, made on first use
}

func (v *viewer) allows(kind string) bool {
	if v.may == nil {
		e := v.e
		v.may = authz.Viewer(authz.From(e.ctx), e.scope.Branch == "" || e.scope.Branch == e.x.Default)
	}
	return v.may(kind)
}

// selector resolves the document's selections: fields by response key, fragments by type
// condition, @skip and @include.
type selector struct{ e *exec }

// mutator runs the mutations of an operation through the command layer.
type mutator struct{ e *exec }

// apiRoot answers the built-in root fields of Infrahub's API that do not depend on the schema:
// branches, status, search, relationships and resource pools.
type apiRoot struct{ e *exec }

type collectKey struct {
	first *ast.Selection
	n     int
	typ   string
}

func (e *exec) fail(path ast.Path, err error) {
	ge := gqlerror.WrapPath(path, err)
	e.errs = append(e.errs, coded(codeOf(err), ge))
}

// live reports whether the request still wants its answer. Once its context is done or its
// answer is longer than the limit, it records why and answers false from then on: each level
// stops before its next port call, each list before its next item.
func (e *exec) live() bool {
	if e.halted != nil {
		return false
	}
	if err := e.ctx.Err(); err != nil {
		e.halted = fmt.Errorf("%w: the request ended before its answer: %w", fault.ErrUnavailable, err)
		return false
	}
	if e.w != nil && len(e.w.buf) > e.limits.ResponseBytes {
		e.halted = limits.Exceeded("the answer's length in bytes", int64(len(e.w.buf)), int64(e.limits.ResponseBytes),
			"INFRAHUB_GRAPHQL_MAX_RESPONSE_BYTES")
		return false
	}
	return true
}

// collect merges the fields of a selection set that apply to a value of concrete type typ
// (fragments with a matching type condition included), by response key, in document order.
func (x selector) collect(set ast.SelectionSet, typ string) []*ast.Field {
	e := x.e
	if len(set) == 0 {
		return nil
	}
	key := collectKey{&set[0], len(set), typ}
	if out, ok := e.collected[key]; ok {
		return out
	}
	out := e.sel.collectOnce(set, typ)
	if e.collected == nil {
		e.collected = map[collectKey][]*ast.Field{}
	}
	e.collected[key] = out
	return out
}

// fieldNames lists the names of the fields a node selection asks for, in fragments of any type
// too: the attributes a List must read (a superset is harmless).
func (x selector) fieldNames(set ast.SelectionSet) []string {
	out := []string{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !slices.Contains(out, s.Name) {
					out = append(out, s.Name)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return out
}

func (x selector) collectOnce(set ast.SelectionSet, typ string) []*ast.Field {
	e := x.e
	var out []*ast.Field
	index := map[string]int{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !e.sel.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if i, ok := index[key]; ok {
					if len(s.SelectionSet) > 0 { // same key twice: their selections merge
						merged := *out[i]
						merged.SelectionSet = append(slices.Clip(merged.SelectionSet), s.SelectionSet...)
						out[i] = &merged
					}
					continue
				}
				index[key] = len(out)
				out = append(out, withTypename(s))
			case *ast.InlineFragment:
				if e.sel.included(s.Directives) && e.sel.applies(s.TypeCondition, typ) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				if s.Definition != nil && e.sel.included(s.Directives) && e.sel.applies(s.Definition.TypeCondition, typ) {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return out
}

// included evaluates @skip and @include.
func (x selector) included(ds ast.DirectiveList) bool {
	e := x.e
	for _, d := range ds {
		v, ok := d.ArgumentMap(e.vars)["if"].(bool)
		if !ok {
			continue
		}
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return false
		}
	}
	return true
}

// applies reports whether a type condition matches a value of concrete type typ.
func (x selector) applies(cond, typ string) bool {
	e := x.e
	if cond == "" || cond == typ {
		return true
	}
	def := e.s.Types[cond]
	if def == nil {
		return false
	}
	for _, p := range e.s.GetPossibleTypes(def) {
		if p.Name == typ {
			return true
		}
	}
	return false
}

func keyOf(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}
