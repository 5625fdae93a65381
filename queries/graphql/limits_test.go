package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// fragmentBomb is issue 15's document: fragment F0 spreads F1 twice, F1 spreads F2 twice, ...,
// so that the selections expanded per use double at each of the levels fragments.
func fragmentBomb(levels int) string {
	var b strings.Builder
	b.WriteString("{ TestDevice { edges { node { ...F0 } } } }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on TestDevice { id ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on TestDevice { id }\n", levels)
	return b.String()
}

func errorCode(a answer) string {
	if len(a.Errors) == 0 {
		return ""
	}
	ext, _ := a.Errors[0]["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

func errorMessage(a answer) string {
	if len(a.Errors) == 0 {
		return ""
	}
	msg, _ := a.Errors[0]["message"].(string)
	return msg
}

// The fragment document of issue 15 (1.4 KB, never answered before) is refused over HTTP with
// QUERY_TOO_COMPLEX before validation, in well under 100 ms.
func TestFragmentBombRefusedAtOnce(t *testing.T) {
	_, srv := newHTTP(t)
	doc := fragmentBomb(29)
	if len(doc) > 1600 {
		t.Fatalf("the document is %d bytes, issue 15's was 1.4 KB", len(doc))
	}
	body, _ := json.Marshal(map[string]any{"query": doc})
	best := time.Hour
	for range 3 {
		start := time.Now()
		code, a := post(t, srv.URL+"/graphql", string(body))
		best = min(best, time.Since(start))
		if code != http.StatusOK || errorCode(a) != graphql.CodeLimit || a.Data != nil ||
			!strings.Contains(errorMessage(a), "INFRAHUB_GRAPHQL_MAX_COST") {
			t.Fatalf("fragment bomb: %d %v", code, a)
		}
	}
	t.Logf("a %d-byte document of 29 nested fragments refused in %v (best of 3)", len(doc), best)
	if best > 100*time.Millisecond {
		t.Errorf("fragment bomb refused in %v at best, want under 100 ms", best)
	}
	// the server still answers
	if code, a := post(t, srv.URL+"/graphql", `{"query": "{ TestDevice { count } }"}`); code != 200 || len(a.Errors) > 0 {
		t.Fatalf("after the bomb: %d %v", code, a)
	}
}

// Costs count every fragment spread per use, depth through fragments and aliases; a fragment
// cycle is refused without walking it forever.
func TestDocumentLimits(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	l := limits.Default()
	l.QueryDepth, l.QueryCost, l.QueryAliases = 7, 40, 3
	f.x.Limits = l
	// 7 field levels inline, then the same through fragments, then 9 levels
	inline7 := `{ TestDevice { edges { node { interfaces { edges { node { id } } } } } } }`
	frag7 := `{ TestDevice { edges { ...E } } } fragment E on EdgedTestDevice { node { ...N } }
		fragment N on TestDevice { interfaces { edges { node { id } } } }`
	frag9 := `{ TestDevice { edges { ...E } } } fragment E on EdgedTestDevice { node { ...N } }
		fragment N on TestDevice { interfaces { edges { node { device { node { id } } } } } }`
	// 2 aliases in a fragment spread twice are 4 aliases
	aliases3 := `{ a: TestDevice { count } b: TestDevice { count } c: TestDevice { count } }`
	aliases4 := `{ TestDevice { edges { node { ...A } } } ...Q }
		fragment Q on Query { x: TestTag { count } ...R ...R } fragment R on Query { TestTag { count } }
		fragment A on TestDevice { y: id ...B ...B } fragment B on TestDevice { z: id }`
	// 13 selections in a fragment used three times, with the operation's: over 40
	costly := `{ TestDevice { edges { node { ...D ...D ...D } } } }
		fragment D on TestDevice { id name { value } role { value } asn { value } mgmt { value } mac { value } prefix { value } }`
	cheap := `{ TestDevice { edges { node { ...D } } } }
		fragment D on TestDevice { id name { value } role { value } asn { value } mgmt { value } mac { value } prefix { value } }`
	cycle := `{ TestDevice { edges { node { ...A } } } }
		fragment A on TestDevice { id ...B } fragment B on TestDevice { name { value } ...A }`
	for _, c := range []struct {
		name, doc, code, want string
	}{
		{"7 levels inline", inline7, "", ""},
		{"7 levels through fragments", frag7, "", ""},
		{"9 levels through fragments", frag9, graphql.CodeLimit, "nesting of fields is 9, at most 7 (INFRAHUB_GRAPHQL_MAX_DEPTH)"},
		{"a field selected 9 times", "{ " + strings.Repeat("__typename ", 9) + "}", "", ""},
		{"a field selected 10 times", "{ " + strings.Repeat("__typename ", 10) + "}", graphql.CodeLimit, "pairs of fields selected under the same name in a selection set is 45, at most 40"},
		{"a field selected 9 times in fragments", "{ ...A ...A ...A } fragment A on Query { InfrahubInfo { ...B ...B ...B } } fragment B on InfrahubInfo { version }",
			graphql.CodeLimit, "pairs of fields selected under the same name in a selection set is 42, at most 40"},
		{"3 aliases", aliases3, "", ""},
		{"aliases counted per spread", aliases4, graphql.CodeLimit, "aliased fields (every fragment spread counted per use) is 4, at most 3 (INFRAHUB_GRAPHQL_MAX_ALIASES)"},
		{"a fragment once", cheap, "", ""},
		{"a fragment three times", costly, graphql.CodeLimit, "at most 40 (INFRAHUB_GRAPHQL_MAX_COST)"},
		{"a fragment cycle", cycle, graphql.CodeValidation, "spreads itself"},
		{"the bomb", fragmentBomb(29), graphql.CodeLimit, "INFRAHUB_GRAPHQL_MAX_COST"},
		{"too long", "{ TestDevice { count } }" + strings.Repeat(" ", l.QueryBytes), graphql.CodeLimit, "INFRAHUB_GRAPHQL_MAX_QUERY_BYTES"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := f.x.Execute(context.Background(), graphql.Request{Query: c.doc})
			if c.code == "" {
				if len(resp.Errors) > 0 || resp.Data == nil {
					t.Fatalf("refused: %v", resp.Errors)
				}
				return
			}
			if len(resp.Errors) != 1 || resp.Data != nil || resp.Errors[0].Extensions["code"] != c.code ||
				!strings.Contains(resp.Errors[0].Message, c.want) {
				t.Fatalf("got %v (data %s), want %s naming %q", resp.Errors, resp.Data, c.code, c.want)
			}
		})
	}
}

// A cycle at the end of a long chain of fragments, and a long chain spreading each fragment
// twice, are measured without a stack overflow and in linear time.
func TestLongFragmentChains(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	var b strings.Builder
	const n = 20_000
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	chain := b.String()
	start := time.Now()
	resp := f.x.Execute(context.Background(), graphql.Request{Query: chain + fmt.Sprintf("fragment F%d on Query { ...F0 }\n", n)})
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != graphql.CodeValidation || !strings.Contains(resp.Errors[0].Message, "spreads itself") {
		t.Fatalf("cycle: %v", resp.Errors)
	}
	resp = f.x.Execute(context.Background(), graphql.Request{Query: chain + fmt.Sprintf("fragment F%d on Query { __typename }\n", n)})
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != graphql.CodeLimit {
		t.Fatalf("chain: %v", resp.Errors)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two documents of %d fragments measured in %v", n, d)
	}
}

// cancellingReader cancels the request's context once it has served `after` reads.
type cancellingReader struct {
	graph.Port
	after  int64
	cancel context.CancelFunc
	calls  atomic.Int64
}

func (c *cancellingReader) count() {
	if c.calls.Add(1) == c.after && c.cancel != nil {
		c.cancel()
	}
}

func (c *cancellingReader) List(ctx context.Context, s graph.Scope, q graph.Query) (graph.Page, error) {
	c.count()
	return c.Port.List(ctx, s, q)
}

func (c *cancellingReader) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	c.count()
	return c.Port.Peers(ctx, s, ids, kind, rel)
}

// A request whose client left or whose deadline passed stops at the next selection level with
// an UNAVAILABLE error and no data; one whose answer grows beyond its limit stops the same way.
func TestExecutionStopsWithItsContext(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	for d := range 3 {
		dev := f.create(t, "", "TestDevice", map[string]any{"name": fmt.Sprintf("d%d", d)})
		for i := range 2 {
			f.create(t, "", "TestInterfaceL2", map[string]any{"name": fmt.Sprintf("eth%d", i), "device": dev})
		}
	}
	deep := "id"
	for range 4 {
		deep = "interfaces { edges { node { device { node { " + deep + " } } } } }"
	}
	deep = "{ TestDevice { edges { node { " + deep + " } } } }"
	reader := &cancellingReader{Port: f.reader}
	f.x.Graph = reader
	resp := f.x.Execute(context.Background(), graphql.Request{Query: deep})
	all := reader.calls.Load()
	if len(resp.Errors) > 0 || all < 10 {
		t.Fatalf("the whole document: %d reads, %v", all, resp.Errors)
	}

	unavailable := func(t *testing.T, resp graphql.Response, cause string) {
		t.Helper()
		if resp.Data != nil || len(resp.Errors) == 0 {
			t.Fatalf("want no data and an error, got %s %v", resp.Data, resp.Errors)
		}
		last := resp.Errors[len(resp.Errors)-1]
		if last.Extensions["code"] != "UNAVAILABLE" || !strings.Contains(last.Message, cause) {
			t.Fatalf("want UNAVAILABLE naming %q, got %v", cause, resp.Errors)
		}
	}
	// cancelled while it runs: the level after the second read is not read
	ctx, cancel := context.WithCancel(context.Background())
	reader.calls.Store(0)
	reader.after, reader.cancel = 2, cancel
	unavailable(t, f.x.Execute(ctx, graphql.Request{Query: deep}), "canceled")
	if got := reader.calls.Load(); got > 2 {
		t.Errorf("%d reads after the cancellation at the 2nd (of %d)", got, all)
	}
	// a deadline already passed: nothing is read
	reader.calls.Store(0)
	reader.cancel = nil
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	unavailable(t, f.x.Execute(ctx, graphql.Request{Query: deep}), "deadline")
	if got := reader.calls.Load(); got != 0 {
		t.Errorf("%d reads past the deadline", got)
	}
	// an answer that grows beyond its limit (lists of lists multiply: the reads are batched per
	// level, the writing is not) stops there
	l := limits.Default()
	l.ResponseBytes = 1000
	f.x.Limits = l
	resp = f.x.Execute(context.Background(), graphql.Request{Query: deep})
	if resp.Data != nil || len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != graphql.CodeLimit ||
		!strings.Contains(resp.Errors[0].Message, "at most 1000 (INFRAHUB_GRAPHQL_MAX_RESPONSE_BYTES)") {
		t.Fatalf("a long answer: %s %v", resp.Data, resp.Errors)
	}
	f.x.Limits = limits.Limits{}
	// a mutation document cancelled before its first mutation writes nothing
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	unavailable(t, f.x.Execute(ctx, graphql.Request{Query: `mutation { TestTagCreate(data: {name: {value: "late"}}) { ok } }`}), "canceled")
	if out := run(t, f, graphql.Request{Query: `{ TestTag { count } }`}); fmt.Sprint(out["data"]) != "map[TestTag:map[count:0]]" {
		t.Errorf("tags after a cancelled mutation: %v", out)
	}
}

// GET only reads: a document holding a mutation or a subscription anywhere is refused with 405,
// however it is dressed (after a query and picked by operationName, after a byte order mark,
// whitespace or comments), and nothing is written.
func TestGETNeverWrites(t *testing.T) {
	f, srv := newHTTP(t)
	const create = `mutation M { TestTagCreate(data: {name: {value: "red"}}) { ok } }`
	for _, c := range []struct{ name, doc, op string }{
		{"mutation", create, ""},
		{"query first, mutation picked", `query Q { TestTag { count } } ` + create, "M"},
		{"query first, query picked", `query Q { TestTag { count } } ` + create, "Q"},
		{"byte order mark", "\ufeff" + create, ""},
		{"whitespace and comments", "\n\t , # a comment\n  " + create, ""},
		{"byte order mark then comment", "\ufeff# query\n" + create, ""},
		{"subscription", `subscription S { TestTag { count } }`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{"query": {c.doc}}
			if c.op != "" {
				q.Set("operationName", c.op)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql?"+q.Encode(), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			_ = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" ||
				!strings.Contains(errorMessage(a), "POST") || a.Data != nil {
				t.Fatalf("GET %q: %d Allow=%q %v", c.doc, resp.StatusCode, resp.Header.Get("Allow"), a)
			}
		})
	}
	if out := run(t, f, graphql.Request{Query: `{ TestTag { count } }`}); fmt.Sprint(out["data"]) != "map[TestTag:map[count:0]]" {
		t.Fatalf("a GET wrote: %v", out)
	}
	// the same mutation over POST is made
	body, _ := json.Marshal(map[string]any{"query": create})
	if code, a := post(t, srv.URL+"/graphql", string(body)); code != 200 || len(a.Errors) > 0 {
		t.Fatalf("POST: %d %v", code, a)
	}
	if out := run(t, f, graphql.Request{Query: `{ TestTag { count } }`}); fmt.Sprint(out["data"]) != "map[TestTag:map[count:1]]" {
		t.Fatalf("after the POST: %v", out)
	}
}

// Every schema edit on a branch gives a new schema hash and a new GraphQL schema: the cache keeps
// at most SchemaCache of them, and those it dropped (with the documents validated against them)
// are freed.
func TestSchemaEditsKeepBoundedSchemas(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	l := limits.Default()
	l.SchemaCache = 4
	f.x.Limits, f.x.Schemas = l, &graphql.Schemas{Max: l.SchemaCache}
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "edits"})
	var built []weak.Pointer[ast.Schema]
	attrs := ""
	for i := range 40 {
		attrs += fmt.Sprintf("      - {name: a%d, kind: Text, optional: true}\n", i)
		raw, _ := json.Marshal("version: \"1.0\"\nnodes:\n  - name: Extra\n    namespace: Test\n    attributes:\n" + attrs)
		f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Branch: "edits", Schemas: []json.RawMessage{raw}})
		doc := fmt.Sprintf(`{ TestExtra { count edges { node { a%d { value } } } } }`, i)
		if out := run(t, f, graphql.Request{Query: doc, Branch: "edits"}); out["errors"] != nil {
			t.Fatalf("edit %d: %v", i, out["errors"])
		}
		set, _ := f.x.SchemaOf("edits")
		s, err := f.x.Schemas.Get(set)
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, weak.Make(s))
		if n := f.x.Schemas.Len(); n > l.SchemaCache {
			t.Fatalf("after edit %d the cache holds %d schemas, at most %d", i, n, l.SchemaCache)
		}
	}
	runtime.GC()
	alive := 0
	for _, p := range built {
		if p.Value() != nil {
			alive++
		}
	}
	t.Logf("%d of the 40 schemas built are still in memory", alive)
	if alive > l.SchemaCache || built[len(built)-1].Value() == nil {
		t.Errorf("%d of the 40 schemas built are still in memory, want at most %d with the last", alive, l.SchemaCache)
	}
	runtime.KeepAlive(f.x.Schemas)
}
