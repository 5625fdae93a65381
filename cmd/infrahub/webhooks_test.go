package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookSchema is the user schema of the change-stream tests: devices with a status, and sites.
const hookSchema = `
version: "1.0"
nodes:
  - name: Device
    namespace: Hook
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: status, kind: Text, optional: true}
      - {name: mtu, kind: Number, optional: true}
    relationships:
      - {name: site, peer: HookSite, cardinality: one, optional: true}
  - name: Site
    namespace: Hook
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
`

// hookEnv is the environment of a change-stream test server: quick task retries, enough
// attempts to outlive a receiver that is down for a few seconds, and enough task slots.
func hookEnv(t *testing.T) map[string]string {
	return map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_TASK_RETRY_MAX_DELAY": "300ms",
		"INFRAHUB_TASK_MAX_ATTEMPTS": "100", "INFRAHUB_WORKERS": "8"}
}

// create runs <kind>Create with data (GraphQL input text) on a branch and answers the id.
func create(t *testing.T, base, branchName, kind, data string) string {
	t.Helper()
	out := gqlOn(t, base, branchName, fmt.Sprintf(`mutation { %sCreate(data: {%s}) { ok object { id } } }`, kind, data), nil)
	id, _ := dig(out, kind+"Create", "object", "id").(string)
	if id == "" {
		t.Fatalf("%sCreate: %v", kind, out)
	}
	return id
}

// update runs <kind>Update of id with data on a branch.
func update(t *testing.T, base, branchName, kind, id, data string) {
	t.Helper()
	out := gqlOn(t, base, branchName, fmt.Sprintf(`mutation { %sUpdate(data: {id: %q, %s}) { ok } }`, kind, id, data), nil)
	if dig(out, kind+"Update", "ok") != true {
		t.Fatalf("%sUpdate: %v", kind, out)
	}
}

// waitFor polls cond every 50 ms until it holds or d passes, then fails with what it says.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, d, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receiver is a webhook endpoint: it verifies the Standard Webhooks signature of every request
// (keys by path), answers 500 to the first attempt of each message id and 200 to the others.
type receiver struct {
	t    *testing.T
	addr string
	keys map[string]string // path -> shared key

	mu       sync.Mutex
	srv      *http.Server
	attempts map[string]int         // webhook-id -> requests seen
	got      map[string]hookRequest // webhook-id -> the delivery answered 200
	bad      []string               // what was wrong with a request
}

type hookRequest struct {
	Path    string
	Header  http.Header
	Payload map[string]any
}

func newReceiver(t *testing.T, keys map[string]string) *receiver {
	r := &receiver{t: t, addr: freeAddr(t), keys: keys, attempts: map[string]int{}, got: map[string]hookRequest{}}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) url(path string) string { return "http://" + r.addr + path }

// start serves on the receiver's address (again after stop).
func (r *receiver) start() {
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port of a closed listener may take a moment to be free
		if l, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// stop closes the listener and every connection: posts fail with "connection refused".
func (r *receiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts, sig := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature")
	r.mu.Lock()
	defer r.mu.Unlock()
	fail := func(format string, a ...any) {
		r.bad = append(r.bad, req.URL.Path+" "+id+": "+fmt.Sprintf(format, a...))
		w.WriteHeader(http.StatusBadRequest)
	}
	key, ok := r.keys[req.URL.Path]
	if !ok {
		fail("no webhook posts to this path")
		return
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if id == "" || !hmac.Equal([]byte(sig), []byte(want)) {
		fail("signature %q, want %q", sig, want)
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		fail("timestamp %q", ts)
		return
	}
	var payload map[string]any
	if err := json.Unmarshal(body, &payload); err != nil {
		fail("body %q: %v", body, err)
		return
	}
	r.attempts[id]++
	if r.attempts[id] == 1 {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "first attempt refused")
		return
	}
	if _, dup := r.got[id]; !dup {
		r.got[id] = hookRequest{Path: req.URL.Path, Header: req.Header.Clone(), Payload: payload}
	}
	_, _ = io.WriteString(w, `{"received":true}`)
}

// delivered answers the deliveries answered 200 to path, and what went wrong so far.
func (r *receiver) delivered(path string) ([]hookRequest, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookRequest
	for _, g := range r.got {
		if g.Path == path {
			out = append(out, g)
		}
	}
	return out, append([]string(nil), r.bad...)
}

// hookEvents lists "event kind node_id branch" of deliveries.
func hookEvents(ds []hookRequest) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		p := d.Payload
		kind, _ := dig(p, "data", "kind").(string)
		node, _ := dig(p, "data", "node_id").(string)
		out[fmt.Sprintf("%v %s %s %v", p["event"], kind, node, p["branch"])] = true
	}
	return out
}

// Webhooks end to end on a running server (issue 20, acceptance 2): two CoreStandardWebhooks
// created over GraphQL (one for node updates of HookDevice on the default branch with a
// CoreStaticKeyValue header, one for node creations on other branches), a receiver that checks
// every Standard Webhooks signature and refuses the first attempt of each message: each
// matching change arrives once retried, no other change arrives, the task log keeps the
// request and the answers but not the shared key; a receiver down for a while loses nothing.
func TestWebhooksDelivered(t *testing.T) {
	const keyA, keyB = "whsec-A-3c1f0e9b7d", "whsec-B-99aa01f2e4"
	rcv := newReceiver(t, map[string]string{"/a": keyA, "/b": keyB})
	c := startChild(t, freeAddr(t), hookEnv(t))
	postCommand(t, c.base, "schema.load", map[string]any{"schemas": []string{hookSchema}})

	hdr := create(t, c.base, "main", "CoreStaticKeyValue", `name: {value: "tenant"}, key: {value: "X-Tenant"}, value: {value: "acme"}`)
	hookA := create(t, c.base, "main", "CoreStandardWebhook", fmt.Sprintf(`name: {value: "device-updates"}, url: {value: %q},
		shared_key: {value: %q}, event_type: {value: "infrahub.node.updated"}, branch_scope: {value: "default_branch"},
		node_kind: {value: "HookDevice"}, headers: [{id: %q}]`, rcv.url("/a"), keyA, hdr))
	create(t, c.base, "main", "CoreStandardWebhook", fmt.Sprintf(`name: {value: "branch-creations"}, url: {value: %q},
		shared_key: {value: %q}, event_type: {value: "infrahub.node.created"}, branch_scope: {value: "other_branches"}`, rcv.url("/b"), keyB))

	// Changes: only the device update on main goes to /a, only the creation on feat to /b.
	d1 := create(t, c.base, "main", "HookDevice", `name: {value: "d1"}, status: {value: "planned"}`)
	s1 := create(t, c.base, "main", "HookSite", `name: {value: "s1"}`)
	update(t, c.base, "main", "HookSite", s1, `name: {value: "s1-renamed"}`)
	update(t, c.base, "main", "HookDevice", d1, `status: {value: "active"}`)
	gqlOn(t, c.base, "main", `mutation { BranchCreate(data: {name: "feat", sync_with_git: false}, wait_until_completion: true) { ok } }`, nil)
	d2 := create(t, c.base, "feat", "HookDevice", `name: {value: "d2"}`)
	update(t, c.base, "feat", "HookDevice", d2, `status: {value: "active"}`)
	update(t, c.base, "main", "HookSite", s1, `name: {value: "s1-again"}`)

	wantA := map[string]bool{"infrahub.node.updated HookDevice " + d1 + " main": true}
	wantB := map[string]bool{"infrahub.node.created HookDevice " + d2 + " feat": true}
	waitFor(t, 20*time.Second, "the first deliveries", func() (bool, string) {
		a, bad := rcv.delivered("/a")
		b, _ := rcv.delivered("/b")
		if len(bad) > 0 {
			t.Fatalf("bad requests: %v", bad)
		}
		return len(a) == len(wantA) && len(b) == len(wantB), fmt.Sprintf("/a %v, /b %v", hookEvents(a), hookEvents(b))
	})
	waitFor(t, 10*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, c.base) })
	a, _ := rcv.delivered("/a")
	b, _ := rcv.delivered("/b")
	if got := hookEvents(a); fmt.Sprint(got) != fmt.Sprint(wantA) {
		t.Fatalf("/a got %v, want %v", got, wantA)
	}
	if got := hookEvents(b); fmt.Sprint(got) != fmt.Sprint(wantB) {
		t.Fatalf("/b got %v, want %v", got, wantB)
	}
	if h := a[0].Header; h.Get("X-Tenant") != "acme" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("/a headers %v", h)
	}
	if h := b[0].Header; h.Get("X-Tenant") != "" {
		t.Fatalf("/b has the header of /a: %v", h)
	}
	// Infrahub's payload: data (the node mutation), id, branch, account_id, occured_at, event.
	p := a[0].Payload
	if id, _ := p["id"].(string); !uuidLike.MatchString(id) || p["account_id"] == nil || p["occured_at"] == nil ||
		dig(p, "data", "action") != "updated" {
		t.Fatalf("/a payload %v", p)
	}
	rcv.mu.Lock()
	for id, n := range rcv.attempts {
		if n != 2 {
			t.Errorf("message %s: %d attempts, want 2 (a 500, then a 200)", id, n)
		}
	}
	rcv.mu.Unlock()

	// The task log of the delivery to /a: the request and both answers, never the key.
	data := gqlData(t, c.base, `query($id: [String]) { InfrahubTask(workflow: ["webhook-process"], related_node__ids: $id) {
		count edges { node { id state parameters logs { edges { node { message severity } } } } } } }`, map[string]any{"id": []string{hookA}})
	if n := dig(data, "InfrahubTask", "count"); n != float64(1) {
		t.Fatalf("delivery tasks of /a: %v", data)
	}
	tk := dig(dig(data, "InfrahubTask", "edges").([]any)[0], "node")
	var lines []string
	for _, e := range dig(tk, "logs", "edges").([]any) {
		lines = append(lines, dig(e, "node", "message").(string))
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"POST " + rcv.url("/a") + " (attempt 1) headers:", "X-Tenant", "webhook-signature",
		"answered 500: first attempt refused", "(attempt 2)", `answered 200: {"received":true}`} {
		if !strings.Contains(all, want) {
			t.Errorf("task log lacks %q:\n%s", want, all)
		}
	}
	if dig(tk, "state") != "COMPLETED" {
		t.Errorf("delivery task %v", tk)
	}
	scanForSecrets(t, mustJSON(data), c.logs.String(), []string{keyA, keyB})

	// The receiver is down: the changes made meanwhile arrive once it is back.
	rcv.stop()
	for i, s := range []string{"maintenance", "active", "retired"} {
		update(t, c.base, "main", "HookDevice", d1, fmt.Sprintf(`status: {value: %q}, mtu: {value: %d}`, s, 1500+i))
	}
	waitFor(t, 10*time.Second, "the deliveries while the receiver is closed", func() (bool, string) {
		data := gqlData(t, c.base, `query { InfrahubTask(workflow: ["webhook-process"]) { count } }`, nil)
		n, _ := dig(data, "InfrahubTask", "count").(float64)
		return n == 5, fmt.Sprintf("%v delivery tasks", n)
	})
	time.Sleep(2 * time.Second) // several attempts fail meanwhile
	rcv.start()
	waitFor(t, 20*time.Second, "the deliveries made while the receiver was down", func() (bool, string) {
		a, _ := rcv.delivered("/a")
		return len(a) == 4, fmt.Sprint(hookEvents(a))
	})
	waitFor(t, 10*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, c.base) })
	a, bad := rcv.delivered("/a")
	if len(bad) > 0 || len(a) != 4 {
		t.Fatalf("/a: %v, bad %v", hookEvents(a), bad)
	}
	for _, d := range a {
		if d.Payload["event"] != "infrahub.node.updated" || dig(d.Payload, "data", "node_id") != d1 {
			t.Fatalf("delivery %v", d.Payload)
		}
	}
	// Every delivery made while the receiver was down failed at least once against it.
	data = gqlData(t, c.base, `query { InfrahubTask(workflow: ["webhook-process"], log_limit: 1000) { edges { node { logs { edges { node { message } } } } } } }`, nil)
	refused := 0
	for _, e := range dig(data, "InfrahubTask", "edges").([]any) {
		if strings.Contains(mustJSON(dig(e, "node", "logs")), "connection refused") {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("deliveries that met the closed receiver: %d, want 3", refused)
	}
	data = gqlData(t, c.base, `query { InfrahubTask(workflow: ["webhook-process"]) { count edges { node { state } } } }`, nil)
	if n := dig(data, "InfrahubTask", "count"); n != float64(5) || strings.Count(mustJSON(data), "COMPLETED") != 5 {
		t.Fatalf("delivery tasks: %v", data)
	}
}

// A change written just before the server is killed is delivered after the restart: the
// webhooks resume from their saved position in the log, not from the new head.
func TestWebhookDeliveredAfterKill(t *testing.T) {
	const key = "whsec-kill-7f3a9c"
	rcv := newReceiver(t, map[string]string{"/k": key})
	env, addr := hookEnv(t), freeAddr(t)
	c := startChild(t, addr, env)
	postCommand(t, c.base, "schema.load", map[string]any{"schemas": []string{hookSchema}})
	create(t, c.base, "main", "CoreStandardWebhook", fmt.Sprintf(`name: {value: "kill"}, url: {value: %q},
		shared_key: {value: %q}, event_type: {value: "infrahub.node.updated"}, branch_scope: {value: "all_branches"}`, rcv.url("/k"), key))
	d := create(t, c.base, "main", "HookDevice", `name: {value: "k1"}, status: {value: "planned"}`)
	time.Sleep(700 * time.Millisecond) // past the reactors' saving interval: their positions are saved
	update(t, c.base, "main", "HookDevice", d, `status: {value: "active"}`)
	c.kill() // at once: the webhooks most likely never saw the update
	c = startChild(t, addr, env)
	waitFor(t, 30*time.Second, "the update delivered after the restart", func() (bool, string) {
		got, bad := rcv.delivered("/k")
		if len(bad) > 0 {
			t.Fatalf("bad requests: %v", bad)
		}
		return hookEvents(got)["infrahub.node.updated HookDevice "+d+" main"], fmt.Sprint(hookEvents(got))
	})
}
