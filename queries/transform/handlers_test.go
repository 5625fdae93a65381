package transform_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/transform"
)

// server serves the routes over the fixture; a request with X-Test-Anonymous acts for the
// anonymous identity (no permissions), others for the server itself.
type server struct {
	*fixture
	srv  *httptest.Server
	mu   sync.Mutex
	cmds []commands.Command
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{fixture: newFixture(t)}
	h, err := transform.NewHandlers(transform.HandlersConfig{Service: s.svc, Graph: s.port, Objects: s.objects, Default: branch.Default,
		Dispatch: func(ctx context.Context, cmd commands.Command) (commands.Result, error) {
			s.mu.Lock()
			s.cmds = append(s.cmds, cmd)
			s.mu.Unlock()
			return s.dispatch.Dispatch(ctx, cmd)
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Anonymous") != "" {
			r = r.WithContext(authz.With(r.Context(), authz.Anonymous))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

type answer struct {
	status int
	ctype  string
	body   string
}

func (s *server) do(t *testing.T, method, path, body string, anonymous bool) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if anonymous {
		req.Header.Set("X-Test-Anonymous", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// The SDK's query_gql_query (infrahub_sdk/client.py): POST /api/query/{name}?branch=…&update_group=false
// with {"variables": {...}}; backend/infrahub/api/query.py answers {"data": …}.
func TestQueryRoutes(t *testing.T) {
	s := newServer(t)
	a := s.do(t, "POST", "/api/query/device_info?branch=main&update_group=false", `{"variables": {"name": "r1"}}`, false)
	if a.status != 200 || a.ctype != "application/json" || !strings.HasPrefix(a.body, `{"data":{"TestDevice":{"edges":[{"node":{"id":"`+s.ids["r1"]+`"`) {
		t.Fatalf("POST: %+v", a)
	}
	// GET: every parameter but branch, at, update_group and subscribers is a variable,
	// converted to its declared type ($limit: Int).
	a = s.do(t, "GET", "/api/query/"+s.ids["query"]+"?name=r2&limit=1&update_group=false&subscribers=x", "", false)
	if a.status != 200 || !strings.Contains(a.body, `"value":"r2"`) {
		t.Fatalf("GET: %+v", a)
	}
	// Errors of the query: Infrahub's GraphQLQueryError, 502, each message naming the query.
	a = s.do(t, "GET", "/api/query/device_info", "", false)
	var body struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != http.StatusBadGateway || body.Data != nil ||
		len(body.Errors) == 0 || !strings.HasPrefix(body.Errors[0].Message, "GraphQLQuery device_info: ") {
		t.Fatalf("missing variable: %+v", a)
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/query/device_info?name=r1&limit=many", 400},
		{"/api/query/device_info?name=r1&update_group=perhaps", 400},
		{"/api/query/nope", 404},
		{"/api/query/device_info?name=r1&branch=nope", 404},
		{"/api/query/device_info?name=r1&at=yesterday", 400},
	} {
		if a := s.do(t, "GET", c.path, "", false); a.status != c.status || !strings.Contains(a.body, `"error"`) {
			t.Errorf("%s: %+v, want %d", c.path, a, c.status)
		}
	}
	// A stored mutation runs over POST only.
	s.create(t, "mut", "CoreGraphQLQuery", map[string]any{"name": "set_asn", "query": `mutation { TestDeviceUpdate(data: {hfid: ["r2"], asn: {value: 7}}) { ok } }`})
	if a := s.do(t, "GET", "/api/query/set_asn", "", false); a.status != http.StatusBadGateway {
		t.Errorf("mutation over GET: %+v", a)
	}
	if a := s.do(t, "POST", "/api/query/set_asn", `{}`, false); a.status != 200 || a.body != `{"data":{"TestDeviceUpdate":{"ok":true}}}`+"\n" {
		t.Errorf("mutation over POST: %+v", a)
	}
	if a := s.do(t, "GET", "/api/query/device_info?name=r1", "", true); a.status != http.StatusForbidden {
		t.Errorf("anonymous: %+v", a)
	}
}

// GET /api/transform/jinja2/{transform_id}: the rendered text (backend/infrahub/api/transformation.py,
// PlainTextResponse); the rest of the parameters are the query's variables.
func TestTransformRoute(t *testing.T) {
	s := newServer(t)
	for _, ref := range []string{"device_config", s.ids["transform"]} {
		a := s.do(t, "GET", "/api/transform/jinja2/"+ref+"?branch=main&name=r1", "", false)
		if a.status != 200 || a.ctype != "text/plain; charset=utf-8" || a.body != golden(t) {
			t.Fatalf("%s: %+v", ref, a)
		}
	}
	if a := s.do(t, "GET", "/api/transform/jinja2/device_config", "", false); a.status != http.StatusBadGateway || !strings.Contains(a.body, "GraphQLQuery device_info: ") {
		t.Fatalf("missing variable: %+v", a)
	}
	if a := s.do(t, "GET", "/api/transform/jinja2/nope?name=r1", "", false); a.status != 404 {
		t.Fatalf("unknown: %+v", a)
	}
	if a := s.do(t, "GET", "/api/transform/jinja2/device_config?name=r1", "", true); a.status != http.StatusForbidden {
		t.Fatalf("anonymous: %+v", a)
	}
}

// GET /api/artifact/{artifact_id}: the stored content with the artifact's content type
// (backend/infrahub/api/artifact.py get_artifact).
func TestArtifactRoute(t *testing.T) {
	s := newServer(t)
	a := s.do(t, "GET", "/api/artifact/"+s.ids["artifact"], "", false)
	if a.status != 200 || a.ctype != "text/plain" || a.body != "hostname r1\n" {
		t.Fatalf("artifact: %+v", a)
	}
	if a := s.do(t, "GET", "/api/artifact/startup-config", "", false); a.status != 404 { // by id only
		t.Fatalf("by name: %+v", a)
	}
	delete(s.objects, "0b3e7a8c-0000-8000-8000-000000000001")
	if a := s.do(t, "GET", "/api/artifact/"+s.ids["artifact"], "", false); a.status != 404 {
		t.Fatalf("content gone: %+v", a)
	}
	if a := s.do(t, "GET", "/api/artifact/"+s.ids["artifact"], "", true); a.status != http.StatusForbidden {
		t.Fatalf("anonymous: %+v", a)
	}
}

// POST /api/artifact/generate/{definition_id} with the SDK's payload (infrahub_sdk/node
// CoreArtifactDefinition.generate: {"nodes": [artifact ids]}) submits
// request_artifact_definitions_generate and answers null.
func TestGenerateRoute(t *testing.T) {
	s := newServer(t)
	a := s.do(t, "POST", "/api/artifact/generate/"+s.ids["definition"], `{"nodes": ["`+s.ids["artifact"]+`"]}`, false)
	if a.status != 200 || a.body != "null\n" {
		t.Fatalf("generate: %+v", a)
	}
	if len(s.cmds) != 1 || s.cmds[0].Type != commands.TypeSubmitTask {
		t.Fatalf("commands: %+v", s.cmds)
	}
	var sub commands.SubmitTask
	if err := json.Unmarshal(s.cmds[0].Payload, &sub); err != nil {
		t.Fatal(err)
	}
	var p commands.ArtifactsGenerate
	if err := json.Unmarshal(sub.Parameters, &p); err != nil {
		t.Fatal(err)
	}
	if sub.Workflow != commands.WorkflowArtifactDefinition || p.Branch != "main" || p.DefinitionID != s.ids["definition"] ||
		len(p.Nodes) != 1 || p.Nodes[0] != s.ids["artifact"] || !p.Force {
		t.Fatalf("task: %+v %+v", sub, p)
	}
	// By name, without a body: every target.
	if a := s.do(t, "POST", "/api/artifact/generate/startup", "", false); a.status != 200 || len(s.cmds) != 2 {
		t.Fatalf("by name: %+v", a)
	}
	if a := s.do(t, "POST", "/api/artifact/generate/nope", `{"nodes": []}`, false); a.status != 404 {
		t.Fatalf("unknown: %+v", a)
	}
	if a := s.do(t, "POST", "/api/artifact/generate/startup", `{"nodes": 5}`, false); a.status != 400 {
		t.Fatalf("bad body: %+v", a)
	}
	if a := s.do(t, "POST", "/api/artifact/generate/startup", `{}`, true); a.status != http.StatusForbidden || len(s.cmds) != 2 {
		t.Fatalf("anonymous: %+v", a)
	}
}

// GET /api/file/{repository_id}/{file_path}: the file at the repository's commit, or at
// ?commit= (backend/infrahub/api/file.py).
func TestFileRoute(t *testing.T) {
	s := newServer(t)
	want := string(repoFS(t)["templates/footer.j2"].Data)
	for _, ref := range []string{"demo", s.ids["demo"]} {
		a := s.do(t, "GET", "/api/file/"+ref+"/templates/footer.j2?branch=main", "", false)
		if a.status != 200 || a.ctype != "text/plain; charset=utf-8" || a.body != want {
			t.Fatalf("%s: %+v", ref, a)
		}
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/file/demo/templates/missing.j2", 404},
		{"/api/file/demo/templates", 400},
		{"/api/file/nope/templates/footer.j2", 404},
		{"/api/file/demo/templates/footer.j2?commit=c7", 404},
	} {
		if a := s.do(t, "GET", c.path, "", false); a.status != c.status {
			t.Errorf("%s: %+v, want %d", c.path, a, c.status)
		}
	}
	s.files.set(s.ids["demo"], "c7", repoFS(t))
	if a := s.do(t, "GET", "/api/file/demo/templates/footer.j2?commit=c7", "", false); a.status != 200 {
		t.Errorf("at commit c7: %+v", a)
	}
	if a := s.do(t, "GET", "/api/file/demo/templates/footer.j2", "", true); a.status != http.StatusForbidden {
		t.Errorf("anonymous: %+v", a)
	}
}
