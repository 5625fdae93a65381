package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/activity"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/webhooks"
)

// app is a real application (commands over an inline projection and the memory reader) that
// records the tasks submitted to it.
type app struct {
	svc    *commands.Service
	fold   *projections.Inline
	reader *memory.Reader
	mu     sync.Mutex
	tasks  map[string]commands.SubmitTask
	order  []string
}

func newApp(t *testing.T) *app {
	t.Helper()
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	a := &app{fold: projections.NewInline(log, store), tasks: map[string]commands.SubmitTask{}}
	if a.svc, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: a.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if a.reader, err = memory.New(memory.Config{Store: store, WaitFor: a.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *app) dispatch(ctx context.Context, cmd commands.Command) (commands.Result, error) {
	res, err := a.svc.Dispatch(ctx, cmd)
	if err != nil {
		return res, err
	}
	if cmd.Type == commands.TypeSubmitTask {
		var p commands.SubmitTask
		_ = json.Unmarshal(cmd.Payload, &p)
		a.mu.Lock()
		if _, ok := a.tasks[p.ID]; !ok {
			a.order = append(a.order, p.ID)
		}
		a.tasks[p.ID] = p
		a.mu.Unlock()
	}
	return res, nil
}

func (a *app) create(t *testing.T, kind string, data map[string]any) string {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"kind": kind, "data": data})
	res, err := a.dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, Payload: raw})
	if err != nil {
		t.Fatalf("create %s: %v", kind, err)
	}
	return res.Data.(commands.NodeOutcome).ID
}

// receiver verifies every signature, answers 500 to the first attempt of each message, and
// keeps the bodies it accepted by webhook-id.
type receiver struct {
	t        *testing.T
	key      string
	mu       sync.Mutex
	attempts map[string]int
	accepted map[string][]byte
	headers  map[string]http.Header
	bad      int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	m := hmac.New(sha256.New, []byte(rc.key))
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if id == "" || !hmac.Equal([]byte(sig), []byte(want)) {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.attempts[id]++
	if rc.attempts[id] == 1 {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	rc.accepted[id] = body
	rc.headers[id] = r.Header.Clone()
	w.WriteHeader(http.StatusNoContent)
}

// deliver runs a task's attempts as the pool would (retrying an error that is not final) until
// it succeeds or maxAttempts is reached.
func deliver(t *testing.T, reg *workers.Registry, p commands.SubmitTask, maxAttempts int, between func(int)) (json.RawMessage, error) {
	t.Helper()
	f, ok := reg.Lookup(p.Workflow)
	if !ok {
		t.Fatalf("workflow %s not registered", p.Workflow)
	}
	var out json.RawMessage
	var err error
	for i := 1; i <= maxAttempts; i++ {
		out, err = f(context.Background(), &workers.Run{Task: task.Task{Created: task.Created{ID: p.ID, Workflow: p.Workflow, Parameters: p.Parameters}, Attempt: i}})
		if err == nil {
			return out, nil
		}
		if between != nil {
			between(i)
		}
	}
	return out, err
}

func nodeEvent(id, name, br, kind, nodeID string) activity.Event {
	return activity.Event{ID: id, Name: name, Branch: br, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		AccountID: "acct-1", PrimaryNode: &activity.NodeRef{ID: nodeID, Kind: kind},
		Attributes: []activity.AttributeChange{{Name: "name", Kind: "Text", Value: "red", Action: activity.ActionAdded}},
		Payload:    map[string]any{"data": map[string]any{"node_id": nodeID, "kind": kind, "action": "created"}}}
}

func TestDeliveriesSignedRetriedAndFiltered(t *testing.T) {
	a := newApp(t)
	rc := &receiver{t: t, key: "s3cret", attempts: map[string]int{}, accepted: map[string][]byte{}, headers: map[string]http.Header{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	env := a.create(t, "CoreEnvKeyValue", map[string]any{"name": "auth", "key": "Authorization", "value": "HOOK_TOKEN"})
	static := a.create(t, "CoreStaticKeyValue", map[string]any{"name": "team", "key": "X-Team", "value": "netops"})
	all := a.create(t, "CoreStandardWebhook", map[string]any{"name": "all", "url": srv.URL + "/all", "shared_key": "s3cret",
		"branch_scope": "all_branches", "headers": []any{map[string]any{"id": env}, map[string]any{"id": static}}})
	tags := a.create(t, "CoreStandardWebhook", map[string]any{"name": "tags", "url": srv.URL + "/tags", "shared_key": "s3cret",
		"event_type": "infrahub.node.created", "node_kind": "BuiltinTag"})
	a.create(t, "CoreStandardWebhook", map[string]any{"name": "off", "url": srv.URL + "/off", "shared_key": "s3cret", "active": false})
	a.create(t, "CoreStandardWebhook", map[string]any{"name": "others", "url": srv.URL + "/others", "shared_key": "s3cret",
		"branch_scope": "other_branches"})

	w, err := webhooks.New(webhooks.Config{Graph: a.reader, Dispatch: a.dispatch, Default: branch.Default,
		Getenv: func(n string) (string, bool) {
			if n == "HOOK_TOKEN" {
				return "Bearer t0ken", true
			}
			return "", false
		}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := workers.NewRegistry()
	if err := w.Register(reg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tagEv := nodeEvent("11111111-1111-4111-8111-111111111111", activity.NodeCreated, branch.Default, "BuiltinTag", "tag-1")
	siteEv := nodeEvent("22222222-2222-4222-8222-222222222222", activity.NodeCreated, branch.Default, "LocationSite", "site-1")
	for _, ev := range []activity.Event{tagEv, siteEv, tagEv} { // the tag event twice: one task per webhook
		if err := w.OnEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{webhooks.TaskID(tagEv.ID, all): true, webhooks.TaskID(tagEv.ID, tags): true, webhooks.TaskID(siteEv.ID, all): true}
	if len(a.tasks) != len(want) {
		t.Fatalf("tasks %v, want %d", a.order, len(want))
	}
	for id := range want {
		if _, ok := a.tasks[id]; !ok {
			t.Fatalf("task %s missing among %v", id, a.order)
		}
	}
	for _, id := range a.order {
		out, err := deliver(t, reg, a.tasks[id], 3, nil)
		if err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
		var d webhooks.Delivery
		_ = json.Unmarshal(out, &d)
		if d.Status != http.StatusNoContent {
			t.Fatalf("task %s: %+v", id, d)
		}
	}
	if rc.bad != 0 || len(rc.accepted) != 3 {
		t.Fatalf("bad signatures %d, accepted %d", rc.bad, len(rc.accepted))
	}
	for id, n := range rc.attempts {
		if n != 2 {
			t.Errorf("%s: %d attempts, want 2 (500, then the retry)", id, n)
		}
	}
	// The payload is Infrahub's (backend/infrahub/webhook/models.py: {"data": data, **EventContext}).
	for id, body := range rc.accepted {
		var p map[string]any
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p["event"] != activity.NodeCreated || p["branch"] != branch.Default || p["account_id"] != "acct-1" ||
			p["occured_at"] == "" || (p["id"] != tagEv.ID && p["id"] != siteEv.ID) || p["data"].(map[string]any)["node_id"] == nil {
			t.Errorf("%s: payload %s", id, body)
		}
	}
	var withHeaders int
	for _, h := range rc.headers {
		if h.Get("Authorization") == "Bearer t0ken" && h.Get("X-Team") == "netops" {
			withHeaders++
		}
		if h.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", h.Get("Content-Type"))
		}
	}
	if withHeaders != 2 { // the two deliveries of webhook "all"
		t.Errorf("%d deliveries carried the custom headers, want 2", withHeaders)
	}

	// A branch event reaches "all" and "others" only.
	before := len(a.tasks)
	if err := w.OnEvent(ctx, nodeEvent("33333333-3333-4333-8333-333333333333", activity.NodeUpdated, "feature", "BuiltinTag", "tag-1")); err != nil {
		t.Fatal(err)
	}
	if got := len(a.tasks) - before; got != 2 {
		t.Errorf("an event on another branch made %d tasks, want 2", got)
	}
}

func TestReceiverDownThenUp(t *testing.T) {
	a := newApp(t)
	rc := &receiver{t: t, key: "k", attempts: map[string]int{}, accepted: map[string][]byte{}, headers: map[string]http.Header{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // down
	a.create(t, "CoreStandardWebhook", map[string]any{"name": "h", "url": "http://user:pw@" + addr + "/in", "shared_key": "k"})
	w, err := webhooks.New(webhooks.Config{Graph: a.reader, Dispatch: a.dispatch, Default: branch.Default, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := workers.NewRegistry()
	_ = w.Register(reg)
	const n = 5
	for i := range n {
		ev := nodeEvent("4444444"+string(rune('0'+i))+"-4444-4444-8444-444444444444", activity.NodeCreated, branch.Default, "BuiltinTag", "t")
		if err := w.OnEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	var srv *httptest.Server
	for _, id := range a.order {
		_, err := deliver(t, reg, a.tasks[id], 8, func(attempt int) {
			if attempt == 2 && srv == nil { // the receiver comes back after two failed attempts
				l, err := net.Listen("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: rc}}
				srv.Start()
			}
		})
		if err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
	}
	defer srv.Close()
	if len(rc.accepted) != n || rc.bad != 0 {
		t.Fatalf("accepted %d of %d (bad signatures %d)", len(rc.accepted), n, rc.bad)
	}
}

func TestRefusesBadURLsAndPythonTransforms(t *testing.T) {
	a := newApp(t)
	a.create(t, "CoreStandardWebhook", map[string]any{"name": "ftp", "url": "ftp://user:secret@example.com/x", "shared_key": "k"})
	w, _ := webhooks.New(webhooks.Config{Graph: a.reader, Dispatch: a.dispatch, Default: branch.Default})
	reg := workers.NewRegistry()
	_ = w.Register(reg)
	_ = w.OnEvent(context.Background(), nodeEvent("55555555-5555-4555-8555-555555555555", activity.NodeCreated, "", "BuiltinTag", "t"))
	if len(a.order) != 1 {
		t.Fatalf("tasks %v", a.order)
	}
	_, err := deliver(t, reg, a.tasks[a.order[0]], 1, nil)
	if err == nil || !containsAll(err.Error(), "not an http or https URL") || containsAll(err.Error(), "secret") {
		t.Fatalf("error %v", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !contains(s, p) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
