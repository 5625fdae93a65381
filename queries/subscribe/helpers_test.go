package subscribe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/queries/subscribe"
	"github.com/infrahub-go/infrahub/schema"
)

// memSource is a Source over a slice of events: history after a position, then live appends,
// each subscriber with a buffer of its own (full: the subscription ends with an overflow).
type memSource struct {
	buffer int
	mu     sync.Mutex
	evs    []activity.Event
	subs   map[*memSub]bool
}

type memSub struct {
	f    activity.Filter
	ch   chan activity.Event
	over chan struct{}
}

func newMemSource(buffer int) *memSource { return &memSource{buffer: buffer, subs: map[*memSub]bool{}} }

func matches(f activity.Filter, ev activity.Event) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	named := len(f.Names) == 0
	for _, n := range f.Names {
		if n == ev.Name || strings.HasSuffix(n, ".") && strings.HasPrefix(ev.Name, n) {
			named = true
		}
	}
	kind, id := "", ""
	if ev.PrimaryNode != nil {
		kind, id = ev.PrimaryNode.Kind, ev.PrimaryNode.ID
	}
	if kind != "" && f.AllowedKinds != nil && !f.AllowedKinds(kind) {
		return false
	}
	return named && in(f.Branches, ev.Branch) && in(f.Kinds, kind) && in(f.NodeIDs, id) && in(f.AccountIDs, ev.AccountID)
}

func (m *memSource) Head(context.Context) (events.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.evs) == 0 {
		return 0, nil
	}
	return m.evs[len(m.evs)-1].Position, nil
}

// Append adds events at the next positions.
func (m *memSource) Append(evs ...activity.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range evs {
		ev.Position = events.Position(len(m.evs) + 1)
		if ev.ID == "" {
			ev.ID = fmt.Sprintf("ev-%d", ev.Position)
		}
		m.evs = append(m.evs, ev)
		for s := range m.subs {
			if !matches(s.f, ev) {
				continue
			}
			select {
			case s.ch <- ev:
			default:
				close(s.over)
				delete(m.subs, s)
			}
		}
	}
}

func (m *memSource) Subscribe(ctx context.Context, after events.Position, f activity.Filter, deliver func(activity.Event) error) error {
	s := &memSub{f: f, ch: make(chan activity.Event, m.buffer), over: make(chan struct{})}
	m.mu.Lock()
	var past []activity.Event
	for _, ev := range m.evs {
		if ev.Position > after && matches(f, ev) {
			past = append(past, ev)
		}
	}
	m.subs[s] = true
	m.mu.Unlock()
	defer func() { m.mu.Lock(); delete(m.subs, s); m.mu.Unlock() }()
	last := after
	give := func(ev activity.Event) error {
		if ev.Position <= last {
			return nil
		}
		if err := deliver(ev); err != nil {
			return err
		}
		last = ev.Position
		return nil
	}
	for _, ev := range past {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := give(ev); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.over:
			return &activity.OverflowError{After: last}
		case ev := <-s.ch:
			if err := give(ev); err != nil {
				return err
			}
		}
	}
}

const testSchema = `
version: "1.0"
nodes:
  - name: Device
    namespace: Test
    attributes:
      - {name: name, kind: Text}
  - name: Secret
    namespace: Test
    attributes:
      - {name: name, kind: Text}
`

// env is a server of subscriptions on 127.0.0.1: requests with the header X-Test-User: limited
// act for an account that may view TestDevice only; other requests for nobody in particular
// (in-process, may see all).
type env struct {
	src    *memSource
	srv    *httptest.Server
	sub    *subscribe.Server
	wsURL  string
	mu     sync.Mutex
	ran    []string // RunQuery calls: branch/name
	limits limits.Limits
}

var limited = &authz.Identity{AccountID: "acc-limited", Name: "limited", AccountType: "User",
	Permissions: authz.NewPermissions(nil, []authz.ObjectPermission{{Namespace: "Test", Name: "Device", Action: authz.View, Decision: authz.AllowAll}})}

func newEnv(t *testing.T, buffer int, tune func(*limits.Limits)) *env {
	t.Helper()
	f, err := schema.Parse("test.yml", []byte(testSchema))
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{src: newMemSource(buffer), limits: limits.Default()}
	if tune != nil {
		tune(&e.limits)
	}
	x := &graphql.Executor{Schemas: &graphql.Schemas{}, Default: "main", Limits: e.limits,
		SchemaOf: func(b string) (*schema.Set, bool) { return set, b == "main" || b == "other" }}
	e.sub, err = subscribe.New(subscribe.Config{Source: e.src, Head: e.src.Head, Executor: x, Limits: e.limits,
		RunQuery: func(ctx context.Context, branch, name string, vars map[string]any) (json.RawMessage, error) {
			e.mu.Lock()
			e.ran = append(e.ran, branch+"/"+name)
			n := len(e.ran)
			e.mu.Unlock()
			if name != "devices" {
				return nil, fmt.Errorf("unable to find the CoreGraphQLQuery %s", name)
			}
			return json.RawMessage(fmt.Sprintf(`{"TestDevice":{"count":%d},"vars":%s}`, n, mustJSON(vars))), nil
		},
		Authenticate: func(ctx context.Context, h http.Header) (*authz.Identity, error) {
			if h.Get("X-INFRAHUB-KEY") == "limited-key" || h.Get("Authorization") == "Bearer limited-token" {
				return limited, nil
			}
			if h.Get("X-INFRAHUB-KEY") == "" && h.Get("Authorization") == "" {
				return nil, nil // no credentials: in-process (sees everything)
			}
			return nil, fmt.Errorf("invalid token")
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.sub.Register(mux)
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "plain graphql", http.StatusTeapot) })
	h := e.sub.Wrap(mux)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-User") == "limited" {
			r = r.WithContext(authz.With(r.Context(), limited))
		}
		h.ServeHTTP(w, r)
	}))
	e.wsURL = "ws" + strings.TrimPrefix(e.srv.URL, "http")
	t.Cleanup(func() {
		e.sub.Close()
		e.srv.Close()
	})
	return e
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// device is a node event of a TestDevice (or another kind) on a branch.
func device(name, kind, branch, id string) activity.Event {
	return activity.Event{Name: name, Branch: branch, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		PrimaryNode: &activity.NodeRef{ID: id, Kind: kind}, RelatedNodes: []activity.NodeRef{},
		Attributes: []activity.AttributeChange{{Name: "name", Kind: "Text", Value: id + "-new", ValuePrevious: id + "-old", Action: activity.ActionUpdated}}}
}
