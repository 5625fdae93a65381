package transform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/queries/transform"
	"github.com/infrahub-go/infrahub/schema"
)

const testSchema = `
version: "1.0"
nodes:
  - name: Device
    namespace: Test
    inherit_from: [CoreArtifactTarget]
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: asn, kind: Number, optional: true}
    relationships:
      - {name: interfaces, peer: TestInterface, cardinality: many, kind: Component, optional: true, identifier: device__interface}
  - name: Interface
    namespace: Test
    human_friendly_id: [device__name__value, name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text}
      - {name: description, kind: Text, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: device, peer: TestDevice, cardinality: one, kind: Parent, optional: false, identifier: device__interface}
`

// deviceQuery is the stored query of the transform; $limit is an Int, so that a value from a
// URL must be converted.
const deviceQuery = `query device_info($name: String!, $limit: Int) {
  TestDevice(name__value: $name, limit: $limit) {
    edges { node { id name { value } asn { value }
      interfaces { edges { node { id name { value } description { value } enabled { value } } } } } }
  }
}`

// repoFiles are a repository's files at its commits, counting the Files calls.
type repoFiles struct {
	mu      sync.Mutex
	commits map[string]fs.FS // "repo@commit"
	calls   atomic.Int64
}

func (r *repoFiles) Files(_ context.Context, repositoryID, commit string) (fs.FS, error) {
	r.calls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.commits[repositoryID+"@"+commit]
	if !ok {
		return nil, fmt.Errorf("%w: commit %s of repository %s", fault.ErrNotFound, commit, repositoryID)
	}
	return f, nil
}

func (r *repoFiles) set(repositoryID, commit string, f fs.FS) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits[repositoryID+"@"+commit] = f
}

// objects is the artifacts' store: content by id.
type objects map[string][]byte

func (o objects) Get(_ context.Context, id string) ([]byte, error) {
	b, ok := o[id]
	if !ok {
		return nil, fmt.Errorf("%w: object %s", fault.ErrNotFound, id)
	}
	return b, nil
}

// fixture is a log written through the commands, the graph read port over it, the GraphQL
// executor, and a repository with a Jinja2 transform, an artifact definition and an artifact.
type fixture struct {
	dispatch *commands.Service
	fold     *projections.Inline
	port     *memory.Reader
	x        *graphql.Executor
	files    *repoFiles
	objects  objects
	svc      *transform.Service
	ids      map[string]string // named nodes
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{fold: projections.NewInline(log, store), ids: map[string]string{},
		files: &repoFiles{commits: map[string]fs.FS{}}, objects: objects{}}
	if f.dispatch, err = commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: f.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	if f.port, err = memory.New(memory.Config{Store: store, WaitFor: f.fold.WaitFor}); err != nil {
		t.Fatal(err)
	}
	states := store.Branches()
	f.x = &graphql.Executor{Graph: f.port, Schemas: &graphql.Schemas{}, Default: branch.Default, Version: "test",
		SchemaOf: func(name string) (*schema.Set, bool) {
			if _, ok := states.Branch(name); !ok {
				return nil, false
			}
			set, _ := states.Schema(name)
			return set, true
		},
		Branches: states.Branches,
		Dispatch: func(ctx context.Context, cmd commands.Command) (commands.Result, error) {
			res, err := f.dispatch.Dispatch(ctx, cmd)
			if werr := f.fold.WaitFor(ctx, 0); werr != nil && err == nil {
				err = werr
			}
			return res, err
		}}
	if f.svc, err = transform.New(transform.Config{Graph: f.port, Query: f.x, Files: f.files}); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(testSchema)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})

	f.create(t, "r1", "TestDevice", map[string]any{"name": "r1", "asn": 65001})
	f.create(t, "r2", "TestDevice", map[string]any{"name": "r2"})
	f.create(t, "eth0", "TestInterface", map[string]any{"name": "eth0", "description": "uplink", "device": f.ids["r1"]})
	f.create(t, "eth1", "TestInterface", map[string]any{"name": "eth1", "enabled": false, "device": f.ids["r1"]})
	f.create(t, "demo", "CoreRepository", map[string]any{"name": "demo", "location": "https://git.example.com/demo.git", "commit": "c1"})
	f.create(t, "query", "CoreGraphQLQuery", map[string]any{"name": "device_info", "query": deviceQuery, "repository": f.ids["demo"]})
	f.create(t, "transform", "CoreTransformJinja2", map[string]any{"name": "device_config", "template_path": "templates/device.j2",
		"query": f.ids["query"], "repository": f.ids["demo"]})
	f.create(t, "group", "CoreStandardGroup", map[string]any{"name": "devices", "members": []any{f.ids["r1"], f.ids["r2"]}})
	f.create(t, "definition", "CoreArtifactDefinition", map[string]any{"name": "startup", "artifact_name": "startup-config",
		"parameters": map[string]any{"name": "name__value"}, "content_type": "text/plain",
		"targets": f.ids["group"], "transformation": f.ids["transform"]})
	f.create(t, "artifact", "CoreArtifact", map[string]any{"name": "startup-config", "status": "Ready", "content_type": "text/plain",
		"storage_id": "0b3e7a8c-0000-8000-8000-000000000001", "object": f.ids["r1"], "definition": f.ids["definition"]})
	f.objects["0b3e7a8c-0000-8000-8000-000000000001"] = []byte("hostname r1\n")

	f.files.set(f.ids["demo"], "c1", repoFS(t))
	return f
}

// repoFS is the repository's files: testdata/repo in an fstest.MapFS.
func repoFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir("testdata/repo", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[strings.TrimPrefix(filepath.ToSlash(p), "testdata/repo/")] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) command(t testing.TB, typ string, payload any) commands.Result {
	t.Helper()
	raw, _ := json.Marshal(payload)
	res, err := f.dispatch.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if err := f.fold.WaitFor(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fixture) create(t testing.TB, name, kind string, data map[string]any) {
	t.Helper()
	res := f.command(t, commands.TypeCreateNode, map[string]any{"kind": kind, "data": data})
	f.ids[name] = res.Data.(commands.NodeOutcome).ID
}

func golden(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/device.golden")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
