package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// dispatch runs a command with an id and folds what it wrote.
func (f *nodeFixture) dispatch(t *testing.T, id, typ, payload string) (commands.Result, error) {
	t.Helper()
	res, err := f.app.Dispatch(context.Background(), commands.Command{Type: typ, ID: id, Payload: json.RawMessage(payload)})
	if serr := f.sync(context.Background()); serr != nil {
		t.Fatal(serr)
	}
	return res, err
}

// answerOf is a Result as the endpoint answers it, without the duplicate flag.
func answerOf(t *testing.T, res commands.Result) string {
	t.Helper()
	res.Duplicate = false
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func (f *nodeFixture) head(t *testing.T) int64 {
	t.Helper()
	h, err := f.log.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int64(h)
}

// The issue: a node.create retried with its id after it was stored answered 409 (the name was
// taken, by itself). Every command retried with its id answers its first result, positions,
// ids and data alike, with duplicate set, and writes nothing; the payload may come with its keys
// in another order.
func TestRetryAnswersTheFirstResult(t *testing.T) {
	f := newNodeFixture(t)
	site := f.create(t, "TestSite", map[string]any{"name": "lyon"})
	loadFiles := func(names ...string) string {
		var files []commands.ObjectFile
		for _, n := range names {
			files = append(files, commands.ObjectFile{Name: n + ".yml", Content: "apiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestTag\n  data:\n    - name: " + n + "\n"})
		}
		raw, _ := json.Marshal(commands.LoadObjects{Files: files})
		return string(raw)
	}
	cases := []struct {
		name, typ, payload, reordered string
	}{
		{"create", commands.TypeCreateNode, `{"kind":"TestSite","data":{"name":"paris","description":"hq"}}`,
			`{"data":{"description":"hq","name":"paris"},"kind":"TestSite"}`},
		{"update", commands.TypeUpdateNode, fmt.Sprintf(`{"kind":"TestSite","id":%q,"data":{"description":"south"}}`, site), ""},
		{"upsert", commands.TypeUpsertNode, `{"kind":"TestTag","data":{"name":"red"}}`, ""},
		{"batch", commands.TypeBatch, `{"operations":[{"type":"node.create","ref":"s","payload":{"kind":"TestSite","data":{"name":"nice"}}},` +
			`{"type":"node.create","payload":{"kind":"TestDevice","data":{"name":"r9","site":{"ref":"s"}}}}]}`, ""},
		{"object load, one file", commands.TypeLoadObjects, loadFiles("green"), ""},
		{"object load, two files", commands.TypeLoadObjects, loadFiles("amber", "teal"), ""},
		{"schema load", commands.TypeLoadSchema, `{"schemas":[{"version":"1.0","nodes":[{"name":"Rack","namespace":"Test","attributes":[{"name":"name","kind":"Text"}]}]}]}`, ""},
		{"branch create", commands.TypeCreateBranch, `{"name":"b1"}`, ""},
		{"delete", commands.TypeDeleteNode, fmt.Sprintf(`{"kind":"TestSite","id":%q}`, site), ""},
		{"diagnostic", commands.TypeRecordDiagnostic, `{"data":{"x":1}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "retry-" + strings.ReplaceAll(c.name, " ", "-")
			first, err := f.dispatch(t, id, c.typ, c.payload)
			if err != nil {
				t.Fatal(err)
			}
			if first.Duplicate || len(first.Positions) == 0 {
				t.Fatalf("first: %+v", first)
			}
			head := f.head(t)
			retries := []string{c.payload}
			if c.reordered != "" {
				retries = append(retries, c.reordered)
			}
			for _, p := range retries {
				again, err := f.dispatch(t, id, c.typ, p)
				if err != nil {
					t.Fatalf("retry: %v", err)
				}
				if !again.Duplicate || answerOf(t, again) != answerOf(t, first) {
					t.Fatalf("retry answered\n%s\nwant the first answer\n%s", answerOf(t, again), answerOf(t, first))
				}
				// Go callers get the same typed data as the first time.
				if fmt.Sprintf("%T", again.Data) != fmt.Sprintf("%T", first.Data) {
					t.Fatalf("retry data is a %T, first a %T", again.Data, first.Data)
				}
			}
			if h := f.head(t); h != head {
				t.Fatalf("retries moved the log head from %d to %d", head, h)
			}
		})
	}
	if n := len(f.view(t, "main").Nodes("TestSite")); n != 2 { // paris and nice (lyon deleted)
		t.Fatalf("%d sites, want 2", n)
	}
}

// The issue: a command id reused with another payload answered duplicate with data of a node
// that was never created. It is refused as an idempotency conflict naming the id, and nothing is
// written; the same holds for another type under the id, and for an object load of several files.
func TestReusedIDWithAnotherPayloadIsRefused(t *testing.T) {
	f := newNodeFixture(t)
	if _, err := f.dispatch(t, "c-1", commands.TypeCreateNode, `{"kind":"TestSite","data":{"name":"paris"}}`); err != nil {
		t.Fatal(err)
	}
	files := `{"files":[{"name":"a.yml","content":"kind: Object\nspec:\n  kind: TestTag\n  data:\n    - name: a\n"},{"name":"b.yml","content":"kind: Object\nspec:\n  kind: TestTag\n  data:\n    - name: b\n"}]}`
	if _, err := f.dispatch(t, "load-1", commands.TypeLoadObjects, files); err != nil {
		t.Fatal(err)
	}
	head := f.head(t)
	cases := []struct{ id, typ, payload string }{
		{"c-1", commands.TypeCreateNode, `{"kind":"TestSite","data":{"name":"lyon"}}`},
		{"c-1", commands.TypeUpsertNode, `{"kind":"TestSite","data":{"name":"paris"}}`},
		{"c-1", commands.TypeRecordDiagnostic, `{"data":{}}`},
		{"load-1", commands.TypeLoadObjects, strings.ReplaceAll(files, "name: b", "name: c")},
	}
	for _, c := range cases {
		_, err := f.dispatch(t, c.id, c.typ, c.payload)
		cl := fault.Classify(err)
		if !errors.Is(err, commands.ErrIdempotencyConflict) || cl.Status != http.StatusConflict || cl.Code != "idempotency_conflict" ||
			!strings.Contains(err.Error(), fmt.Sprintf("command id %q", c.id)) {
			t.Errorf("%s %s: %v (%d %s), want an idempotency conflict naming the id", c.id, c.typ, err, cl.Status, cl.Code)
		}
	}
	if h := f.head(t); h != head {
		t.Fatalf("refused commands moved the log head from %d to %d", head, h)
	}
	v := f.view(t, "main")
	if n, tags := len(v.Nodes("TestSite")), len(v.Nodes("TestTag")); n != 1 || tags != 2 {
		t.Fatalf("%d sites and %d tags, want 1 and 2", n, tags)
	}
}

// Requests with the same id arriving together, through two processes on one log (whose commands
// do not take turns): one writes, every one answers its result.
func TestConcurrentRetriesAnswerOneResult(t *testing.T) {
	f := newNodeFixture(t)
	other := anotherApp(t, f.log, f.store, f.fold)
	const n = 8
	results := make([]commands.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := f.app
			if i%2 == 1 {
				app = other
			}
			results[i], errs[i] = app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, ID: "together",
				Payload: json.RawMessage(`{"kind":"TestTag","data":{"name":"shared"}}`)})
		}()
	}
	wg.Wait()
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	written := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if !results[i].Duplicate {
			written++
		}
		if answerOf(t, results[i]) != answerOf(t, results[0]) {
			t.Fatalf("request %d answered %s, request 0 %s", i, answerOf(t, results[i]), answerOf(t, results[0]))
		}
	}
	if written != 1 || len(f.view(t, "main").Nodes("TestTag")) != 1 {
		t.Fatalf("%d requests wrote, %d tags; want 1 and 1", written, len(f.view(t, "main").Nodes("TestTag")))
	}
}

// Over HTTP: the retry answers 200 with the first body and "duplicate": true; another payload
// under the id answers 409 idempotency_conflict.
func TestEndpointIdempotency(t *testing.T) {
	f := newNodeFixture(t)
	h := &commands.Endpoint{Commands: f.app}
	body := `{"type":"node.create","id":"http-1","payload":{"kind":"TestSite","data":{"name":"oslo"}}}`
	status, first := post(h, http.MethodPost, body)
	if status != 200 || first["duplicate"] != nil {
		t.Fatalf("first: %d %v", status, first)
	}
	_ = f.sync(context.Background())
	status, again := post(h, http.MethodPost, body)
	if status != 200 || again["duplicate"] != true {
		t.Fatalf("retry: %d %v", status, again)
	}
	delete(again, "duplicate")
	if a, b := fmt.Sprint(again), fmt.Sprint(first); a != b {
		t.Fatalf("retry answered %s, first %s", a, b)
	}
	status, conflict := post(h, http.MethodPost, strings.Replace(body, "oslo", "bergen", 1))
	e, _ := conflict["error"].(map[string]any)
	if status != 409 || e["code"] != "idempotency_conflict" || !strings.Contains(fmt.Sprint(e["message"]), `"http-1"`) {
		t.Fatalf("reused id: %d %v", status, conflict)
	}
	_ = f.sync(context.Background())
	if n := len(f.view(t, "main").Nodes("TestSite")); n != 1 {
		t.Fatalf("%d sites, want 1", n)
	}
}
