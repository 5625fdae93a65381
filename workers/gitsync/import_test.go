package gitsync_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// The service catalog's commit imports for real: its schemas, objects and menu are loaded, its
// queries, Jinja2 transform, artifact and generator definitions recorded and tied to the
// repository, whose commit and statuses follow. A commit with broken files then writes nothing
// but the repository's sync_status, and logs each problem with its file and line. A later
// commit that drops a transform and its query deletes them.
func TestImportCommit(t *testing.T) {
	f := newFixture(t, true)
	good := catalog(t)
	f.repos.set("c1", good, "main")
	id := f.createRepo(gitsync.KindRepository, map[string]any{"name": "catalog", "location": "https://git.example.com/catalog.git"})

	tk := f.submit(commands.WorkflowGitImport, commands.GitImport{RepositoryID: id, Branch: branch.Default, Commit: "c1"})
	if tk.State != task.StateCompleted {
		t.Fatalf("import: %s %s\n%s", tk.State, tk.Error, logs(tk))
	}
	var out gitsync.ImportOutcome
	if err := json.Unmarshal(tk.Result, &out); err != nil {
		t.Fatal(err)
	}
	if out.Schemas != 7 || out.Objects != 10 || out.Menus != 1 || out.Commit != "c1" {
		t.Fatalf("outcome %+v", out)
	}
	if !strings.Contains(logs(tk), `warning: .infrahub.yml: generator definition "dedicated_internet_generator" (generators/implement_dedicated_internet.py): recorded; the Python runtime is not available here, it is not run`) {
		t.Errorf("no warning of the generator:\n%s", logs(tk))
	}
	// The schema, objects and menus are there.
	if n := len(f.list("main", "DcimDevice", nil)); n == 0 {
		t.Error("no DcimDevice after the import")
	}
	if got := names(f.list("main", "CoreStandardGroup", nil)); !slices.Contains(got, "generic_devices") {
		t.Errorf("groups %v", got)
	}
	if n := len(f.list("main", "CoreMenuItem", map[string]any{"namespace__value": "Location"})); n == 0 {
		t.Error("the menu's items are missing")
	}
	// What the repository provides.
	if got := names(f.list("main", "CoreGraphQLQuery", nil)); !slices.Equal(got, []string{"dedicated_internet_info", "device_info"}) {
		t.Errorf("queries %v", got)
	}
	repo := f.get("main", id)
	if attr(repo, "commit") != "c1" || attr(repo, "sync_status") != "in-sync" || attr(repo, "operational_status") != "online" {
		t.Errorf("repository after the import: %+v", repo.Attributes)
	}
	f.checkOwned(id, "queries", "dedicated_internet_info", "device_info")
	f.checkOwned(id, "transformations", "device_config")
	f.checkOwned(id, "generators", "dedicated_internet_generator")
	tr := f.list("main", "CoreTransformJinja2", nil)
	if len(tr) != 1 || attr(tr[0], "template_path") != "templates/device_config.j2" ||
		attr(tr[0], "description") != "Template to generate startup configuration for devices" {
		t.Fatalf("transforms %+v", tr)
	}
	f.checkPeer(tr[0].ID, "CoreTransformation", "query", "device_info")
	defs := f.list("main", "CoreArtifactDefinition", nil)
	if len(defs) != 1 || attr(defs[0], "artifact_name") != "startup-config" || attr(defs[0], "content_type") != "text/plain" {
		t.Fatalf("artifact definitions %+v", defs)
	}
	if p, _ := json.Marshal(attr(defs[0], "parameters")); string(p) != `{"device_name":"name__value"}` {
		t.Errorf("parameters %s", p)
	}
	f.checkPeer(defs[0].ID, "CoreArtifactDefinition", "targets", "generic_devices")
	f.checkPeer(defs[0].ID, "CoreArtifactDefinition", "transformation", "device_config")

	// A broken commit: a schema attribute of an unknown kind, a template and a query that do not
	// parse, an object file that is not YAML.
	bad := clone(good, map[string]string{
		"schemas/vlan/vlan.yml":      strings.Replace(string(good["schemas/vlan/vlan.yml"].Data), "kind: Number", "kind: Numbr", 1),
		"templates/device_config.j2": "hostname {{ data.name }}\n{% for x in data %}\n{{ x }\n",
		"templates/device_info.gql":  "query device_info {\n  DcimDevice {\n    edges {\n",
		"data/04_provider.yml":       "---\napiVersion: infrahub.app/v1\nkind: Object\nspec: [\n",
	})
	f.repos.set("c2", bad)
	before := f.eventCount()
	tk = f.submit(commands.WorkflowGitImport, commands.GitImport{RepositoryID: id, Commit: "c2"})
	if tk.State != task.StateFailed || tk.Attempt != 1 || !strings.Contains(tk.Error, "nothing imported") {
		t.Fatalf("bad import: %s attempt %d %q\n%s", tk.State, tk.Attempt, tk.Error, logs(tk))
	}
	t.Log(logs(tk))
	for _, want := range []string{"error: schemas/vlan/vlan.yml:", "Numbr", "error: templates/device_config.j2:3: TemplateSyntaxError",
		"error: templates/device_info.gql:4: ", "error: data/04_provider.yml:"} {
		if !strings.Contains(logs(tk), want) {
			t.Errorf("the task's log lacks %q:\n%s", want, logs(tk))
		}
	}
	// Only the repository's statuses were written: syncing, then error-import.
	if got := f.nodeEventsSince(before); !slices.Equal(got, []string{"CoreRepository", "CoreRepository"}) {
		t.Errorf("the bad commit wrote %v", got)
	}
	repo = f.get("main", id)
	if attr(repo, "commit") != "c1" || attr(repo, "sync_status") != "error-import" {
		t.Errorf("repository after the bad import: %+v", repo.Attributes)
	}

	// A commit without the transform, its artifact definition and its query deletes them.
	cfg := string(good[".infrahub.yml"].Data)
	cfg = cfg[:strings.Index(cfg, "# TRANSFORMS")]
	cfg = strings.Replace(cfg, "  - name: device_info\n    file_path: \"templates/device_info.gql\"\n", "", 1)
	f.repos.set("c3", clone(good, map[string]string{".infrahub.yml": cfg}))
	tk = f.submit(commands.WorkflowGitImport, commands.GitImport{RepositoryID: id, Commit: "c3"})
	if tk.State != task.StateCompleted {
		t.Fatalf("import c3: %s %s\n%s", tk.State, tk.Error, logs(tk))
	}
	if got := names(f.list("main", "CoreGraphQLQuery", nil)); !slices.Equal(got, []string{"dedicated_internet_info"}) {
		t.Errorf("queries after c3 %v", got)
	}
	if n := len(f.list("main", "CoreTransformJinja2", nil)) + len(f.list("main", "CoreArtifactDefinition", nil)); n != 0 {
		t.Errorf("%d transforms and definitions left", n)
	}
	if repo = f.get("main", id); attr(repo, "commit") != "c3" || attr(repo, "sync_status") != "in-sync" {
		t.Errorf("repository after c3: %+v", repo.Attributes)
	}
}

// checkOwned checks the names of relationship rel of repository id.
func (f *fixture) checkOwned(id, rel string, want ...string) {
	f.t.Helper()
	peers, err := f.port.Peers(context.Background(), graph.Scope{}, []string{id}, gitsync.KindGenericRepository, rel)
	if err != nil {
		f.t.Fatal(err)
	}
	var got []graph.Node
	for _, e := range peers[id] {
		got = append(got, f.get("main", e.Peer))
	}
	if !slices.Equal(names(got), want) {
		f.t.Errorf("repository's %s: %v, want %v", rel, names(got), want)
	}
}

// checkPeer checks the name of the peer of relationship rel of node id.
func (f *fixture) checkPeer(id, kind, rel, want string) {
	f.t.Helper()
	peers, err := f.port.Peers(context.Background(), graph.Scope{}, []string{id}, kind, rel)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(peers[id]) != 1 || attr(f.get("main", peers[id][0].Peer), "name") != want {
		f.t.Errorf("%s of %s: %+v, want %s", rel, id, peers[id], want)
	}
}

// eventCount is the log's head.
func (f *fixture) eventCount() int64 {
	h, err := f.log.Head(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return int64(h)
}

// nodeEventsSince lists the kinds of the node and schema events after position after (schema
// events as "schema").
func (f *fixture) nodeEventsSince(after int64) []string {
	f.t.Helper()
	var out []string
	for _, ev := range readAll(f.t, f) {
		if int64(ev.GlobalPosition) <= after {
			continue
		}
		switch {
		case strings.HasPrefix(ev.Type, "schema."):
			out = append(out, "schema")
		case strings.HasPrefix(ev.Type, "node."):
			var p struct {
				Kind string `json:"kind"`
			}
			_ = json.Unmarshal(ev.Payload, &p)
			out = append(out, p.Kind)
		}
	}
	return out
}

func readAll(t *testing.T, f *fixture) []events.Envelope { return pipelinetest.ReadLog(t, f.log) }
