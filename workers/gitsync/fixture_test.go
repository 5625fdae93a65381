package gitsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/repository"
	"github.com/infrahub-go/infrahub/task"
	"github.com/infrahub-go/infrahub/workers"
	"github.com/infrahub-go/infrahub/workers/gitsync"
)

// fixture is an application over an inline projection (as the other packages' tests build
// it), the memory read port, Repos over in-memory commits, a Syncer, and optionally a worker
// pool running the Syncer's workflows from the tasks the application submits.
type fixture struct {
	t      *testing.T
	log    *sqlite.Store
	store  *nodes.Store
	app    *commands.Service
	fold   *projections.Inline
	port   *memory.Reader
	repos  *fakeRepos
	syncer *gitsync.Syncer
}

func newFixture(t *testing.T, pool bool) *fixture {
	t.Helper()
	ctx := context.Background()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	f := &fixture{t: t, log: log, repos: newFakeRepos()}
	if f.store, err = nodes.New(); err != nil {
		t.Fatal(err)
	}
	f.fold = projections.NewInline(log, f.store)
	f.app, err = commands.New(commands.Config{Log: log, Catalogue: f.store.Catalogue(), State: f.store, WaitFor: f.fold.WaitFor,
		Workflows: workflows(branch.Default)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	wait := func(ctx context.Context, pos events.Position) error {
		if err := f.fold.WaitFor(ctx, 0); err != nil || f.store.Position() >= pos {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	}
	if f.port, err = memory.New(memory.Config{Store: f.store, WaitFor: wait}); err != nil {
		t.Fatal(err)
	}
	f.syncer, err = gitsync.New(gitsync.Config{Dispatch: f.app.Dispatch, CheckSchema: f.app.CheckSchema, Graph: f.port,
		Repos: f.repos, Default: branch.Default, Branches: func() []branch.Info { return f.store.Branches().Branches() },
		ReadConfig: readConfig, CheckConfig: checkConfig, Expand: expand, Status: status,
		Logger: pipelinetest.QuietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if pool {
		f.startPool()
	}
	return f
}

// startPool runs a forwarder of task.created events to a work topic of the test's own and a
// pool of one worker with the Syncer's workflows.
func (f *fixture) startPool() {
	t := f.t
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bus.Open(ctx, "mem://", pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	suffix := uuid.NewString()
	topic, dead := "tasks."+suffix, "dead."+suffix
	if err := b.EnsureQueue(ctx, topic, bus.GroupWorkers); err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureQueue(ctx, dead, bus.GroupDead); err != nil {
		t.Fatal(err)
	}
	fw := &forward.Forwarder{Log: f.log, Checkpoints: f.log, Publisher: b.Publisher(), Topic: "events." + suffix,
		Routes: []forward.Route{workers.RouteTo(topic)}, Logger: pipelinetest.QuietLogger(t)}
	reg := workers.NewRegistry()
	if err := f.syncer.Register(reg); err != nil {
		t.Fatal(err)
	}
	lim := limits.Default()
	lim.TaskRetryDelay = 20 * time.Millisecond
	lim.TaskAttempts = 2
	p, err := workers.New(workers.Config{Store: f.log, Catalogue: f.store.Catalogue(), Queue: b, Registry: reg, Concurrency: 1,
		Limits: lim, Logger: pipelinetest.QuietLogger(t), Topic: topic, DeadTopic: dead})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = fw.Run(ctx) }()
	go func() { defer wg.Done(); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait(); _ = b.Close() })
}

// run dispatches a command, failing the test on error.
func (f *fixture) run(typ string, in any) commands.Result {
	f.t.Helper()
	res, err := f.try(typ, in)
	if err != nil {
		f.t.Fatalf("%s: %v", typ, err)
	}
	return res
}

func (f *fixture) try(typ string, in any) (commands.Result, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.app.Dispatch(context.Background(), commands.Command{Type: typ, Payload: raw})
}

// createRepo creates a repository node of kind with the given attributes and answers its id.
func (f *fixture) createRepo(kind string, attrs map[string]any) string {
	f.t.Helper()
	data := commands.Data{}
	for k, v := range attrs {
		raw, _ := json.Marshal(v)
		data[k] = raw
	}
	res := f.run(commands.TypeCreateNode, commands.CreateNode{Kind: kind, Data: data})
	return res.Data.(commands.NodeOutcome).ID
}

// submit submits a task of workflow and waits until it is over.
func (f *fixture) submit(workflow string, params any) task.Task {
	f.t.Helper()
	raw, _ := json.Marshal(params)
	res := f.run(commands.TypeSubmitTask, commands.SubmitTask{Workflow: workflow, Parameters: raw})
	return f.waitTask(res.Data.(commands.TaskOutcome).Task.ID)
}

// waitTask waits until task id is over and answers it.
func (f *fixture) waitTask(id string) task.Task {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		tk, err := f.readTask(id)
		if err == nil && tk.State.Final() {
			return tk
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("task %s is not over: %+v (%v)", id, tk, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) readTask(id string) (task.Task, error) {
	evs, err := f.log.ReadStream(context.Background(), task.Stream(id), 0, 10_000)
	if err != nil {
		return task.Task{}, err
	}
	return task.Fold(f.store.Catalogue(), evs)
}

// logs are a task's log lines, "severity: message".
func logs(tk task.Task) string {
	var b strings.Builder
	for _, l := range tk.Logs {
		fmt.Fprintf(&b, "%s: %s\n", l.Severity, l.Message)
	}
	return b.String()
}

// sync folds the log (for reads after a pool's writes).
func (f *fixture) sync() {
	f.t.Helper()
	if err := f.fold.WaitFor(context.Background(), 0); err != nil {
		f.t.Fatal(err)
	}
}

// list lists the nodes of kind on branch name.
func (f *fixture) list(name, kind string, filters map[string]any) []graph.Node {
	f.t.Helper()
	f.sync()
	page, err := f.port.List(context.Background(), graph.Scope{Branch: name}, graph.Query{Kind: kind, Filters: filters})
	if err != nil {
		f.t.Fatalf("list %s on %s: %v", kind, name, err)
	}
	return page.Nodes
}

func (f *fixture) get(name, id string) graph.Node {
	f.t.Helper()
	f.sync()
	n, err := f.port.Get(context.Background(), graph.Scope{Branch: name}, id)
	if err != nil {
		f.t.Fatalf("get %s on %s: %v", id, name, err)
	}
	return n
}

func attr(n graph.Node, name string) any { return n.Attributes[name].Value }

func names(ns []graph.Node) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, fmt.Sprint(attr(n, "name")))
	}
	sort.Strings(out)
	return out
}

// catalog is the service catalog repository's files (without .git), with the generator's
// Python file, which the corpus leaves out.
func catalog(t *testing.T) fstest.MapFS {
	t.Helper()
	root := testenv.Corpus(t, "infrahub-demo-service-catalog")
	m := fstest.MapFS{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m["generators/implement_dedicated_internet.py"] = &fstest.MapFile{Data: []byte("class DedicatedInternetGenerator: ...\n")}
	return m
}

// clone copies a MapFS, with changes (nil deletes a file).
func clone(m fstest.MapFS, changes map[string]string, deleted ...string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = &fstest.MapFile{Data: slices.Clone(v.Data)}
	}
	for k, v := range changes {
		out[k] = &fstest.MapFile{Data: []byte(v)}
	}
	for _, k := range deleted {
		delete(out, k)
	}
	return out
}

// fakeRepos is Repos over commits held in memory: one remote (every repository shares it).
type fakeRepos struct {
	mu       sync.Mutex
	commits  map[string]fs.FS
	branches map[string]string
	def      string
	err      error // answered by every network call when set
	calls    []string
}

func newFakeRepos() *fakeRepos {
	return &fakeRepos{commits: map[string]fs.FS{}, branches: map[string]string{}, def: "main"}
}

var errRefNotFound = fmt.Errorf("%w: ref not found", fault.ErrNotFound)

func (r *fakeRepos) set(commit string, files fs.FS, branches ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits[commit] = files
	for _, b := range branches {
		r.branches[b] = commit
	}
}

func (r *fakeRepos) note(call string) error {
	r.calls = append(r.calls, call)
	return r.err
}

func (r *fakeRepos) Sync(_ context.Context, rm repository.Remote) (repository.Heads, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.note("sync " + rm.ID); err != nil {
		return repository.Heads{}, err
	}
	return repository.Heads{Default: r.def, Branches: maps(r.branches)}, nil
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (r *fakeRepos) Resolve(_ context.Context, rm repository.Remote, ref string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.note("resolve " + ref); err != nil {
		return "", err
	}
	if c, ok := r.branches[ref]; ok {
		return c, nil
	}
	if _, ok := r.commits[ref]; ok {
		return ref, nil
	}
	return "", fmt.Errorf("%w: %s", errRefNotFound, ref)
}

func (r *fakeRepos) Files(_ context.Context, rm repository.Remote, commit string) (fs.FS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.note("files " + commit); err != nil {
		return nil, err
	}
	f, ok := r.commits[commit]
	if !ok {
		return nil, fmt.Errorf("%w: commit %s", errRefNotFound, commit)
	}
	return f, nil
}

func (r *fakeRepos) CreateBranch(_ context.Context, rm repository.Remote, name, from string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.note("branch " + name + " from " + from); err != nil {
		return "", err
	}
	c, ok := r.branches[from]
	if !ok {
		return "", fmt.Errorf("%w: %s", errRefNotFound, from)
	}
	r.branches[name] = c
	return c, nil
}

func (r *fakeRepos) Merge(_ context.Context, rm repository.Remote, source, target string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.note("merge " + source + " into " + target); err != nil {
		return "", err
	}
	c, ok := r.branches[source]
	if !ok {
		return "", fmt.Errorf("%w: %s", errRefNotFound, source)
	}
	r.branches[target] = c // a fast-forward
	return c, nil
}

// The functions of package repository the Syncer is given, as small stand-ins (the lead wires
// the real ones): .infrahub.yml decoded with yaml, paths checked, folders expanded, statuses.

type yamlConfig struct {
	Schemas []string            `yaml:"schemas"`
	Objects []string            `yaml:"objects"`
	Menus   []string            `yaml:"menus"`
	Queries []map[string]string `yaml:"queries"`
	Jinja2  []map[string]string `yaml:"jinja2_transforms"`
	Python  []map[string]any    `yaml:"python_transforms"`
	Defs    []map[string]any    `yaml:"artifact_definitions"`
	Checks  []map[string]any    `yaml:"check_definitions"`
	Gens    []map[string]any    `yaml:"generator_definitions"`
}

func readConfig(fsys fs.FS) (*repository.Config, error) {
	data, err := fs.ReadFile(fsys, repository.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", fault.ErrNotFound, repository.ConfigFile, err)
	}
	var y yamlConfig
	if err := yaml.Unmarshal(data, &y); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", fault.ErrInvalid, repository.ConfigFile, err)
	}
	c := &repository.Config{}
	for _, q := range y.Queries {
		c.Queries = append(c.Queries, repository.Query{Name: q["name"], FilePath: q["file_path"]})
	}
	paths := func(list []string) []repository.Path {
		var out []repository.Path
		for _, p := range list {
			out = append(out, repository.Path{Path: p})
		}
		return out
	}
	c.Schemas, c.Objects, c.Menus = paths(y.Schemas), paths(y.Objects), paths(y.Menus)
	s := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	for _, m := range y.Jinja2 {
		c.Jinja2Transforms = append(c.Jinja2Transforms, repository.Jinja2Transform{Name: m["name"], Query: m["query"],
			TemplatePath: m["template_path"], Description: m["description"]})
	}
	for _, m := range y.Python {
		c.PythonTransforms = append(c.PythonTransforms, repository.PythonTransform{Name: s(m, "name"), FilePath: s(m, "file_path"), ClassName: "Transform"})
	}
	for _, m := range y.Defs {
		params := map[string]string{}
		if p, ok := m["parameters"].(map[string]any); ok {
			for k, v := range p {
				params[k] = fmt.Sprint(v)
			}
		}
		c.ArtifactDefinitions = append(c.ArtifactDefinitions, repository.ArtifactDefinition{Name: s(m, "name"), ArtifactName: s(m, "artifact_name"),
			Parameters: params, ContentType: s(m, "content_type"), Targets: s(m, "targets"), Transformation: s(m, "transformation")})
	}
	for _, m := range y.Checks {
		c.CheckDefinitions = append(c.CheckDefinitions, repository.CheckDefinition{Name: s(m, "name"), FilePath: s(m, "file_path"), ClassName: "Check"})
	}
	for _, m := range y.Gens {
		params, _ := m["parameters"].(map[string]any)
		c.GeneratorDefinitions = append(c.GeneratorDefinitions, repository.GeneratorDefinition{Name: s(m, "name"), FilePath: s(m, "file_path"),
			Query: s(m, "query"), ClassName: s(m, "class_name"), Targets: s(m, "targets"), Parameters: params})
	}
	return c, nil
}

func checkConfig(c *repository.Config, fsys fs.FS) error {
	var errs []error
	exists := func(p string) {
		if _, err := fs.Stat(fsys, p); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %s does not exist", fault.ErrInvalid, repository.ConfigFile, p))
		}
	}
	for _, list := range [][]repository.Path{c.Schemas, c.Objects, c.Menus} {
		for _, p := range list {
			exists(p.Path)
		}
	}
	queries := map[string]bool{}
	for _, q := range c.Queries {
		exists(q.FilePath)
		queries[q.Name] = true
	}
	for _, t := range c.Jinja2Transforms {
		exists(t.TemplatePath)
		if !queries[t.Query] {
			errs = append(errs, fmt.Errorf("%w: %s: jinja2 transform %s: no query %q", fault.ErrInvalid, repository.ConfigFile, t.Name, t.Query))
		}
	}
	for _, g := range c.GeneratorDefinitions {
		exists(g.FilePath)
	}
	return errors.Join(errs...)
}

func expand(fsys fs.FS, paths []repository.Path, exts ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := fs.Stat(fsys, p.Path)
		if err != nil {
			return out, err
		}
		if !st.IsDir() {
			out = append(out, p.Path)
			continue
		}
		var found []string
		err = fs.WalkDir(fsys, p.Path, func(q string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains(exts, path.Ext(q)) {
				found = append(found, q)
			}
			return err
		})
		if err != nil {
			return out, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func status(err error) string {
	switch {
	case err == nil:
		return "online"
	case errors.Is(err, fault.ErrForbidden):
		return "error-cred"
	case errors.Is(err, fault.ErrUnavailable):
		return "error-connection"
	}
	return "error"
}

// workflows converts gitsync.Workflows as the composition root does.
func workflows(def string) []commands.Workflow {
	var out []commands.Workflow
	for _, w := range gitsync.Workflows(def) {
		// commands.Workflow is an input of commands.Config (archtest only lets cmd/ write it
		// as a literal): filled field by field here.
		var cw commands.Workflow
		cw.Name, cw.Title, cw.Tags, cw.Parameters = w.Name, w.Title, w.Tags, w.Parameters
		out = append(out, cw)
	}
	return out
}
