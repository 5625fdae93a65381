package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sdkCommitUpdate is the document of the SDK's client.repository_update_commit
// (infrahub_sdk/graphql/queries.py get_commit_update_mutation, is_read_only=False, as the
// f-string renders it), sent with variables repository_id and commit.
const sdkCommitUpdate = `
    mutation ($repository_id: String!, $commit: String!) {
        CoreRepositoryUpdate(data: { id: $repository_id, commit: { is_protected: true, source: $repository_id, value: $commit } }) {
            ok
            object {
                commit {
                    value
                }
            }
        }
    }
    `

// The documents of opsmill/infrahub's UI (frontend/app), verbatim.
const (
	uiCheckConnectivity = `
  mutation CHECK_REPOSITORY_CONNECTIVITY($repositoryId: String!) {
    InfrahubRepositoryConnectivity(data: { id: $repositoryId }) {
      ok
      message
    }
  }
`
	uiReimportLastCommit = `
  mutation REIMPORT_LAST_COMMIT($repositoryId: String!) {
    InfrahubRepositoryProcess(data: { id: $repositoryId }) {
      ok
    }
  }
`
	uiImportReadOnlyLastCommit = `
  mutation REIMPORT_LAST_COMMIT($repositoryId: String!) {
    InfrahubReadOnlyRepositoryImportLastCommit(data: { id: $repositoryId }) {
      ok
      task {
        id
      }
    }
  }
`
)

// gqlOn posts a query to branch name's endpoint as the admin and answers its data, failing on
// errors.
func gqlOn(t *testing.T, base, name, query string, vars map[string]any) map[string]any {
	t.Helper()
	code, _, body := authCall(t, base, "POST", "/graphql/"+name, keyOf(testAdminToken), mustJSON(map[string]any{"query": query, "variables": vars}))
	if code != http.StatusOK || body["errors"] != nil {
		t.Fatalf("GraphQL on %s %d: %v", name, code, body)
	}
	data, _ := body["data"].(map[string]any)
	return data
}

// repoOn reads the repository named name on branch br: id, commit, ref and statuses.
func repoOn(t *testing.T, base, br, name string) map[string]string {
	t.Helper()
	data := gqlOn(t, base, br, `query($n: String) { CoreGenericRepository(name__value: $n) { edges { node { id
		sync_status { value } operational_status { value }
		... on CoreRepository { commit { value } }
		... on CoreReadOnlyRepository { commit { value } ref { value } } } } } }`, map[string]any{"n": name})
	edges, _ := dig(data, "CoreGenericRepository", "edges").([]any)
	if len(edges) != 1 {
		return nil
	}
	n := dig(edges[0], "node")
	s := func(keys ...string) string { v, _ := dig(n, keys...).(string); return v }
	return map[string]string{"id": s("id"), "sync_status": s("sync_status", "value"), "operational_status": s("operational_status", "value"),
		"commit": s("commit", "value"), "ref": s("ref", "value")}
}

// queriesOn lists the names of the stored queries (CoreGraphQLQuery) of branch br.
func queriesOn(t *testing.T, base, br string) string {
	t.Helper()
	data := gqlOn(t, base, br, `query { CoreGraphQLQuery { edges { node { name { value } } } } }`, nil)
	var names []string
	for _, e := range dig(data, "CoreGraphQLQuery", "edges").([]any) {
		names = append(names, dig(e, "node", "name", "value").(string))
	}
	return strings.Join(names, ",")
}

// smallRepo makes a Git repository (branch main) whose .infrahub.yml declares one query, and a
// bare clone of it served over file://; it answers the working folder and the bare one.
func smallRepo(t *testing.T) (work, bare string) {
	t.Helper()
	root := t.TempDir()
	work = filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, work, "init", "-q", "-b", "main")
	commitFile(t, work, "tags.gql", "query tags { BuiltinTag { edges { node { id name { value } } } } }\n", "a query")
	commitFile(t, work, ".infrahub.yml", "queries:\n  - name: tags\n    file_path: tags.gql\n", "the configuration")
	bare = filepath.Join(root, "remote.git")
	git(t, root, "clone", "-q", "--bare", work, bare)
	git(t, work, "remote", "add", "origin", bare)
	return work, bare
}

// remoteHead is the commit of branch name in a bare repository ("" when it has none).
func remoteHead(t *testing.T, bare, name string) string {
	t.Helper()
	out := git(t, bare, "for-each-ref", "--format=%(objectname)", "refs/heads/"+name)
	return strings.TrimSpace(out)
}

// The SDK's client.repository_update_commit, without the periodic sync
// (INFRAHUB_GIT_SYNC_INTERVAL=0): a commit of the template made after the catalog's import is
// imported once the SDK's mutation names it, and the transform renders the new template. The
// UI's re-import (InfrahubRepositoryProcess) runs a task of that commit; its connectivity check
// (InfrahubRepositoryConnectivity) answers Infrahub's message, or the error with the operational
// status recorded, and never a password.
func TestRepositoryUpdateCommitSDK(t *testing.T) {
	repo := catalogRepo(t)
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "0"})
	clientCLI(t, srv.base, "", "repository", "add", "catalog", "file://"+repo)
	first := git(t, repo, "rev-parse", "HEAD")
	eventually(t, 60*time.Second, "the catalog imported", func() (bool, string) {
		r := repositoryRow(t, srv.base, "catalog")
		return r != nil && r["commit"] == first && r["sync_status"] == "in-sync", fmt.Sprint(r)
	})
	eventually(t, 60*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	id := repositoryRow(t, srv.base, "catalog")["id"]
	render := func() string {
		_, _, out := rawGet(t, srv.base+"/api/transform/jinja2/device_config?device_name=sw01-bru01")
		return out
	}
	before := render()
	if !strings.Contains(before, "sw01-bru01") || strings.HasPrefix(before, "! updated by the SDK") {
		t.Fatalf("rendered before:\n%s", before)
	}

	tpl, _ := os.ReadFile(filepath.Join(repo, "templates", "device_config.j2"))
	commit := commitFile(t, repo, "templates/device_config.j2", "! updated by the SDK\n"+string(tpl), "a header")
	time.Sleep(500 * time.Millisecond)
	if r := repositoryRow(t, srv.base, "catalog"); r["commit"] != first {
		t.Fatalf("imported without a sync nor a mutation: %v", r)
	}
	data := gqlData(t, srv.base, sdkCommitUpdate, map[string]any{"repository_id": id, "commit": commit})
	if dig(data, "CoreRepositoryUpdate", "ok") != true || dig(data, "CoreRepositoryUpdate", "object", "commit", "value") != commit {
		t.Fatalf("repository_update_commit: %v", data)
	}
	eventually(t, 30*time.Second, "the new commit imported", func() (bool, string) {
		r := repositoryRow(t, srv.base, "catalog")
		out := render()
		return r["commit"] == commit && r["sync_status"] == "in-sync" && strings.HasPrefix(out, "! updated by the SDK\n"),
			fmt.Sprintf("%v\n%.80s", r, out)
	})
	if after := render(); after != "! updated by the SDK\n"+before {
		t.Fatalf("rendered after:\n%s\nwant the header then\n%s", after, before)
	}

	// the UI's re-import of the current commit: a task that completes
	eventually(t, 30*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	if d := gqlData(t, srv.base, uiReimportLastCommit, map[string]any{"repositoryId": id}); dig(d, "InfrahubRepositoryProcess", "ok") != true {
		t.Fatalf("InfrahubRepositoryProcess: %v", d)
	}
	eventually(t, 30*time.Second, "the re-import completed", func() (bool, string) {
		d := gqlData(t, srv.base, `query($id: String!) { InfrahubTask(related_node__ids: [$id], workflow: ["git-repository-import"], limit: 10) {
			edges { node { title state } } } }`, map[string]any{"id": id})
		edges, _ := dig(d, "InfrahubTask", "edges").([]any)
		for _, e := range edges {
			if dig(e, "node", "state") == "COMPLETED" && strings.Contains(dig(e, "node", "title").(string), commit[:8]) {
				return true, ""
			}
		}
		return false, mustJSON(d)
	})

	// connectivity: reached; the folder gone: not reached, recorded; back: online again
	check := func() (bool, string) {
		d := gqlData(t, srv.base, uiCheckConnectivity, map[string]any{"repositoryId": id})
		ok, _ := dig(d, "InfrahubRepositoryConnectivity", "ok").(bool)
		msg, _ := dig(d, "InfrahubRepositoryConnectivity", "message").(string)
		return ok, msg
	}
	if ok, msg := check(); !ok || msg != "Successfully accessed repository" {
		t.Fatalf("connectivity: %v %q", ok, msg)
	}
	if err := os.Rename(repo, repo+".moved"); err != nil {
		t.Fatal(err)
	}
	if ok, msg := check(); ok || !strings.HasPrefix(msg, "error") {
		t.Fatalf("connectivity of a missing folder: %v %q", ok, msg)
	}
	if r := repositoryRow(t, srv.base, "catalog"); !strings.HasPrefix(r["operational_status"], "error") {
		t.Fatalf("status after a failed check: %v", r)
	}
	if err := os.Rename(repo+".moved", repo); err != nil {
		t.Fatal(err)
	}
	if ok, _ := check(); !ok || repositoryRow(t, srv.base, "catalog")["operational_status"] != "online" {
		t.Fatalf("connectivity back: %v", repositoryRow(t, srv.base, "catalog"))
	}
}

// InfrahubRepositoryConnectivity of a repository served over smart HTTP with a wrong password:
// not ok, error-cred, and the password in neither the message nor the logs.
func TestRepositoryConnectivityCredential(t *testing.T) {
	work, _ := smallRepo(t)
	root := t.TempDir()
	git(t, root, "clone", "-q", "--bare", work, filepath.Join(root, "catalog.git"))
	const user, password = "netops", "s3cret-Pa55word"
	var refused atomic.Int64
	location := smartHTTP(t, root, user, password, &refused)
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "0"})
	const wrong = "not-the-Pa55word"
	clientCLI(t, srv.base, wrong+"\n", "repository", "add", "wrong", location, "--username", user, "--password-stdin")
	var r map[string]string
	eventually(t, 45*time.Second, "the repository", func() (bool, string) { r = repositoryRow(t, srv.base, "wrong"); return r != nil, "" })
	d := gqlData(t, srv.base, uiCheckConnectivity, map[string]any{"repositoryId": r["id"]})
	msg, _ := dig(d, "InfrahubRepositoryConnectivity", "message").(string)
	if dig(d, "InfrahubRepositoryConnectivity", "ok") != false || !strings.HasPrefix(msg, "error-cred") || refused.Load() == 0 {
		t.Fatalf("connectivity with a wrong password: %v", d)
	}
	if s := msg + srv.logs.String(); strings.Contains(s, wrong) || strings.Contains(s, password) {
		t.Fatalf("a password shows: %s", msg)
	}
	eventually(t, 45*time.Second, "error-cred recorded", func() (bool, string) {
		r := repositoryRow(t, srv.base, "wrong")
		return r["operational_status"] == "error-cred", fmt.Sprint(r)
	})
}

// A read-write repository follows Infrahub's branches on its remote (a bare repository served
// over file://): a branch created with sync_with_git gets its Git branch; a Git branch pushed
// to the remote gets its Infrahub branch, where its commit is imported; merging an Infrahub
// branch merges its Git branch into the remote's main, and the merged commit is imported.
func TestRepositoryFollowsBranches(t *testing.T) {
	work, bare := smallRepo(t)
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "1"})
	clientCLI(t, srv.base, "", "repository", "add", "small", "file://"+bare)
	main := remoteHead(t, bare, "main")
	eventually(t, 45*time.Second, "the repository imported", func() (bool, string) {
		r := repoOn(t, srv.base, "main", "small")
		return r != nil && r["commit"] == main && r["sync_status"] == "in-sync", fmt.Sprint(r)
	})
	if q := queriesOn(t, srv.base, "main"); q != "tags" {
		t.Fatalf("queries on main: %q", q)
	}

	// an Infrahub branch with sync_with_git: its Git branch, at main's commit
	d := gqlData(t, srv.base, `mutation { BranchCreate(wait_until_completion: true, data: {name: "infra-1", sync_with_git: true}) { ok object { name sync_with_git } } }`, nil)
	if dig(d, "BranchCreate", "ok") != true || dig(d, "BranchCreate", "object", "sync_with_git") != true {
		t.Fatalf("BranchCreate: %v", d)
	}
	eventually(t, 45*time.Second, "the Git branch infra-1 on the remote", func() (bool, string) {
		h := remoteHead(t, bare, "infra-1")
		return h == main, git(t, bare, "branch", "-a")
	})

	// a Git branch pushed to the remote: its Infrahub branch, with the branch's query imported
	git(t, work, "checkout", "-q", "-b", "git-1")
	commitFile(t, work, "devices.gql", "query devices { BuiltinTag { count } }\n", "another query")
	g1 := commitFile(t, work, ".infrahub.yml", "queries:\n  - name: tags\n    file_path: tags.gql\n  - name: devices\n    file_path: devices.gql\n", "declare it")
	git(t, work, "push", "-q", "origin", "git-1")
	eventually(t, 45*time.Second, "the Infrahub branch git-1 with its commit", func() (bool, string) {
		d := gqlData(t, srv.base, `query { Branch(name: "git-1") { name sync_with_git } }`, nil)
		list, _ := d["Branch"].([]any)
		if len(list) != 1 || dig(list[0], "sync_with_git") != true {
			return false, mustJSON(d)
		}
		q := queriesOn(t, srv.base, "git-1")
		return q == "devices,tags" || q == "tags,devices", q
	})
	if q := queriesOn(t, srv.base, "main"); q != "tags" {
		t.Fatalf("queries on main after git-1: %q", q)
	}
	if r := repoOn(t, srv.base, "main", "small"); r["commit"] != main {
		t.Fatalf("main's commit moved: %v (git-1 at %s)", r, g1)
	}

	// a commit on infra-1's Git branch, then the Infrahub branch merged: main on the remote
	// holds it, and main's repository commit is the remote's
	git(t, work, "fetch", "-q", "origin")
	git(t, work, "checkout", "-q", "-b", "infra-1", "origin/infra-1")
	i1 := commitFile(t, work, "README.md", "changed on infra-1\n", "a readme")
	git(t, work, "push", "-q", "origin", "infra-1")
	eventually(t, 45*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	d = gqlData(t, srv.base, `mutation { BranchMerge(wait_until_completion: true, data: {name: "infra-1"}) { ok object { name status } } }`, nil)
	if dig(d, "BranchMerge", "ok") != true {
		t.Fatalf("BranchMerge: %v", d)
	}
	var merged string
	eventually(t, 45*time.Second, "infra-1 merged into the remote's main", func() (bool, string) {
		merged = remoteHead(t, bare, "main")
		if merged == main {
			return false, "main unchanged"
		}
		out := git(t, bare, "branch", "--contains", i1)
		return strings.Contains(out, "main"), out
	})
	eventually(t, 45*time.Second, "the merged commit imported on main", func() (bool, string) {
		r := repoOn(t, srv.base, "main", "small")
		return r["commit"] == merged && r["sync_status"] == "in-sync", fmt.Sprint(r)
	})
	if q := queriesOn(t, srv.base, "main"); q != "tags" {
		t.Fatalf("queries on main after the merge: %q", q)
	}
}

// A read-only repository follows one ref: a tag imports the tag's commit; a branch imports its
// head, and a commit pushed there is imported by the UI's InfrahubReadOnlyRepositoryImportLastCommit
// (without the periodic sync).
func TestRepositoryReadOnlyRef(t *testing.T) {
	work, bare := smallRepo(t)
	v1 := remoteHead(t, bare, "main")
	git(t, work, "tag", "-a", "v1.0", "-m", "release 1.0")
	git(t, work, "checkout", "-q", "-b", "stable")
	stable := commitFile(t, work, "README.md", "stable\n", "a readme")
	git(t, work, "push", "-q", "origin", "v1.0", "stable")
	tagged := filepath.Join(t.TempDir(), "tagged.git") // a location is unique among repositories
	git(t, filepath.Dir(tagged), "clone", "-q", "--bare", bare, tagged)
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "0"})
	clientCLI(t, srv.base, "", "repository", "add", "at-tag", "file://"+tagged, "--read-only", "--ref", "v1.0")
	clientCLI(t, srv.base, "", "repository", "add", "at-stable", "file://"+bare, "--read-only", "--ref", "stable")
	for name, want := range map[string]string{"at-tag": v1, "at-stable": stable} {
		eventually(t, 45*time.Second, name+" imported", func() (bool, string) {
			r := repoOn(t, srv.base, "main", name)
			return r != nil && r["commit"] == want && r["sync_status"] == "in-sync", fmt.Sprint(r)
		})
	}
	if q := queriesOn(t, srv.base, "main"); q != "tags" {
		t.Fatalf("queries: %q", q)
	}

	next := commitFile(t, work, "README.md", "stable, next\n", "next")
	git(t, work, "push", "-q", "origin", "stable")
	eventually(t, 45*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, srv.base) })
	if r := repoOn(t, srv.base, "main", "at-stable"); r["commit"] != stable {
		t.Fatalf("imported without a sync: %v", r)
	}
	id := repoOn(t, srv.base, "main", "at-stable")["id"]
	d := gqlData(t, srv.base, uiImportReadOnlyLastCommit, map[string]any{"repositoryId": id})
	if dig(d, "InfrahubReadOnlyRepositoryImportLastCommit", "ok") != true || dig(d, "InfrahubReadOnlyRepositoryImportLastCommit", "task", "id") == nil {
		t.Fatalf("InfrahubReadOnlyRepositoryImportLastCommit: %v", d)
	}
	eventually(t, 45*time.Second, "the last commit of stable imported", func() (bool, string) {
		r := repoOn(t, srv.base, "main", "at-stable")
		return r["commit"] == next && r["sync_status"] == "in-sync", fmt.Sprint(r)
	})
	if r := repoOn(t, srv.base, "main", "at-tag"); r["commit"] != v1 || r["ref"] != "v1.0" {
		t.Fatalf("the tag's repository moved: %v", r)
	}
}
