package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Scenarios 15 and 16 (issue 19) measure artifacts as users meet them: `infrahub serve` built
// from this checkout (always embedded: SQLite and the in-process bus, the target of the issue),
// a local Git repository made of the service catalog (/work/shared/corpus/
// infrahub-demo-service-catalog) whose device file is replaced by a generated one of artN
// devices in the group generic_devices, added as a CoreRepository and imported once without its
// artifact definition. The scenarios then create definitions of the catalog's transform over
// GraphQL.

const (
	artRepoName  = "bench-catalog"
	artGroup     = "generic_devices"
	artTransform = "device_config"
	artChangeDef = "bench-change" // scenario 15's definition, kept for the run
)

// artSites are the catalog's sites (data/01_location.yml).
var artSites = []string{"bru01", "par01", "nyc01", "dal01"}

// artTarget is one device of scenario 15: its first interface and its artifact.
type artTarget struct {
	device, iface, ifaceKind, artifact, checksum string
}

// artWorld is the server of scenarios 15 and 16 with the repository imported.
type artWorld struct {
	*gqlWorld
	srv              *serverProc
	n                int
	load             time.Duration // from the repository's creation to its objects imported
	group, transform string        // ids
	targets          []artTarget   // scenario 15, made on first use
}

func artWorldOf(ctx context.Context, e *env) (*artWorld, error) {
	if e.art != nil || e.artErr != nil {
		return e.art, e.artErr
	}
	w, err := newArtWorld(ctx, e)
	if err != nil {
		e.artErr = err
	}
	return w, err
}

func newArtWorld(ctx context.Context, e *env) (*artWorld, error) {
	bin, err := e.infrahubBinary(ctx)
	if err != nil {
		return nil, err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	src := filepath.Join(filepath.Dir(root), "shared", "corpus", "infrahub-demo-service-catalog")
	if _, err := os.Stat(filepath.Join(src, ".infrahub.yml")); err != nil {
		return nil, fmt.Errorf("the service catalog (the repository of scenarios 15 and 16): %w", err)
	}
	dir := filepath.Join(e.tmp, "art-repo")
	if err := writeArtRepo(src, dir, e.sz.artN); err != nil {
		return nil, err
	}
	token := rand.Text()
	g := &gqlWorld{client: &http.Client{Timeout: 60 * time.Second, Transport: adminKey{token: token, base: http.DefaultTransport}}}
	w := &artWorld{gqlWorld: g, n: e.sz.artN}
	e.art = w // close stops the server, even on a later error
	env := map[string]string{"INFRAHUB_DATA": filepath.Join(e.tmp, "art-server"),
		"INFRAHUB_LOG_LEVEL": "error", "INFRAHUB_INITIAL_ADMIN_TOKEN": token, "INFRAHUB_GIT_SYNC_INTERVAL": "0",
		"INFRAHUB_INSTANCE": "bench-art"}
	if e.cfg.cpuProfile != "" { // the rounds profile the server too (artProfile)
		if env["INFRAHUB_DEBUG_LISTEN"], err = freePort(); err != nil {
			return nil, err
		}
	}
	srv, err := startServer(ctx, bin, env, filepath.Join(e.tmp, "art-server.log"))
	if srv != nil {
		g.servers = append(g.servers, srv)
		g.writer, g.reader, w.srv = srv, srv, srv
	}
	if err != nil {
		return nil, err
	}
	e.progress("artifacts: importing a repository of the service catalog with %d devices in %s", w.n, artGroup)
	start := time.Now()
	if err := w.importRepo(ctx, "file://"+dir); err != nil {
		return nil, err
	}
	w.load = time.Since(start)
	e.progress("artifacts: repository imported in %s", w.load.Round(time.Millisecond))
	return w, nil
}

// moduleRoot is the folder of this checkout's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		return "", fmt.Errorf("go env GOMOD: %v (run the harness inside the repository)", err)
	}
	return filepath.Dir(string(bytes.TrimSpace(gomod))), nil
}

// writeArtRepo makes a Git repository (branch main, one commit) in dir of the catalog at src:
// its .infrahub.yml without the artifact definitions, the management pool widened to a /20,
// and data/08_device.yml replaced by n devices in the group (the file's shape: a switch or a
// router object template each, so each device has its interfaces).
func writeArtRepo(src, dir string, n int) error {
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		return err
	}
	_ = os.RemoveAll(filepath.Join(dir, ".git"))
	cfgPath := filepath.Join(dir, ".infrahub.yml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	i := bytes.Index(cfg, []byte("\nartifact_definitions:"))
	if i < 0 {
		return fmt.Errorf("%s: no artifact_definitions", cfgPath)
	}
	if err := os.WriteFile(cfgPath, cfg[:i+1], 0o644); err != nil {
		return err
	}
	poolPath := filepath.Join(dir, "data", "05_resource_pools.yml")
	pool, err := os.ReadFile(poolPath)
	if err != nil {
		return err
	}
	if !bytes.Contains(pool, []byte(`"172.16.1.0/24"`)) {
		return fmt.Errorf("%s: the management prefix 172.16.1.0/24 is not there", poolPath)
	}
	if err := os.WriteFile(poolPath, bytes.Replace(pool, []byte(`"172.16.1.0/24"`), []byte(`"172.16.0.0/20"`), 1), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("---\napiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: DcimDevice\n  data:\n")
	for i := range n {
		prefix, tpl := "sw", "Generic switch"
		if i%2 == 1 {
			prefix, tpl = "rb", "Generic router"
		}
		site := artSites[i%len(artSites)]
		fmt.Fprintf(&b, "    - name: %s%04d-%s\n      location: %s\n      status: active\n      object_template: %q\n      member_of_groups: [%q]\n      index: %d\n",
			prefix, i, site, site, tpl, artGroup, i+1)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "08_device.yml"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "the service catalog with generated devices"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com",
			"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// gql runs a document and decodes its data into out.
func (w *artWorld) gql(ctx context.Context, doc string, vars map[string]any, out any) error {
	a, err := w.query(ctx, w.srv, "", doc, vars)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(a.Data, out)
	}
	return nil
}

// importRepo adds the repository and waits until it is in sync with its devices imported, then
// reads the ids of the group and the transform.
func (w *artWorld) importRepo(ctx context.Context, location string) error {
	if err := w.gql(ctx, `mutation($data: CoreRepositoryCreateInput!) { CoreRepositoryCreate(data: $data) { ok } }`,
		map[string]any{"data": map[string]any{"name": map[string]any{"value": artRepoName}, "location": map[string]any{"value": location}}}, nil); err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	var last string
	for deadline := time.Now().Add(20 * time.Minute); ; {
		var st struct {
			Repo struct {
				Edges []struct {
					Node struct {
						Sync struct{ Value string } `json:"sync_status"`
					}
				}
			} `json:"CoreGenericRepository"`
			Devices struct{ Count int } `json:"DcimDevice"`
		}
		err := w.gql(ctx, `query($n: String) { CoreGenericRepository(name__value: $n) { edges { node { sync_status { value } } } }
			DcimDevice(limit: 1) { count } }`, map[string]any{"n": artRepoName}, &st)
		if err == nil && len(st.Repo.Edges) == 1 {
			last = fmt.Sprintf("sync_status %s, %d devices", st.Repo.Edges[0].Node.Sync.Value, st.Devices.Count)
			switch st.Repo.Edges[0].Node.Sync.Value {
			case "in-sync":
				if st.Devices.Count != w.n {
					return fmt.Errorf("repository in sync with %d devices, want %d", st.Devices.Count, w.n)
				}
				return w.readIDs(ctx)
			case "error-import":
				return fmt.Errorf("the import of the repository failed (see the tasks of %s)", w.srv.base)
			}
		} else if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the repository was not imported in 20 min: %s", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *artWorld) readIDs(ctx context.Context) error {
	var ids struct {
		Group struct {
			Edges []struct{ Node struct{ ID string } }
		} `json:"CoreStandardGroup"`
		Transform struct {
			Edges []struct{ Node struct{ ID string } }
		} `json:"CoreTransformJinja2"`
	}
	if err := w.gql(ctx, `query($g: String, $t: String) { CoreStandardGroup(name__value: $g) { edges { node { id } } }
		CoreTransformJinja2(name__value: $t) { edges { node { id } } } }`, map[string]any{"g": artGroup, "t": artTransform}, &ids); err != nil {
		return err
	}
	if len(ids.Group.Edges) != 1 || len(ids.Transform.Edges) != 1 {
		return fmt.Errorf("group %s: %d, transform %s: %d", artGroup, len(ids.Group.Edges), artTransform, len(ids.Transform.Edges))
	}
	w.group, w.transform = ids.Group.Edges[0].Node.ID, ids.Transform.Edges[0].Node.ID
	return nil
}

// createDefinition creates an artifact definition of the catalog's transform over the group,
// as the catalog's .infrahub.yml declares it, and answers its id.
func (w *artWorld) createDefinition(ctx context.Context, name string) (string, error) {
	var out struct {
		Create struct{ Object struct{ ID string } } `json:"CoreArtifactDefinitionCreate"`
	}
	err := w.gql(ctx, `mutation($data: CoreArtifactDefinitionCreateInput!) { CoreArtifactDefinitionCreate(data: $data) { ok object { id } } }`,
		map[string]any{"data": map[string]any{"name": map[string]any{"value": name}, "artifact_name": map[string]any{"value": name},
			"parameters": map[string]any{"value": map[string]any{"device_name": "name__value"}}, "content_type": map[string]any{"value": "text/plain"},
			"targets": map[string]any{"id": w.group}, "transformation": map[string]any{"id": w.transform}}}, &out)
	if err == nil && out.Create.Object.ID == "" {
		err = fmt.Errorf("CoreArtifactDefinitionCreate answered no id")
	}
	return out.Create.Object.ID, err
}

// waitReady polls (every 2 ms) until the definition has n Ready artifacts.
func (w *artWorld) waitReady(ctx context.Context, def string, within time.Duration) error {
	var got struct {
		Art struct{ Count int } `json:"CoreArtifact"`
	}
	for deadline := time.Now().Add(within); ; {
		if err := w.gql(ctx, `query($d: [ID]) { CoreArtifact(definition__ids: $d, status__value: "Ready", limit: 1) { count } }`,
			map[string]any{"d": []string{def}}, &got); err != nil {
			return err
		}
		if got.Art.Count >= w.n {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d artifacts Ready after %s", got.Art.Count, w.n, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkReady reads every artifact of the definition (the filters waitReady counts with are
// checked here): one Ready artifact per device of the group.
func (w *artWorld) checkReady(ctx context.Context, def string) error {
	var got struct {
		Art struct {
			Edges []struct {
				Node struct {
					Status     struct{ Value string }
					Checksum   struct{ Value string }
					Definition struct{ Node struct{ ID string } }
					Object     struct{ Node struct{ ID string } }
				}
			}
		} `json:"CoreArtifact"`
	}
	if err := w.gql(ctx, `query($d: [ID]) { CoreArtifact(definition__ids: $d) { edges { node { status { value } checksum { value }
		definition { node { id } } object { node { id } } } } } }`, map[string]any{"d": []string{def}}, &got); err != nil {
		return err
	}
	devices := map[string]bool{}
	for _, a := range got.Art.Edges {
		n := a.Node
		if n.Definition.Node.ID != def || n.Status.Value != "Ready" || n.Checksum.Value == "" {
			return fmt.Errorf("artifact of %s: definition %s (want %s), status %s, checksum %q", n.Object.Node.ID, n.Definition.Node.ID, def, n.Status.Value, n.Checksum.Value)
		}
		devices[n.Object.Node.ID] = true
	}
	if len(got.Art.Edges) != w.n || len(devices) != w.n {
		return fmt.Errorf("definition %s: %d artifacts of %d devices, want %d", def, len(got.Art.Edges), len(devices), w.n)
	}
	return nil
}

// waitIdle waits until no task is pending or running.
func (w *artWorld) waitIdle(ctx context.Context) error {
	var got struct {
		Tasks struct{ Count int } `json:"InfrahubTask"`
	}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if err := w.gql(ctx, `query { InfrahubTask(state: [PENDING, SCHEDULED, RUNNING]) { count } }`, nil, &got); err != nil {
			return err
		}
		if got.Tasks.Count == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d tasks not over after 2 min", got.Tasks.Count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deleteDefinition deletes a definition and its artifacts.
func (w *artWorld) deleteDefinition(ctx context.Context, def string) error {
	var arts struct {
		Art struct {
			Edges []struct{ Node struct{ ID string } }
		} `json:"CoreArtifact"`
	}
	if err := w.gql(ctx, `query($d: [ID]) { CoreArtifact(definition__ids: $d) { edges { node { id } } } }`, map[string]any{"d": []string{def}}, &arts); err != nil {
		return err
	}
	ops := make([]any, 0, len(arts.Art.Edges)+1)
	for _, a := range arts.Art.Edges {
		ops = append(ops, map[string]any{"type": "node.delete", "payload": map[string]any{"kind": "CoreArtifact", "id": a.Node.ID}})
	}
	ops = append(ops, map[string]any{"type": "node.delete", "payload": map[string]any{"kind": "CoreArtifactDefinition", "id": def}})
	_, err := w.command(ctx, "batch", map[string]any{"operations": ops})
	return err
}

// artifactsFromScratch is scenario 16: each round creates a definition over the group and
// measures the time until its artN artifacts are Ready; the definition and its artifacts are
// deleted after the round (not measured).
func artifactsFromScratch(e *env) measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		w, err := artWorldOf(ctx, e)
		if err != nil {
			return round{}, err
		}
		if err := w.waitIdle(ctx); err != nil {
			return round{}, err
		}
		defer artProfile(ctx, e, w, fmt.Sprintf("16-artifacts-1000-r%d-server.pprof", n+1))()
		cpu0 := w.srv.cpu()
		defer func() { e.progress("16-artifacts-1000 round %d: server CPU %s", n+1, w.srv.cpu()-cpu0) }()
		start := time.Now()
		def, err := w.createDefinition(ctx, fmt.Sprintf("bench-all-%s-%d", e.runID, n))
		if err != nil {
			return round{}, err
		}
		if err := w.waitReady(ctx, def, 5*time.Minute); err != nil {
			return round{}, err
		}
		took := time.Since(start)
		if err := w.checkReady(ctx, def); err != nil {
			return round{}, err
		}
		if err := w.deleteDefinition(ctx, def); err != nil {
			return round{}, err
		}
		ms := float64(took.Microseconds()) / 1000
		return round{value: ms, samples: []float64{ms}}, w.waitIdle(ctx)
	}
}

// changeTargets makes scenario 15's definition once, waits for its artifacts and reads, for
// each device, its first interface and its artifact.
func (w *artWorld) changeTargets(ctx context.Context) ([]artTarget, error) {
	if w.targets != nil {
		return w.targets, nil
	}
	def, err := w.createDefinition(ctx, artChangeDef)
	if err != nil {
		return nil, err
	}
	if err := w.waitReady(ctx, def, 5*time.Minute); err != nil {
		return nil, err
	}
	if err := w.waitIdle(ctx); err != nil {
		return nil, err
	}
	var data struct {
		Art struct {
			Edges []struct {
				Node struct {
					ID       string
					Checksum struct{ Value string }
					Object   struct{ Node struct{ ID string } }
				}
			}
		} `json:"CoreArtifact"`
		Dev struct {
			Edges []struct {
				Node struct {
					ID         string
					Interfaces struct {
						Edges []struct {
							Node struct {
								ID       string
								Typename string `json:"__typename"`
							}
						}
					}
				}
			}
		} `json:"DcimDevice"`
	}
	if err := w.gql(ctx, `query($d: [ID]) { CoreArtifact(definition__ids: $d) { edges { node { id checksum { value } object { node { id } } } } }
		DcimDevice { edges { node { id interfaces { edges { node { id __typename } } } } } } }`, map[string]any{"d": []string{def}}, &data); err != nil {
		return nil, err
	}
	byDevice := map[string]artTarget{}
	for _, a := range data.Art.Edges {
		byDevice[a.Node.Object.Node.ID] = artTarget{artifact: a.Node.ID, checksum: a.Node.Checksum.Value}
	}
	for _, d := range data.Dev.Edges {
		t, ok := byDevice[d.Node.ID]
		if !ok || len(d.Node.Interfaces.Edges) == 0 {
			return nil, fmt.Errorf("device %s: artifact %v, %d interfaces", d.Node.ID, ok, len(d.Node.Interfaces.Edges))
		}
		t.device, t.iface, t.ifaceKind = d.Node.ID, d.Node.Interfaces.Edges[0].Node.ID, d.Node.Interfaces.Edges[0].Node.Typename
		w.targets = append(w.targets, t)
	}
	if len(w.targets) != w.n {
		return nil, fmt.Errorf("%d devices with an artifact, want %d", len(w.targets), w.n)
	}
	return w.targets, nil
}

// artifactAfterChange is scenario 15: for one client, the time from a GraphQL mutation of one
// interface's description until the artifact of its device has a new checksum (polled every
// millisecond).
func artifactAfterChange(e *env) measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		w, err := artWorldOf(ctx, e)
		if err != nil {
			return round{}, err
		}
		targets, err := w.changeTargets(ctx)
		if err != nil {
			return round{}, err
		}
		_, lats, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, i int) error {
			t := &targets[(n*7919+i*31)%len(targets)]
			value := fmt.Sprintf("bench %s round %d op %d", e.runID, n, i)
			if err := w.gql(ctx, fmt.Sprintf(`mutation($id: String!, $v: String) { %sUpdate(data: {id: $id, description: {value: $v}}) { ok } }`, t.ifaceKind),
				map[string]any{"id": t.iface, "v": value}, nil); err != nil {
				return err
			}
			var got struct {
				Art struct {
					Edges []struct {
						Node struct {
							Checksum struct{ Value string }
							Status   struct{ Value string }
						}
					}
				} `json:"CoreArtifact"`
			}
			for deadline := time.Now().Add(10 * time.Second); ; {
				if err := w.gql(ctx, `query($id: ID!) { CoreArtifact(ids: [$id]) { edges { node { checksum { value } status { value } } } } }`,
					map[string]any{"id": t.artifact}, &got); err != nil {
					return err
				}
				if len(got.Art.Edges) == 1 && got.Art.Edges[0].Node.Checksum.Value != t.checksum && got.Art.Edges[0].Node.Status.Value == "Ready" {
					t.checksum = got.Art.Edges[0].Node.Checksum.Value
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("the artifact %s was not regenerated 10 s after the change of interface %s", t.artifact, t.iface)
				}
				time.Sleep(time.Millisecond)
			}
		})
		if err != nil {
			return round{}, err
		}
		return latencyRound(lats), nil
	}
}

// artProfile, with --cpuprofile, writes the CPU profile of the artifacts server over the next
// few seconds (a round of 16) into that folder as name; the func it answers waits for it.
func artProfile(ctx context.Context, e *env, w *artWorld, name string) func() {
	if e.cfg.cpuProfile == "" || w.srv == nil || w.srv.debug == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := saveServerProfile(ctx, w.client, w.srv.debug, 6*time.Second, filepath.Join(e.cfg.cpuProfile, name)); err != nil {
			e.progress("--cpuprofile: artifacts server: %v", err)
		}
	}()
	return func() { <-done }
}

// cpu is the CPU time the server process used so far (user and system, from /proc; 0 where
// it cannot be read): rounds report the server's CPU, which a busy machine does not inflate as
// it does their wall-clock time.
func (s *serverProc) cpu() time.Duration {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// the fields after the command's name (which may hold spaces), from the state (field 3)
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticks = 100 // USER_HZ
	return time.Duration(utime+stime) * time.Second / ticks
}
