package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/queries/httpguard"
	"github.com/infrahub-go/infrahub/queries/rest"
)

const testSchema = `
version: "1.0"
nodes:
  - name: Tag
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: color, kind: Text, optional: true}
  - name: Device
    namespace: Test
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: asn, kind: Number, optional: true}
    relationships:
      - {name: tags, peer: TestTag, cardinality: many, optional: true}
`

// fixture is a log written through the commands, the node Store folded from it and the REST
// read endpoints over the memory adapter of the read port, behind the check of the positions a
// read names (httpguard.Positions) as the server puts them.
type fixture struct {
	log      *sqlite.Store
	store    *nodes.Store
	dispatch *commands.Service
	fold     *projections.Inline
	port     *memory.Reader
	mux      *http.ServeMux
	srv      *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	f := &fixture{log: log}
	if f.store, err = nodes.New(); err != nil {
		t.Fatal(err)
	}
	f.fold = projections.NewInline(log, f.store)
	if f.dispatch, err = commands.New(commands.Config{Log: log, Catalogue: f.store.Catalogue(), State: f.store, WaitFor: f.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	// wait folds the log, then waits for a position beyond it until ctx ends: nothing else
	// writes.
	wait := func(ctx context.Context, pos events.Position) error {
		if err := f.sync(ctx); err != nil || f.store.Position() >= pos {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	}

	port, err := memory.New(memory.Config{Store: f.store, WaitFor: wait})
	if err != nil {
		t.Fatal(err)
	}
	f.port = port
	f.mux = http.NewServeMux()
	(&rest.Dump{Graph: port, Default: branch.Default}).Register(f.mux)
	(&rest.Diffs{Graph: port}).Register(f.mux)
	(&rest.Nodes{Graph: port, Default: branch.Default}).Register(f.mux)
	positions := &httpguard.Positions{Head: log.Head, Wait: port, MaxWait: limits.Default().MinPositionWait}
	f.srv = httptest.NewServer(positions.Wrap(f.mux))
	t.Cleanup(f.srv.Close)

	raw, _ := json.Marshal(testSchema)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return f
}

func (f *fixture) sync(ctx context.Context) error { return f.fold.WaitFor(ctx, 0) }

func (f *fixture) command(t *testing.T, typ string, payload any) commands.Result {
	t.Helper()
	raw, _ := json.Marshal(payload)
	res, err := f.dispatch.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// oldDump is what GET /api/dump answered before it read through the port: the View's dump in
// a map.
func (f *fixture) oldDump(t *testing.T, name string, at events.Position) string {
	t.Helper()
	v, err := f.store.View(name, at)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{"branch": v.Branch, "position": v.Position, "nodes": v.Dump()})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw) + "\n"
}

func TestDumpAndDiff(t *testing.T) {
	f := newFixture(t)
	create := func(br, kind string, data map[string]any) commands.Result {
		return f.command(t, commands.TypeCreateNode, map[string]any{"branch": br, "kind": kind, "data": data})
	}
	create("", "TestTag", map[string]any{"name": "red", "color": map[string]any{"value": "Red", "is_protected": true}})
	first := f.store.Position()
	time.Sleep(2 * time.Millisecond)
	create("", "TestTag", map[string]any{"name": "blue"})
	create("", "TestDevice", map[string]any{"name": "d1", "asn": 65001, "tags": []any{"red", "blue"}})
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "b1"})
	f.command(t, commands.TypeUpdateNode, map[string]any{"branch": "b1", "kind": "TestDevice", "hfid": []string{"d1"}, "data": map[string]any{"asn": 65002}})
	res := create("b1", "TestTag", map[string]any{"name": "green"})
	head := res.Positions[len(res.Positions)-1]

	// The answer is byte for byte the one of before the port.
	for _, tt := range []struct {
		query  string
		branch string
		at     events.Position
	}{
		{"", "main", 0},
		{"?branch=b1", "b1", 0},
		{"?branch=main&at=" + itoa(first), "main", first},
		{"?at=0&min_position=" + itoa(head), "main", 0},
	} {
		code, body := f.get(t, "/api/dump"+tt.query)
		if want := f.oldDump(t, tt.branch, tt.at); code != http.StatusOK || body != want {
			t.Errorf("GET /api/dump%s = %d\n%s\nwant 200\n%s", tt.query, code, body, want)
		}
	}
	// A time: the position current then; before the first write, an empty dump at 0.
	at := url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
	if code, body := f.get(t, "/api/dump?at="+at); code != http.StatusOK || !strings.Contains(body, `"position":`+itoa(head)) {
		t.Errorf("dump at now = %d %s; want the head %d", code, body, head)
	}
	early := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano))
	if code, body := f.get(t, "/api/dump?branch=b1&at="+early); code != http.StatusOK || body != `{"branch":"b1","nodes":[],"position":0}`+"\n" {
		t.Errorf("dump before the first write = %d %s; want an empty dump at 0", code, body)
	}
	for path, want := range map[string]int{
		"/api/dump?branch=nope":               http.StatusNotFound,
		"/api/dump?at=yesterday":              http.StatusBadRequest,
		"/api/dump?at=-3":                     http.StatusBadRequest,
		"/api/dump?min_position=x":            http.StatusBadRequest,
		"/api/diff":                           http.StatusBadRequest,
		"/api/diff?branch=main":               http.StatusBadRequest,
		"/api/diff?branch=nope":               http.StatusNotFound,
		"/api/diff?branch=b1&min_position=-1": http.StatusBadRequest,
	} {
		if code, body := f.get(t, path); code != want || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s = %d %s; want %d with an error", path, code, body, want)
		}
	}

	// The diff is the Store's.
	d, err := f.store.Diff("b1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	var want, got map[string]any
	_ = json.Unmarshal(raw, &want)
	code, body := f.get(t, "/api/diff?branch=b1&min_position="+itoa(head))
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GET /api/diff?branch=b1 = %d\n%s\nwant 200\n%s", code, body, raw)
	}
	if d.Counts.Added != 1 || d.Counts.Updated != 1 {
		t.Errorf("diff counts = %+v; want green added, d1 updated", d.Counts)
	}
}

// A position beyond the log head is refused at once on every read, naming the head: no write
// makes it current, and answering the present instead would be wrong.
func TestPositionsBeyondTheHead(t *testing.T) {
	f := newFixture(t)
	head, err := f.log.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/nodes/TestTag", "/api/nodes/TestTag/x", "/api/nodes/TestTag/x/peers/tags", "/api/dump", "/api/diff?branch=main"} {
		for _, param := range []string{"min_position", "at"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			start := time.Now()
			code, body := f.get(t, path+sep+param+"=1000000")
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			_ = json.Unmarshal([]byte(body), &e)
			if code != http.StatusBadRequest || e.Error.Code != "invalid_command" || !strings.Contains(e.Error.Message, "parameter "+param) ||
				!strings.Contains(e.Error.Message, "log head "+itoa(head)) {
				t.Errorf("GET %s with %s beyond the head = %d %s; want 400 naming %s and the head %d", path, param, code, body, param, head)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("GET %s with %s beyond the head took %s; want an answer at once", path, param, d)
			}
		}
	}
}

func itoa(n events.Position) string {
	raw, _ := json.Marshal(n)
	return string(raw)
}
