// Package subscribe serves GraphQL subscriptions over WebSocket and the SSE event stream.
//
//	GET /graphql, /graphql/{branch} with Upgrade: websocket
//	    sub-protocols graphql-transport-ws (the graphql-ws library's) and graphql-ws (the legacy
//	    subscriptions-transport-ws); the document is validated against the branch's schema.
//	    Subscription fields: InfrahubEvents(after, event_type, kinds, ids, related_ids, branches,
//	    account_ids) and Infrahub's query(name, params, interval).
//	GET /api/events/stream?after=&event_type=&kinds=&ids=&related_ids=&branches=&account_ids=
//	    text/event-stream of the same events (id: the log position; Last-Event-ID resumes).
//
// Events come from an activity.Source in log order, from a position on (after; none: from the
// log's head), each checked against the requester's view permission of its node's kind. A
// subscriber that falls behind is ended by the Source with the position to resume after: the
// client gets an error naming it (extensions.after), then the end of the subscription.
package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/redact"
)

// Config is what a Server needs.
type Config struct {
	// Source hands out the events (an activity.Hub).
	Source activity.Source
	// Head answers the log's head: where a subscription without after starts.
	Head func(ctx context.Context) (events.Position, error)
	// Executor validates subscription documents against a branch's GraphQL schema; its
	// Default is the default branch.
	Executor *graphql.Executor
	// RunQuery runs the stored CoreGraphQLQuery name on branch with vars and answers its data
	// (the query subscription); nil refuses that subscription as not served. The context
	// carries the requester's identity (authz.From).
	RunQuery func(ctx context.Context, branch, name string, vars map[string]any) (json.RawMessage, error)
	// Authenticate answers the identity (permissions resolved) of credentials given as headers:
	// X-INFRAHUB-KEY or Authorization: Bearer, from a connection_init payload or, when the
	// upgrade request carries no identity (authz.From), from the request's headers. nil: only
	// the request's identity counts.
	Authenticate func(ctx context.Context, h http.Header) (*authz.Identity, error)
	Limits       limits.Limits // zero: limits.Default()
	Logger       *slog.Logger
}

// Server serves subscriptions. Close ends them all.
type Server struct {
	cfg    Config
	l      limits.Limits
	log    *slog.Logger
	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	active atomic.Int64 // operations and SSE streams running
	// rendered holds events as rendered for subscription documents (shared by subscriptions)
	rendered renderCache
}

// New checks cfg and answers a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Source == nil || cfg.Head == nil || cfg.Executor == nil {
		return nil, fmt.Errorf("subscribe: Source, Head and Executor are required: %w", fault.ErrInvalid)
	}
	if cfg.Limits == (limits.Limits{}) {
		cfg.Limits = limits.Default()
	}
	if err := cfg.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("subscribe: %w: %w", fault.ErrInvalid, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, l: cfg.Limits, log: cfg.Logger, ctx: ctx, cancel: cancel}, nil
}

// Close ends every subscription (WebSockets close with 1001 going away, SSE streams end) and
// waits for them.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// Wrap serves WebSocket upgrades of /graphql and /graphql/{branch} and hands every other
// request to next (GraphQL over HTTP stays with its handler).
func (s *Server) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if branch, ok := graphqlPath(r.URL.Path); ok && isUpgrade(r) {
			s.serveWS(w, r, branch)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Register adds the SSE endpoint to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/events/stream", s.serveSSE)
}

func graphqlPath(p string) (branch string, ok bool) {
	if p == "/graphql" || p == "/graphql/" {
		return "", true
	}
	if b, found := strings.CutPrefix(p, "/graphql/"); found {
		return b, true
	}
	return "", false
}

func isUpgrade(r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
				return true
			}
		}
	}
	return false
}

// identity answers who the request acts for: the identity the authentication middleware set,
// else that of its headers through Authenticate.
func (s *Server) identity(r *http.Request) (*authz.Identity, error) {
	if id := authz.From(r.Context()); id != nil || s.cfg.Authenticate == nil {
		return id, nil
	}
	return s.cfg.Authenticate(r.Context(), r.Header)
}

// acquire counts one more running operation, or answers the limit met.
func (s *Server) acquire() error {
	if n := s.active.Add(1); n > int64(s.l.Subscriptions) {
		s.active.Add(-1)
		return limits.Exceeded("the subscriptions running on this server", n, int64(s.l.Subscriptions), "INFRAHUB_SUBSCRIPTIONS_MAX")
	}
	return nil
}

func (s *Server) release() { s.active.Add(-1) }

// viewer decides the view permission of events for one identity: the kind of an event's
// primary node on its branch. Events without a primary node (branch life) are seen by all.
type viewer struct {
	id            *authz.Identity
	defaultBranch string
	mu            sync.Mutex
	seen          map[[2]string]bool
}

func newViewer(id *authz.Identity, defaultBranch string) *viewer {
	return &viewer{id: id, defaultBranch: defaultBranch, seen: map[[2]string]bool{}}
}

func (v *viewer) may(kind string, onDefault bool) bool {
	if v.id == nil {
		return true
	}
	key := [2]string{kind, strconv.FormatBool(onDefault)}
	v.mu.Lock()
	defer v.mu.Unlock()
	ok, done := v.seen[key]
	if !done {
		ok = authz.MayView(v.id, authz.KindNamed(kind), onDefault)
		v.seen[key] = ok
	}
	return ok
}

// kinds is Filter.AllowedKinds: a kind viewable on some branch (the event's branch is checked
// by allows).
func (v *viewer) kinds(kind string) bool { return v.may(kind, true) || v.may(kind, false) }

func (v *viewer) allows(ev activity.Event) bool {
	if ev.PrimaryNode == nil {
		return true
	}
	return v.may(ev.PrimaryNode.Kind, ev.Branch == "" || ev.Branch == v.defaultBranch)
}

// stream runs the events of f after a position (nil: from the head) for one identity, calling
// send with each one it may see, until ctx ends or the Source ends it.
func (s *Server) stream(ctx context.Context, id *authz.Identity, after *events.Position, f activity.Filter, send func(activity.Event) error) error {
	from := events.Position(0)
	if after != nil {
		from = *after
	} else {
		head, err := s.cfg.Head(ctx)
		if err != nil {
			return fmt.Errorf("the log's head: %w", err)
		}
		from = head
	}
	v := newViewer(id, s.cfg.Executor.Default)
	f.AllowedKinds = v.kinds
	return s.cfg.Source.Subscribe(ctx, from, f, func(ev activity.Event) error {
		if !v.allows(ev) {
			return nil
		}
		return send(ev)
	})
}

// run runs a prepared subscription, calling send with the data of each message, until ctx ends
// (nil) or it fails (the error is the message's).
func (s *Server) run(ctx context.Context, id *authz.Identity, sub *graphql.Subscription, send func(data json.RawMessage) error) error {
	switch sub.Field {
	case graphql.SubscriptionEvents:
		f, after, err := filterOfArgs(sub.Args)
		if err != nil {
			return err
		}
		err = s.stream(ctx, id, after, f, func(ev activity.Event) error { return send(s.renderEvent(sub, ev)) })
		if ctx.Err() != nil {
			return nil
		}
		return err
	case graphql.SubscriptionQuery:
		return s.runQuery(ctx, sub, send)
	}
	return fmt.Errorf("%w: the subscription %s is not served", fault.ErrInvalid, sub.Field)
}

// renderEvent is sub's data for ev, rendered once for the subscriptions of the same document
// (an event trimmed for one subscriber's permissions is rendered for it alone).
func (s *Server) renderEvent(sub *graphql.Subscription, ev activity.Event) json.RawMessage {
	if ev.Trimmed || ev.ID == "" {
		return sub.Event(ev)
	}
	return s.rendered.get(sub.RenderKey(), ev.ID, func() []byte { return sub.Event(ev) })
}

// runQuery is Infrahub's query subscription: the stored query run every interval seconds
// (default 10), its data sent when it has some.
func (s *Server) runQuery(ctx context.Context, sub *graphql.Subscription, send func(json.RawMessage) error) error {
	if s.cfg.RunQuery == nil {
		return fmt.Errorf("%w: the query subscription is not served", fault.ErrUnavailable)
	}
	name, _ := sub.Args["name"].(string)
	if name == "" {
		return fmt.Errorf("%w: query: the argument name (of a CoreGraphQLQuery) is required", fault.ErrInvalid)
	}
	interval := 10 * time.Second
	if n, ok := intArg(sub.Args["interval"]); ok && n > 0 {
		interval = time.Duration(n) * time.Second
	}
	params, _ := sub.Args["params"].(map[string]any)
	if v, ok := sub.Args["params"]; ok && v != nil && params == nil {
		return fmt.Errorf("%w: query: params must be an object of variables", fault.ErrInvalid)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		data, err := s.cfg.RunQuery(ctx, sub.Branch, name, params)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(data) > 0 && string(data) != "null" {
			if err := send(sub.Result(data)); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func intArg(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

// filterOfArgs reads InfrahubEvents' arguments.
func filterOfArgs(args map[string]any) (activity.Filter, *events.Position, error) {
	list := func(name string) []string {
		var out []string
		if l, ok := args[name].([]any); ok {
			for _, v := range l {
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	f := activity.Filter{Names: eventNames(list("event_type")), Kinds: list("kinds"), NodeIDs: list("ids"),
		RelatedIDs: list("related_ids"), Branches: list("branches"), AccountIDs: list("account_ids")}
	after, _ := args["after"].(string)
	pos, err := parseAfter(after)
	return f, pos, err
}

// eventNames turns "infrahub.node.*" into the prefix "infrahub.node." (Filter's prefixes).
func eventNames(names []string) []string {
	for i, n := range names {
		if p, ok := strings.CutSuffix(n, "*"); ok {
			names[i] = p
		}
	}
	return names
}

func parseAfter(s string) (*events.Position, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: after: %q is not a log position (a number from an event's position)", fault.ErrInvalid, s)
	}
	p := events.Position(n)
	return &p, nil
}

// errorsOf is err as GraphQL errors: extensions.code from the error family; an overflow also
// says the position to resume after (extensions.after).
func errorsOf(err error) gqlerror.List {
	err = redact.Error(err)
	ge := gqlerror.Errorf("%v", err)
	ge.Extensions = map[string]any{"code": fault.Classify(err).GraphQL}
	var of *activity.OverflowError
	if errors.As(err, &of) {
		ge.Extensions["code"] = "SUBSCRIBER_OVERFLOW"
		ge.Extensions["after"] = strconv.FormatInt(int64(of.After), 10)
	}
	if errors.Is(err, limits.ErrExceeded) {
		ge.Extensions["code"] = graphql.CodeLimit
	}
	return gqlerror.List{ge}
}
