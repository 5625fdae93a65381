package graphql_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

func newHTTP(t *testing.T) (*fixture, *httptest.Server) {
	t.Helper()
	f := newFixture(t, fixtureSchema)
	mux := http.NewServeMux()
	(&graphql.Handler{X: f.x}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// answer is a GraphQL answer as JSON.
type answer struct {
	Data   map[string]any   `json:"data"`
	Errors []map[string]any `json:"errors"`
}

func do(t *testing.T, req *http.Request) (int, answer) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, a
}

func post(t *testing.T, u, body string) (int, answer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func names(a answer, kind string) []string {
	var out []string
	k, _ := a.Data[kind].(map[string]any)
	edges, _ := k["edges"].([]any)
	for _, e := range edges {
		n := e.(map[string]any)["node"].(map[string]any)
		out = append(out, n["name"].(map[string]any)["value"].(string))
	}
	return out
}

func TestHTTPEndpoints(t *testing.T) {
	f, srv := newHTTP(t)
	f.create(t, "", "TestTag", map[string]any{"name": "blue"})
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "team/feature"})
	f.create(t, "team/feature", "TestTag", map[string]any{"name": "green"})
	const list = `{"query": "{ TestTag(order: {}) { edges { node { name { value } } } } }"}`

	// POST on the default branch and on a branch whose name holds a slash.
	if code, a := post(t, srv.URL+"/graphql", list); code != 200 || strings.Join(names(a, "TestTag"), ",") != "blue" {
		t.Fatalf("POST /graphql: %d %v", code, a)
	}
	if code, a := post(t, srv.URL+"/graphql/team/feature", list); code != 200 || strings.Join(names(a, "TestTag"), ",") != "blue,green" {
		t.Fatalf("POST /graphql/team/feature: %d %v", code, a)
	}

	// GET with ?query= and variables; a mutation over GET is refused.
	q := url.Values{"query": {`query($n: [String]) { TestTag(name__values: $n) { count } }`}, "variables": {`{"n": ["blue", "green"]}`}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql/team/feature?"+q.Encode(), nil)
	if code, a := do(t, req); code != 200 || a.Data["TestTag"].(map[string]any)["count"].(float64) != 2 {
		t.Fatalf("GET /graphql/team/feature: %d %v", code, a)
	}
	q = url.Values{"query": {`mutation { TestTagCreate(data: {name: {value: "red"}}) { ok } }`}}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/graphql?"+q.Encode(), nil)
	if code, a := do(t, req); code != 405 || !strings.Contains(a.Errors[0]["message"].(string), "POST") {
		t.Fatalf("mutation over GET: %d %v", code, a)
	}

	// Bad inputs name what is wrong: a request that is not GraphQL is a 400, an unknown branch a
	// 404 (as Infrahub answers them).
	for _, c := range []struct {
		path, body, want string
		code             int
	}{
		{"/graphql?at=yesterday", list, "parameter at", 400},
		{"/graphql", `{"query": `, "body", 400},
		{"/graphql/nope", list, "nope", 404},
	} {
		code, a := post(t, srv.URL+c.path, c.body)
		if code != c.code || len(a.Errors) == 0 || !strings.Contains(a.Errors[0]["message"].(string), c.want) {
			t.Errorf("POST %s %s: %d %v, want an error naming %q", c.path, c.body, code, a, c.want)
		}
	}

	// SDL of a branch.
	resp, err := http.Get(srv.URL + "/schema.graphql?branch=team/feature")
	if err != nil {
		t.Fatal(err)
	}
	sdl, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(sdl), "type TestTag implements CoreNode") {
		t.Fatalf("GET /schema.graphql: %d %.300s", resp.StatusCode, sdl)
	}
}

// A browser asking for /graphql gets GraphiQL, whose scripts and styles all come from this
// server (no CDN), gzipped or not.
func TestGraphiQL(t *testing.T) {
	_, srv := newHTTP(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/graphql/team/feature", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /graphql from a browser: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(page), `"/graphql/team/feature"`) {
		t.Errorf("the page does not send its documents to its own branch endpoint:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"d][^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) != 4 {
		t.Fatalf("want 4 assets (react, react-dom, graphiql js and css), got %v", refs)
	}
	wants := map[string]string{"react.js": "React", "react-dom.js": "ReactDOM", "graphiql.js": "GraphiQL", "graphiql.css": ".graphiql-container"}
	for _, ref := range refs {
		src := ref[1]
		if !strings.HasPrefix(src, "/graphiql/") {
			t.Errorf("asset %s is not served by this server", src)
			continue
		}
		want := wants[strings.TrimPrefix(src, "/graphiql/")]
		for _, zip := range []bool{true, false} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+src, nil)
			tr := &http.Transport{DisableCompression: true}
			if zip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = resp.Body
			if zip {
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("%s: not gzipped for a client that accepts it", src)
				}
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			b, _ := io.ReadAll(body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(b) < 1000 || !strings.Contains(string(b), want) {
				t.Errorf("%s (gzip %v): %d, %d bytes, without %q", src, zip, resp.StatusCode, len(b), want)
			}
		}
	}
	resp, err = http.Get(srv.URL + "/graphiql/missing.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
}

// fullIntrospection asks what GraphiQL and the SDK ask at start: every option of graphql-js's
// introspection document, with type references nested nine levels deep.
const fullIntrospection = `query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

func TestFullIntrospection(t *testing.T) {
	_, srv := newHTTP(t)
	body, _ := json.Marshal(map[string]any{"query": fullIntrospection, "operationName": "IntrospectionQuery"})
	code, a := post(t, srv.URL+"/graphql", string(body))
	if code != 200 || len(a.Errors) > 0 {
		t.Fatalf("introspection: %d %v", code, a.Errors)
	}
	s := a.Data["__schema"].(map[string]any)
	if s["queryType"].(map[string]any)["name"] != "Query" || s["mutationType"].(map[string]any)["name"] != "Mutation" {
		t.Fatalf("root types: %v %v", s["queryType"], s["mutationType"])
	}
	found := false
	for _, ty := range s["types"].([]any) {
		if ty.(map[string]any)["name"] == "TestDevice" {
			found = len(ty.(map[string]any)["fields"].([]any)) > 3
		}
	}
	if !found {
		t.Fatal("introspection lists no TestDevice type with its fields")
	}
	// Data documents stay bounded in depth (answered 200 with the error, as every GraphQL error).
	deep := "id"
	for range 6 {
		deep = "interfaces { edges { node { device { node { " + deep + " } } } } }"
	}
	deep = "{ TestDevice { edges { node { " + deep + " } } } }"
	body, _ = json.Marshal(map[string]any{"query": deep})
	if code, a := post(t, srv.URL+"/graphql", string(body)); code != 200 || len(a.Errors) == 0 || a.Errors[0]["extensions"].(map[string]any)["code"] != "QUERY_TOO_COMPLEX" {
		t.Fatalf("deep document: %d %v", code, a.Errors)
	}
}
