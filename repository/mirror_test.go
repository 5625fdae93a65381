package repository

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// gitEnv keeps the git CLI of tests away from the user's configuration.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
	"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
	"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		perm := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			perm = 0o755
		}
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
	}
}

// upstream is a bare repository served to the Cache, with a work tree that pushes to it.
type upstream struct {
	t    *testing.T
	root string // folder of bare repositories (GIT_PROJECT_ROOT)
	bare string // root/repo.git
	work string
}

// newUpstream makes repo.git with branch main (files, a folder, a big file), a branch
// "feature" one commit ahead, and an annotated tag v1 on main.
func newUpstream(t *testing.T) *upstream {
	t.Helper()
	base := t.TempDir()
	u := &upstream{t: t, root: filepath.Join(base, "srv"), work: filepath.Join(base, "work")}
	u.bare = filepath.Join(u.root, "repo.git")
	run(t, base, "init", "-q", "--bare", "-b", "main", u.bare)
	run(t, u.bare, "config", "http.receivepack", "true")
	run(t, base, "init", "-q", "-b", "main", u.work)
	write(t, u.work, map[string]string{
		".infrahub.yml":           "queries:\n  - name: q\n    file_path: queries/q.gql\n",
		"queries/q.gql":           "query { CoreAccount { count } }\n",
		"schemas/a.yml":           "version: '1.0'\n",
		"schemas/sub/b.yml":       "version: '1.0'\n",
		"templates/big.txt":       strings.Repeat("0123456789", 100),
		"templates/device.j2":     "hostname {{ data.name }}\n",
		"scripts/run.sh":          "#!/bin/sh\n",
		"schemas/sub/deep/c.json": "{}",
	})
	run(t, u.work, "add", "-A")
	run(t, u.work, "commit", "-q", "-m", "first")
	run(t, u.work, "tag", "-a", "v1", "-m", "release 1")
	run(t, u.work, "remote", "add", "origin", u.bare)
	run(t, u.work, "push", "-q", "origin", "main", "v1")
	run(t, u.work, "checkout", "-q", "-b", "feature")
	u.commit("feature.txt", "feature\n")
	run(t, u.work, "push", "-q", "origin", "feature")
	run(t, u.work, "checkout", "-q", "main")
	return u
}

// commit writes one file on the current branch of the work tree and commits it.
func (u *upstream) commit(name, content string) string {
	u.t.Helper()
	write(u.t, u.work, map[string]string{name: content})
	run(u.t, u.work, "add", "-A")
	run(u.t, u.work, "commit", "-q", "-m", "change "+name)
	return run(u.t, u.work, "rev-parse", "HEAD")
}

// head answers the commit of a branch of the served repository.
func (u *upstream) head(branch string) string {
	u.t.Helper()
	return run(u.t, u.bare, "rev-parse", "refs/heads/"+branch)
}

// serve runs git http-backend through net/http/cgi behind basic auth on 127.0.0.1; answers
// the repository's URL.
func (u *upstream) serve(user, password string) string {
	u.t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		u.t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: gitPath, Args: []string{"http-backend"}, Root: "/git",
		Env: append([]string{"GIT_PROJECT_ROOT=" + u.root, "GIT_HTTP_EXPORT_ALL=1"}, gitEnv...),
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPassword, ok := r.BasicAuth()
		if !ok || gotUser != user || gotPassword != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	u.t.Cleanup(srv.Close)
	return srv.URL + "/git/repo.git"
}

func newCache(t *testing.T, cfg CacheConfig) *Cache {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	c, err := NewCache(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCacheConfig(t *testing.T) {
	if _, err := NewCache(CacheConfig{}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("no Dir: %v", err)
	}
	if _, err := NewCache(CacheConfig{Dir: t.TempDir(), Timeout: -1}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("negative timeout: %v", err)
	}
	c := newCache(t, CacheConfig{})
	if c.cfg.MaxFileBytes != 10<<20 || c.cfg.AuthorName != "Infrahub" || c.cfg.AuthorEmail != "infrahub@opsmill.com" {
		t.Fatalf("defaults: %+v", c.cfg)
	}
	ctx := context.Background()
	for _, id := range []string{"", "..", "a/b"} {
		if _, err := c.Sync(ctx, Remote{ID: id, Location: "file:///x"}); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("id %q: %v", id, err)
		}
	}
}

func TestSyncFileRemote(t *testing.T) {
	u := newUpstream(t)
	c := newCache(t, CacheConfig{})
	ctx := context.Background()
	r := Remote{ID: "repo1", Location: "file://" + u.bare}

	heads, err := c.Sync(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want := Heads{Default: "main", Branches: map[string]string{"main": u.head("main"), "feature": u.head("feature")}}
	if !reflect.DeepEqual(heads, want) {
		t.Fatalf("heads %+v, want %+v", heads, want)
	}
	if _, err := os.Stat(filepath.Join(c.cfg.Dir, "repo1.git", "HEAD")); err != nil {
		t.Fatalf("mirror not in Dir/<id>.git: %v", err)
	}

	// Resolve: branch, annotated tag (peeled to its commit), full and abbreviated hashes.
	main := u.head("main")
	for ref, want := range map[string]string{"main": main, "v1": main, main: main, main[:8]: main, "feature": u.head("feature")} {
		got, err := c.Resolve(ctx, r, ref)
		if err != nil || got != want {
			t.Fatalf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := c.Resolve(ctx, r, "nope"); !errors.Is(err, ErrRefNotFound) || !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown ref: %v", err)
	}

	// A new commit and a new branch are found by the next Sync; a deleted branch is pruned.
	next := u.commit("new.txt", "new\n")
	run(t, u.work, "push", "-q", "origin", "main")
	run(t, u.work, "push", "-q", "origin", "main:refs/heads/other", ":refs/heads/feature")
	heads, err = c.Sync(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"main": next, "other": next}; !reflect.DeepEqual(heads.Branches, want) {
		t.Fatalf("after push: %+v", heads.Branches)
	}
	if _, err := c.Resolve(ctx, r, "feature"); !errors.Is(err, ErrRefNotFound) {
		t.Fatalf("pruned branch still resolves: %v", err)
	}

	// A plain local path works too, and an empty remote has no heads.
	heads, err = c.Sync(ctx, Remote{ID: "plain", Location: u.bare})
	if err != nil || heads.Branches["main"] != next {
		t.Fatalf("plain path: %+v %v", heads, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.git")
	run(t, u.root, "init", "-q", "--bare", empty)
	heads, err = c.Sync(ctx, Remote{ID: "empty", Location: empty})
	if err != nil || len(heads.Branches) != 0 || heads.Default != "" {
		t.Fatalf("empty remote: %+v %v", heads, err)
	}

	// Remove deletes the mirror.
	if err := c.Remove(r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.cfg.Dir, "repo1.git")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("mirror still there: %v", err)
	}
}

func TestFiles(t *testing.T) {
	u := newUpstream(t)
	c := newCache(t, CacheConfig{MaxFileBytes: 500})
	ctx := context.Background()
	r := Remote{ID: "files", Location: "file://" + u.bare}
	main := u.head("main")

	// Files fetches: the mirror did not exist.
	fsys, err := c.Files(ctx, r, main)
	if err != nil {
		t.Fatal(err)
	}
	// fstest.TestFS checks the fs.FS contract (through a cache without a small file limit).
	full, err := newCache(t, CacheConfig{}).Files(ctx, r, main)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(full, ".infrahub.yml", "templates/big.txt", "queries/q.gql", "schemas/a.yml", "schemas/sub/b.yml",
		"schemas/sub/deep/c.json", "templates/device.j2", "scripts/run.sh"); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "templates/device.j2")
	if err != nil || string(b) != "hostname {{ data.name }}\n" {
		t.Fatalf("ReadFile: %q %v", b, err)
	}
	entries, err := fs.ReadDir(fsys, "schemas")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"a.yml", "sub"}) || !entries[1].IsDir() {
		t.Fatalf("ReadDir: %q", names)
	}
	if st, err := fs.Stat(fsys, "scripts/run.sh"); err != nil || st.Mode()&0o111 == 0 || st.Size() != int64(len("#!/bin/sh\n")) {
		t.Fatalf("Stat executable: %v %v", st, err)
	}
	if _, err := fs.Stat(fsys, "feature.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file of another branch: %v", err)
	}
	if _, err := fsys.Open("../x"); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("invalid path: %v", err)
	}

	// Too large: refused with the limit named; Stat still tells its size.
	_, err = fs.ReadFile(fsys, "templates/big.txt")
	if !errors.Is(err, limits.ErrExceeded) || !errors.Is(err, fault.ErrTooLarge) || !strings.Contains(err.Error(), MaxFileBytesSetting) {
		t.Fatalf("big file: %v", err)
	}
	if _, err := fsys.Open("templates/big.txt"); !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("open big file: %v", err)
	}
	if st, err := fs.Stat(fsys, "templates/big.txt"); err != nil || st.Size() != 1000 {
		t.Fatalf("stat big file: %v %v", st, err)
	}

	// The .infrahub.yml of the commit reads and checks through the fs.FS.
	cfg, err := ReadConfig(fsys)
	if err != nil || cfg.Check(fsys) != nil || cfg.Queries[0].FilePath != "queries/q.gql" {
		t.Fatalf("config: %+v %v", cfg, err)
	}
	files, err := Expand(fsys, []Path{{Path: "schemas"}}, ".yml", ".yaml", ".json")
	if want := []string{"schemas/a.yml", "schemas/sub/b.yml", "schemas/sub/deep/c.json"}; err != nil || !reflect.DeepEqual(files, want) {
		t.Fatalf("Expand: %q %v", files, err)
	}

	// Same commit: the same listing; a file read before comes from memory (the mirror's objects
	// are gone from disk, the read still works).
	again, err := c.Files(ctx, r, main)
	if err != nil || again != fsys {
		t.Fatalf("second Files is not the cached one: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(c.cfg.Dir, "files.git", "objects")); err != nil {
		t.Fatal(err)
	}
	b, err = fs.ReadFile(again, "templates/device.j2")
	if err != nil || string(b) != "hostname {{ data.name }}\n" {
		t.Fatalf("cached ReadFile: %q %v", b, err)
	}
	b[0] = 'X' // the caller owns what ReadFile answers
	if b2, _ := fs.ReadFile(again, "templates/device.j2"); b2[0] != 'h' {
		t.Fatal("ReadFile answered the cache's own bytes")
	}
	if err := c.Remove(r); err != nil {
		t.Fatal(err)
	}

	// A commit the mirror does not hold is fetched; an unknown one is ErrRefNotFound. A branch
	// name is resolved.
	fsys, err = c.Files(ctx, r, u.head("feature"))
	if err != nil {
		t.Fatal(err)
	}
	next := u.commit("later.txt", "later\n")
	run(t, u.work, "push", "-q", "origin", "main")
	fsys, err = c.Files(ctx, r, next)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "later.txt"); err != nil || string(b) != "later\n" {
		t.Fatalf("fetched commit: %q %v", b, err)
	}
	if _, err := c.Files(ctx, r, strings.Repeat("ab", 20)); !errors.Is(err, ErrRefNotFound) {
		t.Fatalf("unknown commit: %v", err)
	}
	if fsys, err = c.Files(ctx, r, "feature"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "feature.txt"); err != nil {
		t.Fatal(err)
	}
}

// Reads of cached and uncached files run concurrently with syncs (run with -race).
func TestFilesConcurrent(t *testing.T) {
	u := newUpstream(t)
	c := newCache(t, CacheConfig{})
	ctx := context.Background()
	r := Remote{ID: "conc", Location: "file://" + u.bare}
	heads, err := c.Sync(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			commit := heads.Branches["main"]
			if i%2 == 1 {
				commit = heads.Branches["feature"]
			}
			for range 50 {
				fsys, err := c.Files(ctx, r, commit)
				if err != nil {
					errs <- err
					return
				}
				for _, name := range []string{"queries/q.gql", "schemas/a.yml", "templates/device.j2"} {
					if _, err := fs.ReadFile(fsys, name); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			if _, err := c.Sync(ctx, r); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	// A new Cache over the same folder: the mirror exists on disk, not opened yet; many first
	// reads at once open it once.
	c2 := newCache(t, CacheConfig{Dir: c.cfg.Dir})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fsys, err := c2.Files(ctx, r, heads.Branches["main"])
			if err == nil {
				_, err = fs.ReadFile(fsys, "queries/q.gql")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestHTTPRemote(t *testing.T) {
	const user, password = "infrahub", "s3cret-Pa55word"
	u := newUpstream(t)
	url := u.serve(user, password)
	c := newCache(t, CacheConfig{})
	ctx := context.Background()
	r := Remote{ID: "http", Location: url, Username: user, Password: password}

	heads, err := c.Sync(ctx, r)
	if err != nil || heads.Default != "main" || heads.Branches["main"] != u.head("main") {
		t.Fatalf("sync: %+v %v", heads, err)
	}

	// CreateBranch pushes; again at the same commit is nothing to do; elsewhere a conflict.
	main := u.head("main")
	got, err := c.CreateBranch(ctx, r, "infra-1", "main")
	if err != nil || got != main || u.head("infra-1") != main {
		t.Fatalf("CreateBranch: %q %v", got, err)
	}
	if got, err := c.CreateBranch(ctx, r, "infra-1", main); err != nil || got != main {
		t.Fatalf("CreateBranch again: %q %v", got, err)
	}
	if _, err := c.CreateBranch(ctx, r, "infra-1", "feature"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("CreateBranch elsewhere: %v", err)
	}
	if _, err := c.CreateBranch(ctx, r, "bad..name", "main"); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}

	// Merge: feature is one commit ahead of main: a fast-forward pushed to the remote.
	feature := u.head("feature")
	got, err = c.Merge(ctx, r, "feature", "main")
	if err != nil || got != feature || u.head("main") != feature {
		t.Fatalf("Merge fast-forward: %q %v (remote main %s)", got, err, u.head("main"))
	}
	// Merging again, or merging an older branch, changes nothing.
	if got, err := c.Merge(ctx, r, "infra-1", "main"); err != nil || got != feature {
		t.Fatalf("Merge of an ancestor: %q %v", got, err)
	}
	// Diverged branches that changed different files: a merge commit (target first), pushed.
	run(t, u.work, "fetch", "-q", "origin")
	run(t, u.work, "checkout", "-q", "-B", "main", "origin/main")
	u.commit("main-only.txt", "m\n")
	run(t, u.work, "push", "-q", "origin", "main")
	run(t, u.work, "checkout", "-q", "-B", "infra-1", "origin/infra-1")
	u.commit("schemas/sub/branch-only.yml", "b\n")
	run(t, u.work, "rm", "-q", "schemas/a.yml")
	run(t, u.work, "commit", "-q", "-m", "remove a.yml")
	run(t, u.work, "push", "-q", "origin", "infra-1")
	before, branch := u.head("main"), u.head("infra-1")
	got, err = c.Merge(ctx, r, "infra-1", "main")
	if err != nil || got != u.head("main") {
		t.Fatalf("Merge diverged: %q %v", got, err)
	}
	if parents := run(t, u.bare, "rev-parse", "main^1", "main^2"); parents != before+"\n"+branch {
		t.Fatalf("merge parents %q, want %s %s", parents, before, branch)
	}
	if files := run(t, u.bare, "ls-tree", "-r", "--name-only", "main"); files != strings.Join([]string{
		".infrahub.yml", "feature.txt", "main-only.txt", "queries/q.gql", "schemas/sub/b.yml",
		"schemas/sub/branch-only.yml", "schemas/sub/deep/c.json", "scripts/run.sh", "templates/big.txt", "templates/device.j2"}, "\n") {
		t.Fatalf("merged tree:\n%s", files)
	}
	if author := run(t, u.bare, "log", "-1", "--format=%an <%ae>|%s", "main"); author != "Infrahub <infrahub@opsmill.com>|Merge branch 'infra-1' into main" {
		t.Fatalf("merge commit: %s", author)
	}
	run(t, u.bare, "fsck", "--strict")
	// Mode bits survive: the executable is still one.
	if mode := run(t, u.bare, "ls-tree", "main", "scripts/run.sh"); !strings.HasPrefix(mode, "100755") {
		t.Fatalf("mode lost: %s", mode)
	}

	// Both changed the same file: a conflict naming both branches and the file; nothing pushed.
	run(t, u.work, "fetch", "-q", "origin")
	run(t, u.work, "checkout", "-q", "-B", "main", "origin/main")
	u.commit("templates/device.j2", "hostname {{ data.name }}-main\n")
	run(t, u.work, "push", "-q", "origin", "main")
	run(t, u.work, "checkout", "-q", "-B", "infra-1", "origin/infra-1")
	u.commit("templates/device.j2", "hostname {{ data.name }}-branch\n")
	run(t, u.work, "push", "-q", "origin", "infra-1")
	before = u.head("main")
	_, err = c.Merge(ctx, r, "infra-1", "main")
	if !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), `"infra-1"`) || !strings.Contains(err.Error(), `"main"`) ||
		!strings.Contains(err.Error(), "templates/device.j2") {
		t.Fatalf("Merge conflict: %v", err)
	}
	if u.head("main") != before {
		t.Fatal("a refused merge moved main")
	}
	if _, err := c.Merge(ctx, r, "nope", "main"); !errors.Is(err, ErrRefNotFound) {
		t.Fatalf("Merge of an unknown branch: %v", err)
	}
	if Status(nil) != "online" {
		t.Fatal("Status(nil)")
	}
}

func TestHTTPCredentials(t *testing.T) {
	const user, password = "infrahub", "s3cret-Pa55word"
	u := newUpstream(t)
	url := u.serve(user, password)
	ctx := context.Background()
	var logs syncBuffer
	c := newCache(t, CacheConfig{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer func() {
		// No log line shows a password either (the location is logged redacted).
		out := logs.String()
		if !strings.Contains(out, "repository fetched") || !strings.Contains(out, "http://infrahub:xxxxx@127.0.0.1") {
			t.Errorf("expected logs of the fetches, got:\n%s", out)
		}
		for _, secret := range []string{password, "Wr0ng-in-url", "wrong-password"} {
			if strings.Contains(out, secret) {
				t.Errorf("a log line shows a password:\n%s", out)
			}
		}
	}()

	check := func(name string, err error, wrong ...string) {
		t.Helper()
		if !errors.Is(err, ErrCredential) || !errors.Is(err, fault.ErrForbidden) || Status(err) != "error-cred" {
			t.Fatalf("%s: %v is not ErrCredential", name, err)
		}
		for _, secret := range append(wrong, password) {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("%s: the message shows a password: %v", name, err)
			}
		}
	}
	_, err := c.Sync(ctx, Remote{ID: "wrong", Location: url, Username: user, Password: "wrong-password"})
	check("wrong password", err, "wrong-password")
	_, err = c.Sync(ctx, Remote{ID: "none", Location: url})
	check("anonymous", err)
	_, err = c.Sync(ctx, Remote{ID: "user-only", Location: url, Username: user})
	check("user name alone", err)

	// A password written in the location works, and a wrong one is never shown.
	inURL := strings.Replace(url, "http://", "http://"+user+":"+password+"@", 1)
	heads, err := c.Sync(ctx, Remote{ID: "inurl", Location: inURL})
	if err != nil || heads.Branches["main"] != u.head("main") {
		t.Fatalf("password in the URL: %+v %v", heads, err)
	}
	if s := (Remote{Location: inURL}).String(); strings.Contains(s, password) {
		t.Fatalf("Remote.String shows the password: %s", s)
	}
	wrongURL := strings.Replace(url, "http://", "http://"+user+":Wr0ng-in-url@", 1)
	_, err = c.Sync(ctx, Remote{ID: "wrongurl", Location: wrongURL})
	check("wrong password in the URL", err, "Wr0ng-in-url")
	_, err = c.Files(ctx, Remote{ID: "wrongurl2", Location: wrongURL}, "main")
	check("Files with a wrong password in the URL", err, "Wr0ng-in-url")
}

func TestConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a closed port
	c := newCache(t, CacheConfig{Timeout: 2 * time.Second})
	ctx := context.Background()
	_, err = c.Sync(ctx, Remote{ID: "closed", Location: "http://u:Secret-123@" + addr + "/repo.git", Password: "other-Secret"})
	if !errors.Is(err, ErrConnection) || !errors.Is(err, fault.ErrUnavailable) || Status(err) != "error-connection" {
		t.Fatalf("closed port: %v", err)
	}
	if strings.Contains(err.Error(), "Secret-123") || strings.Contains(err.Error(), "other-Secret") {
		t.Fatalf("the message shows a password: %v", err)
	}

	// A server that never answers: the Timeout ends the operation.
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	c = newCache(t, CacheConfig{Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err = c.Sync(ctx, Remote{ID: "hang", Location: srv.URL + "/repo.git"})
	if !errors.Is(err, ErrConnection) || time.Since(start) > 5*time.Second {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}

	// A repository the server does not have is an error of its own.
	_, err = c.Sync(ctx, Remote{ID: "missing", Location: "file://" + filepath.Join(t.TempDir(), "nope.git")})
	if err == nil || Status(err) != "error" {
		t.Fatalf("missing repository: %v (%s)", err, Status(err))
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (a log sink).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// One artifact render: the files of a commit, then its template.
func BenchmarkFilesReadFile(b *testing.B) {
	dir := b.TempDir()
	cmd := func(args ...string) {
		c := exec.Command("git", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), gitEnv...)
		if out, err := c.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	cmd("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "t.j2"), []byte(strings.Repeat("line {{ x }}\n", 200)), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd("add", "-A")
	cmd("commit", "-q", "-m", "x")
	c, err := NewCache(CacheConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	r := Remote{ID: "bench", Location: dir}
	commit, err := c.Resolve(ctx, r, "main")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		fsys, err := c.Files(ctx, r, commit)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fs.ReadFile(fsys, "t.j2"); err != nil {
			b.Fatal(err)
		}
	}
}
