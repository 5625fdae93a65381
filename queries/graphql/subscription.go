package graphql

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/infrahub-go/infrahub/projections/activity"
)

// Root fields of the Subscription type. Execute refuses subscriptions (they are served over
// WebSocket by package queries/subscribe): PrepareSubscription validates one and Subscription
// renders what it sends.
const (
	// SubscriptionQuery is Infrahub's query(name, params, interval) subscription
	// (backend/infrahub/graphql/subscription/__init__.py): the stored CoreGraphQLQuery named
	// name, run with params as its variables every interval seconds (10 when not given), its
	// data sent each time.
	SubscriptionQuery = "query"
	// SubscriptionEvents is infrahub-go's InfrahubEvents subscription: the events of the log
	// (node and branch changes), in log order, live, from a position on.
	SubscriptionEvents = "InfrahubEvents"
)

// subscriptionSDL is the Subscription root and the types InfrahubEvents sends.
const subscriptionSDL = `
"""A node an event is about"""
type InfrahubStreamNode {
  id: String!
  kind: String!
}

"""An attribute of the node of an event: its value after and before the change"""
type InfrahubStreamAttribute {
  name: String!
  kind: String
  value: GenericScalar
  value_previous: GenericScalar
  """added, updated, removed or unchanged"""
  action: String!
}

"""A peer added to or removed from a relationship of the node of an event"""
type InfrahubStreamRelationship {
  name: String!
  peer: InfrahubStreamNode!
  """added or removed"""
  action: String!
}

"""An event of the log as InfrahubEvents sends it"""
type InfrahubStreamEvent {
  """The event's id, unique and stable"""
  id: String!
  """infrahub.node.created, infrahub.node.updated, infrahub.node.deleted, infrahub.branch.created, ..."""
  event: String!
  branch: String
  occurred_at: DateTime!
  """The account that made the change (null: the server)"""
  account_id: String
  level: Int!
  parent_id: String
  has_children: Boolean!
  primary_node: InfrahubStreamNode
  related_nodes: [InfrahubStreamNode!]!
  attributes: [InfrahubStreamAttribute!]!
  relationships: [InfrahubStreamRelationship!]!
  """What the event carries beside the above (branch, group, artifact and merge details)"""
  payload: GenericScalar
  """The log position the event was derived from: InfrahubEvents(after:) resumes after it"""
  position: String!
}

type Subscription {
  """Run a stored GraphQL query (CoreGraphQLQuery) every interval seconds (default 10) and send its data"""
  query(name: String, params: GenericScalar, interval: Int): GenericScalar
  """The events of the log in order, live: after a log position (the position of the last event received; none: from now), of event names (exact, or a prefix ending with '.' or '.*'), of primary nodes of kinds (generics match the kinds inheriting them), of ids (primary nodes), related_ids (primary or related nodes), branches, account_ids"""
  InfrahubEvents(after: String, event_type: [String!], kinds: [String!], ids: [String!], related_ids: [String!], branches: [String!], account_ids: [String!]): InfrahubStreamEvent
}
`

// Subscription is a validated subscription operation: its root field and arguments, and how
// its messages are rendered. It is not safe for concurrent use.
type Subscription struct {
	Field  string         // SubscriptionQuery or SubscriptionEvents
	Args   map[string]any // the field's arguments, variables applied
	Branch string         // the branch the document was validated against
	key    string         // the field's response key
	rkey   string         // what the messages' rendering depends on (RenderKey)
	e      *exec
	f      *ast.Field
}

// PrepareSubscription validates a subscription document against the GraphQL schema of the
// request's branch (the same cache, limits and validation as Execute) and answers its root
// field, or the answer refusing it (a document that is not a subscription is refused).
func (x *Executor) PrepareSubscription(ctx context.Context, req Request) (*Subscription, *Response) {
	fail := func(code, format string, args ...any) *Response {
		return &Response{Errors: gqlerror.List{coded(code, gqlerror.Errorf(format, args...))}}
	}
	l := x.limits()
	if req.Branch == "" {
		req.Branch = x.Default
	}
	if len(req.Query) > l.QueryBytes {
		return nil, fail(CodeLimit, "the document's length in bytes is %d, at most %d (INFRAHUB_GRAPHQL_MAX_QUERY_BYTES)", len(req.Query), l.QueryBytes)
	}
	set, ok := x.SchemaOf(req.Branch)
	if !ok {
		return nil, fail(CodeNotFound, "branch %q not found", req.Branch)
	}
	s, doc, resp := x.document(set, req, l)
	if resp != nil {
		return nil, resp
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		if req.OperationName == "" {
			return nil, fail(CodeBadInput, "the document has several operations: give operationName")
		}
		return nil, fail(CodeBadInput, "no operation named %q in the document", req.OperationName)
	}
	if op.Operation != ast.Subscription {
		return nil, fail(CodeBadInput, "the operation %s is a %s: send it over HTTP, a WebSocket serves subscriptions", nameOr(op.Name), op.Operation)
	}
	vars, verr := validator.VariableValues(s, op, req.Variables)
	if verr != nil {
		var ge *gqlerror.Error
		if !errors.As(verr, &ge) {
			ge = gqlerror.Errorf("%v", verr)
		}
		return nil, &Response{Errors: gqlerror.List{coded(CodeBadInput, ge)}}
	}
	e := &exec{x: x, ctx: ctx, s: s, set: set, doc: doc, vars: vars, limits: l}
	e.sel = selector{e}
	fields := e.sel.collect(op.SelectionSet, s.Subscription.Name)
	if len(fields) != 1 || fields[0].Name == "__typename" {
		return nil, fail(CodeBadInput, "a subscription selects exactly one root field, %s selects %d", nameOr(op.Name), len(fields))
	}
	f := fields[0]
	return &Subscription{Field: f.Name, Args: f.ArgumentMap(vars), Branch: req.Branch, key: keyOf(f),
		rkey: renderKey(s, req, vars), e: e, f: f}, nil
}

// RenderKey identifies how the subscription renders an event: subscriptions with the same
// key render the same event to the same bytes (the same schema, document, operation and
// variables), so a server may render an event once for all of them.
func (s *Subscription) RenderKey() string { return s.rkey }

func renderKey(s *ast.Schema, req Request, vars map[string]any) string {
	h := sha256.New()
	fmt.Fprintf(h, "%p\x00%s\x00%d:%s\x00", s, req.Branch, len(req.OperationName), req.OperationName)
	raw, err := json.Marshal(vars) // maps marshal with sorted keys
	if err != nil {
		raw = []byte(fmt.Sprintf("%p", &vars)) // unique: never shared
	}
	fmt.Fprintf(h, "%d:%s\x00", len(raw), raw)
	h.Write([]byte(req.Query))
	return string(h.Sum(nil))
}

// Result is the data of a message of the query subscription: {"<key>": data}.
func (s *Subscription) Result(data json.RawMessage) json.RawMessage {
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	out := appendString([]byte{'{'}, s.key)
	out = append(append(append(out, ':'), data...), '}')
	return out
}

// Event is the data of a message of the InfrahubEvents subscription for ev: {"<key>": {...}},
// the fields its selection set asks for.
func (s *Subscription) Event(ev activity.Event) json.RawMessage {
	var w jsonWriter
	w.beginObject()
	w.key(s.key)
	s.render(&w, s.f.SelectionSet, s.f.Definition.Type.Name(), EventValue(ev))
	w.valueDone()
	w.endObject()
	return w.bytes()
}

// render writes a value made of maps, lists and scalars by a selection set: a field without a
// selection set is written whole (GenericScalar values are maps too).
func (s *Subscription) render(w *jsonWriter, sel ast.SelectionSet, typ string, v any) {
	switch x := v.(type) {
	case map[string]any:
		w.beginObject()
		for _, f := range s.e.sel.collect(sel, typ) {
			w.key(keyOf(f))
			switch {
			case f.Name == "__typename":
				w.value(typ)
			case len(f.SelectionSet) == 0:
				w.value(x[f.Name])
			default:
				s.render(w, f.SelectionSet, f.Definition.Type.Name(), x[f.Name])
			}
			w.valueDone()
		}
		w.endObject()
	case []any:
		w.beginArray()
		for _, item := range x {
			s.render(w, sel, typ, item)
		}
		w.endArray()
	default:
		w.value(v)
	}
}

// EventValue is ev as the InfrahubStreamEvent object (field names to values), as Subscription
// renders it and the SSE stream sends it.
func EventValue(ev activity.Event) map[string]any {
	node := func(n activity.NodeRef) map[string]any { return map[string]any{"id": n.ID, "kind": n.Kind} }
	related := make([]any, 0, len(ev.RelatedNodes))
	for _, n := range ev.RelatedNodes {
		related = append(related, node(n))
	}
	attrs := make([]any, 0, len(ev.Attributes))
	for _, a := range ev.Attributes {
		attrs = append(attrs, map[string]any{"name": a.Name, "kind": nilIfEmpty(a.Kind), "value": a.Value,
			"value_previous": a.ValuePrevious, "action": a.Action})
	}
	rels := make([]any, 0, len(ev.Relationships))
	for _, r := range ev.Relationships {
		rels = append(rels, map[string]any{"name": r.Name, "peer": node(r.Peer), "action": r.Action})
	}
	var primary any
	if ev.PrimaryNode != nil {
		primary = node(*ev.PrimaryNode)
	}
	var payload any
	if len(ev.Payload) > 0 {
		payload = ev.Payload
	}
	return map[string]any{
		"id": ev.ID, "event": ev.Name, "branch": nilIfEmpty(ev.Branch), "occurred_at": ev.OccurredAt,
		"account_id": nilIfEmpty(ev.AccountID), "level": ev.Level, "parent_id": nilIfEmpty(ev.ParentID),
		"has_children": ev.HasChildren, "primary_node": primary, "related_nodes": related,
		"attributes": attrs, "relationships": rels, "payload": payload,
		"position": strconv.FormatInt(int64(ev.Position), 10),
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
