package artifacts_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/schema"
	"github.com/infrahub-go/infrahub/workers/artifacts"
	"github.com/infrahub-go/infrahub/workers/changes"
)

// catalog is an application holding the service catalog's schema and objects, a stored query,
// a Jinja2 transform and an artifact definition, as the import of its repository leaves them.
type catalog struct {
	app     *commands.Service
	fold    *projections.Inline
	log     events.Store
	reader  graph.Port
	x       *graphql.Executor
	root    string // the catalog's folder: the templates' root
	defID   string
	blobs   sync.Map // storage id -> content
	mu      sync.Mutex
	submits []commands.SubmitTask
}

func (c *catalog) dispatch(ctx context.Context, cmd commands.Command) (commands.Result, error) {
	if cmd.Type == commands.TypeSubmitTask {
		var p commands.SubmitTask
		_ = json.Unmarshal(cmd.Payload, &p)
		c.mu.Lock()
		c.submits = append(c.submits, p)
		c.mu.Unlock()
	}
	res, err := c.app.Dispatch(ctx, cmd)
	if err == nil {
		err = c.fold.WaitFor(ctx, c.head())
	}
	return res, err
}

func (c *catalog) run(t *testing.T, typ string, payload any) commands.Result {
	t.Helper()
	raw, _ := json.Marshal(payload)
	res, err := c.dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return res
}

func (c *catalog) head() events.Position {
	h, err := c.log.Head(context.Background())
	if err != nil {
		panic(err)
	}
	return h
}

func newCatalog(t *testing.T) *catalog {
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
	c := &catalog{log: log, fold: projections.NewInline(log, store), root: testenv.Corpus(t, "infrahub-demo-service-catalog")}
	if c.app, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: c.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.app.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if c.reader, err = memory.New(memory.Config{Store: store, WaitFor: c.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	states := store.Branches()
	c.x = &graphql.Executor{Graph: c.reader, Schemas: &graphql.Schemas{}, Default: branch.Default, Version: "test",
		SchemaOf: func(name string) (*schema.Set, bool) {
			if _, ok := states.Branch(name); !ok {
				return nil, false
			}
			set, _ := states.Schema(name)
			return set, true
		}, Branches: states.Branches}
	var ls commands.LoadSchema
	for _, dir := range []string{"base", "location_minimal", "vlan", "service"} {
		files, _ := filepath.Glob(filepath.Join(c.root, "schemas", dir, "*.yml"))
		sort.Strings(files)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			raw, _ := json.Marshal(string(b))
			ls.Schemas, ls.Names = append(ls.Schemas, raw), append(ls.Names, f)
		}
	}
	c.run(t, commands.TypeLoadSchema, ls)
	for _, f := range []string{"01_location", "02_groups_tags", "03_ipam_domain", "04_manufacturer", "04_profiles", "04_provider",
		"05_resource_pools", "06_device_type", "07_device_template", "08_device"} {
		b, err := os.ReadFile(filepath.Join(c.root, "data", f+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		c.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: f, Content: string(b)}}})
	}
	gql, _ := os.ReadFile(filepath.Join(c.root, "templates", "device_info.gql"))
	created := func(kind string, data map[string]any) string {
		res := c.run(t, commands.TypeCreateNode, map[string]any{"kind": kind, "data": data})
		out, _ := json.Marshal(res.Data)
		var n struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(out, &n)
		if n.ID == "" {
			t.Fatalf("%s created without an id: %s", kind, out)
		}
		return n.ID
	}
	repo := created("CoreRepository", map[string]any{"name": "catalog", "location": "file:///nowhere", "commit": "c1"})
	query := created("CoreGraphQLQuery", map[string]any{"name": "device_info", "query": string(gql), "repository": map[string]any{"id": repo}})
	tr := created("CoreTransformJinja2", map[string]any{"name": "device_config", "template_path": "templates/device_config.j2",
		"query": map[string]any{"id": query}, "repository": map[string]any{"id": repo}})
	c.defID = created("CoreArtifactDefinition", map[string]any{"name": "Startup Config", "artifact_name": "startup-config",
		"parameters": map[string]any{"device_name": "name__value"}, "content_type": "text/plain",
		"targets": map[string]any{"hfid": []string{"generic_devices"}}, "transformation": map[string]any{"id": tr}})
	return c
}

// query runs a stored query by id through GraphQL and answers its data.
func (c *catalog) query(ctx context.Context, scope graph.Scope, id string, vars map[string]any) (json.RawMessage, []string, error) {
	n, err := c.reader.Get(ctx, scope, id)
	if err != nil {
		return nil, nil, err
	}
	var touched []string
	resp := c.x.Execute(ctx, graphql.Request{Query: n.Attributes["query"].Value.(string), Variables: vars, Branch: scope.Branch,
		Touched: func(id string) { touched = append(touched, id) }})
	if len(resp.Errors) > 0 {
		return nil, nil, resp.Errors
	}
	return resp.Data, touched, nil
}

func (c *catalog) generator(t *testing.T) *artifacts.Generator {
	t.Helper()
	g, err := artifacts.New(artifacts.Config{Graph: c.reader, Dispatch: c.dispatch, Default: branch.Default,
		WaitFor: c.fold.WaitFor,
		Query:   c.query,
		Render: func(ctx context.Context, scope graph.Scope, transformID string, vars map[string]any) (string, error) {
			tr, err := c.reader.Get(ctx, scope, transformID)
			if err != nil {
				return "", err
			}
			q, err := c.reader.Peers(ctx, scope, []string{transformID}, tr.Kind, "query")
			if err != nil {
				return "", err
			}
			data, _, err := c.query(ctx, scope, q[transformID][0].Peer, vars)
			if err != nil {
				return "", err
			}
			env, err := jinja.New(jinja.FileEnv(c.root))
			if err != nil {
				return "", err
			}
			tpl, err := env.Get(tr.Attributes["template_path"].Value.(string))
			if err != nil {
				return "", err
			}
			return tpl.RenderJSON(ctx, []byte(`{"data":`+string(data)+`}`))
		},
		Put: func(_ context.Context, content []byte) (string, string, error) {
			h := sha256.Sum256(content)
			id := hex.EncodeToString(h[:])
			c.blobs.Store(id, string(content))
			m := md5.Sum(content)
			return id, hex.EncodeToString(m[:]), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// artifactsByTarget reads the definition's artifacts: target name -> artifact.
func (c *catalog) artifactsByTarget(t *testing.T) map[string]graph.Node {
	t.Helper()
	ctx := context.Background()
	page, err := c.reader.List(ctx, graph.Scope{}, graph.Query{Kind: "CoreArtifact"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]graph.Node{}
	for _, a := range page.Nodes {
		objs, _ := c.reader.Peers(ctx, graph.Scope{}, []string{a.ID}, "CoreArtifact", "object")
		dev, err := c.reader.Get(ctx, graph.Scope{}, objs[a.ID][0].Peer)
		if err != nil {
			t.Fatal(err)
		}
		out[dev.Attributes["name"].Value.(string)] = a
	}
	return out
}

func TestGenerateThenOnlyChanged(t *testing.T) {
	c := newCatalog(t)
	g := c.generator(t)
	ctx := context.Background()
	out, err := g.Generate(ctx, nil, graph.Scope{Branch: branch.Default}, c.defID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Created != 16 || out.Failed != 0 {
		t.Fatalf("first generation: %+v, want 16 created", out)
	}
	first := c.artifactsByTarget(t)
	if len(first) != 16 {
		t.Fatalf("%d artifacts, want one per member of generic_devices (16)", len(first))
	}
	a := first["sw01-bru01"]
	content, _ := c.blobs.Load(a.Attributes["storage_id"].Value)
	if s, _ := content.(string); !strings.Contains(s, "! Generated for sw01-bru01") || a.Attributes["status"].Value != "Ready" ||
		a.Attributes["content_type"].Value != "text/plain" || a.Attributes["name"].Value != "startup-config" {
		t.Fatalf("artifact of sw01-bru01: %v, content %q", a.Attributes, content)
	}
	sum := md5.Sum([]byte(content.(string)))
	if a.Attributes["checksum"].Value != hex.EncodeToString(sum[:]) {
		t.Fatalf("checksum %v is not the md5 of the content", a.Attributes["checksum"].Value)
	}
	head := c.head()
	out, err = g.Generate(ctx, nil, graph.Scope{Branch: branch.Default}, c.defID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Unchanged != 16 || c.head() != head {
		t.Fatalf("second generation %+v wrote the log (head %d -> %d)", out, head, c.head())
	}

	// the watcher learns the answers, then a change of one interface's description submits that device only
	before := c.head()
	g.OnChange(ctx, changes.Batch{Branch: branch.Default, Position: before, Nodes: []changes.NodeChange{{ID: "none", Kind: "BuiltinTag", Action: changes.Updated}}})
	if len(c.submits) != 0 {
		t.Fatalf("an unrelated change submitted %v", c.submits)
	}
	intf := interfaceOf(t, c, "sw02-bru01")
	c.run(t, commands.TypeUpdateNode, map[string]any{"id": intf, "data": map[string]any{"description": "to the core"}})
	g.OnChange(ctx, changes.Batch{Branch: branch.Default, Position: c.head(),
		Nodes: []changes.NodeChange{{ID: intf, Kind: "DcimInterface", Action: changes.Updated, Attributes: []string{"description"}}}})
	if len(c.submits) != 1 {
		t.Fatalf("submits %v, want one task", c.submits)
	}
	var p commands.ArtifactsGenerate
	_ = json.Unmarshal(c.submits[0].Parameters, &p)
	dev := first["sw02-bru01"]
	objs, _ := c.reader.Peers(ctx, graph.Scope{}, []string{dev.ID}, "CoreArtifact", "object")
	if c.submits[0].Workflow != commands.WorkflowArtifactGenerate || p.DefinitionID != c.defID || len(p.Nodes) != 1 || p.Nodes[0] != objs[dev.ID][0].Peer {
		t.Fatalf("submitted %s %+v, want artifact-generate of sw02-bru01 only", c.submits[0].Workflow, p)
	}
	out, err = g.Generate(ctx, nil, graph.Scope{Branch: branch.Default}, p.DefinitionID, p.Nodes)
	if err != nil || out.Updated != 1 {
		t.Fatalf("regeneration: %+v %v", out, err)
	}
	after := c.artifactsByTarget(t)
	for name, a := range after {
		changed := a.Attributes["checksum"].Value != first[name].Attributes["checksum"].Value
		if changed != (name == "sw02-bru01") {
			t.Errorf("%s: checksum changed %v", name, changed)
		}
	}
	content, _ = c.blobs.Load(after["sw02-bru01"].Attributes["storage_id"].Value)
	if !strings.Contains(content.(string), `description "to the core"`) {
		t.Fatalf("regenerated content lacks the new description:\n%s", content)
	}
	// the same batch seen again submits the same task id: the log keeps one
	g.OnChange(ctx, changes.Batch{Branch: branch.Default, Position: c.head(),
		Nodes: []changes.NodeChange{{ID: intf, Kind: "DcimInterface", Action: changes.Updated}}})
	if len(c.submits) != 1 {
		t.Fatalf("an answer that did not change submitted again: %v", c.submits[1:])
	}
}

// interfaceOf is the id of the first interface of a device.
func interfaceOf(t *testing.T, c *catalog, device string) string {
	t.Helper()
	ctx := context.Background()
	page, err := c.reader.List(ctx, graph.Scope{}, graph.Query{Kind: "DcimDevice", Filters: map[string]any{"name__value": device}})
	if err != nil || len(page.Nodes) != 1 {
		t.Fatalf("device %s: %v", device, err)
	}
	peers, err := c.reader.Peers(ctx, graph.Scope{}, []string{page.Nodes[0].ID}, "DcimDevice", "interfaces")
	if err != nil || len(peers[page.Nodes[0].ID]) == 0 {
		t.Fatalf("interfaces of %s: %v", device, err)
	}
	return peers[page.Nodes[0].ID][0].Peer
}
