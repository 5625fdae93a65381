package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Limits against abusive documents.
const (
	MaxQueryBytes = 1 << 20 // length of a document
	MaxDepth      = 30      // nesting of selections (real documents reach 19)
	MaxFields     = 5_000   // selections in a document, fragments expanded once
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

	docs docCache
}

// docCache keeps validated documents by schema and text: clients send the same few documents
// again and again, and a validated document is only read afterwards.
type docCache struct {
	mu   sync.Mutex
	docs map[docKey]*ast.QueryDocument
}

type docKey struct {
	s     *ast.Schema
	query string
}

// maxDocs bounds the cache; when full it starts again empty.
const maxDocs = 1024

func (c *docCache) validate(s *ast.Schema, query string) (*ast.QueryDocument, gqlerror.List) {
	k := docKey{s, query}
	c.mu.Lock()
	doc, ok := c.docs[k]
	c.mu.Unlock()
	if ok {
		return doc, nil
	}
	doc, errs := Validate(s, query)
	if len(errs) > 0 {
		return nil, errs
	}
	c.mu.Lock()
	if c.docs == nil || len(c.docs) >= maxDocs {
		c.docs = map[docKey]*ast.QueryDocument{}
	}
	c.docs[k] = doc
	c.mu.Unlock()
	return doc, nil
}

// Request is one GraphQL request.
type Request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     map[string]any  `json:"variables,omitempty"`
	Branch        string          `json:"-"`
	At            events.Position `json:"-"` // log position; 0 is the head
}

// Response is a GraphQL response; Data is nil when the document could not run at all.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors gqlerror.List   `json:"errors,omitempty"`
	// noBranch is set when the request names a branch that does not exist (HTTP 404, as in
	// Infrahub; every other answer is a 200).
	noBranch bool
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

// Execute runs one request.
func (x *Executor) Execute(ctx context.Context, req Request) Response {
	fail := func(code, format string, args ...any) Response {
		return Response{Errors: gqlerror.List{coded(code, gqlerror.Errorf(format, args...))}}
	}
	if req.Branch == "" {
		req.Branch = x.Default
	}
	if len(req.Query) > MaxQueryBytes {
		return fail(CodeLimit, "the document is %d bytes long, at most %d", len(req.Query), MaxQueryBytes)
	}
	set, ok := x.SchemaOf(req.Branch)
	if !ok {
		resp := fail(CodeNotFound, "branch %q not found", req.Branch)
		resp.noBranch = true
		return resp
	}
	s, err := x.Schemas.Get(set)
	if err != nil {
		return fail(CodeInternal, "%v", err)
	}
	doc, errs := x.docs.validate(s, req.Query)
	if len(errs) > 0 {
		for _, e := range errs {
			delete(e.Extensions, "file") // the source's name means nothing to the client
			code := CodeValidation
			if e.Rule == "" && strings.Contains(e.Message, "Unexpected") || strings.Contains(e.Message, "Expected") {
				code = CodeParse
			}
			coded(code, e)
		}
		return Response{Errors: errs}
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
	e := &exec{x: x, ctx: ctx, s: s, set: set, doc: doc, vars: vars,
		scope: graph.Scope{Branch: req.Branch, At: req.At}}
	e.sel, e.mut, e.api = selector{e}, mutator{e}, apiRoot{e}
	if err := e.sel.limits(op.SelectionSet, 1, map[string]bool{}); err != nil {
		return Response{Errors: gqlerror.List{coded(CodeLimit, gqlerror.Errorf("%v", err))}}
	}
	var w jsonWriter
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
	return Response{Data: w.bytes(), Errors: e.errs}
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
	// collected caches collect per selection set and type: a list writes the same selection
	// for each of its nodes.
	collected map[collectKey][]*ast.Field
	sel       selector // how the document's selections apply
	mut       mutator  // the mutations
	api       apiRoot  // the built-in queries: branches, status, search, relationships, pools
}

// selector resolves the document's selections: fields by response key, fragments by type
// condition, @skip and @include, and the document's limits.
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

// limits refuses documents nested deeper than MaxDepth or with more than MaxFields selections.
// Introspection (__schema, __type) is only bounded by MaxFields: it reads the static schema model,
// and GraphiQL's and the SDK's introspection documents nest ofType deeper than data queries need.
func (x selector) limits(set ast.SelectionSet, depth int, seen map[string]bool) error {
	count := 0
	var walk func(ast.SelectionSet, int) error
	walk = func(set ast.SelectionSet, depth int) error {
		if depth > MaxDepth {
			return fmt.Errorf("the document nests selections %d deep, at most %d", depth, MaxDepth)
		}
		for _, sel := range set {
			count++
			if count > MaxFields {
				return fmt.Errorf("the document has more than %d selections", MaxFields)
			}
			switch s := sel.(type) {
			case *ast.Field:
				next := depth + 1
				if s.Name == "__schema" || s.Name == "__type" {
					next = math.MinInt / 2
				}
				if err := walk(s.SelectionSet, next); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := walk(s.SelectionSet, depth); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if seen[s.Name] || s.Definition == nil {
					continue
				}
				seen[s.Name] = true
				if err := walk(s.Definition.SelectionSet, depth); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(set, depth)
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
