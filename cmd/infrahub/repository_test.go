package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// catalogRepo makes a Git repository (branch main, one commit) of the service catalog's files
// in a new folder and answers the folder.
func catalogRepo(t *testing.T) string {
	t.Helper()
	src := testenv.Corpus(t, "infrahub-demo-service-catalog")
	dir := filepath.Join(t.TempDir(), "catalog")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(dir, ".git"))
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "the service catalog")
	return dir
}

// git runs git in dir with a fixed author, failing the test on an error.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitFile writes one file of the repository and commits it.
func commitFile(t *testing.T, dir, name, content, msg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
	return git(t, dir, "rev-parse", "HEAD")
}

// clientCLI runs the binary as a client of base and answers its output.
func clientCLI(t *testing.T, base, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "INFRAHUB_ADDRESS=" + base, "INFRAHUB_API_TOKEN=" + testAdminToken}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("infrahub %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// artifactRow is one artifact as the tests read it.
type artifactRow struct {
	ID, Checksum, StorageID, Status, ContentType string
}

// gqlData posts a query as the admin and answers its data, failing on errors.
func gqlData(t *testing.T, base, query string, vars map[string]any) map[string]any {
	t.Helper()
	code, _, body := authCall(t, base, "POST", "/graphql", keyOf(testAdminToken), mustJSON(map[string]any{"query": query, "variables": vars}))
	if code != http.StatusOK || body["errors"] != nil {
		t.Fatalf("GraphQL %d: %v", code, body)
	}
	data, _ := body["data"].(map[string]any)
	return data
}

// artifactsByDevice reads every CoreArtifact: device name -> artifact (nil before the schema
// has the devices).
func artifactsByDevice(t *testing.T, base string) map[string]artifactRow {
	t.Helper()
	code, _, body := authCall(t, base, "POST", "/graphql", keyOf(testAdminToken), mustJSON(map[string]any{"query": `query { CoreArtifact { edges { node { id status { value } checksum { value } storage_id { value }
		content_type { value } object { node { id } } } } }
		DcimDevice { edges { node { id name { value } } } } }`}))
	data, _ := body["data"].(map[string]any)
	if code != http.StatusOK || data == nil {
		return nil
	}
	names := map[string]string{}
	for _, e := range dig(data, "DcimDevice", "edges").([]any) {
		names[dig(e, "node", "id").(string)] = dig(e, "node", "name", "value").(string)
	}
	out := map[string]artifactRow{}
	for _, e := range dig(data, "CoreArtifact", "edges").([]any) {
		n := dig(e, "node")
		str := func(keys ...string) string { s, _ := dig(n, keys...).(string); return s }
		out[names[str("object", "node", "id")]] = artifactRow{ID: str("id"), Checksum: str("checksum", "value"),
			StorageID: str("storage_id", "value"), Status: str("status", "value"), ContentType: str("content_type", "value")}
	}
	return out
}

// tasksIdle reports whether no task is pending or running.
func tasksIdle(t *testing.T, base string) (bool, string) {
	data := gqlData(t, base, `query { InfrahubTask(state: [PENDING, SCHEDULED, RUNNING]) { count edges { node { title state } } } }`, nil)
	n, _ := dig(data, "InfrahubTask", "count").(float64)
	return n == 0, fmt.Sprintf("%v tasks not over", n)
}

// repositoryRow reads the repository named name.
func repositoryRow(t *testing.T, base, name string) map[string]string {
	t.Helper()
	data := gqlData(t, base, `query($n: String) { CoreGenericRepository(name__value: $n) { edges { node { id
		sync_status { value } operational_status { value } ... on CoreRepository { commit { value } } } } } }`, map[string]any{"n": name})
	edges, _ := dig(data, "CoreGenericRepository", "edges").([]any)
	if len(edges) != 1 {
		return nil
	}
	n := dig(edges[0], "node")
	s := func(keys ...string) string { v, _ := dig(n, keys...).(string); return v }
	return map[string]string{"id": s("id"), "sync_status": s("sync_status", "value"), "operational_status": s("operational_status", "value"),
		"commit": s("commit", "value")}
}

var nodeID = regexp.MustCompile(`"id":"[0-9a-f-]{36}"`)

// checkCatalogArtifacts waits for one Ready artifact per member of generic_devices, each the
// content Python Jinja2 renders from the same query answer (testdata/artifacts), and answers them.
func checkCatalogArtifacts(t *testing.T, base string) map[string]artifactRow {
	t.Helper()
	var arts map[string]artifactRow
	eventually(t, 90*time.Second, "16 Ready artifacts", func() (bool, string) {
		arts = artifactsByDevice(t, base)
		ready := 0
		for _, a := range arts {
			if a.Status == "Ready" {
				ready++
			}
		}
		return ready == 16, fmt.Sprintf("%d artifacts, %d ready; repository %v", len(arts), ready, repositoryRow(t, base, "catalog"))
	})
	goldens, _ := filepath.Glob(filepath.Join("testdata", "artifacts", "golden", "*.txt"))
	if len(goldens) != 16 {
		t.Fatalf("%d goldens", len(goldens))
	}
	for _, g := range goldens {
		device := strings.TrimSuffix(filepath.Base(g), ".txt")
		a, ok := arts[device]
		if !ok || a.ContentType != "text/plain" {
			t.Fatalf("no text/plain artifact of %s: %+v", device, a)
		}
		// the query answer is the one Python rendered from
		code, _, answer := rawGet(t, base+"/api/query/device_info?device_name="+device)
		want, _ := os.ReadFile(filepath.Join("testdata", "artifacts", "answers", device+".json"))
		var got, exp any
		_ = json.Unmarshal([]byte(nodeID.ReplaceAllString(answer, `"id":"<id>"`)), &got)
		_ = json.Unmarshal(want, &exp)
		if code != http.StatusOK || mustJSON(got) != mustJSON(exp) {
			t.Fatalf("GET /api/query/device_info?device_name=%s: %d\n%s\nwant\n%s", device, code, answer, want)
		}
		golden, _ := os.ReadFile(g)
		code, hdr, content := rawGet(t, base+"/api/artifact/"+a.ID)
		if code != http.StatusOK || content != string(golden) || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
			t.Fatalf("GET /api/artifact/%s (%s): %d %s\n%s\nwant (Python Jinja2)\n%s", a.ID, device, code, hdr.Get("Content-Type"), content, golden)
		}
		code, _, stored := rawGet(t, base+"/api/storage/object/"+a.StorageID)
		if code != http.StatusOK || stored != string(golden) {
			t.Fatalf("GET /api/storage/object/%s: %d", a.StorageID, code)
		}
	}
	return arts
}

// The acceptance flow of issue 19 on an embedded server: a local Git repository of the service
// catalog added with the CLI is imported (schemas, objects, menu, query, transform, artifact
// definition), one artifact per member of generic_devices is stored, byte-identical to Python
// Jinja2's rendering of the same answer; a change of one interface regenerates its device's
// artifact only; a new template commit regenerates all; broken commits change nothing.
func TestRepositoryArtifactsEmbedded(t *testing.T) {
	repo := catalogRepo(t)
	data := t.TempDir()
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": data, "INFRAHUB_GIT_SYNC_INTERVAL": "1"})
	out := clientCLI(t, srv.base, "", "repository", "add", "catalog", "file://"+repo)
	if !strings.Contains(out, "repository catalog added") {
		t.Fatalf("repository add: %s", out)
	}
	arts := checkCatalogArtifacts(t, srv.base)
	for _, a := range arts { // content-addressed in the blob store under the data folder
		if _, err := os.Stat(filepath.Join(data, "storage", "objects", a.StorageID)); err != nil {
			t.Fatalf("artifact content not in the blob store: %v", err)
		}
	}
	list := clientCLI(t, srv.base, "", "repository", "list")
	if !strings.Contains(list, "catalog") || !strings.Contains(list, "in-sync") || !strings.Contains(list, "online") {
		t.Fatalf("repository list:\n%s", list)
	}
	golden, _ := os.ReadFile(filepath.Join("testdata", "artifacts", "golden", "sw01-bru01.txt"))
	if got := clientCLI(t, srv.base, "", "render", "device_config", "device_name=sw01-bru01"); got != string(golden) {
		t.Fatalf("infrahub render:\n%s", got)
	}
	if got := clientCLI(t, srv.base, "", "artifact", "get", arts["sw01-bru01"].ID); got != string(golden) {
		t.Fatalf("infrahub artifact get:\n%s", got)
	}

	// one interface's description: that device's artifact only
	eventually(t, 30*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	d := gqlData(t, srv.base, `query { DcimDevice(name__value: "sw02-bru01") { edges { node { interfaces { edges { node { id __typename } } } } } } }`, nil)
	intf := dig(dig(d, "DcimDevice", "edges").([]any)[0], "node", "interfaces", "edges").([]any)[0]
	kind, id := dig(intf, "node", "__typename").(string), dig(intf, "node", "id").(string)
	gqlData(t, srv.base, fmt.Sprintf(`mutation { %sUpdate(data: {id: %q, description: {value: "uplink to the core"}}) { ok } }`, kind, id), nil)
	eventually(t, 30*time.Second, "sw02-bru01's artifact regenerated", func() (bool, string) {
		now := artifactsByDevice(t, srv.base)["sw02-bru01"]
		return now.Checksum != arts["sw02-bru01"].Checksum, now.Checksum
	})
	eventually(t, 30*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	after := artifactsByDevice(t, srv.base)
	for name, a := range after {
		if changed := a.Checksum != arts[name].Checksum; changed != (name == "sw02-bru01") {
			t.Errorf("%s: checksum changed: %v", name, changed)
		}
	}
	_, _, content := rawGet(t, srv.base+"/api/artifact/"+after["sw02-bru01"].ID)
	if !strings.Contains(content, `description "uplink to the core"`) {
		t.Fatalf("regenerated artifact:\n%s", content)
	}

	// a broken .infrahub.yml, then a broken template: reported, nothing changes
	cfgText, _ := os.ReadFile(filepath.Join(repo, ".infrahub.yml"))
	tplText, _ := os.ReadFile(filepath.Join(repo, "templates", "device_config.j2"))
	for _, broken := range []struct{ file, content string }{
		{".infrahub.yml", string(cfgText) + "\nqueries: [\n"},
		{"templates/device_config.j2", string(tplText) + "\n{% for x in %}\n"},
	} {
		good := repositoryRow(t, srv.base, "catalog")["commit"]
		commitFile(t, repo, broken.file, broken.content, "broken "+broken.file)
		eventually(t, 30*time.Second, "the broken commit reported", func() (bool, string) {
			r := repositoryRow(t, srv.base, "catalog")
			return r["sync_status"] == "error-import", fmt.Sprint(r)
		})
		if r := repositoryRow(t, srv.base, "catalog"); r["commit"] != good {
			t.Fatalf("a broken commit was imported: %v", r)
		}
		now := artifactsByDevice(t, srv.base)
		for name, a := range now {
			if a.Checksum != after[name].Checksum {
				t.Fatalf("%s: a broken commit changed its artifact", name)
			}
		}
		fixed := commitFile(t, repo, broken.file, map[string]string{".infrahub.yml": string(cfgText), "templates/device_config.j2": string(tplText)}[broken.file], "fixed")
		eventually(t, 30*time.Second, "the fixed commit imported", func() (bool, string) {
			r := repositoryRow(t, srv.base, "catalog")
			return r["commit"] == fixed && r["sync_status"] == "in-sync", fmt.Sprint(r)
		})
	}
	eventually(t, 30*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	// a template commit regenerates every artifact
	newCommit := commitFile(t, repo, "templates/device_config.j2", "! managed by infrahub-go\n"+string(tplText), "a header")
	eventually(t, 60*time.Second, "every artifact regenerated", func() (bool, string) {
		now := artifactsByDevice(t, srv.base)
		changed := 0
		for name, a := range now {
			if a.Checksum != after[name].Checksum && a.Status == "Ready" {
				changed++
			}
		}
		return changed == 16, fmt.Sprintf("%d of 16 changed; repository %v", changed, repositoryRow(t, srv.base, "catalog"))
	})
	if r := repositoryRow(t, srv.base, "catalog"); r["commit"] != newCommit || r["sync_status"] != "in-sync" {
		t.Fatalf("repository after the template commit: %v (want commit %s)", r, newCommit)
	}
	_, _, content = rawGet(t, srv.base+"/api/artifact/"+after["rb01-par01"].ID)
	if !strings.HasPrefix(content, "! managed by infrahub-go\n") {
		t.Fatalf("artifact after the template commit:\n%s", content)
	}
}

// A change whose artifact was not regenerated yet when the server was killed is regenerated
// after the restart: the reactors resume from their saved positions, not from the new head.
func TestArtifactsRegeneratedAfterKill(t *testing.T) {
	repo := catalogRepo(t)
	data, addr := t.TempDir(), freeAddr(t)
	env := map[string]string{"INFRAHUB_DATA": data, "INFRAHUB_GIT_SYNC_INTERVAL": "0"}
	srv := startChild(t, addr, env)
	clientCLI(t, srv.base, "", "repository", "add", "catalog", "file://"+repo)
	arts := checkCatalogArtifacts(t, srv.base)
	eventually(t, 30*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	time.Sleep(600 * time.Millisecond) // past the reactors' saving interval: their positions are saved
	d := gqlData(t, srv.base, `query { DcimDevice(name__value: "rb01-par01") { edges { node { interfaces { edges { node { id __typename } } } } } } }`, nil)
	intf := dig(dig(d, "DcimDevice", "edges").([]any)[0], "node", "interfaces", "edges").([]any)[0]
	kind, id := dig(intf, "node", "__typename").(string), dig(intf, "node", "id").(string)
	gqlData(t, srv.base, fmt.Sprintf(`mutation { %sUpdate(data: {id: %q, description: {value: "written before the kill"}}) { ok } }`, kind, id), nil)
	srv.kill() // at once: the watcher most likely never saw the change
	srv = startChild(t, addr, env)
	eventually(t, 60*time.Second, "rb01-par01's artifact regenerated after the restart", func() (bool, string) {
		now := artifactsByDevice(t, srv.base)["rb01-par01"]
		return now.Checksum != arts["rb01-par01"].Checksum, now.Checksum
	})
	_, _, content := rawGet(t, srv.base+"/api/artifact/"+arts["rb01-par01"].ID)
	if !strings.Contains(content, `description "written before the kill"`) {
		t.Fatalf("artifact after the restart:\n%s", content)
	}
}
