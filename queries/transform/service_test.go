package transform_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/queries/transform"
)

var mainScope = graph.Scope{Branch: "main"}

// The render is Python Jinja2's byte for byte (testdata/render.py made the golden from
// testdata/device_data.json, which is the query's answer here with its ids named).
func TestRenderJinja2Golden(t *testing.T) {
	f := newFixture(t)
	for _, ref := range []string{"device_config", f.ids["transform"]} {
		out, err := f.svc.RenderJinja2(context.Background(), mainScope, ref, map[string]any{"name": "r1"})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if want := golden(t); out.Content != want {
			t.Fatalf("%s: render differs from Python's:\n got %q\nwant %q", ref, out.Content, want)
		}
		if out.Commit != "c1" {
			t.Errorf("commit = %q", out.Commit)
		}
		want := []string{f.ids["r1"], f.ids["eth0"], f.ids["eth1"]}
		slices.Sort(want)
		if !slices.Equal(out.Deps, want) {
			t.Errorf("deps = %v, want %v", out.Deps, want)
		}
		// The context Python rendered is the answer here.
		named := string(out.Data)
		for _, n := range []string{"r1", "eth0", "eth1"} {
			named = strings.ReplaceAll(named, `"`+f.ids[n]+`"`, `"ID-`+n+`"`)
		}
		raw, err := os.ReadFile("testdata/device_data.json")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := canonical(t, []byte(named)), canonical(t, raw); !reflect.DeepEqual(got, want) {
			t.Fatalf("data = %s\nwant %s", named, raw)
		}
	}
}

// canonical decodes the device answer with its interfaces sorted by name (the template sorts
// them; the file lists them in another order on purpose).
func canonical(t testing.TB, raw []byte) any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	node := v["TestDevice"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	edges := node["interfaces"].(map[string]any)["edges"].([]any)
	name := func(e any) string {
		return e.(map[string]any)["node"].(map[string]any)["name"].(map[string]any)["value"].(string)
	}
	slices.SortFunc(edges, func(a, b any) int { return strings.Compare(name(a), name(b)) })
	return v
}

// countingFS counts the opens of each file (it offers Open alone: Stat and ReadFile open too).
type countingFS struct {
	fs    fs.FS
	opens map[string]*atomic.Int64
}

func (c countingFS) Open(name string) (fs.File, error) {
	if n, ok := c.opens[name]; ok {
		n.Add(1)
	}
	return c.fs.Open(name)
}

// 1,000 renders of one template read and parse it (and its include) once: the environment of a
// repository's commit is kept.
func TestRenderCachesEnvironment(t *testing.T) {
	f := newFixture(t)
	cfs := countingFS{fs: repoFS(t), opens: map[string]*atomic.Int64{"templates/device.j2": {}, "templates/footer.j2": {}}}
	f.files.set(f.ids["demo"], "c1", cfs)
	f.files.calls.Store(0)
	want := golden(t)
	for i := 0; i < 1000; i++ {
		out, err := f.svc.RenderJinja2(context.Background(), mainScope, "device_config", map[string]any{"name": "r1"})
		if err != nil {
			t.Fatal(err)
		}
		if out.Content != want {
			t.Fatalf("render %d differs", i)
		}
	}
	if n := f.files.calls.Load(); n != 1 {
		t.Errorf("Files called %d times for one commit, want 1", n)
	}
	for name, n := range cfs.opens {
		if n.Load() > 2 { // a Stat and a read
			t.Errorf("%s opened %d times in 1,000 renders", name, n.Load())
		}
	}

	// A new commit of the repository is a new environment: its template is read.
	changed := repoFS(t)
	changed["templates/footer.j2"] = &fstest.MapFile{Data: []byte("! v2")}
	f.files.set(f.ids["demo"], "c2", changed)
	f.command(t, "node.update", map[string]any{"kind": "CoreRepository", "id": f.ids["demo"], "data": map[string]any{"commit": "c2"}})
	out, err := f.svc.RenderJinja2(context.Background(), mainScope, "device_config", map[string]any{"name": "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.Content, "shutdown\n! v2") || out.Commit != "c2" {
		t.Fatalf("render at c2 = %q (commit %s)", out.Content, out.Commit)
	}
}

func TestRenderErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A query answer holding errors names the query.
	_, err := f.svc.RenderJinja2(ctx, mainScope, "device_config", nil)
	var qe *transform.QueryError
	if !errors.As(err, &qe) || qe.Query != "device_info" || !strings.HasPrefix(err.Error(), "GraphQLQuery device_info: ") {
		t.Fatalf("missing variable: %v", err)
	}
	// A variable of the wrong type from a URL is named.
	_, err = f.svc.RenderJinja2(ctx, mainScope, "device_config", map[string]any{"name": transform.FromURL{"r1"}, "limit": transform.FromURL{"ten"}})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "variable limit (Int)") {
		t.Fatalf("bad Int: %v", err)
	}
	if _, err := f.svc.RenderJinja2(ctx, mainScope, "nope", nil); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown transform: %v", err)
	}
	// A template missing from the commit, a syntax error, a commit the repository lacks.
	broken := repoFS(t)
	delete(broken, "templates/footer.j2")
	f.files.set(f.ids["demo"], "c3", broken)
	f.command(t, "node.update", map[string]any{"kind": "CoreRepository", "id": f.ids["demo"], "data": map[string]any{"commit": "c3"}})
	_, err = f.svc.RenderJinja2(ctx, mainScope, "device_config", map[string]any{"name": "r1"})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "TemplateNotFound: templates/footer.j2") || !strings.Contains(err.Error(), "commit c3") {
		t.Fatalf("missing include: %v", err)
	}
	syntax := repoFS(t)
	syntax["templates/device.j2"] = &fstest.MapFile{Data: []byte("line one\n{% if %}\n")}
	f.files.set(f.ids["demo"], "c4", syntax)
	f.command(t, "node.update", map[string]any{"kind": "CoreRepository", "id": f.ids["demo"], "data": map[string]any{"commit": "c4"}})
	_, err = f.svc.RenderJinja2(ctx, mainScope, "device_config", map[string]any{"name": "r1"})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "TemplateSyntaxError") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("syntax error: %v", err)
	}
	f.command(t, "node.update", map[string]any{"kind": "CoreRepository", "id": f.ids["demo"], "data": map[string]any{"commit": "c9"}})
	if _, err = f.svc.RenderJinja2(ctx, mainScope, "device_config", map[string]any{"name": "r1"}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown commit: %v", err)
	}
}

func TestRunQuery(t *testing.T) {
	f := newFixture(t)
	resp, err := f.svc.RunQuery(context.Background(), mainScope, "device_info", map[string]any{"name": transform.FromURL{"r2"}, "limit": transform.FromURL{"5"}, "other": transform.FromURL{"x"}})
	if err != nil || len(resp.Errors) > 0 {
		t.Fatalf("RunQuery: %v %v", err, resp.Errors)
	}
	if !strings.Contains(string(resp.Data), `"name":{"value":"r2"}`) || strings.Contains(string(resp.Data), `"r1"`) {
		t.Fatalf("data = %s", resp.Data)
	}
	// RunQuery refuses a stored mutation; Run with readOnly false runs it.
	f.create(t, "mut", "CoreGraphQLQuery", map[string]any{"name": "tag_it", "query": `mutation { TestDeviceUpdate(data: {hfid: ["r2"], asn: {value: 7}}) { ok } }`})
	resp, err = f.svc.RunQuery(context.Background(), mainScope, "tag_it", nil)
	if err != nil || len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, "GET only reads") {
		t.Fatalf("mutation through RunQuery: %v %v", err, resp.Errors)
	}
	resp, err = f.svc.Run(context.Background(), mainScope, "tag_it", nil, false)
	if err != nil || len(resp.Errors) > 0 || string(resp.Data) != `{"TestDeviceUpdate":{"ok":true}}` {
		t.Fatalf("mutation through Run: %v %v %s", err, resp.Errors, resp.Data)
	}
}

func TestConvertVariables(t *testing.T) {
	const q = `query q($s: String!, $i: Int, $f: Float, $b: Boolean!, $id: ID, $l: [String!], $li: [Int], $obj: SomeInput) { x }`
	got, err := transform.ConvertVariables("q", q, map[string]any{
		"s": transform.FromURL{"a", "b"}, "i": transform.FromURL{"-12"}, "f": transform.FromURL{"1.5"}, "b": transform.FromURL{"false"},
		"id": transform.FromURL{"42"}, "l": transform.FromURL{"x", "y"}, "li": transform.FromURL{"1", "2"},
		"obj": transform.FromURL{`{"a": 1}`}, "undeclared": transform.FromURL{"z"}, "typed": 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"s": "b", "i": int64(-12), "f": 1.5, "b": false, "id": "42", "l": []any{"x", "y"},
		"li": []any{int64(1), int64(2)}, "obj": map[string]any{"a": json.Number("1")}, "typed": 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for name, v := range map[string]string{"i": "1.5", "f": "x", "b": "maybe", "li": "z"} {
		_, err := transform.ConvertVariables("q", q, map[string]any{name: transform.FromURL{v}})
		if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "variable "+name+" ") || !strings.Contains(err.Error(), "query q") {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
}

func TestNodeIDs(t *testing.T) {
	got, err := transform.NodeIDs([]byte(`{"a":{"id":"n2","x":[{"id":"n1","name":{"value":"id"}},{"id":"n2"}],"id2":"no",
		"nested":{"edges":[{"node":{"id":"n3","peer":{"id":null}}}]}},"b":["id","n9"],"c":{"value":"id"},"d":{"id":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"n1", "n2", "n3"}; !slices.Equal(got, want) {
		t.Fatalf("NodeIDs = %v, want %v", got, want)
	}
}
