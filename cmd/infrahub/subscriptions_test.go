package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// subsSchema is the small schema of TestSubscriptionsEndToEnd: devices and tags.
const subsSchema = `{"version": "1.0", "nodes": [
 {"name": "Device", "namespace": "Testing", "human_friendly_id": ["name__value"],
  "attributes": [{"name": "name", "kind": "Text", "unique": true}, {"name": "status", "kind": "Text", "optional": true}]},
 {"name": "Tag", "namespace": "Testing", "human_friendly_id": ["name__value"],
  "attributes": [{"name": "name", "kind": "Text", "unique": true}, {"name": "color", "kind": "Text", "optional": true}]}]}`

// logEvent is one event of the log as a subscriber sees it: (position, name, branch, primary
// node). The oracle knows them from the writes the test made.
type logEvent struct {
	Pos  int64
	Ev   string
	Br   string
	Node string
	Kind string
}

func (e logEvent) String() string {
	return fmt.Sprintf("%d:%s:%s:%s:%s", e.Pos, e.Ev, e.Br, e.Kind, e.Node)
}

// received is one event a subscriber printed.
type received struct {
	Sub  string `json:"sub"`
	Pos  int64  `json:"pos"`
	ID   string `json:"id"`
	Ev   string `json:"ev"`
	Br   string `json:"br"`
	Node string `json:"node"`
	Kind string `json:"kind"`
}

// subSpec is one subscriber of subscribers.mjs.
type subSpec struct {
	Name  string         `json:"name"`
	Key   string         `json:"key"`
	After string         `json:"after"`
	Vars  map[string]any `json:"vars"`
	want  func(logEvent) bool
}

// graphqlWSDir installs the npm graphql-ws client (with ws and graphql) once in the user's
// cache, as queries/subscribe's tests do, and copies testdata/subscribers.mjs beside its
// node_modules. Without node (outside CI) the test is skipped.
func graphqlWSDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("node is not installed: the graphql-ws (npm) subscribers need node and npm")
		}
		t.Fatal("node is required in CI for the graphql-ws subscribers")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "infrahub-go-test", "graphql-ws-6.4.2")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws", "package.json")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir,
			"graphql-ws@6.4.2", "ws@8", "graphql@16")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install graphql-ws: %v\n%s", err, out)
		}
	}
	src, err := os.ReadFile(filepath.Join("testdata", "subscribers.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "subscribers.mjs"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// subCollector gathers what the subscriber processes print.
type subCollector struct {
	t    *testing.T
	dir  string
	url  string
	mu   sync.Mutex
	got  map[string][]received
	errs *syncBuffer
}

// launch runs one node process with subs and returns it (its output is collected until it ends).
func (c *subCollector) launch(subs []subSpec) *exec.Cmd {
	c.t.Helper()
	spec, _ := json.Marshal(subs)
	cmd := exec.Command("node", filepath.Join(c.dir, "subscribers.mjs"))
	cmd.Env = append(os.Environ(), "URL="+c.url, "SUBS="+string(spec))
	cmd.Stderr = c.errs
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r received
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			if r.Sub == "" {
				close(started)
				continue
			}
			c.mu.Lock()
			c.got[r.Sub] = append(c.got[r.Sub], r)
			c.mu.Unlock()
		}
	}()
	c.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		c.t.Fatalf("the subscribers did not start\n%s", c.errs.String())
	}
	return cmd
}

func (c *subCollector) of(sub string) []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got[sub])
}

// subsWriter makes the test's writes and keeps, from their answers, the events of the log: the
// oracle.
type subsWriter struct {
	t    *testing.T
	base string
	log  []logEvent
}

type subsOp struct {
	typ, kind, id string
	data          map[string]any
}

// batch writes ops on br as one batch command: each op is one log event at the position the
// answer gives for it.
func (w *subsWriter) batch(br string, ops []subsOp) {
	w.t.Helper()
	var list []map[string]any
	for _, op := range ops {
		list = append(list, map[string]any{"type": op.typ, "payload": map[string]any{"kind": op.kind, "id": op.id, "data": op.data}})
	}
	res := postCommand(w.t, w.base, "batch", map[string]any{"branch": br, "operations": list})
	pos, _ := res["positions"].([]any)
	nodes, _ := res["data"].(map[string]any)["nodes"].([]any)
	if len(pos) != len(ops) || len(nodes) != len(ops) {
		w.t.Fatalf("a batch of %d operations answered %d positions and %d nodes", len(ops), len(pos), len(nodes))
	}
	for i, op := range ops {
		ev := map[string]string{"node.create": "infrahub.node.created", "node.update": "infrahub.node.updated"}[op.typ]
		if got := nodes[i].(map[string]any)["id"]; got != op.id {
			w.t.Fatalf("operation %d: node %v, want %s", i, got, op.id)
		}
		w.log = append(w.log, logEvent{Pos: int64(pos[i].(float64)), Ev: ev, Br: br, Node: op.id, Kind: op.kind})
	}
}

// branch runs branch.create or branch.delete: one event on the branch.
func (w *subsWriter) branch(typ, name string) {
	w.t.Helper()
	res := postCommand(w.t, w.base, typ, map[string]any{"name": name})
	pos, _ := res["positions"].([]any)
	if len(pos) != 1 {
		w.t.Fatalf("%s %s answered positions %v", typ, name, pos)
	}
	ev := map[string]string{"branch.create": "infrahub.branch.created", "branch.delete": "infrahub.branch.deleted"}[typ]
	w.log = append(w.log, logEvent{Pos: int64(pos[0].(float64)), Ev: ev, Br: name})
}

// tagReaderKey creates an account that may view TestingTag objects and nothing else, and
// answers its API token.
func tagReaderKey(t *testing.T, base string) string {
	t.Helper()
	idOf := func(out map[string]any) string { return out["data"].(map[string]any)["id"].(string) }
	perm := idOf(postCommand(t, base, "node.create", map[string]any{"kind": "CoreObjectPermission",
		"data": map[string]any{"namespace": "Testing", "name": "Tag", "action": "view", "decision": 6}}))
	role := idOf(postCommand(t, base, "node.create", map[string]any{"kind": "CoreAccountRole",
		"data": map[string]any{"name": "tag-reader-role", "permissions": []any{map[string]any{"id": perm}}}}))
	acc := idOf(postCommand(t, base, "node.create", map[string]any{"kind": "CoreAccount",
		"data": map[string]any{"name": "tag-reader", "password": "Pw-tag-reader-0123"}}))
	postCommand(t, base, "node.create", map[string]any{"kind": "CoreAccountGroup", "data": map[string]any{"name": "tag-readers",
		"roles": []any{map[string]any{"id": role}}, "members": []any{map[string]any{"id": acc}}}})
	const tok = "0a1b2c3d-0000-4000-8000-00000000a7a6"
	postCommand(t, base, "node.create", map[string]any{"kind": "InternalAccountToken",
		"data": map[string]any{"name": "tag-reader", "token": tok, "account": map[string]any{"id": acc}}})
	return tok
}

// TestSubscriptionsEndToEnd (issue 20, acceptance 1): 8 subscribers made with the npm graphql-ws
// client over real sockets, each with its own filter, follow 10,000 node writes on two branches
// (batches; each node operation is one event) and branch events. One subscriber is killed
// midway and started again after the last position it printed; the server is stopped (SIGTERM)
// and started again on the same data and address while all the others follow (they subscribe
// again after the last position each printed); one subscribes late from the start position
// (catching up from the log), one is an account that may not view devices. Each must print
// exactly the events of the log its filter selects, in log order, with no gap and no duplicate;
// the oracle is the writes' answers (the position of each node operation).
func TestSubscriptionsEndToEnd(t *testing.T) {
	began := time.Now()
	dir := graphqlWSDir(t)
	addr, data := freeAddr(t), t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": data}
	srv := startChild(t, addr, env)
	postCommand(t, srv.base, "schema.load", map[string]any{"schemas": []json.RawMessage{json.RawMessage(subsSchema)}})
	readerKey := tagReaderKey(t, srv.base)
	start := fmt.Sprint(getStatus(t, srv.base).LogHead)
	col := &subCollector{t: t, dir: dir, url: "ws://" + addr + "/graphql", got: map[string][]received{}, errs: &syncBuffer{}}
	defer func() {
		if t.Failed() {
			t.Logf("subscribers' stderr:\n%s", col.errs.String())
		}
	}()

	const perBatch = 250
	var mainDevices, featDevices, mainTags, featTags []string
	newIDs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = uuid.NewString()
		}
		return out
	}
	mainDevices, featDevices, mainTags, featTags = newIDs(2000), newIDs(1500), newIDs(1000), newIDs(500)
	watched := append(slices.Clone(mainDevices[100:130]), featDevices[:20]...)
	watchedSet := map[string]bool{}
	for _, id := range watched {
		watchedSet[id] = true
	}
	admin := testAdminToken
	is := func(ev, kind, br string) func(logEvent) bool {
		return func(e logEvent) bool {
			return (ev == "" || strings.HasPrefix(e.Ev, ev)) && (kind == "" || e.Kind == kind) && (br == "" || e.Br == br)
		}
	}
	subsA := []subSpec{
		{Name: "all", Key: admin, After: start, Vars: map[string]any{}, want: is("", "", "")},
		{Name: "devices-created", Key: admin, After: start, Vars: map[string]any{"event_type": []string{"infrahub.node.created"}, "kinds": []string{"TestingDevice"}},
			want: is("infrahub.node.created", "TestingDevice", "")},
		{Name: "branch-feat", Key: admin, After: start, Vars: map[string]any{"branches": []string{"feat"}}, want: is("", "", "feat")},
		{Name: "branch-events", Key: admin, After: start, Vars: map[string]any{"event_type": []string{"infrahub.branch.*"}}, want: is("infrahub.branch.", "", "")},
		{Name: "branch-main", Key: admin, After: start, Vars: map[string]any{"branches": []string{"main"}}, want: is("", "", "main")},
		{Name: "tag-reader", Key: readerKey, After: start, Vars: map[string]any{}, want: func(e logEvent) bool { return e.Kind != "TestingDevice" }},
	}
	tagsSpec := subSpec{Name: "tags-resumed", Key: admin, After: start, Vars: map[string]any{"kinds": []string{"TestingTag"}}, want: is("", "TestingTag", "")}
	idsSpec := subSpec{Name: "ids-late", Key: admin, After: start, Vars: map[string]any{"ids": watched}, want: func(e logEvent) bool { return watchedSet[e.Node] }}
	col.launch(subsA)
	tagsProc := col.launch([]subSpec{tagsSpec})

	w := &subsWriter{t: t, base: srv.base}
	w.branch("branch.create", "feat")
	// Phase 1: 5,000 creates, batches alternating between the branches.
	type batch struct {
		br  string
		ops []subsOp
	}
	chunks := func(br, typ, kind string, ids []string, data func(i int) map[string]any) []batch {
		var out []batch
		for i := 0; i < len(ids); i += perBatch {
			b := batch{br: br}
			for j := i; j < min(i+perBatch, len(ids)); j++ {
				b.ops = append(b.ops, subsOp{typ: typ, kind: kind, id: ids[j], data: data(j)})
			}
			out = append(out, b)
		}
		return out
	}
	interleave := func(lists ...[]batch) []batch {
		var out []batch
		for i := 0; ; i++ {
			more := false
			for _, l := range lists {
				if i < len(l) {
					out = append(out, l[i])
					more = true
				}
			}
			if !more {
				return out
			}
		}
	}
	named := func(prefix string) func(int) map[string]any {
		return func(i int) map[string]any { return map[string]any{"name": fmt.Sprintf("%s-%05d", prefix, i)} }
	}
	phase1 := interleave(
		chunks("main", "node.create", "TestingDevice", mainDevices, named("md")),
		chunks("feat", "node.create", "TestingDevice", featDevices, named("fd")),
		chunks("main", "node.create", "TestingTag", mainTags, named("mt")),
		chunks("feat", "node.create", "TestingTag", featTags, named("ft")))
	for i, b := range phase1 {
		w.batch(b.br, b.ops)
		if i == len(phase1)/2 {
			// Kill the tags subscriber midway, once it has printed something.
			eventually(t, 20*time.Second, "the tags subscriber prints events", func() (bool, string) {
				n := len(col.of(tagsSpec.Name))
				return n > 0, fmt.Sprint(n)
			})
			_ = tagsProc.Process.Kill()
			_ = tagsProc.Wait()
		}
	}
	t.Logf("phase 1 written at %s", time.Since(began))
	col.launch([]subSpec{idsSpec})
	w.branch("branch.create", "scratch")
	w.branch("branch.delete", "scratch")

	// The server restarts on the same data and address: the subscribers subscribe again.
	if err := srv.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	srv = startChild(t, addr, env)
	w.base = srv.base
	t.Logf("server restarted at %s", time.Since(began))

	// The tags subscriber resumes after the last position it printed (it was killed midway).
	seen := col.of(tagsSpec.Name)
	if len(seen) == 0 || len(seen) >= 1500 {
		t.Fatalf("the tags subscriber printed %d events before it was killed, want some of the 1,500 written", len(seen))
	}
	tagsSpec.After = fmt.Sprint(seen[len(seen)-1].Pos)
	col.launch([]subSpec{tagsSpec})

	// Phase 2: 5,000 updates: on main, devices and tags of main; on feat, devices (some twice)
	// and tags of feat.
	status := func(prefix string) func(int) map[string]any {
		return func(i int) map[string]any { return map[string]any{"status": fmt.Sprintf("%s-%d", prefix, i)} }
	}
	color := func(i int) map[string]any { return map[string]any{"color": fmt.Sprintf("c%d", i)} }
	phase2 := interleave(
		chunks("main", "node.update", "TestingDevice", mainDevices, status("m")),
		chunks("feat", "node.update", "TestingDevice", featDevices, status("f")),
		chunks("feat", "node.update", "TestingDevice", featDevices[:500], status("ff")),
		chunks("main", "node.update", "TestingTag", mainTags[:500], color),
		chunks("feat", "node.update", "TestingTag", featTags, color))
	for _, b := range phase2 {
		w.batch(b.br, b.ops)
	}
	t.Logf("phase 2 written at %s", time.Since(began))

	slices.SortFunc(w.log, func(a, b logEvent) int { return int(a.Pos - b.Pos) })
	nodeOps := 0
	for _, e := range w.log {
		if strings.HasPrefix(e.Ev, "infrahub.node.") {
			nodeOps++
		}
	}
	if nodeOps != 10_000 {
		t.Fatalf("%d node writes, want 10,000", nodeOps)
	}
	all := append(append(subsA, tagsSpec), idsSpec)
	expected := map[string][]logEvent{}
	for _, s := range all {
		for _, e := range w.log {
			if s.want(e) {
				expected[s.Name] = append(expected[s.Name], e)
			}
		}
	}
	// Every subscriber gets at least what its filter selects, then nothing more comes.
	eventually(t, 40*time.Second, "every subscriber has its events", func() (bool, string) {
		var behind []string
		for _, s := range all {
			if got, want := len(col.of(s.Name)), len(expected[s.Name]); got < want {
				behind = append(behind, fmt.Sprintf("%s %d/%d", s.Name, got, want))
			}
		}
		return len(behind) == 0, strings.Join(behind, ", ")
	})
	time.Sleep(300 * time.Millisecond)
	ids := map[int64]string{}
	for _, s := range all {
		got := col.of(s.Name)
		var seen []logEvent
		for _, r := range got {
			seen = append(seen, logEvent{Pos: r.Pos, Ev: r.Ev, Br: r.Br, Node: r.Node, Kind: r.Kind})
			if id, ok := ids[r.Pos]; ok && id != r.ID {
				t.Errorf("%s: the event at %d has id %s, another subscriber saw %s", s.Name, r.Pos, r.ID, id)
			}
			ids[r.Pos] = r.ID
		}
		want := expected[s.Name]
		if len(want) == 0 {
			t.Fatalf("%s: the filter selects nothing", s.Name)
		}
		if !slices.Equal(seen, want) {
			for i := range max(len(seen), len(want)) {
				var g, x string
				if i < len(seen) {
					g = seen[i].String()
				}
				if i < len(want) {
					x = want[i].String()
				}
				if g != x {
					t.Errorf("%s: %d events, want %d; first difference at %d: got %s, want %s", s.Name, len(seen), len(want), i, g, x)
					break
				}
			}
			continue
		}
		t.Logf("%s: %d events, exactly the log's", s.Name, len(seen))
	}
	// The same Hub through the SSE stream: the tags of feat from the start position.
	sse := sseEvents(t, srv.base+"/api/events/stream?after="+start+"&kinds=TestingTag&branches=feat", 1000)
	var want []logEvent
	for _, e := range w.log {
		if e.Kind == "TestingTag" && e.Br == "feat" {
			want = append(want, e)
		}
	}
	if !slices.Equal(sse, want) {
		t.Errorf("SSE: %d events, want %d (first %v, want %v)", len(sse), len(want), sse[:min(1, len(sse))], want[:1])
	}
	if n := len(expected["tag-reader"]); n != len(w.log)-7500 {
		t.Errorf("the tag reader's events: %d, want every event but the 7,500 of devices", n)
	}
	t.Logf("total %s", time.Since(began))
}

// sseEvents reads n events of an SSE stream (then one more read, which must time out: no extra
// event) as logEvents.
func sseEvents(t *testing.T, url string, n int) []logEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case lines <- d:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var out []logEvent
	for {
		wait := 10 * time.Second
		if len(out) >= n {
			wait = 300 * time.Millisecond
		}
		select {
		case d, ok := <-lines:
			if !ok {
				t.Fatalf("the SSE stream ended after %d events", len(out))
			}
			var ev struct {
				Event, Branch, Position string
				PrimaryNode             *struct{ ID, Kind string } `json:"primary_node"`
			}
			if err := json.Unmarshal([]byte(d), &ev); err != nil {
				t.Fatalf("SSE data %s: %v", d, err)
			}
			e := logEvent{Ev: ev.Event, Br: ev.Branch}
			fmt.Sscan(ev.Position, &e.Pos)
			if ev.PrimaryNode != nil {
				e.Node, e.Kind = ev.PrimaryNode.ID, ev.PrimaryNode.Kind
			}
			out = append(out, e)
		case <-time.After(wait):
			if len(out) < n {
				t.Fatalf("SSE: %d events in 10 s, want %d", len(out), n)
			}
			return out
		}
	}
}
